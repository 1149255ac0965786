package tokenize_test

import (
	"testing"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// TestAddedTokenNormalizedDefault: an added token without "normalized" is
// matched after normalization (Hugging Face's AddedToken default; with
// "normalized": true, tokenizers@0.23.2 gives these ids and offsets).
func TestAddedTokenNormalizedDefault(t *testing.T) {
	tk, err := tokenize.FromJSON([]byte(`{
		"added_tokens": [{"id": 2, "content": "HELLO", "special": false}],
		"normalizer": {"type": "Lowercase"},
		"pre_tokenizer": {"type": "Whitespace"},
		"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := tk.Encode("a hello a", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 2, 1}; len(e.IDs) != 3 || e.IDs[1] != want[1] {
		t.Errorf("ids %v, want %v (the lowercased text matches the normalized added token)", e.IDs, want)
	}
	if want := (tokenize.Offset{Start: 2, End: 7}); e.Offsets[1] != want {
		t.Errorf("offset %v, want %v", e.Offsets[1], want)
	}
}
