package sentence_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/engine/sentence"
)

func texts(text string) []string {
	var out []string
	for _, s := range sentence.Split(text) {
		out = append(out, text[s.Start:s.End])
	}
	return out
}

func TestSplit(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"   \n ", nil},
		{"One sentence", []string{"One sentence"}},
		{"Great phone. Terrible battery!  Would I buy it again? No.", []string{"Great phone.", "Terrible battery!", "Would I buy it again?", "No."}},
		{"Dr. Smith met Mr. Jones at 5 p.m. yesterday. They talked.", []string{"Dr. Smith met Mr. Jones at 5 p.m. yesterday.", "They talked."}},
		{"J. R. R. Tolkien wrote it. It sold well.", []string{"J. R. R. Tolkien wrote it.", "It sold well."}},
		{"Prices rose approx. 5 percent, e.g. in Paris. Then fell.", []string{"Prices rose approx. 5 percent, e.g. in Paris.", "Then fell."}},
		{"The U.S. economy grew 2.5 percent. Stocks rose.", []string{"The U.S. economy grew 2.5 percent.", "Stocks rose."}},
		{"Apple Inc. reported results. Sony too.", []string{"Apple Inc. reported results.", "Sony too."}},
		{"東京は大きい。大阪も好きです。", []string{"東京は大きい。", "大阪も好きです。"}},
		{"title without stop\n\nA new paragraph.", []string{"title without stop", "A new paragraph."}},
		{"wow!!! so good 😍😍 love it.", []string{"wow!!!", "so good 😍😍 love it."}},
	}
	for _, c := range cases {
		got := texts(c.text)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("Split(%q) =\n %q\nwant\n %q", c.text, got, c.want)
		}
	}
}

// FuzzSplit: spans are in order, inside the text, on rune boundaries, never
// empty, never overlap, never start or end with white space, and together
// hold every non-space character of the text.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"Dr. A. B. went home. Then?", "a.b.c. d", "\n\n.", "東京。x", "e.g. e.g. e.g."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		spans := sentence.Split(text)
		prev := 0
		var kept strings.Builder
		for _, s := range spans {
			if s.Start < prev || s.End <= s.Start || s.End > len(text) {
				t.Fatalf("bad span %+v after %d in %q", s, prev, text)
			}
			if !utf8.RuneStart(text[s.Start]) || (s.End < len(text) && !utf8.RuneStart(text[s.End])) {
				t.Fatalf("span %+v not on rune boundaries in %q", s, text)
			}
			part := text[s.Start:s.End]
			if strings.TrimFunc(part, unicode.IsSpace) != part {
				t.Fatalf("span %q has surrounding white space", part)
			}
			kept.WriteString(part)
			prev = s.End
		}
		if strip(kept.String()) != strip(text) {
			t.Fatalf("sentences lose text: %q vs %q", kept.String(), text)
		}
	})
}

func strip(s string) string { return strings.Join(strings.Fields(s), "") }
