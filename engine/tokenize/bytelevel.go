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

// llama3Regex is the split pattern of Llama 3 (and GPT-4's cl100k), matched
// by hand like GPT-2's.
const llama3Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

type llama3Pattern struct{}

func (llama3Pattern) find(s []byte, out []match) ([]match, error) {
	if len(s) == 0 {
		return append(out, match{0, 0, false}), nil
	}
	for i := 0; i < len(s); {
		end := llama3MatchAt(s, i)
		out = append(out, match{i, end, true})
		i = end
	}
	return out, nil
}

// foldIs reports whether the character at s[i:] case-folds to the ASCII
// letter c, returning its size.
func foldIs(s []byte, i int, c byte) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	if s[i]|0x20 == c {
		return 1, true
	}
	if c == 's' && i+1 < len(s) && s[i] == 0xC5 && s[i+1] == 0xBF { // ſ
		return 2, true
	}
	return 0, false
}

func isNewline(r rune) bool { return r == '\r' || r == '\n' }

func llama3MatchAt(s []byte, i int) int {
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if s[i] == '\'' {
		for _, c := range []byte{'s', 't', 'm', 'd'} {
			if n, ok := foldIs(s, i+1, c); ok {
				return i + 1 + n
			}
		}
		for _, pair := range [][2]byte{{'r', 'e'}, {'v', 'e'}, {'l', 'l'}} {
			if n1, ok := foldIs(s, i+1, pair[0]); ok {
				if n2, ok := foldIs(s, i+1+n1, pair[1]); ok {
					return i + 1 + n1 + n2
				}
			}
		}
	}
	r0, sz0 := decodeAt(s, i)
	c0 := runeClass(r0)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0 == clsLetter {
		return runEnd(s, i, clsLetter)
	}
	if c0 != clsNumber && !isNewline(r0) && i+sz0 < len(s) {
		if r1, _ := decodeAt(s, i+sz0); runeClass(r1) == clsLetter {
			return runEnd(s, i+sz0, clsLetter)
		}
	}
	// \p{N}{1,3}
	if c0 == clsNumber {
		j := i
		for k := 0; k < 3 && j < len(s); k++ {
			r, sz := decodeAt(s, j)
			if runeClass(r) != clsNumber {
				break
			}
			j += sz
		}
		return j
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	j := i
	if s[j] == ' ' && j+1 < len(s) {
		if r1, _ := decodeAt(s, j+1); runeClass(r1) == clsOther {
			j++
		}
	}
	if r, _ := decodeAt(s, j); runeClass(r) == clsOther {
		j = runEnd(s, j, clsOther)
		for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
			j++
		}
		return j
	}
	// whitespace from here on
	end := runEnd(s, i, clsSpace)
	// \s*[\r\n]+: up to the end of the last newline in the run
	for k := end; k > i; {
		r, sz := utf8.DecodeLastRune(s[i:k])
		if isNewline(r) {
			return k
		}
		k -= sz
	}
	// \s+(?!\S) then \s+
	if end == len(s) {
		return end
	}
	if _, lsz := utf8.DecodeLastRune(s[i:end]); end-lsz > i {
		return end - lsz
	}
	return end
}
