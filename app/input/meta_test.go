package input_test

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/app/input"
)

// metaRecords reads every record of src and returns them with the mapping.
func metaRecords(t *testing.T, src []byte, name string, opt input.Options) ([]input.Record, input.Mapping) {
	t.Helper()
	rr, err := input.NewReader(strings.NewReader(string(src)), name, opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []input.Record
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return out, rr.(input.Mapper).Mapping()
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, rec)
	}
}

func TestMetaColumnsTable(t *testing.T) {
	csv := "id,date,product,author,body\n" +
		"r1,2026-03-04,phone,Ann,The phone is great and I like it\n" +
		"r2,2026-03-05,laptop,,The laptop broke after a week of use\n" +
		"r3,bad,phone,Bo,Battery of this phone lasts for days\n"
	tsv := strings.ReplaceAll(csv, ",", "\t")
	xlsx := workbook(t, [][2]any{{"S", [][]any{
		{"id", "date", "product", "author", "body"},
		{"r1", "2026-03-04", "phone", "Ann", "The phone is great and I like it"},
		{"r2", "2026-03-05", "laptop", "", "The laptop broke after a week of use"},
		{"r3", "bad", "phone", "Bo", "Battery of this phone lasts for days"},
	}}})
	want := []map[string]string{
		{"product": "phone", "author": "Ann"},
		{"product": "laptop"}, // an empty value is not kept
		{"product": "phone", "author": "Bo"},
	}
	for _, tc := range []struct {
		name string
		src  []byte
		meta []string
		keys []string
	}{
		{"in.csv", []byte(csv), []string{"product", "author"}, []string{"product", "author"}},
		{"in.tsv", []byte(tsv), []string{"3", "AUTHOR"}, []string{"product", "author"}},
		{"in.xlsx", xlsx, []string{"*"}, []string{"product", "author"}},
		{"in.csv", []byte(csv), []string{"*"}, []string{"product", "author"}},
	} {
		t.Run(tc.name+"/"+strings.Join(tc.meta, ","), func(t *testing.T) {
			recs, m := metaRecords(t, tc.src, tc.name, input.Options{IDColumn: "id", DateColumn: "date", MetaColumns: tc.meta})
			if m.TextColumn != "body" || fmt.Sprint(m.MetaColumns) != fmt.Sprint(tc.keys) {
				t.Fatalf("mapping text %q meta %v, want body %v", m.TextColumn, m.MetaColumns, tc.keys)
			}
			if !strings.Contains(m.String(), `metadata from "product" "author"`) {
				t.Errorf("mapping line %q does not name the metadata", m.String())
			}
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			for i, r := range recs {
				if r.Err != nil || !maps.Equal(r.Meta, want[i]) || r.ExtID != fmt.Sprintf("r%d", i+1) {
					t.Errorf("record %d: meta %v id %q err %v, want %v", i, r.Meta, r.ExtID, r.Err, want[i])
				}
			}
			if !recs[2].BadDate || recs[0].Time.IsZero() {
				t.Errorf("dates: %v %v", recs[0].Time, recs[2].BadDate)
			}
		})
	}
}

func TestMetaColumnsJSON(t *testing.T) {
	arr := `[{"id": 7, "when": "2026-03-04", "body": "The phone is great and I like it a lot", "product": "phone", "stars": 5, "tags": ["a","b"], "x": null},
	{"id": "r2", "when": "04/03/2026 10:00", "body": "The laptop broke after a week of use", "product": "laptop"},
	{"id": "r3", "when": "never", "body": "Battery of this phone lasts for days"}]`
	var lines []string
	dec := strings.NewReplacer("\n\t", "\n")
	for _, l := range strings.Split(dec.Replace(strings.Trim(arr, "[]")), "\n") {
		lines = append(lines, strings.TrimSuffix(strings.TrimSpace(l), ","))
	}
	jsonl := strings.Join(lines, "\n") + "\n"
	for _, tc := range []struct {
		name, src string
		opt       input.Options
	}{
		{"in.json", arr, input.Options{}},
		{"in.jsonl", jsonl, input.Options{Field: "body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.IDColumn, opt.DateColumn, opt.MetaColumns = "id", "when", []string{"product", "stars", "tags"}
			recs, m := metaRecords(t, []byte(tc.src), tc.name, opt)
			if m.TextColumn != "body" || m.IDColumn != "id" || m.DateColumn != "when" || len(m.MetaColumns) != 3 {
				t.Fatalf("mapping %+v", m)
			}
			if len(recs) != 3 {
				t.Fatalf("%d records", len(recs))
			}
			if r := recs[0]; r.ExtID != "7" || r.Time.Format("2006-01-02") != "2026-03-04" ||
				!maps.Equal(r.Meta, map[string]string{"product": "phone", "stars": "5", "tags": `["a","b"]`}) {
				t.Errorf("record 1: id %q time %v meta %v", r.ExtID, r.Time, r.Meta)
			}
			if r := recs[1]; r.ExtID != "r2" || r.Time.IsZero() || !maps.Equal(r.Meta, map[string]string{"product": "laptop"}) {
				t.Errorf("record 2: id %q time %v meta %v", r.ExtID, r.Time, r.Meta)
			}
			if r := recs[2]; !r.BadDate || r.Meta != nil {
				t.Errorf("record 3: bad date %v meta %v", r.BadDate, r.Meta)
			}
			// "*": every field but text, id and date; null is left out.
			opt.MetaColumns = []string{"*"}
			recs, m = metaRecords(t, []byte(tc.src), tc.name, opt)
			if !maps.Equal(recs[0].Meta, map[string]string{"product": "phone", "stars": "5", "tags": `["a","b"]`}) {
				t.Errorf("*: record 1 meta %v (mapping %v)", recs[0].Meta, m.MetaColumns)
			}
		})
	}
}

func TestMetaColumnsRefused(t *testing.T) {
	csv := "id,body,product\n1,some text here,phone\n"
	var names, vals []string
	for i := range 70 {
		names, vals = append(names, fmt.Sprintf("col%d", i)), append(vals, fmt.Sprint(i))
	}
	wide := strings.Join(names, ",") + ",body\n" + strings.Join(vals, ",") + ",text of the row\n"
	for _, tc := range []struct {
		name, src string
		opt       input.Options
		want      string
	}{
		{"in.csv", csv, input.Options{MetaColumns: []string{"nope"}}, `no column "nope"`},
		{"in.csv", csv, input.Options{MetaColumns: []string{"body"}}, "is the text column"},
		{"in.csv", csv, input.Options{MetaColumns: []string{"*", "id"}}, "must be the only one"},
		{"in.csv", wide, input.Options{Column: "body", MetaColumns: []string{"*"}}, "70 meta columns, over the limit of 64"},
		{"in.txt", "hello\n", input.Options{MetaColumns: []string{"a"}}, "a text file has no columns"},
		{"in.txt", "hello\n", input.Options{IDColumn: "a"}, "a text file has no columns"},
		{"in.jsonl", `{"text":"hello","a":1}` + "\n", input.Options{DateColumn: "when"}, `date field "when" is in none of the first 1 objects (fields: a, text)`},
		{"in.json", `[{"text":"hello","a":1}]`, input.Options{IDColumn: "ident"}, `id field "ident"`},
		{"in.json", `[{"text":"hello","a":1}]`, input.Options{MetaColumns: []string{"b"}}, `meta field "b"`},
	} {
		_, err := input.NewReader(strings.NewReader(tc.src), tc.name, tc.opt)
		if !errors.Is(err, input.ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want ErrBadRequest with %q", tc.name, tc.opt, err, tc.want)
		}
	}
}

// TestMetaBounds: a value over 1 KiB, or a row over 16 KiB of metadata, is a
// bad row that names the column and the size; the other rows are kept.
func TestMetaBounds(t *testing.T) {
	long := strings.Repeat("x", input.MaxMetaValueBytes+1)
	src := "body,a\nfirst text,ok\nsecond text," + long + "\nthird text," + strings.Repeat("y", input.MaxMetaValueBytes) + "\n"
	recs, _ := metaRecords(t, []byte(src), "in.csv", input.Options{Column: "body", MetaColumns: []string{"a"}})
	if len(recs) != 3 || recs[0].Err != nil || recs[2].Err != nil || len(recs[2].Meta["a"]) != input.MaxMetaValueBytes {
		t.Fatalf("records %+v", recs)
	}
	if err := recs[1].Err; !errors.Is(err, input.ErrBadInput) || !strings.Contains(err.Error(), `meta column "a" is 1025 bytes, over the limit of 1024 bytes`) || recs[1].Line != 3 {
		t.Errorf("record 2: line %d error %v", recs[1].Line, recs[1].Err)
	}
	// 20 columns of 1000 bytes: 20 KB in one row.
	var hdr, row []string
	for i := range 20 {
		hdr, row = append(hdr, fmt.Sprintf("m%d", i)), append(row, strings.Repeat("z", 1000))
	}
	src = "body," + strings.Join(hdr, ",") + "\nsome text," + strings.Join(row, ",") + "\n"
	recs, _ = metaRecords(t, []byte(src), "in.csv", input.Options{Column: "body", MetaColumns: []string{"*"}})
	if len(recs) != 1 || !errors.Is(recs[0].Err, input.ErrBadInput) || !strings.Contains(recs[0].Err.Error(), "over the limit of 16384 bytes per row") {
		t.Errorf("wide row: %+v", recs)
	}
}

// checkMeta asserts the bounds of every record's metadata.
func checkMeta(t *testing.T, r input.Record) {
	if r.Err != nil && r.Meta != nil {
		t.Fatalf("line %d: bad row with metadata %v", r.Line, r.Meta)
	}
	if len(r.Meta) > input.MaxMetaKeys {
		t.Fatalf("line %d: %d meta keys", r.Line, len(r.Meta))
	}
	total := 0
	for k, v := range r.Meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) || v == "" || len(v) > input.MaxMetaValueBytes {
			t.Fatalf("line %d: meta %q=%q", r.Line, k, v)
		}
		total += len(k) + len(v)
	}
	if total > input.MaxMetaBytes {
		t.Fatalf("line %d: %d bytes of metadata", r.Line, total)
	}
}

// FuzzMetaColumns: with any meta columns, a table or JSONL input yields
// metadata within its bounds, valid UTF-8, or a typed error.
func FuzzMetaColumns(f *testing.F) {
	for _, s := range []string{
		"id,product,body\n1,phone,hello there\n2,,more text\n",
		"a;b;c\n\xff;x;text here\n",
		"p,body\n" + strings.Repeat("x", 1100) + ",t\n",
		`{"text":"hello","p":"x","q":[1,2]}` + "\n" + `{"text":"a","p":null}` + "\n",
	} {
		f.Add([]byte(s), "product", "*", false)
		f.Add([]byte(s), "1", "p", true)
	}
	f.Fuzz(func(t *testing.T, src []byte, meta1, meta2 string, jsonl bool) {
		name := "in.csv"
		if jsonl {
			name = "in.jsonl"
		}
		opt := input.Options{MetaColumns: []string{meta1}, MaxTextBytes: 64}
		if meta2 != "" && meta1 != "*" {
			opt.MetaColumns = append(opt.MetaColumns, meta2)
		}
		checkReader(t, src, name, opt)
		input.Read(strings.NewReader(string(src)), name, opt, func(r input.Record) error {
			checkMeta(t, r)
			return nil
		})
	})
}
