package tokenize

import "unicode/utf8"

// Offset is a token's byte range in the original input string, End exclusive.
type Offset struct{ Start, End int }

// CodePointOffsets converts byte offsets into text to Unicode code-point
// offsets the way Hugging Face tokenizers does for its char offsets: a start
// maps to the index of the character holding that byte; an end to the index
// of the character holding byte End, or one past the character holding byte
// End-1 when End is the end of the text. Offsets that do not map (for
// example into an empty text) are returned unchanged.
func CodePointOffsets(text string, offs []Offset) []Offset {
	out := make([]Offset, len(offs))
	if len(offs) == 0 {
		return out
	}
	// idx[b] is the code-point index of the character holding byte b.
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	lookup := func(b int) (int, bool) {
		if b < 0 || b >= len(text) {
			return 0, false
		}
		return b, true
	}
	if !ascii {
		idx := make([]int32, len(text))
		n := int32(0)
		for i := range text {
			_, sz := utf8.DecodeRuneInString(text[i:])
			_ = sz
			idx[i] = n
			n++
		}
		// fill continuation bytes with their character's index
		last := int32(0)
		for i := 0; i < len(text); i++ {
			if utf8.RuneStart(text[i]) {
				last = idx[i]
			}
			idx[i] = last
		}
		lookup = func(b int) (int, bool) {
			if b < 0 || b >= len(idx) {
				return 0, false
			}
			return int(idx[b]), true
		}
	}
	for i, o := range offs {
		s, okS := lookup(o.Start)
		e, okE := lookup(o.End)
		switch {
		case okS && okE:
			out[i] = Offset{s, e}
		case okS:
			last, ok := lookup(o.End - 1)
			if !ok {
				last = s + 1 - 1
				out[i] = Offset{s, s + 1}
				continue
			}
			out[i] = Offset{s, last + 1}
		default:
			out[i] = o
		}
	}
	return out
}
