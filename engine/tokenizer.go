package engine

// span is a token's byte offsets into the original text, end exclusive.
type span struct{ start, end int }

// encoding is one window of tokens, special tokens included, ready for the
// model.
type encoding struct {
	ids     []int64
	typeIDs []int64
	mask    []int64
	offsets []span // byte offsets into the original text
	special []bool // special tokens ([CLS], [SEP], <s>, ...)

	// Sentiment (pipeline_sentences.go): whole marks the first window of the
	// whole text (truncated: the text did not fit in it); part is the byte
	// range of the sentence, or piece of one, that a sentence window holds.
	whole, truncated bool
	part             span
	hasPart          bool
}

func (e *encoding) len() int { return len(e.ids) }

// tokenizer is what the pipelines need from a tokenizer.json implementation.
type tokenizer interface {
	// encode tokenizes text into windows of at most maxLen tokens (special
	// tokens included); consecutive windows overlap by stride tokens. One
	// window when the text fits.
	encode(text string, maxLen, stride int) ([]encoding, error)
	// token returns the vocabulary string of id ("" when unknown).
	token(id int64) string
	// subwordPrefix is the model's continuing-subword prefix ("##" for
	// WordPiece), "" when the model has none.
	subwordPrefix() string
	// unkID is the unknown token's id, -1 when there is none.
	unkID() int64
	// padID is the padding token's id.
	padID() int64
}

// windowBounds splits n content tokens into windows of at most size tokens
// whose starts advance by size-stride, the last one ending at n.
func windowBounds(n, size, stride int) [][2]int {
	if size <= 0 {
		size = 1
	}
	if stride >= size {
		stride = size - 1
	}
	if stride < 0 {
		stride = 0
	}
	if n <= size {
		return [][2]int{{0, n}}
	}
	var out [][2]int
	for start := 0; ; start += size - stride {
		end := start + size
		if end >= n {
			out = append(out, [2]int{start, n})
			return out
		}
		out = append(out, [2]int{start, end})
	}
}
