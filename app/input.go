package app

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Record is one text read from an input, or the reason a row could not be
// read (Err set, Text empty). Line is 1-based; for a whole-file text it is 1.
type Record struct {
	Source string
	Line   int
	Text   string
	Err    error
}

// RecordReader yields the texts of one input in order. Next returns io.EOF
// after the last record; any other error means the input cannot be read
// further. Bad rows are not errors of Next: they come back as records with
// Err set, so that none is silently dropped.
type RecordReader interface {
	Next() (Record, error)
}

// Input formats.
const (
	FormatTXT   = "txt"
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// ErrBadInput marks a row that could not be read (bad JSON, missing field,
// invalid UTF-8, over the size limit).
var ErrBadInput = errors.New("bad input")

// InputOptions select what a reader takes from its input.
type InputOptions struct {
	Format       string // txt|csv|jsonl; "" = from the file name (default txt)
	Unit         string // txt: "line" (default) or "file"
	Column       string // csv: header name or 1-based index; "" = "text" if present, else the first column
	Field        string // jsonl: field name; "" = "text"
	MaxTextBytes int    // 0 = DefaultMaxTextBytes
}

// FormatOf returns the input format of a file name by its extension.
func FormatOf(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".text", "":
		return FormatTXT, nil
	case ".csv":
		return FormatCSV, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("%w: %s: unsupported file type (want .txt, .csv or .jsonl)", ErrBadRequest, name)
}

// NewRecordReader reads r, named source in records and errors.
func NewRecordReader(r io.Reader, source string, opt InputOptions) (RecordReader, error) {
	if opt.MaxTextBytes <= 0 {
		opt.MaxTextBytes = DefaultMaxTextBytes
	}
	format := opt.Format
	if format == "" {
		f, err := FormatOf(source)
		if err != nil {
			return nil, err
		}
		format = f
	}
	switch format {
	case FormatTXT:
		switch opt.Unit {
		case "", "line":
			return &lineReader{r: newLineScanner(r, opt.MaxTextBytes), source: source, max: opt.MaxTextBytes}, nil
		case "file":
			return &fileReader{r: r, source: source, max: opt.MaxTextBytes}, nil
		}
		return nil, fmt.Errorf("%w: unit %q (want line or file)", ErrBadRequest, opt.Unit)
	case FormatCSV:
		return newCSVReader(r, source, opt)
	case FormatJSONL:
		field := opt.Field
		if field == "" {
			field = "text"
		}
		return &jsonlReader{r: newLineScanner(r, opt.MaxTextBytes), source: source, field: field, max: opt.MaxTextBytes}, nil
	}
	return nil, fmt.Errorf("%w: input format %q (want txt, csv or jsonl)", ErrBadRequest, format)
}

// checkInputText applies the rules every text must meet.
func checkInputText(t string, max int) error {
	switch {
	case len(t) > max:
		return fmt.Errorf("%w: text is %d bytes, limit %d", ErrBadInput, len(t), max)
	case !utf8.ValidString(t):
		return fmt.Errorf("%w: not valid UTF-8", ErrBadInput)
	case strings.TrimFunc(t, unicode.IsSpace) == "":
		return fmt.Errorf("%w: empty text", ErrBadInput)
	}
	return nil
}

// lineScanner reads lines of any length, keeping at most max+1 bytes of each
// so that an over-long line is reported rather than buffered whole.
type lineScanner struct {
	br   *bufio.Reader
	max  int
	line int
	buf  []byte
}

func newLineScanner(r io.Reader, max int) *lineScanner {
	return &lineScanner{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its line ending, whether it was cut
// (longer than max), or io.EOF.
func (s *lineScanner) next() ([]byte, bool, error) {
	s.buf = s.buf[:0]
	cut := false
	for {
		frag, err := s.br.ReadSlice('\n')
		if len(s.buf)+len(frag) > s.max+2 { // +2 for "\r\n"
			cut = true
			room := max(0, s.max+2-len(s.buf))
			s.buf = append(s.buf, frag[:room]...)
		} else {
			s.buf = append(s.buf, frag...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(s.buf) == 0 && !cut {
				return nil, false, io.EOF
			}
		case err != nil:
			return nil, false, err
		}
		break
	}
	s.line++
	b := s.buf
	if s.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, cut, nil
}

// lineReader: one text per line; empty and whitespace-only lines separate
// texts and are skipped.
type lineReader struct {
	r      *lineScanner
	source string
	max    int
}

func (l *lineReader) Next() (Record, error) {
	for {
		b, cut, err := l.r.next()
		if err != nil {
			return Record{}, err
		}
		rec := Record{Source: l.source, Line: l.r.line}
		if cut {
			rec.Err = fmt.Errorf("%w: line is over %d bytes", ErrBadInput, l.max)
			return rec, nil
		}
		if len(bytes.TrimFunc(b, unicode.IsSpace)) == 0 && utf8.Valid(b) {
			continue
		}
		rec.Text = string(b)
		if err := checkInputText(rec.Text, l.max); err != nil {
			rec.Text, rec.Err = "", err
		}
		return rec, nil
	}
}

// fileReader: the whole input is one text.
type fileReader struct {
	r      io.Reader
	source string
	max    int
	done   bool
}

func (f *fileReader) Next() (Record, error) {
	if f.done {
		return Record{}, io.EOF
	}
	f.done = true
	b, err := io.ReadAll(io.LimitReader(f.r, int64(f.max)+4))
	if err != nil {
		return Record{}, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	rec := Record{Source: f.source, Line: 1, Text: string(b)}
	if err := checkInputText(rec.Text, f.max); err != nil {
		rec.Text, rec.Err = "", err
	}
	return rec, nil
}

// jsonlReader: one JSON object per line; the text is a string field.
type jsonlReader struct {
	r      *lineScanner
	source string
	field  string
	max    int
}

func (j *jsonlReader) Next() (Record, error) {
	for {
		b, cut, err := j.r.next()
		if err != nil {
			return Record{}, err
		}
		rec := Record{Source: j.source, Line: j.r.line}
		if cut {
			rec.Err = fmt.Errorf("%w: line is over %d bytes", ErrBadInput, j.max)
			return rec, nil
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			rec.Err = fmt.Errorf("%w: not a JSON object: %v", ErrBadInput, err)
			return rec, nil
		}
		raw, ok := obj[j.field]
		if !ok {
			rec.Err = fmt.Errorf("%w: no field %q", ErrBadInput, j.field)
			return rec, nil
		}
		if !utf8.Valid(raw) {
			rec.Err = fmt.Errorf("%w: not valid UTF-8", ErrBadInput)
			return rec, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			rec.Err = fmt.Errorf("%w: field %q is not a string", ErrBadInput, j.field)
			return rec, nil
		}
		if err := checkInputText(s, j.max); err != nil {
			rec.Err = err
			return rec, nil
		}
		rec.Text = s
		return rec, nil
	}
}

// csvReader: a header row, then one text per row from the chosen column.
type csvReader struct {
	r      *csv.Reader
	source string
	col    int
	name   string
	max    int
	hdrErr error
}

func newCSVReader(r io.Reader, source string, opt InputOptions) (*csvReader, error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	c := &csvReader{r: cr, source: source, max: opt.MaxTextBytes}
	header, err := cr.Read()
	if err == io.EOF {
		c.col = -1 // empty input: no records
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: header: %v", ErrBadInput, source, err)
	}
	c.col, c.name, err = pickColumn(header, opt.Column)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return c, nil
}

// pickColumn finds column (a header name or a 1-based index) in header.
func pickColumn(header []string, column string) (int, string, error) {
	if column == "" {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), "text") {
				return i, h, nil
			}
		}
		return 0, header[0], nil
	}
	for i, h := range header {
		if strings.TrimSpace(h) == column {
			return i, h, nil
		}
	}
	if n, err := strconv.Atoi(column); err == nil && n >= 1 && n <= len(header) {
		return n - 1, header[n-1], nil
	}
	return 0, "", fmt.Errorf("%w: no column %q (header: %s)", ErrBadRequest, column, strings.Join(header, ", "))
}

func (c *csvReader) Next() (Record, error) {
	if c.col < 0 {
		return Record{}, io.EOF
	}
	row, err := c.r.Read()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{Source: c.source, Line: pe.StartLine, Err: fmt.Errorf("%w: %v", ErrBadInput, pe.Err)}, nil
		}
		return Record{}, err
	}
	line, _ := c.r.FieldPos(0) // only valid after a successful Read
	rec := Record{Source: c.source, Line: line}
	if c.col >= len(row) {
		rec.Err = fmt.Errorf("%w: row has %d columns, no column %q", ErrBadInput, len(row), c.name)
		return rec, nil
	}
	t := row[c.col]
	if err := checkInputText(t, c.max); err != nil {
		rec.Err = err
		return rec, nil
	}
	rec.Text = strings.Clone(t)
	return rec, nil
}

// ReadRecords reads every record of r (named source in errors) and passes
// it to fn until fn fails.
func ReadRecords(r io.Reader, name string, opt InputOptions, fn func(Record) error) error {
	rr, err := NewRecordReader(r, name, opt)
	if err != nil {
		return err
	}
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
