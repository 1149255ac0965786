package tokenize

import (
	"sort"
	"unicode"
)

// runeRanges is a sorted list of inclusive code-point ranges.
type runeRanges [][2]rune

func (rs runeRanges) contains(r rune) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i][1] >= r })
	return i < len(rs) && rs[i][0] <= r
}

// asciiPunct marks the ASCII punctuation characters.
var asciiPunct = func() (t [128]bool) {
	for r := rune(0); r < 128; r++ {
		t[r] = bertPunct.contains(r)
	}
	return t
}()

// isWhitespace is Rust's char::is_whitespace (the White_Space property).
func isWhitespace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.Is(unicode.White_Space, r)
}

// isBertControl reports whether BertNormalizer's clean_text removes r.
func isBertRemoved(r rune) bool {
	if r < 0x80 {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
	}
	return bertRemoved.contains(r)
}

// isBertPunct reports whether r is punctuation for BertPreTokenizer and the
// Punctuation pre-tokenizer.
func isBertPunct(r rune) bool {
	if r < 0x80 {
		return asciiPunct[r]
	}
	return bertPunct.contains(r)
}

// isCombiningMark reports whether StripAccents removes r.
func isCombiningMark(r rune) bool {
	if r < 0x300 {
		return false
	}
	return combiningMarks.contains(r)
}

// isMn reports whether r is a non-spacing mark as BertNormalizer sees it.
func isMn(r rune) bool {
	if r < 0x300 {
		return false
	}
	return nonspacingMarks.contains(r)
}

// isChineseChar is BertNormalizer's CJK test.
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// appendLower appends Rust's char::to_lowercase of r.
func appendLower(dst []byte, r rune) []byte {
	if r < 0x80 {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	}
	if l, ok := lowerSpecial[r]; ok {
		return append(dst, l...)
	}
	return appendRune(dst, r)
}

// isNumeric is Rust's char::is_numeric (general categories Nd, Nl, No).
func isNumeric(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

// isWordChar is \w in the Rust regex crate: alphabetic, marks, decimal
// digits, connector punctuation and join controls.
func isWordChar(r rune) bool {
	if r < 0x80 {
		return r == '_' || (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'z')
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Other_Alphabetic, r) || unicode.IsMark(r) ||
		unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Join_Control, r) ||
		unicode.Is(unicode.Nl, r)
}

func appendRune(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r < 0x10000:
		return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	default:
		return append(dst, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isNumber(r rune) bool { return unicode.IsNumber(r) }
