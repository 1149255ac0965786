package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxTextBytes is the default limit on one text's size, in bytes.
const DefaultMaxTextBytes = 1 << 20

// CheckText rejects what the pipelines cannot analyse, before any compute:
// a text over maxBytes bytes (ErrTextTooLong), invalid UTF-8
// (ErrInvalidUTF8), or nothing but white space (ErrEmptyText). The engine
// applies it to every text; callers use it to refuse a whole request before
// any of it runs.
func CheckText(text string, maxBytes int) error {
	if len(text) > maxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTextTooLong, len(text), maxBytes)
	}
	if !utf8.ValidString(text) {
		return ErrInvalidUTF8
	}
	if strings.IndexFunc(text, func(r rune) bool { return !unicode.IsSpace(r) }) < 0 {
		return ErrEmptyText
	}
	return nil
}
