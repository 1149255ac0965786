package gold

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// CoNLL comment lines (CoNLL-U style), written with WriteOptions.Comments
// and always understood when read.
const (
	conllText      = "# text = "
	conllTextJSON  = "# text_json = " // a text with line breaks, as a JSON string
	conllID        = "# id = "
	conllSentiment = "# sentiment = "
)

// conllWriter writes IOB2: one "TOKEN TAG" line per token (a space between
// them; a token never contains white space), a blank line after each
// document.
type conllWriter struct {
	w        *bufio.Writer
	comments bool
	n        int
}

func (c *conllWriter) Write(d Doc) error {
	c.n++
	if err := Check(c.n, &d); err != nil {
		return err
	}
	toks, tags, err := Tags(c.n, d)
	if err != nil {
		return err
	}
	if c.comments {
		if d.ID != "" && !strings.ContainsAny(d.ID, "\r\n") {
			c.w.WriteString(conllID + d.ID + "\n")
		}
		if strings.ContainsAny(d.Text, "\r\n\u2028\u2029\u0085\v\f") {
			b, _ := json.Marshal(d.Text)
			c.w.WriteString(conllTextJSON + string(b) + "\n")
		} else {
			c.w.WriteString(conllText + d.Text + "\n")
		}
		if d.Sentiment != "" && !strings.ContainsAny(d.Sentiment, "\r\n") {
			c.w.WriteString(conllSentiment + d.Sentiment + "\n")
		}
	}
	for i, t := range toks {
		c.w.WriteString(t.Text)
		c.w.WriteByte(' ')
		c.w.WriteString(tags[i])
		c.w.WriteByte('\n')
	}
	return c.w.WriteByte('\n')
}

func (c *conllWriter) Close() error { return c.w.Flush() }

// readCoNLL reads IOB2 (or IOB1/BIOES) token-per-line files: the first
// field of a line is the token, the last its tag (so CoNLL-2003's four
// columns work as well as two); fields are separated by spaces or tabs. A
// blank line ends a document, "-DOCSTART-" lines are skipped. Without a
// "# text = " comment a document's text is its tokens joined by single
// spaces; with one, the tokens are found in that text in order and the
// offsets are into it, so nothing is lost.
func readCoNLL(r io.Reader, fn func(Doc) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	var (
		d        Doc
		toks     []string
		tags     []string
		hasText  bool
		n, line  int
		startLin int
	)
	flush := func() error {
		if len(toks) == 0 && !hasText {
			d, hasText = Doc{}, false
			return nil
		}
		n++
		doc, err := conllDoc(n, startLin, d, hasText, toks, tags)
		d, toks, tags, hasText = Doc{}, nil, nil, false
		if err != nil {
			return err
		}
		return fn(doc)
	}
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if !utf8.ValidString(s) {
			return fmt.Errorf("%w: line %d: not valid UTF-8", ErrInvalid, line)
		}
		if len(toks) == 0 && !hasText && d.ID == "" && d.Sentiment == "" {
			startLin = line
		}
		switch {
		case strings.TrimSpace(s) == "":
			if err := flush(); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(s, "-DOCSTART-"):
			if err := flush(); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(s, conllText) && len(toks) == 0:
			d.Text, hasText = s[len(conllText):], true
			continue
		case strings.HasPrefix(s, conllTextJSON) && len(toks) == 0:
			if err := json.Unmarshal([]byte(s[len(conllTextJSON):]), &d.Text); err != nil {
				return fmt.Errorf("%w: line %d: text_json: %v", ErrInvalid, line, err)
			}
			hasText = true
			continue
		case strings.HasPrefix(s, conllID) && len(toks) == 0:
			d.ID = s[len(conllID):]
			continue
		case strings.HasPrefix(s, conllSentiment) && len(toks) == 0:
			d.Sentiment = strings.TrimSpace(s[len(conllSentiment):])
			continue
		}
		f := strings.Fields(s)
		if len(f) < 2 {
			return fmt.Errorf("%w: line %d: want a token and its tag, got %q", ErrInvalid, line, s)
		}
		toks = append(toks, f[0])
		tags = append(tags, f[len(f)-1])
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: line %d: %v", ErrInvalid, line+1, err)
	}
	return flush()
}

// conllDoc builds document n (starting at line) from its tokens and tags.
func conllDoc(n, line int, d Doc, hasText bool, toks, tags []string) (Doc, error) {
	spans, err := spansOfTags(tags)
	if err != nil {
		return Doc{}, docError(n, d.ID, "line %d: %v", line, err)
	}
	// Code-point offsets of each token in the text.
	starts := make([]int, len(toks))
	ends := make([]int, len(toks))
	if hasText {
		pos, rest := 0, d.Text
		for i, t := range toks {
			k := strings.Index(rest, t)
			if k < 0 || strings.TrimSpace(rest[:k]) != "" {
				return Doc{}, docError(n, d.ID, "line %d: token %d %q does not follow in the document's # text", line, i+1, t)
			}
			pos += utf8.RuneCountInString(rest[:k])
			starts[i] = pos
			pos += utf8.RuneCountInString(t)
			ends[i] = pos
			rest = rest[k+len(t):]
		}
	} else {
		var b strings.Builder
		pos := 0
		for i, t := range toks {
			if i > 0 {
				b.WriteByte(' ')
				pos++
			}
			b.WriteString(t)
			starts[i] = pos
			pos += utf8.RuneCountInString(t)
			ends[i] = pos
		}
		d.Text = b.String()
	}
	d.Entities = make([]Span, 0, len(spans))
	for _, s := range spans {
		d.Entities = append(d.Entities, Span{Start: starts[s.First], End: ends[s.Last], Label: s.Label})
	}
	if err := Check(n, &d); err != nil {
		return Doc{}, err
	}
	return d, nil
}
