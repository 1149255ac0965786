package tokenize_test

import (
	"reflect"
	"sync"
	"testing"
)

// TestConcurrentEncode encodes from many goroutines at once (run with
// -race): results must equal the sequential ones.
func TestConcurrentEncode(t *testing.T) {
	texts := []string{
		"The movie was absolutely wonderful, and the acting was superb.",
		"Café crème 中文 😀 👨‍👩‍👧 tokenization!!",
		"<s> hello <mask> world </s>",
		"",
	}
	for _, name := range []string{"bert-base-uncased.json.gz", "bpe-roberta.json", "bpe-metaspace.json", "wordlevel.json"} {
		tk := fixture(t, name)
		want := make([][]int64, len(texts))
		for i, s := range texts {
			e, err := tk.Encode(s, true)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = e.IDs
		}
		var wg sync.WaitGroup
		errs := make(chan string, 64)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for k := 0; k < 50; k++ {
					i := (g + k) % len(texts)
					e, err := tk.Encode(texts[i], true)
					if err != nil || !reflect.DeepEqual(e.IDs, want[i]) {
						errs <- name + ": " + texts[i]
						return
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("concurrent encode differs: %s", e)
		}
	}
}
