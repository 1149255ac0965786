// Package gold holds labelled documents (gold labels, or a model's
// predictions written the same way) and the training formats they travel in:
// CoNLL-2003 / IOB2, spaCy JSONL, Label Studio JSON, doccano JSONL and a
// sentiment CSV/JSONL, each with a reader and a writer, plus the metrics that
// score predictions against gold (seqeval-style entity F1, sentiment
// accuracy and confusion matrix).
//
// Offsets are Unicode code points into Doc.Text, end exclusive, as Python
// counts characters (len, slicing) and as nlpscope's entity spans are
// everywhere. The package imports nothing of nlpscope, so that documents
// can come from any store. Readers and writers are not safe for concurrent
// use.
package gold

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Span is one entity: code-point offsets into its document's text, end
// exclusive. Score is a prediction's confidence (0 for gold).
type Span struct {
	Start int     `json:"start"`
	End   int     `json:"end"`
	Label string  `json:"label"`
	Score float64 `json:"score,omitempty"`
}

// Doc is one labelled document. Sentiment is "" when the document has no
// sentiment label. Entities is nil when the document's entities are not
// labelled (a sentiment-only file) and non-nil, perhaps empty, when they
// are: an empty list is "no entities here", and scored as such. ID is the document's id in its source (a Label
// Studio task id, a doccano id, a stored document id), "" when it has none.
type Doc struct {
	ID             string  `json:"id,omitempty"`
	Text           string  `json:"text"`
	Sentiment      string  `json:"sentiment,omitempty"`
	SentimentScore float64 `json:"sentiment_score,omitempty"`
	Entities       []Span  `json:"entities,omitzero"`
	// Model is the model version of a prediction ("" for gold); Label
	// Studio's model_version.
	Model string `json:"model,omitempty"`
}

// ErrInvalid marks input that cannot be read as labelled documents: bad
// syntax, offsets outside the text, overlapping entities, spans that do not
// fit the tokens. Every such error names the document.
var ErrInvalid = errors.New("invalid labelled data")

// docError is an ErrInvalid about document n (1-based, in reading order).
func docError(n int, id, format string, args ...any) error {
	where := fmt.Sprintf("document %d", n)
	if id != "" {
		where += fmt.Sprintf(" (id %s)", id)
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, where, fmt.Sprintf(format, args...))
}

// Slice returns the text of code points [start, end) of s; out-of-range
// bounds are clamped.
func Slice(s string, start, end int) string {
	i, b0, b1 := 0, len(s), len(s)
	for off := range s {
		if i == start {
			b0 = off
		}
		if i == end {
			b1 = off
			break
		}
		i++
	}
	if b0 > b1 {
		return ""
	}
	return s[b0:b1]
}

// describe is a span for messages: LABEL [start,end) "text".
func describe(text string, s Span) string {
	return fmt.Sprintf("%s [%d,%d) %q", s.Label, s.Start, s.End, Slice(text, s.Start, s.End))
}

// Check validates d (document n of its file, for messages): valid UTF-8,
// spans inside the text with start < end and a label, and no two entities
// overlapping. It leaves d.Entities sorted by start (a sorted copy when
// they were not, so the caller's slice is not reordered).
func Check(n int, d *Doc) error {
	if !utf8.ValidString(d.Text) {
		return docError(n, d.ID, "text is not valid UTF-8")
	}
	if strings.TrimSpace(d.Text) == "" {
		return docError(n, d.ID, "empty text")
	}
	runes := utf8.RuneCountInString(d.Text)
	for _, s := range d.Entities {
		if strings.TrimSpace(s.Label) == "" {
			return docError(n, d.ID, "entity [%d,%d) has no label", s.Start, s.End)
		}
		if s.Start < 0 || s.End > runes || s.Start >= s.End {
			return docError(n, d.ID, "entity %s [%d,%d) is outside the text (%d code points) or empty", s.Label, s.Start, s.End, runes)
		}
	}
	byStart := func(a, b Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	}
	if !slices.IsSortedFunc(d.Entities, byStart) {
		d.Entities = slices.Clone(d.Entities) // the caller's slice keeps its order
		slices.SortStableFunc(d.Entities, byStart)
	}
	for i := 1; i < len(d.Entities); i++ {
		a, b := d.Entities[i-1], d.Entities[i]
		if b.Start < a.End {
			return docError(n, d.ID, "entities overlap: %s and %s (overlapping entities cannot be written as IOB2 tags; keep one)", describe(d.Text, a), describe(d.Text, b))
		}
	}
	return nil
}

// AlignKey is the key a labelled document is matched to a stored one by:
// its text without any white space, so that a CoNLL file (whose tokens lose
// the original spacing) still finds its document.
func AlignKey(text string) string {
	return strings.Join(strings.Fields(text), "")
}

// runeOffsets maps code-point index → byte offset for s (len = runes+1).
func runeOffsets(s string) []int {
	out := make([]int, 0, len(s)+1)
	for off := range s {
		out = append(out, off)
	}
	return append(out, len(s))
}

// DropConflicts makes predictions writable: it drops every entity that
// overlaps one before it (by start, then the longer first) and, with
// onTokens, every one that shares a token with one before it once widened to
// whole tokens (CoNLL), or covers no token. Gold is never repaired this way:
// writers and readers refuse it instead. It returns the document and the
// number of entities dropped. Invalid text or offsets are left for Check.
func DropConflicts(d Doc, onTokens bool) (Doc, int) {
	if len(d.Entities) == 0 {
		return d, 0
	}
	runes := utf8.RuneCountInString(d.Text)
	es := slices.Clone(d.Entities)
	slices.SortStableFunc(es, func(a, b Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	var toks []Token
	if onTokens {
		toks = Tokenize(d.Text)
	}
	kept := es[:0]
	end, lastTok := -1, -1
	for _, s := range es {
		if s.Start < 0 || s.End > runes || s.Start >= s.End || s.Start < end {
			continue
		}
		if onTokens {
			f, l, ok := snap(toks, s)
			if !ok || f <= lastTok {
				continue
			}
			lastTok = l
		}
		end = s.End
		kept = append(kept, s)
	}
	dropped := len(d.Entities) - len(kept)
	d.Entities = kept
	return d, dropped
}
