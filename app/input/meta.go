package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of the metadata kept with one document (Options.MetaColumns). A
// mapping that names more than MaxMetaKeys columns is refused; a row whose
// value is over MaxMetaValueBytes, or whose values together are over
// MaxMetaBytes, is a bad row (Record.Err): it is not imported and the
// import lists it among its errors, with the column and the size. Nothing
// is cut silently.
const (
	MaxMetaKeys       = 64
	MaxMetaValueBytes = 1 << 10
	MaxMetaBytes      = 16 << 10
)

// AllColumns, as the only entry of Options.MetaColumns, keeps every column
// (or JSON field) besides the text, id and date ones as metadata.
const AllColumns = "*"

// metaCol is one metadata column of a table: its index and its key.
type metaCol struct {
	idx int
	key string
}

// mapMetaColumns picks the metadata columns of a table among names; text,
// id and date are the other columns' indexes (-1 = none).
func mapMetaColumns(names []string, want []string, text, id, date int) ([]metaCol, error) {
	if len(want) == 0 {
		return nil, nil
	}
	var idx []int
	if len(want) == 1 && strings.TrimSpace(want[0]) == AllColumns {
		for i := range names {
			if i != text && i != id && i != date {
				idx = append(idx, i)
			}
		}
	} else {
		seen := map[int]bool{}
		for _, w := range want {
			w = strings.TrimSpace(w)
			if w == AllColumns {
				return nil, fmt.Errorf("%w: meta column %q must be the only one (it means every other column)", ErrBadRequest, AllColumns)
			}
			i, err := pickColumnByName(names, w)
			if err != nil {
				return nil, fmt.Errorf("meta column: %w", err)
			}
			if i == text {
				return nil, fmt.Errorf("%w: meta column %q is the text column", ErrBadRequest, w)
			}
			if !seen[i] {
				seen[i] = true
				idx = append(idx, i)
			}
		}
	}
	if len(idx) > MaxMetaKeys {
		return nil, fmt.Errorf("%w: %d meta columns, over the limit of %d; name the ones to keep", ErrBadRequest, len(idx), MaxMetaKeys)
	}
	out := make([]metaCol, 0, len(idx))
	keys := map[string]bool{}
	for _, i := range idx {
		k := metaKey(names[i])
		if k == "" || keys[k] {
			k = metaKey(names[i] + "_" + strconv.Itoa(i+1)) // unnamed or twice the same name
		}
		keys[k] = true
		out = append(out, metaCol{idx: i, key: k})
	}
	return out, nil
}

// metaKey is a column name as a metadata key: trimmed valid UTF-8 of at
// most 128 bytes.
func metaKey(name string) string {
	return cutUTF8(strings.ToValidUTF8(strings.TrimSpace(name), "\uFFFD"), 128)
}

// cutUTF8 cuts s to at most n bytes at a character boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// metaSet collects one row's metadata and checks its bounds.
type metaSet struct {
	m     map[string]string
	bytes int
	err   error
}

// add keeps value v under key k; empty values are not kept.
func (s *metaSet) add(k, v string) {
	if s.err != nil {
		return
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if !utf8.ValidString(v) {
		s.err = fmt.Errorf("%w: meta column %q is not valid UTF-8", ErrBadInput, k)
		return
	}
	if len(v) > MaxMetaValueBytes {
		s.err = fmt.Errorf("%w: meta column %q is %d bytes, over the limit of %d bytes per value", ErrBadInput, k, len(v), MaxMetaValueBytes)
		return
	}
	if len(s.m) >= MaxMetaKeys {
		s.err = fmt.Errorf("%w: more than %d meta fields", ErrBadInput, MaxMetaKeys)
		return
	}
	s.bytes += len(k) + len(v)
	if s.bytes > MaxMetaBytes {
		s.err = fmt.Errorf("%w: meta values are over the limit of %d bytes per row", ErrBadInput, MaxMetaBytes)
		return
	}
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = strings.Clone(v)
}

// tableMeta is the metadata of a table row.
func tableMeta(cols []metaCol, row []string) (map[string]string, error) {
	var s metaSet
	for _, c := range cols {
		if c.idx < len(row) {
			s.add(c.key, row[c.idx])
		}
	}
	return s.m, s.err
}

// jsonFields are the optional fields of a JSON array or JSONL input
// besides the text: id, date and metadata.
type jsonFields struct {
	id, date string
	meta     []string // field names; nil with all
	all      bool     // every other field is metadata
	dates    *dateParser
}

// mapJSONFields checks the id, date and meta fields of opt against the
// objects sampled from the input (a named field must occur in at least
// one of them when there are any) and fills m.
func mapJSONFields(m *Mapping, text string, objs []map[string]json.RawMessage, opt Options) (jsonFields, error) {
	f := jsonFields{id: strings.TrimSpace(opt.IDColumn), date: strings.TrimSpace(opt.DateColumn)}
	check := func(what, name string) error {
		if len(objs) == 0 {
			return nil
		}
		for _, o := range objs {
			if _, ok := o[name]; ok {
				return nil
			}
		}
		return fmt.Errorf("%w: %s: %s field %q is in none of the first %d objects (fields: %s)", ErrBadRequest, m.Source, what, name, len(objs), strings.Join(jsonFieldNames(objs), ", "))
	}
	if f.id != "" {
		if err := check("id", f.id); err != nil {
			return f, err
		}
		m.IDColumn = f.id
	}
	if f.date != "" {
		if err := check("date", f.date); err != nil {
			return f, err
		}
		m.DateColumn = f.date
		var vals []string
		for _, o := range objs {
			if v, ok := jsonScalar(o[f.date]); ok {
				vals = append(vals, v)
			}
		}
		f.dates = newDateParser(vals)
		m.DateFormat = f.dates.Name()
		for _, v := range vals[:min(len(vals), maxPreviewRows)] {
			if _, ok := f.dates.Parse(v); !ok {
				m.BadDates++
			}
		}
	}
	if len(opt.MetaColumns) == 1 && strings.TrimSpace(opt.MetaColumns[0]) == AllColumns {
		f.all = true
		for _, k := range jsonFieldNames(objs) {
			if k != text && k != f.id && k != f.date {
				m.MetaColumns = append(m.MetaColumns, k)
			}
		}
		return f, nil
	}
	if len(opt.MetaColumns) > MaxMetaKeys {
		return f, fmt.Errorf("%w: %d meta fields, over the limit of %d", ErrBadRequest, len(opt.MetaColumns), MaxMetaKeys)
	}
	seen := map[string]bool{}
	for _, k := range opt.MetaColumns {
		k = strings.TrimSpace(k)
		switch {
		case k == AllColumns:
			return f, fmt.Errorf("%w: meta field %q must be the only one (it means every other field)", ErrBadRequest, AllColumns)
		case k == "":
			return f, fmt.Errorf("%w: empty meta field name", ErrBadRequest)
		case k == text:
			return f, fmt.Errorf("%w: meta field %q is the text field", ErrBadRequest, k)
		case seen[k]:
			continue
		}
		if err := check("meta", k); err != nil {
			return f, err
		}
		seen[k] = true
		f.meta = append(f.meta, k)
	}
	m.MetaColumns = f.meta
	return f, nil
}

// jsonFieldNames are the fields of objs in order of first appearance.
func jsonFieldNames(objs []map[string]json.RawMessage) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range objs {
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// jsonScalar is a field's value as text: a string as is, a number or bool
// as written, an object or array as compact JSON; null or absent: false.
func jsonScalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return "", false
	}
	return b.String(), true
}

// apply sets the id, date and metadata of rec from obj; text is the text
// field.
func (f *jsonFields) apply(rec *Record, obj map[string]json.RawMessage, text string) error {
	if f.id != "" {
		if v, ok := jsonScalar(obj[f.id]); ok {
			rec.ExtID = extID(v)
		}
	}
	if f.date != "" {
		if v, ok := jsonScalar(obj[f.date]); ok {
			var good bool
			rec.Time, good = f.dates.Parse(v)
			rec.BadDate = !good
		}
	}
	var s metaSet
	if f.all {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			if k != text && k != f.id && k != f.date {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v, ok := jsonScalar(obj[k]); ok {
				s.add(metaKey(k), v)
			}
		}
	} else {
		for _, k := range f.meta {
			if v, ok := jsonScalar(obj[k]); ok {
				s.add(metaKey(k), v)
			}
		}
	}
	rec.Meta = s.m
	return s.err
}
