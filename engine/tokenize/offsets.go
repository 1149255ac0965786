package tokenize

import "unicode/utf8"

// Offset is a token's byte range in the original input string, End
// exclusive. For valid UTF-8 input both ends lie on character boundaries.
type Offset struct{ Start, End int }

// CodePointOffsets converts byte offsets into text to Unicode code-point
// offsets the way Hugging Face tokenizers does for its char offsets: a start
// maps to the index of the character holding that byte; an end to the index
// of the character holding byte End, or to one past the character holding
// byte End-1 when End is the end of the text. One deliberate difference: an
// offset at the very end of the text (an empty token there, which byte-level
// offset trimming can produce) maps to the number of characters, where the
// Hugging Face bindings leave the byte offset unconverted.
func CodePointOffsets(text string, offs []Offset) []Offset {
	out := make([]Offset, len(offs))
	if len(offs) == 0 {
		return out
	}
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i, o := range offs {
			out[i] = Offset{min(max(o.Start, 0), len(text)), min(max(o.End, 0), len(text))}
		}
		return out
	}
	// idx[b] is the code-point index of the character holding byte b;
	// idx[len(text)] is the number of characters.
	idx := make([]int32, len(text)+1)
	n := int32(-1)
	for i := 0; i < len(text); i++ {
		if utf8.RuneStart(text[i]) || n < 0 {
			n++
		}
		idx[i] = n
	}
	idx[len(text)] = n + 1
	at := func(b int) int { return int(idx[min(max(b, 0), len(text))]) }
	for i, o := range offs {
		s, e := at(o.Start), at(o.End)
		out[i] = Offset{s, max(e, s)}
	}
	return out
}
