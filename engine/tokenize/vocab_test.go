package tokenize_test

import (
	"testing"
)

// TestAddedTokenIDs checks ids, lookups and the vocabulary size against
// what tokenizers@0.23.2 gives for sentence-transformers-labse, whose
// tokenizer.json lists [UNK] and [MASK] with ids the vocabulary lacks.
func TestAddedTokenIDs(t *testing.T) {
	tk := fixture(t, "sentence-transformers-labse.json")
	for tok, want := range map[string]int64{"[MASK]": 15, "[UNK]": 14, "[CLS]": 101, "brown": 51775} {
		if id, ok := tk.TokenToID(tok); !ok || id != want {
			t.Errorf("TokenToID(%q) = %d, %v; want %d", tok, id, ok, want)
		}
	}
	if s, ok := tk.IDToToken(15); !ok || s != "[MASK]" {
		t.Errorf("IDToToken(15) = %q, %v", s, ok)
	}
	if _, ok := tk.IDToToken(103); ok {
		t.Errorf("IDToToken(103) exists; Hugging Face has none")
	}
	if n := tk.VocabSize(); n != 16 {
		t.Errorf("VocabSize = %d, want 16", n)
	}
	if got := tk.Decode([]int64{101, 15, 51775, 14, 102}, false); got != "[CLS] [MASK] brown [UNK] [SEP]" {
		t.Errorf("Decode = %q", got)
	}
	if got := tk.Decode([]int64{101, 15, 51775, 14, 102}, true); got != "brown" {
		t.Errorf("Decode skipping special = %q", got)
	}
	e, err := tk.Encode("[MASK]", true)
	if err != nil || len(e.IDs) != 3 || e.IDs[1] != 15 {
		t.Errorf("Encode([MASK]) = %v, %v", e.IDs, err)
	}
}
