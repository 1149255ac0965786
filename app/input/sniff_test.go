package input_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/nlpscope/nlpscope/app/input"
)

// reviews is the file of the bug report: the text is in the third column,
// and the first one is numbers.
const reviews = "id,author,body,stars\n" +
	"1,ann,\"The battery lasts two days, I love it.\",5\n" +
	"2,bob,Broke after a week and support never answered.,1\n" +
	"3,cy,\"Fine, nothing special.\",3\n"

var reviewTexts = []string{"The battery lasts two days, I love it.", "Broke after a week and support never answered.", "Fine, nothing special."}

func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16be(s string) []byte {
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func cp1252(t *testing.T, s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// read returns the texts (or "ERR") and the mapping of an input.
func read(t *testing.T, data []byte, name string, opt input.Options) ([]string, input.Mapping) {
	t.Helper()
	rr, err := input.NewReader(bytes.NewReader(data), name, opt)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var texts []string
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Err != nil {
			texts = append(texts, "ERR")
			continue
		}
		texts = append(texts, rec.Text)
	}
	return texts, rr.(input.Mapper).Mapping()
}

// TestSniffDialectsAndEncodings: the same reviews in every CSV dialect and
// encoding analysts' tools write come out as the same three texts, from the
// body column, and the mapping says what was found.
func TestSniffDialectsAndEncodings(t *testing.T) {
	semi := strings.NewReplacer(`,"`, `;"`, `",`, `";`).Replace(reviews)
	semi = strings.ReplaceAll(semi, "id,author,body,stars", "id;author;body;stars")
	semi = strings.NewReplacer("1,ann;", "1;ann;", "2,bob,", "2;bob;", "3,cy;", "3;cy;", ".,1", ".;1").Replace(semi)
	tab := "id\tauthor\tbody\tstars\n1\tann\tThe battery lasts two days, I love it.\t5\n2\tbob\tBroke after a week and support never answered.\t1\n3\tcy\tFine, nothing special.\t3\n"
	pipe := strings.ReplaceAll(tab, "\t", "|")
	for _, c := range []struct {
		name, file    string
		data          []byte
		enc, delim    string
		opt           input.Options
		want          []string
		column        string
		header        bool
		columnsWanted int
	}{
		{name: "comma utf-8", file: "r.csv", data: []byte(reviews), enc: "utf-8", delim: ","},
		{name: "comma utf-8 BOM CRLF", file: "r.csv", data: []byte("\xef\xbb\xbf" + strings.ReplaceAll(reviews, "\n", "\r\n")), enc: "utf-8-bom", delim: ","},
		{name: "semicolon (Excel, European)", file: "r.csv", data: []byte(semi), enc: "utf-8", delim: ";"},
		{name: "tab in .csv", file: "r.csv", data: []byte(tab), enc: "utf-8", delim: `\t`},
		{name: ".tsv", file: "r.tsv", data: []byte(tab), enc: "utf-8", delim: `\t`},
		{name: "pipe", file: "r.csv", data: []byte(pipe), enc: "utf-8", delim: "|"},
		{name: "utf-16le BOM (Excel 'Unicode text')", file: "r.txt.csv", data: utf16le(tab, true), enc: "utf-16le", delim: `\t`},
		{name: "utf-16le without BOM", file: "r.csv", data: utf16le(reviews, false), enc: "utf-16le", delim: ","},
		{name: "utf-16be BOM", file: "r.csv", data: utf16be(reviews), enc: "utf-16be", delim: ","},
		{name: "given delimiter", file: "r.csv", data: []byte(semi), enc: "utf-8", delim: ";", opt: input.Options{Delimiter: "semicolon"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			texts, m := read(t, c.data, c.file, c.opt)
			if strings.Join(texts, "|") != strings.Join(reviewTexts, "|") {
				t.Errorf("texts = %q", texts)
			}
			if m.Encoding != c.enc || m.Delimiter != c.delim || !m.Header || m.TextColumn != "body" || len(m.Columns) != 4 {
				t.Errorf("mapping = %+v, want %s, delimiter %s, header, body of 4 columns", m, c.enc, c.delim)
			}
			if len(m.Rows) != 3 || m.Rows[0][0] != "1" {
				t.Errorf("preview rows = %q", m.Rows)
			}
			kinds := map[string]string{}
			for _, col := range m.Columns {
				kinds[col.Name] = col.Kind
			}
			if kinds["id"] != "number" || kinds["stars"] != "number" || kinds["body"] != "text" {
				t.Errorf("column kinds = %v", kinds)
			}
		})
	}

	// Latin-1 / Windows-1252: decoded, not rejected as invalid UTF-8.
	latin := "id;texte\n1;Très bon café, à refaire €\n2;Déçu, trop cher\n"
	texts, m := read(t, cp1252(t, latin), "avis.csv", input.Options{})
	if m.Encoding != "windows-1252" || m.Delimiter != ";" || strings.Join(texts, "|") != "Très bon café, à refaire €|Déçu, trop cher" {
		t.Errorf("latin-1: %q %+v", texts, m)
	}
	texts, _ = read(t, cp1252(t, "Crème brûlée\nNaïve\n"), "notes.txt", input.Options{})
	if strings.Join(texts, "|") != "Crème brûlée|Naïve" {
		t.Errorf("latin-1 txt: %q", texts)
	}
	// A UTF-8 file with one broken byte stays UTF-8: only that row fails.
	texts, m = read(t, []byte("Crème brûlée\nbad \xff byte\nok\n"), "notes.txt", input.Options{})
	if m.Encoding != "utf-8" || strings.Join(texts, "|") != "Crème brûlée|ERR|ok" {
		t.Errorf("mixed: %q %s", texts, m.Encoding)
	}
	// The encoding can be forced.
	texts, _ = read(t, cp1252(t, "Crème brûlée\n"), "x.txt", input.Options{Encoding: "latin-1"})
	if strings.Join(texts, "|") != "Crème brûlée" {
		t.Errorf("forced latin-1: %q", texts)
	}

	// No header row: the columns are numbered, the longest text column wins.
	texts, m = read(t, []byte("1,The first long review text here\n2,The second long review text here\n"), "nohdr.csv", input.Options{})
	if m.Header || m.TextColumn != "2" || len(texts) != 2 || texts[0] != "The first long review text here" {
		t.Errorf("no header: %q %+v", texts, m)
	}
	// A column named like a text column wins over a longer one.
	_, m = read(t, []byte("text,notes\nshort one,a much much longer note column value\nanother,x\n"), "n.csv", input.Options{})
	if m.TextColumn != "text" {
		t.Errorf("named text column: %+v", m)
	}
	// Column names are case-insensitive when given.
	texts, _ = read(t, []byte(reviews), "r.csv", input.Options{Column: "AUTHOR"})
	if strings.Join(texts, "|") != "ann|bob|cy" {
		t.Errorf("--column AUTHOR: %q", texts)
	}
}

func TestSniffRefusals(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0, 1, 2, 3, 0xff}, 400)...)
	for _, c := range []struct {
		name string
		data []byte
		opt  input.Options
		want string
	}{
		{"program.txt", elf, input.Options{}, "does not look like text"},
		{"program.csv", elf, input.Options{}, "does not look like text"},
		{"numbers.csv", []byte("a,b\n1,2\n3,4\n"), input.Options{}, "no column holds text"},
		{"r.csv", []byte(reviews), input.Options{Column: "nope"}, `no column "nope"`},
		{"r.csv", []byte(reviews), input.Options{Encoding: "ebcdic"}, "encoding"},
		{"r.csv", []byte(reviews), input.Options{Delimiter: "::"}, "delimiter"},
		{"obj.json", []byte(`{"text": "not an array"}`), input.Options{}, "JSON array"},
		{"not.xlsx", []byte("id,text\n1,x\n"), input.Options{}, "not an Excel workbook"},
	} {
		_, err := input.NewReader(bytes.NewReader(c.data), c.name, c.opt)
		if !errors.Is(err, input.ErrBadRequest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: err = %v, want ErrBadRequest mentioning %q", c.name, c.opt, err, c.want)
		}
	}
}

func TestJSONArrayInput(t *testing.T) {
	data := `[{"id": 1, "review": "Loved every minute of it", "stars": 5},
	 {"id": 2, "review": "Dull and far too long", "stars": 2},
	 {"id": 3, "stars": 1},
	 "not an object",
	 {"id": 5, "review": "Fine"}]`
	texts, m := read(t, []byte(data), "r.json", input.Options{})
	if m.TextColumn != "review" || strings.Join(texts, "|") != "Loved every minute of it|Dull and far too long|ERR|ERR|Fine" {
		t.Errorf("json array: %q %+v", texts, m)
	}
	texts, _ = read(t, []byte(`[{"text": "a"}, {"text": "b"}]`), "t.json", input.Options{})
	if strings.Join(texts, "|") != "a|b" {
		t.Errorf("json text field: %q", texts)
	}
	texts, _ = read(t, []byte(`[]`), "e.json", input.Options{})
	if len(texts) != 0 {
		t.Errorf("empty array: %q", texts)
	}
}

// workbook makes an .xlsx in memory with the given sheets (name → rows).
func workbook(t testing.TB, sheets [][2]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		name := s[0].(string)
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s[1].([][]any) {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXInput(t *testing.T) {
	data := workbook(t, [][2]any{
		{"Notes", [][]any{}},
		{"Reviews", [][]any{
			{"id", "author", "body", "stars"},
			{1, "ann", reviewTexts[0], 5},
			{2, "bob", reviewTexts[1], 1},
			{3, "cy", reviewTexts[2], 3},
		}},
		{"Other", [][]any{{"text"}, {"from the other sheet"}}},
	})
	texts, m := read(t, data, "reviews.xlsx", input.Options{})
	if strings.Join(texts, "|") != strings.Join(reviewTexts, "|") {
		t.Errorf("texts = %q", texts)
	}
	if m.Format != "xlsx" || m.Sheet != "Reviews" || strings.Join(m.Sheets, ",") != "Notes,Reviews,Other" || m.TextColumn != "body" || !m.Header || len(m.Rows) != 3 {
		t.Errorf("mapping = %+v", m)
	}
	rr, _ := input.NewReader(bytes.NewReader(data), "reviews.xlsx", input.Options{})
	rec, _ := rr.Next()
	if rec.Line != 2 {
		t.Errorf("first record on row %d, want 2 (after the header)", rec.Line)
	}
	texts, m = read(t, data, "reviews.xlsm", input.Options{Sheet: "other"})
	if m.Sheet != "Other" || strings.Join(texts, "|") != "from the other sheet" {
		t.Errorf("sheet picker: %q %+v", texts, m)
	}
	if _, err := input.NewReader(bytes.NewReader(data), "r.xlsx", input.Options{Sheet: "Missing"}); !errors.Is(err, input.ErrBadRequest) || !strings.Contains(err.Error(), "Notes, Reviews, Other") {
		t.Errorf("missing sheet: %v", err)
	}
}

func TestPreviewInput(t *testing.T) {
	m, err := input.Preview(strings.NewReader(reviews), "reviews.csv", input.Options{})
	if err != nil || m.TextColumn != "body" || len(m.Rows) != 3 {
		t.Fatalf("preview = %+v, %v", m, err)
	}
	if got := m.String(); got != `reviews.csv: csv, utf-8, delimiter ",", text from column "body" (3 of 4)` {
		t.Errorf("mapping line = %q", got)
	}
	m, err = input.Preview(strings.NewReader("one\n\ntwo\nbad \xff\n"+"Crème\n"), "a.txt", input.Options{})
	if err != nil || len(m.Rows) != 4 || m.Rows[0][0] != "one" || !strings.HasPrefix(m.Rows[2][0], "line 4: ") {
		t.Errorf("txt preview = %+v, %v", m, err)
	}
}

// FuzzSniffedTable: whatever the bytes and the format, reading never
// panics, and every record is valid UTF-8 text within the limit or an
// ErrBadInput.
func FuzzSniffedTable(f *testing.F) {
	f.Add([]byte(reviews), uint8(0))
	f.Add(utf16le(reviews, true), uint8(0))
	f.Add([]byte("a;b\n\"x;y\";z\n"), uint8(1))
	f.Add([]byte(`[{"a":"b"},{"a":1}]`), uint8(2))
	f.Add(workbook(f, [][2]any{{"S", [][]any{{"text"}, {"hi"}}}}), uint8(3))
	names := []string{"in.csv", "in.tsv", "in.json", "in.xlsx", "in.txt", "in.jsonl"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := names[int(which)%len(names)]
		opt := input.Options{MaxTextBytes: 256}
		rr, err := input.NewReader(bytes.NewReader(data), name, opt)
		if err != nil {
			if !errors.Is(err, input.ErrBadRequest) && !errors.Is(err, input.ErrBadInput) {
				t.Fatalf("%s: error %v is neither ErrBadRequest nor ErrBadInput", name, err)
			}
			return
		}
		for i := 0; i < 10000; i++ {
			rec, err := rr.Next()
			if err != nil {
				return
			}
			if rec.Err != nil {
				if !errors.Is(rec.Err, input.ErrBadInput) {
					t.Fatalf("record error %v is not ErrBadInput", rec.Err)
				}
				continue
			}
			if !utf8.ValidString(rec.Text) || strings.TrimSpace(rec.Text) == "" || len(rec.Text) > opt.MaxTextBytes {
				t.Fatalf("bad record %q", rec.Text)
			}
		}
	})
}
