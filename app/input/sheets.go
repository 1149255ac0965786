package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// maxXLSXBytes bounds a workbook: it is a zip archive read whole.
const maxXLSXBytes = 256 << 20

// newXLSXReader reads a sheet of an Excel workbook as a table: the sheet
// opt.Sheet, else the first one with data.
func newXLSXReader(r io.Reader, source string, opt Options) (*tableReader, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxXLSXBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxXLSXBytes {
		return nil, fmt.Errorf("%w: %s: workbook is over %d MiB", ErrBadRequest, source, maxXLSXBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not an Excel workbook (.xlsx): %v", ErrBadRequest, source, err)
	}
	sheets := f.GetSheetList()
	m := Mapping{Source: source, Format: FormatXLSX, Sheets: sheets}
	sheet := opt.Sheet
	if sheet != "" {
		found := false
		for _, s := range sheets {
			if s == sheet || strings.EqualFold(s, sheet) {
				sheet, found = s, true
				break
			}
		}
		if !found {
			f.Close()
			return nil, fmt.Errorf("%w: %s has no sheet %q (sheets: %s)", ErrBadRequest, source, opt.Sheet, strings.Join(sheets, ", "))
		}
	} else {
		for _, s := range sheets {
			if rows, err := f.Rows(s); err == nil {
				has := rows.Next()
				rows.Close()
				if has {
					sheet = s
					break
				}
			}
		}
		if sheet == "" && len(sheets) > 0 {
			sheet = sheets[0]
		}
	}
	m.Sheet = sheet
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: sheet %q: %v", ErrBadRequest, source, sheet, err)
	}
	line := 0
	read := func() ([]string, int, error) {
		for rows.Next() {
			line++
			cols, err := rows.Columns()
			if err != nil {
				return nil, line, fmt.Errorf("%w: %v", ErrBadInput, err)
			}
			return cols, line, nil
		}
		if err := rows.Error(); err != nil {
			return nil, line, err
		}
		rows.Close()
		f.Close()
		return nil, line, io.EOF
	}
	// The first rows decide the mapping; they are replayed to the reader.
	var head [][]string
	var lines []int
	for len(head) < 200 {
		row, n, err := read()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		head = append(head, row)
		lines = append(lines, n)
	}
	col, header, extra, err := mapTable(&m, head, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &tableReader{source: source, col: col, max: opt.MaxTextBytes, m: m, name: m.TextColumn, tableExtra: extra}
	i := 0
	if header {
		i = 1
	}
	t.next = func() ([]string, int, error) {
		if i < len(head) {
			i++
			return head[i-1], lines[i-1], nil
		}
		return read()
	}
	return t, nil
}

// jsonArrayReader: a JSON array of objects; the text is a string field
// (opt.Column or opt.Field, else chosen by content like a table column).
// Line is the element's 1-based position in the array.
type jsonArrayReader struct {
	dec    *json.Decoder
	source string
	field  string
	max    int
	n      int
	done   bool
	m      Mapping
	fields jsonFields
}

func (j *jsonArrayReader) Mapping() Mapping { return j.m }

func newJSONArrayReader(in *decodedInput, source string, opt Options, m Mapping) (*jsonArrayReader, error) {
	field := opt.Column
	if field == "" {
		field = opt.Field
	}
	if field == "" || field == "text" {
		// Choose by content from the first objects of the sample.
		if f := sniffJSONField(in.sample); f != "" && (field == "" || !hasJSONField(in.sample, field)) {
			field = f
		}
	}
	if field == "" {
		field = "text"
	}
	m.TextColumn = field
	fields, err := mapJSONFields(&m, field, sampleJSONObjects(in.sample, 50), opt)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(in.r)
	tok, err := dec.Token()
	if err == io.EOF {
		return &jsonArrayReader{done: true, source: source, m: m}, nil
	}
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '[' {
		return nil, fmt.Errorf("%w: %s: want a JSON array of objects ([{\"text\": …}, …]); for one object per line use .jsonl", ErrBadRequest, source)
	}
	return &jsonArrayReader{dec: dec, source: source, field: field, max: opt.MaxTextBytes, m: m, fields: fields}, nil
}

// sniffJSONField picks the string field with the longest values among the
// first objects of a JSON array sample ("" when it cannot tell).
func sniffJSONField(sample []byte) string {
	objs := sampleJSONObjects(sample, 50)
	sum, cnt := map[string]int{}, map[string]int{}
	var order []string
	for _, o := range objs {
		for k, v := range o {
			var s string
			if json.Unmarshal(v, &s) != nil {
				continue
			}
			if _, ok := cnt[k]; !ok {
				order = append(order, k)
			}
			sum[k] += utf8.RuneCountInString(s)
			cnt[k]++
		}
	}
	names := make([]string, len(order))
	copy(names, order)
	cols := make([]ColumnInfo, len(names))
	for i, k := range names {
		cols[i] = ColumnInfo{Index: i, Name: k, MeanChars: float64(sum[k]) / float64(cnt[k]), TextShare: 1}
	}
	if c := chooseTextColumn(cols); c >= 0 {
		return names[c]
	}
	return ""
}

func hasJSONField(sample []byte, field string) bool {
	for _, o := range sampleJSONObjects(sample, 5) {
		if _, ok := o[field]; ok {
			return true
		}
	}
	return false
}

func sampleJSONObjects(sample []byte, n int) []map[string]json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(sample))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil
	}
	var out []map[string]json.RawMessage
	for len(out) < n && dec.More() {
		var o map[string]json.RawMessage
		if dec.Decode(&o) != nil {
			break
		}
		out = append(out, o)
	}
	return out
}

func (j *jsonArrayReader) Next() (Record, error) {
	if j.done || !j.dec.More() {
		j.done = true
		return Record{}, io.EOF
	}
	j.n++
	rec := Record{Source: j.source, Line: j.n}
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			j.done = true // the rest of the array cannot be read
			rec.Err = fmt.Errorf("%w: element %d: %v", ErrBadInput, j.n, err)
			return rec, nil
		}
		return Record{}, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		rec.Err = fmt.Errorf("%w: element %d is not a JSON object", ErrBadInput, j.n)
		return rec, nil
	}
	v, ok := obj[j.field]
	if !ok {
		rec.Err = fmt.Errorf("%w: element %d has no field %q", ErrBadInput, j.n, j.field)
		return rec, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		rec.Err = fmt.Errorf("%w: field %q of element %d is not a string", ErrBadInput, j.field, j.n)
		return rec, nil
	}
	if err := checkText(s, j.max); err != nil {
		rec.Err = err
		return rec, nil
	}
	if err := j.fields.apply(&rec, obj, j.field); err != nil {
		return Record{Source: j.source, Line: j.n, Err: err}, nil
	}
	rec.Text = s
	return rec, nil
}

// Preview reads the start of an input and says how it would be read
// (Mapping with its first rows) without analysing anything.
func Preview(r io.Reader, source string, opt Options) (Mapping, error) {
	rr, err := NewReader(r, source, opt)
	if err != nil {
		return Mapping{}, err
	}
	m := rr.(Mapper).Mapping()
	if m.Delimiter != "" {
		m.Quote = `"`
	}
	if len(m.Columns) == 0 {
		// Line-based formats: the first texts are the preview.
		for len(m.Rows) < maxPreviewRows {
			rec, err := rr.Next()
			if err != nil {
				break
			}
			if rec.Err != nil {
				m.Rows = append(m.Rows, []string{"line " + strconv.Itoa(rec.Line) + ": " + rec.Err.Error()})
				continue
			}
			m.Rows = append(m.Rows, []string{rec.Text})
		}
	}
	return m, nil
}
