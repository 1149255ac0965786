package tokenize_test

import (
	"strings"
	"testing"
	"time"
)

// TestLongInputs encodes 256 KiB texts without spaces and of one repeated
// character with every kind of model: it must finish and keep offsets sane.
func TestLongInputs(t *testing.T) {
	texts := []string{
		strings.Repeat("a", 1<<18),
		strings.Repeat("ab😀 ", 1<<16),
		strings.Repeat("中", 1<<16),
	}
	for _, name := range []string{"bert-base-uncased.json.gz", "bpe-roberta.json", "unigram-precompiled.json.gz", "Meta-Llama-3-8B-Instruct.json.gz"} {
		tk := fixture(t, name)
		for _, s := range texts {
			start := time.Now()
			e, err := tk.Encode(s, true)
			t.Logf("%s: %d bytes in %v", name, len(s), time.Since(start))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if e.Len() == 0 {
				t.Fatalf("%s: no tokens", name)
			}
			checkEncoding(t, name, s, e)
		}
	}
}
