package tokenize

import (
	"bytes"
	"encoding/json"
	"sort"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`

	// text is what IDToToken and Decode give for the token: the content,
	// normalized for normalized tokens (as Hugging Face does).
	text string
}

// UnmarshalJSON reads an added token. Hugging Face requires every field;
// a missing "normalized" is taken as its AddedToken default, true.
func (a *addedToken) UnmarshalJSON(b []byte) error {
	type plain addedToken
	aux := struct {
		*plain
		Normalized *bool `json:"normalized"`
	}{plain: (*plain)(a)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	a.Normalized = orDefault(aux.Normalized, true)
	return nil
}

// addedMatcher finds added tokens in text, leftmost-longest, as Hugging
// Face's Aho-Corasick matcher does.
type addedMatcher struct {
	byFirst [256][]int // indexes into pats, longest first
	pats    []string
	toks    []*addedToken
}

func newAddedMatcher(toks []*addedToken, patterns []string) *addedMatcher {
	if len(toks) == 0 {
		return nil
	}
	m := &addedMatcher{pats: patterns, toks: toks}
	for i, p := range patterns {
		if p == "" {
			continue
		}
		m.byFirst[p[0]] = append(m.byFirst[p[0]], i)
	}
	for b := range m.byFirst {
		l := m.byFirst[b]
		sort.SliceStable(l, func(i, j int) bool { return len(m.pats[l[i]]) > len(m.pats[l[j]]) })
	}
	return m
}

// addedSpan is a piece of a text: an added token (tok != nil) or the text
// between added tokens.
type addedSpan struct {
	start, end int
	tok        *addedToken
}

// find splits s into added tokens and the text between them.
func (m *addedMatcher) find(s []byte, out []addedSpan) []addedSpan {
	if len(s) == 0 {
		return append(out, addedSpan{0, 0, nil})
	}
	startOffset := 0
	for i := 0; i < len(s); {
		cands := m.byFirst[s[i]]
		hit := -1
		for _, k := range cands {
			if bytes.HasPrefix(s[i:], []byte(m.pats[k])) {
				hit = k
				break
			}
		}
		if hit < 0 {
			i++
			continue
		}
		tok := m.toks[hit]
		start, stop := i, i+len(m.pats[hit])
		if tok.SingleWord {
			startSpace := start == 0 || !endsWithWord(s[:start])
			stopSpace := stop == len(s) || !startsWithWord(s[stop:])
			if !startSpace || !stopSpace {
				i = stop
				continue
			}
		}
		if tok.LStrip {
			ns := start
			for ns > 0 {
				r, sz := utf8.DecodeLastRune(s[:ns])
				if !isWhitespace(r) {
					break
				}
				ns -= sz
			}
			start = max(ns, startOffset)
		}
		if tok.RStrip {
			for stop < len(s) {
				r, sz := utf8.DecodeRune(s[stop:])
				if !isWhitespace(r) {
					break
				}
				stop += sz
			}
		}
		if startOffset < start {
			out = append(out, addedSpan{startOffset, start, nil})
		}
		out = append(out, addedSpan{start, stop, tok})
		startOffset = stop
		i = stop
	}
	if startOffset != len(s) {
		out = append(out, addedSpan{startOffset, len(s), nil})
	}
	return out
}

func endsWithWord(s []byte) bool {
	r, _ := utf8.DecodeLastRune(s)
	return len(s) > 0 && isWordChar(r)
}

func startsWithWord(s []byte) bool {
	r, _ := utf8.DecodeRune(s)
	return len(s) > 0 && isWordChar(r)
}
