package app

import "github.com/nlpscope/nlpscope/app/input"

// The Service's import and analyze calls take the input package's types
// (readers, sniffing and mapping live there); these names keep them in the
// Service's own vocabulary.
type (
	// Record is one text read from an input, or why a row could not be read.
	Record = input.Record
	// InputOptions says how to read an input: unit, format, column, encoding.
	InputOptions = input.Options
	// InputMapping is what a reader chose: format, encoding, dialect, column.
	InputMapping = input.Mapping
)

// ErrBadInput marks a row that could not be read.
var ErrBadInput = input.ErrBadInput
