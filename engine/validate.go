package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxTextBytes is the default limit on one text's size.
const DefaultMaxTextBytes = 1 << 20

// checkText rejects what the pipelines cannot analyse, before any compute.
func checkText(text string, maxBytes int) error {
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
