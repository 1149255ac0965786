package tokenize_test

import (
	"reflect"
	"testing"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

func TestCodePointOffsets(t *testing.T) {
	f := func(text string, in, want []tokenize.Offset) {
		t.Helper()
		if got := tokenize.CodePointOffsets(text, in); !reflect.DeepEqual(got, want) {
			t.Errorf("%q %v: got %v, want %v", text, in, got, want)
		}
	}
	f("abc", []tokenize.Offset{{0, 1}, {1, 3}, {0, 0}}, []tokenize.Offset{{0, 1}, {1, 3}, {0, 0}})
	// é is 2 bytes, 😀 4 bytes, 中 3 bytes
	f("é😀中x", []tokenize.Offset{{0, 2}, {2, 6}, {6, 9}, {9, 10}, {0, 0}},
		[]tokenize.Offset{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 0}})
	// byte-level pieces of one character map to that character
	f("😀", []tokenize.Offset{{0, 4}, {0, 4}}, []tokenize.Offset{{0, 1}, {0, 1}})
	// an empty token at the end maps to the number of characters
	f("é ", []tokenize.Offset{{3, 3}}, []tokenize.Offset{{2, 2}})
	f("", []tokenize.Offset{{0, 0}}, []tokenize.Offset{{0, 0}})
}
