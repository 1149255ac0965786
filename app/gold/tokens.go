package gold

import (
	"fmt"
	"unicode"

	"github.com/rivo/uniseg"
)

// Token is one token of a text: code-point offsets, end exclusive.
type Token struct {
	Start, End int
	Text       string
}

// Tokenize splits text into the tokens every CoNLL file and every entity
// score uses: the words of Unicode word segmentation (UAX #29, rivo/uniseg),
// so that punctuation is a token of its own ("Paris," → "Paris" ","), an
// emoji (with its modifiers and joiners) is one token, each CJK ideograph is
// one (UAX #29 has no dictionary: "東京" is "東" "京", as in Chinese
// character-level NER data), and "don't" stays one; white space
// is dropped, and a segment with white space inside (a space carrying a
// combining mark) is split at it. A token never contains white space.
func Tokenize(text string) []Token {
	var out []Token
	pos := 0 // code points before rest
	rest := text
	state := -1
	for len(rest) > 0 {
		var seg string
		seg, rest, state = uniseg.FirstWordInString(rest, state)
		start, n, b0 := -1, 0, 0
		for off, r := range seg {
			if unicode.IsSpace(r) {
				if start >= 0 {
					out = append(out, Token{Start: start, End: pos + n, Text: seg[b0:off]})
					start = -1
				}
			} else if start < 0 {
				start, b0 = pos+n, off
			}
			n++
		}
		if start >= 0 {
			out = append(out, Token{Start: start, End: pos + n, Text: seg[b0:]})
		}
		pos += n
	}
	return out
}

// snap returns the tokens [first, last] a span covers: every token that
// shares a code point with it. A span that starts or ends inside a token is
// widened to the whole token ("snap outward"). ok is false when the span
// covers no token (white space only).
func snap(toks []Token, s Span) (first, last int, ok bool) {
	first, last = -1, -1
	for i, t := range toks {
		if t.End <= s.Start {
			continue
		}
		if t.Start >= s.End {
			break
		}
		if first < 0 {
			first = i
		}
		last = i
	}
	return first, last, first >= 0
}

// tokenSpan is an entity on the token grid: tokens [First, Last].
type tokenSpan struct {
	First, Last int
	Label       string
}

// Snap puts d's entities on the tokens of Tokenize(d.Text): each is widened
// outward to whole tokens. It fails, naming the document (n) and the spans,
// when an entity covers no token or two entities end up sharing a token.
// d must have passed Check.
func Snap(n int, d Doc) ([]Token, []tokenSpan, error) {
	toks := Tokenize(d.Text)
	out := make([]tokenSpan, 0, len(d.Entities))
	for i, s := range d.Entities {
		f, l, ok := snap(toks, s)
		if !ok {
			return nil, nil, docError(n, d.ID, "entity %s covers only white space", describe(d.Text, s))
		}
		if len(out) > 0 && f <= out[len(out)-1].Last {
			return nil, nil, docError(n, d.ID, "entities %s and %s share the token %q: widened to whole tokens they overlap",
				describe(d.Text, d.Entities[i-1]), describe(d.Text, s), toks[f].Text)
		}
		out = append(out, tokenSpan{First: f, Last: l, Label: s.Label})
	}
	return toks, out, nil
}

// Tags returns the IOB2 tags of d over its tokens (B-X starts an entity,
// I-X continues it, O is outside).
func Tags(n int, d Doc) ([]Token, []string, error) {
	toks, spans, err := Snap(n, d)
	if err != nil {
		return nil, nil, err
	}
	tags := make([]string, len(toks))
	for i := range tags {
		tags[i] = "O"
	}
	for _, s := range spans {
		tags[s.First] = "B-" + s.Label
		for i := s.First + 1; i <= s.Last; i++ {
			tags[i] = "I-" + s.Label
		}
	}
	return toks, tags, nil
}

// spansOfTags decodes a tag sequence as seqeval does by default (the
// conlleval rules): B-X starts an entity; I-X continues an entity of type X
// and otherwise starts one (IOB1 and broken IOB2 are read leniently); O ends
// it. BIOES/BILOU tags (S-/U- single, E-/L- last) are read too. It returns
// token spans.
func spansOfTags(tags []string) ([]tokenSpan, error) {
	var out []tokenSpan
	open := false
	for i, t := range tags {
		if t == "O" {
			open = false
			continue
		}
		if len(t) < 3 || t[1] != '-' {
			return nil, fmt.Errorf("tag %q of token %d: want O, B-X, I-X (or S-, E-, U-, L-)", t, i+1)
		}
		p, label := t[0], t[2:]
		cont := open && out[len(out)-1].Label == label
		switch p {
		case 'B', 'S', 'U':
			cont = false
		case 'I', 'E', 'L':
		default:
			return nil, fmt.Errorf("tag %q of token %d: want O, B-X, I-X (or S-, E-, U-, L-)", t, i+1)
		}
		if cont {
			out[len(out)-1].Last = i
		} else {
			out = append(out, tokenSpan{First: i, Last: i, Label: label})
		}
		open = p == 'B' || p == 'I'
	}
	return out, nil
}
