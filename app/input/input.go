// Package input reads the texts of an import or an analyze run: plain text
// (a line or a whole file per text), CSV/TSV with a sniffed dialect and
// encoding, JSONL, JSON arrays and Excel workbooks. The text column is chosen
// by content unless named. Readers are not safe for concurrent use.
package input

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
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/engine"
)

// Record is one text read from an input, or the reason a row could not be
// read (Err set, Text empty). Line is 1-based; for a whole-file text it is 1.
type Record struct {
	Source string
	Line   int
	Text   string
	Err    error
	// The optional id and date/time columns of a table (Options
	// IDColumn, DateColumn): ExtID "" and Time zero when there are none;
	// BadDate when the row's date could not be read (the row is kept).
	ExtID   string
	Time    time.Time
	BadDate bool
	// Meta are the row's metadata columns (Options.MetaColumns) by column
	// name, empty values left out; nil when there are none.
	Meta map[string]string
}

// Reader yields the texts of one input in order. Next returns io.EOF
// after the last record; any other error means the input cannot be read
// further. Bad rows are not errors of Next: they come back as records with
// Err set, so that none is silently dropped.
type Reader interface {
	Next() (Record, error)
}

// Input formats.
const (
	FormatTXT   = "txt"
	FormatCSV   = "csv"
	FormatTSV   = "tsv"
	FormatJSONL = "jsonl"
	FormatJSON  = "json" // an array of objects
	FormatXLSX  = "xlsx" // Excel workbook (.xlsx, .xlsm)
)

// ErrBadInput marks a row that could not be read (bad JSON, missing field,
// invalid UTF-8, over the size limit).
var ErrBadInput = errors.New("bad input")

// ErrBadRequest marks options the caller got wrong (an unknown column,
// encoding or format). app.ErrBadRequest is the same value.
var ErrBadRequest = errors.New("bad request")

// Options select what a reader takes from its input. Empty fields are
// sniffed from the input itself (see Mapping).
type Options struct {
	Format     string // txt|csv|tsv|jsonl|json|xlsx; "" = from the file name (default txt)
	Unit       string // txt: "line" (default) or "file"
	Column     string // csv/tsv/xlsx/json: the text column (header name or 1-based index); "" = chosen by content
	Field      string // jsonl: field name; "" = "text"
	Encoding   string // utf-8, utf-16le, utf-16be, windows-1252 (latin-1); "" = sniffed
	Delimiter  string // csv: one character or tab/comma/semicolon/pipe; "" = sniffed
	Sheet      string // xlsx: sheet name; "" = the first sheet with data
	IDColumn   string // a column (json, jsonl: a field) with each row's id, kept with its document; "" = none
	DateColumn string // a column (json, jsonl: a field) with each row's date/time (see dateLayouts); "" = none
	// MetaColumns are columns (json, jsonl: fields) kept with each document
	// as metadata, by name or 1-based index; AllColumns ("*") alone = every
	// column besides the text, id and date ones. Bounds: MaxMetaKeys.
	MetaColumns  []string
	MaxTextBytes int // 0 = engine.DefaultMaxTextBytes
}

// Validate checks the given encoding and delimiter names, so that a typo
// is refused before any input is read.
func (o Options) Validate() error {
	if _, err := parseEncoding(o.Encoding); err != nil {
		return err
	}
	_, err := parseDelimiter(o.Delimiter)
	return err
}

// Mapping is how a reader reads its input: what it sniffed, or was
// told, and which column holds the texts. Readers of tabular inputs
// (csv, tsv, xlsx, json) fill the table fields.
type Mapping struct {
	Source     string       `json:"source"`
	Format     string       `json:"format"`
	Encoding   string       `json:"encoding,omitempty"`  // text inputs
	Delimiter  string       `json:"delimiter,omitempty"` // csv/tsv: "," ";" "\t" "|"
	Quote      string       `json:"quote,omitempty"`     // csv/tsv: the quote character (always '"', RFC 4180; stray quotes inside fields are kept)
	Header     bool         `json:"header"`              // the first row names the columns
	Columns    []ColumnInfo `json:"columns,omitempty"`
	TextColumn string       `json:"text_column,omitempty"` // the column (or JSON field) the texts come from
	IDColumn   string       `json:"id_column,omitempty"`   // the column of the rows' ids, when one was given
	DateColumn string       `json:"date_column,omitempty"` // the column of the rows' dates, when one was given
	DateFormat string       `json:"date_format,omitempty"` // the date layout most of its first values have ("" = none found)
	// MetaColumns are the keys of the metadata kept with each document:
	// the chosen columns' names (json/jsonl with "*": the fields seen in
	// the first objects).
	MetaColumns []string   `json:"meta_columns,omitempty"`
	BadDates    int        `json:"bad_dates,omitempty"` // preview rows whose date could not be read
	Sheet       string     `json:"sheet,omitempty"`
	Sheets      []string   `json:"sheets,omitempty"`
	Rows        [][]string `json:"rows,omitempty"` // the first rows (without the header), for a preview
}

// String is the mapping in one line, as the CLI prints it.
func (m Mapping) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", m.Source, m.Format)
	if m.Sheet != "" {
		fmt.Fprintf(&b, ", sheet %q", m.Sheet)
	}
	if m.Encoding != "" {
		fmt.Fprintf(&b, ", %s", m.Encoding)
	}
	if m.Delimiter != "" {
		d := m.Delimiter
		if d == "\t" {
			d = "tab"
		}
		fmt.Fprintf(&b, ", delimiter %q", d)
	}
	if len(m.Columns) > 0 {
		if !m.Header {
			b.WriteString(", no header row")
		}
		idx := -1
		for _, c := range m.Columns {
			if c.Name == m.TextColumn {
				idx = c.Index
			}
		}
		if m.Header {
			fmt.Fprintf(&b, ", text from column %q (%d of %d)", m.TextColumn, idx+1, len(m.Columns))
		} else {
			fmt.Fprintf(&b, ", text from column %d of %d", idx+1, len(m.Columns))
		}
	} else if m.TextColumn != "" {
		fmt.Fprintf(&b, ", text from field %q", m.TextColumn)
	}
	col := "column"
	if len(m.Columns) == 0 {
		col = "field" // json, jsonl
	}
	if m.IDColumn != "" {
		fmt.Fprintf(&b, ", id from %s %q", col, m.IDColumn)
	}
	if m.DateColumn != "" {
		format := m.DateFormat
		if format == "" {
			format = "no known format"
		}
		fmt.Fprintf(&b, ", dates from %s %q (%s)", col, m.DateColumn, format)
	}
	if len(m.MetaColumns) > 0 {
		q := make([]string, len(m.MetaColumns))
		for i, c := range m.MetaColumns {
			q[i] = strconv.Quote(c)
		}
		fmt.Fprintf(&b, ", metadata from %s", strings.Join(q, " "))
	}
	return b.String()
}

// Mapper is implemented by readers that can say how they read their input.
type Mapper interface {
	Mapping() Mapping
}

// FormatOf returns the input format of a file name by its extension.
func FormatOf(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".text", "":
		return FormatTXT, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv", ".tab":
		return FormatTSV, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".json":
		return FormatJSON, nil
	case ".xlsx", ".xlsm":
		return FormatXLSX, nil
	}
	return "", fmt.Errorf("%w: %s: unsupported file type (want .txt, .csv, .tsv, .jsonl, .json or .xlsx)", ErrBadRequest, name)
}

// NewReader reads r, named source in records and errors. Text inputs
// are decoded from their encoding (sniffed unless given) and refused when
// they are binary; tabular ones have their delimiter, header row and text
// column sniffed unless given. The reader implements Mapper.
func NewReader(r io.Reader, source string, opt Options) (Reader, error) {
	if opt.MaxTextBytes <= 0 {
		opt.MaxTextBytes = engine.DefaultMaxTextBytes
	}
	format := opt.Format
	if format == "" {
		f, err := FormatOf(source)
		if err != nil {
			return nil, err
		}
		format = f
	}
	m := Mapping{Source: source, Format: format}
	if format == FormatXLSX {
		return newXLSXReader(r, source, opt)
	}
	switch format {
	case FormatTXT, FormatCSV, FormatTSV, FormatJSONL, FormatJSON:
	default:
		return nil, fmt.Errorf("%w: input format %q (want txt, csv, tsv, jsonl, json or xlsx)", ErrBadRequest, format)
	}
	in, err := decodeInput(r, source, opt.Encoding)
	if err != nil {
		return nil, err
	}
	m.Encoding = in.encoding
	switch format {
	case FormatTXT:
		if opt.IDColumn != "" || opt.DateColumn != "" || len(opt.MetaColumns) > 0 {
			return nil, fmt.Errorf("%w: %s: a text file has no columns: id, date and meta columns are for .csv, .tsv, .xlsx, .json and .jsonl", ErrBadRequest, source)
		}
		switch opt.Unit {
		case "", "line":
			return &lineReader{r: newLineScanner(in.r, opt.MaxTextBytes), source: source, max: opt.MaxTextBytes, m: m}, nil
		case "file":
			return &fileReader{r: in.r, source: source, max: opt.MaxTextBytes, m: m}, nil
		}
		return nil, fmt.Errorf("%w: unit %q (want line or file)", ErrBadRequest, opt.Unit)
	case FormatCSV, FormatTSV:
		return newCSVReader(in, source, format, opt, m)
	case FormatJSON:
		return newJSONArrayReader(in, source, opt, m)
	}
	field := opt.Field
	if field == "" {
		field = "text"
	}
	m.TextColumn = field
	fields, err := mapJSONFields(&m, field, sampleJSONLines(in.sample, 50), opt)
	if err != nil {
		return nil, err
	}
	return &jsonlReader{r: newLineScanner(in.r, opt.MaxTextBytes), source: source, field: field, max: opt.MaxTextBytes, m: m, fields: fields}, nil
}

// sampleJSONLines are the objects of the first (complete) lines of a JSONL
// sample.
func sampleJSONLines(sample []byte, n int) []map[string]json.RawMessage {
	var out []map[string]json.RawMessage
	for len(out) < n {
		line, rest, ok := bytes.Cut(sample, []byte("\n"))
		if !ok {
			break // the last line may be cut
		}
		sample = rest
		var o map[string]json.RawMessage
		if json.Unmarshal(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")), &o) == nil {
			out = append(out, o)
		}
	}
	return out
}

// checkText applies the rules every text must meet.
func checkText(t string, max int) error {
	switch {
	case len(t) > max:
		return tooLong("text", int64(len(t)), max)
	case !utf8.ValidString(t):
		return fmt.Errorf("%w: not valid UTF-8", ErrBadInput)
	case strings.TrimFunc(t, unicode.IsSpace) == "":
		return fmt.Errorf("%w: empty text", ErrBadInput)
	}
	return nil
}

// tooLong says by how much a text (or line) of size bytes is over max,
// with exact byte counts and binary units.
func tooLong(what string, size int64, max int) error {
	return fmt.Errorf("%w: %s is %d bytes (%s), over the limit of %d bytes (%s)", ErrBadInput, what, size, binarySize(size), max, binarySize(int64(max)))
}

// binarySize is n in B, KiB, MiB or GiB, one decimal.
func binarySize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// lineScanner reads lines of any length, keeping at most max+1 bytes of each
// so that an over-long line is reported rather than buffered whole.
type lineScanner struct {
	br   *bufio.Reader
	max  int
	line int
	buf  []byte
	size int64 // the full length of the last line, line ending excluded
}

func newLineScanner(r io.Reader, max int) *lineScanner {
	return &lineScanner{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its line ending, whether it was cut
// (longer than max), or io.EOF.
func (s *lineScanner) next() ([]byte, bool, error) {
	s.buf = s.buf[:0]
	s.size = 0
	cut := false
	var end [2]byte // the line's last two bytes, for its line ending
	for {
		frag, err := s.br.ReadSlice('\n')
		s.size += int64(len(frag))
		switch n := len(frag); {
		case n >= 2:
			end = [2]byte{frag[n-2], frag[n-1]}
		case n == 1:
			end = [2]byte{end[1], frag[0]}
		}
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
	if s.line == 1 && bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		b, s.size = b[3:], s.size-3
	}
	if end[1] == '\n' {
		s.size--
		if end[0] == '\r' {
			s.size--
		}
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
	m      Mapping
}

func (l *lineReader) Mapping() Mapping { return l.m }

func (l *lineReader) Next() (Record, error) {
	for {
		b, cut, err := l.r.next()
		if err != nil {
			return Record{}, err
		}
		rec := Record{Source: l.source, Line: l.r.line}
		if cut {
			rec.Err = tooLong("line", l.r.size, l.max)
			return rec, nil
		}
		if len(bytes.TrimFunc(b, unicode.IsSpace)) == 0 && utf8.Valid(b) {
			continue
		}
		rec.Text = string(b)
		if err := checkText(rec.Text, l.max); err != nil {
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
	m      Mapping
}

func (f *fileReader) Mapping() Mapping { return f.m }

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
	if len(b) > f.max {
		rest, err := io.Copy(io.Discard, f.r) // the exact size, not what was kept
		if err != nil {
			return Record{}, err
		}
		rec.Text, rec.Err = "", tooLong("file", int64(len(b))+rest, f.max)
		return rec, nil
	}
	if err := checkText(rec.Text, f.max); err != nil {
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
	m      Mapping
	fields jsonFields
}

func (j *jsonlReader) Mapping() Mapping { return j.m }

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
		if err := checkText(s, j.max); err != nil {
			rec.Err = err
			return rec, nil
		}
		if err := j.fields.apply(&rec, obj, j.field); err != nil {
			return Record{Source: j.source, Line: rec.Line, Err: err}, nil
		}
		rec.Text = s
		return rec, nil
	}
}

// tableReader: rows of a csv, tsv or xlsx input; an optional header row,
// then one text per row from the chosen column.
type tableReader struct {
	next   func() ([]string, int, error) // the next row and its 1-based line; io.EOF at the end
	source string
	col    int // -1: no rows at all
	name   string
	max    int
	m      Mapping
	tableExtra
}

// tableExtra are the optional columns of a table besides the text.
type tableExtra struct {
	idCol, dateCol int // -1 = none
	dates          *dateParser
	meta           []metaCol
}

func (t *tableReader) Mapping() Mapping { return t.m }

// maxPreviewRows is how many rows a mapping keeps for a preview.
const maxPreviewRows = 10

// mapTable fills m from the first rows of a table (header included when
// there is one) and opt, and returns the text column and whether the first
// row is a header.
func mapTable(m *Mapping, rows [][]string, opt Options) (col int, header bool, extra tableExtra, err error) {
	extra = tableExtra{idCol: -1, dateCol: -1}
	if len(rows) == 0 {
		return -1, false, extra, nil
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	header = looksLikeHeader(rows[0], rows[1:])
	names := make([]string, width)
	data := rows
	if header {
		data = rows[1:]
	}
	for i := range names {
		names[i] = strconv.Itoa(i + 1)
		if header && i < len(rows[0]) {
			names[i] = strings.TrimSpace(rows[0][i])
		}
	}
	m.Header = header
	m.Columns = describeColumns(names, data)
	m.Rows = data[:min(len(data), maxPreviewRows)]
	if opt.Column != "" {
		col, err = pickColumnByName(names, opt.Column)
		if err != nil {
			return 0, false, extra, fmt.Errorf("%s: %w", m.Source, err)
		}
	} else if col = chooseTextColumn(m.Columns); col < 0 {
		return 0, false, extra, fmt.Errorf("%w: %s: no column holds text (columns: %s); pick one with column", ErrBadRequest, m.Source, strings.Join(names, ", "))
	}
	m.TextColumn = names[col]
	if opt.IDColumn != "" {
		if extra.idCol, err = pickColumnByName(names, opt.IDColumn); err != nil {
			return 0, false, extra, fmt.Errorf("%s: id column: %w", m.Source, err)
		}
		m.IDColumn = names[extra.idCol]
	}
	if opt.DateColumn != "" {
		if extra.dateCol, err = pickColumnByName(names, opt.DateColumn); err != nil {
			return 0, false, extra, fmt.Errorf("%s: date column: %w", m.Source, err)
		}
		m.DateColumn = names[extra.dateCol]
		var vals []string
		for _, r := range data {
			if extra.dateCol < len(r) {
				vals = append(vals, r[extra.dateCol])
			}
		}
		extra.dates = newDateParser(vals)
		m.DateFormat = extra.dates.Name()
		for _, r := range m.Rows {
			if extra.dateCol < len(r) {
				if _, ok := extra.dates.Parse(r[extra.dateCol]); !ok {
					m.BadDates++
				}
			}
		}
	}
	if extra.meta, err = mapMetaColumns(names, opt.MetaColumns, col, extra.idCol, extra.dateCol); err != nil {
		return 0, false, extra, fmt.Errorf("%s: %w", m.Source, err)
	}
	for _, c := range extra.meta {
		m.MetaColumns = append(m.MetaColumns, c.key)
	}
	return col, header, extra, nil
}

func newCSVReader(in *decodedInput, source, format string, opt Options, m Mapping) (*tableReader, error) {
	d, err := parseDelimiter(opt.Delimiter)
	if err != nil {
		return nil, err
	}
	if d == 0 && format == FormatTSV {
		d = '\t'
	}
	if d == 0 {
		d = sniffDelimiter(in.sample)
	}
	m.Delimiter = string(d)
	if d == '\t' {
		m.Delimiter = "\\t"
	}
	col, header, extra, err := mapTable(&m, sampleRows(in.sample, d, 200), opt)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(in.r)
	cr.Comma = d
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	t := &tableReader{source: source, col: col, max: opt.MaxTextBytes, m: m, name: m.TextColumn, tableExtra: extra}
	first := true
	t.next = func() ([]string, int, error) {
		row, err := cr.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, pe.StartLine, fmt.Errorf("%w: %v", ErrBadInput, pe.Err)
			}
			return nil, 0, err
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		if first && header {
			first = false
			return t.next()
		}
		first = false
		return row, line, nil
	}
	return t, nil
}

func (t *tableReader) Next() (Record, error) {
	if t.col < 0 {
		return Record{}, io.EOF
	}
	row, line, err := t.next()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if errors.Is(err, ErrBadInput) {
		return Record{Source: t.source, Line: line, Err: err}, nil
	}
	if err != nil {
		return Record{}, err
	}
	rec := Record{Source: t.source, Line: line}
	if t.col >= len(row) {
		rec.Err = fmt.Errorf("%w: row has %d columns, no column %q", ErrBadInput, len(row), t.name)
		return rec, nil
	}
	s := row[t.col]
	if err := checkText(s, t.max); err != nil {
		rec.Err = err
		return rec, nil
	}
	rec.Text = strings.Clone(s)
	if t.idCol >= 0 && t.idCol < len(row) {
		rec.ExtID = extID(row[t.idCol])
	}
	if t.dateCol >= 0 && t.dateCol < len(row) {
		var ok bool
		rec.Time, ok = t.dates.Parse(row[t.dateCol])
		rec.BadDate = !ok
	}
	if len(t.meta) > 0 {
		if rec.Meta, err = tableMeta(t.meta, row); err != nil {
			return Record{Source: t.source, Line: line, Err: err}, nil
		}
	}
	return rec, nil
}

// maxExtIDBytes bounds a row id kept with its document.
const maxExtIDBytes = 256

// extID is a row id as kept: trimmed, valid UTF-8, at most maxExtIDBytes
// (cut at a character boundary).
func extID(v string) string {
	v = strings.ToValidUTF8(strings.TrimSpace(v), "\uFFFD")
	if len(v) > maxExtIDBytes {
		cut := maxExtIDBytes
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return strings.Clone(v)
}

// Read reads every record of r (named source in errors) and passes
// it to fn until fn fails.
func Read(r io.Reader, name string, opt Options, fn func(Record) error) error {
	rr, err := NewReader(r, name, opt)
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
