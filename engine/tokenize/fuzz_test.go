package tokenize_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// FuzzEncode checks, for every kind of tokenizer in testdata, that encoding
// never panics or fails, that offsets lie inside the text on character
// boundaries and in order, and that encoding is deterministic.
func FuzzEncode(f *testing.F) {
	for _, raw := range readGolden(f, "bert-base-uncased.jsonl") {
		var r goldenRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			f.Fatal(err)
		}
		if r.AddSpecial {
			f.Add(*r.Text)
		}
	}
	f.Add("\xff\xfe invalid \xc3 utf8 \xe2\x82")
	f.Add("<mask><s></s>[CLS][SEP]")
	names := []string{
		"bert-base-uncased.json.gz", "wordlevel.json", "bpe-roberta.json",
		"bpe-metaspace.json", "wordpiece-pretok.patch.json", "wordpiece-whitespace.patch.json",
		"unigram-bytefallback.json.gz", "wordpiece-added.patch.json", "unigram-precompiled.json.gz",
	}
	tks := make([]*tokenize.Tokenizer, len(names))
	for i, n := range names {
		tks[i] = fixture(f, n)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for i, tk := range tks {
			for _, special := range []bool{true, false} {
				e, err := tk.Encode(text, special)
				if err != nil {
					t.Fatalf("%s: %q: %v", names[i], text, err)
				}
				checkEncoding(t, names[i], text, e)
				again, err := tk.Encode(text, special)
				if err != nil || !reflect.DeepEqual(e, again) {
					t.Fatalf("%s: %q: encoding twice differs", names[i], text)
				}
			}
		}
	})
}

func checkEncoding(t *testing.T, name, text string, e tokenize.Encoding) {
	t.Helper()
	n := len(e.IDs)
	if len(e.Tokens) != n || len(e.Offsets) != n || len(e.TypeIDs) != n || len(e.AttentionMask) != n ||
		len(e.SpecialTokensMask) != n || len(e.WordIDs) != n {
		t.Fatalf("%s: %q: field lengths differ", name, text)
	}
	valid := utf8.ValidString(text)
	prev := tokenize.Offset{}
	for i, o := range e.Offsets {
		if o.Start < 0 || o.End < o.Start || o.End > len(text) {
			t.Fatalf("%s: %q: token %d %q offsets %v outside the text", name, text, i, e.Tokens[i], o)
		}
		if valid && (!boundary(text, o.Start) || !boundary(text, o.End)) {
			t.Fatalf("%s: %q: token %d offsets %v not on character boundaries", name, text, i, o)
		}
		// special tokens sit at (0, 0); byte-level offset trimming (as in
		// Hugging Face) can leave a space token empty just past the token
		// after it
		if e.SpecialTokensMask[i] == 1 || o.Start == o.End {
			continue
		}
		if o.Start < prev.Start {
			t.Fatalf("%s: %q: token %d offsets %v before %v", name, text, i, o, prev)
		}
		prev = o
	}
	cps := tokenize.CodePointOffsets(text, e.Offsets)
	nr := utf8.RuneCountInString(text)
	for i, o := range cps {
		if o.Start < 0 || o.End < o.Start || (o.End > nr && nr > 0) {
			t.Fatalf("%s: %q: code-point offsets %v of token %d outside %d characters", name, text, o, i, nr)
		}
	}
	for _, ov := range e.Overflowing {
		checkEncoding(t, name, text, ov)
	}
}

func boundary(s string, i int) bool { return i == len(s) || utf8.RuneStart(s[i]) }
