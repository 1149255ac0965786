package tokenize

import "unicode/utf8"

// bytesChar maps every byte to the printable character GPT-2's byte-level
// BPE uses for it; charBytes is the reverse.
var bytesChar, charBytes = func() (bc [256]string, cb map[rune]byte) {
	cb = make(map[rune]byte, 256)
	keep := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !keep(b) {
			r = rune(256 + n)
			n++
		}
		bc[b] = string(r)
		cb[r] = byte(b)
	}
	return bc, cb
}()

// gpt2Split finds the matches of GPT-2's pre-tokenization regex
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// without a regex engine (RE2 has no lookahead).
func gpt2Split(s []byte, out []match) []match {
	if len(s) == 0 {
		return append(out, match{0, 0, false})
	}
	i := 0
	for i < len(s) {
		end := gpt2MatchAt(s, i)
		out = append(out, match{i, end, true})
		i = end
	}
	return out
}

const (
	clsSpace = iota
	clsLetter
	clsNumber
	clsOther
)

func runeClass(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case r == ' ' || (r >= '\t' && r <= '\r'):
			return clsSpace
		case (r|0x20 >= 'a' && r|0x20 <= 'z'):
			return clsLetter
		case r >= '0' && r <= '9':
			return clsNumber
		}
		return clsOther
	case isWhitespace(r):
		return clsSpace
	case isLetter(r):
		return clsLetter
	case isNumber(r):
		return clsNumber
	}
	return clsOther
}

func decodeAt(s []byte, i int) (rune, int) {
	if s[i] < utf8.RuneSelf {
		return rune(s[i]), 1
	}
	return utf8.DecodeRune(s[i:])
}

// runEnd returns the end of the run of characters of class cls starting at i.
func runEnd(s []byte, i, cls int) int {
	for i < len(s) {
		r, sz := decodeAt(s, i)
		if runeClass(r) != cls {
			break
		}
		i += sz
	}
	return i
}

func gpt2MatchAt(s []byte, i int) int {
	if s[i] == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i + 3
			}
		}
	}
	j := i
	if s[j] == ' ' && j+1 < len(s) {
		r, _ := decodeAt(s, j+1)
		if c := runeClass(r); c != clsSpace {
			return runEnd(s, j+1, c)
		}
	}
	r, sz := decodeAt(s, i)
	if c := runeClass(r); c != clsSpace {
		return runEnd(s, i, c)
	}
	// whitespace run: \s+(?!\S) leaves the last space for the next word
	end := runEnd(s, i, clsSpace)
	if end == len(s) {
		return end
	}
	// back off one character
	_, lsz := utf8.DecodeLastRune(s[i:end])
	if end-lsz > i {
		return end - lsz
	}
	_ = sz
	return end
}
