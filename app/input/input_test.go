package input_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/app/input"
)

// row is a record in a compact, comparable form: text or "ERR".
type row struct {
	Line int
	Text string
}

func readAll(t *testing.T, src, name string, opt input.Options) []row {
	t.Helper()
	rr, err := input.NewReader(strings.NewReader(src), name, opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []row
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if rec.Source != name {
			t.Fatalf("source %q, want %q", rec.Source, name)
		}
		if rec.Err != nil {
			if !errors.Is(rec.Err, input.ErrBadInput) {
				t.Errorf("line %d: error %v is not ErrBadInput", rec.Line, rec.Err)
			}
			out = append(out, row{rec.Line, "ERR"})
			continue
		}
		out = append(out, row{rec.Line, rec.Text})
	}
}

func eqRows(t *testing.T, got, want []row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTXTReader(t *testing.T) {
	src := "\xef\xbb\xbffirst line\r\n\n   \nsecond 😀 line\nbad \xff utf8\n" + strings.Repeat("x", 40) + "\nlast without newline"
	got := readAll(t, src, "in.txt", input.Options{MaxTextBytes: 30})
	eqRows(t, got, []row{
		{1, "first line"},
		{4, "second 😀 line"},
		{5, "ERR"}, // invalid UTF-8
		{6, "ERR"}, // over 30 bytes
		{7, "last without newline"},
	})
}

func TestTXTReaderWholeFile(t *testing.T) {
	got := readAll(t, "a\nb\n", "in.txt", input.Options{Unit: "file"})
	eqRows(t, got, []row{{1, "a\nb\n"}})
	got = readAll(t, "  \n", "in.txt", input.Options{Unit: "file"})
	eqRows(t, got, []row{{1, "ERR"}})
}

func TestCSVReader(t *testing.T) {
	src := "id,text,lang\n" +
		"1,hello world,en\n" +
		"2,\"multi\nline, quoted\",en\n" +
		"3,,en\n" +
		"4\n" +
		"5,\"bad \"quote\",en\n" +
		"6,after the bad row,en\n"
	got := readAll(t, src, "in.csv", input.Options{})
	eqRows(t, got, []row{
		{2, "hello world"},
		{3, "multi\nline, quoted"},
		{5, "ERR"}, // empty text
		{6, "ERR"}, // no such column in this row
		{7, "ERR"}, // bare quote
		{8, "after the bad row"},
	})
	// By 1-based index and by name.
	eqRows(t, readAll(t, "a,b\nx,y\n", "in.csv", input.Options{Column: "2"}), []row{{2, "y"}})
	eqRows(t, readAll(t, "a,b\nx,y\n", "in.csv", input.Options{Column: "a"}), []row{{2, "x"}})
	// Without a "text" column: the column with the longest texts, not the
	// first one.
	eqRows(t, readAll(t, "a,b\nx,longer text\n", "in.csv", input.Options{}), []row{{2, "longer text"}})
	// Empty input: no rows.
	eqRows(t, readAll(t, "", "in.csv", input.Options{}), nil)
}

func TestCSVReaderUnknownColumn(t *testing.T) {
	_, err := input.NewReader(strings.NewReader("a,b\n1,2\n"), "in.csv", input.Options{Column: "nope"})
	if !errors.Is(err, input.ErrBadRequest) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v, want ErrBadRequest naming the column", err)
	}
}

func TestJSONLReader(t *testing.T) {
	src := `{"text": "one"}` + "\n" +
		"\n" +
		`{"body": "two", "text": 3}` + "\n" +
		`not json` + "\n" +
		`{"other": "x"}` + "\n" +
		`["an", "array"]` + "\n" +
		`{"text": "  "}` + "\n" +
		`{"text": "caf\u00e9 \ud83d\ude00"}` + "\n"
	got := readAll(t, src, "in.jsonl", input.Options{})
	eqRows(t, got, []row{
		{1, "one"},
		{3, "ERR"}, // not a string
		{4, "ERR"}, // not JSON
		{5, "ERR"}, // no field
		{6, "ERR"}, // not an object
		{7, "ERR"}, // empty
		{8, "café 😀"},
	})
	eqRows(t, readAll(t, `{"body": "two", "text": 3}`, "in.jsonl", input.Options{Field: "body"}), []row{{1, "two"}})
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]string{"a.txt": "txt", "b.CSV": "csv", "c.jsonl": "jsonl", "d.ndjson": "jsonl", "noext": "txt"} {
		got, err := input.FormatOf(name)
		if err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := input.FormatOf("x.pdf"); !errors.Is(err, input.ErrBadRequest) {
		t.Errorf("FormatOf(x.pdf) err = %v, want ErrBadRequest", err)
	}
}

// checkReader asserts the reader invariants on arbitrary input: no panic,
// increasing line numbers, every record either a valid text or an error.
func checkReader(t *testing.T, src []byte, name string, opt input.Options) {
	rr, err := input.NewReader(strings.NewReader(string(src)), name, opt)
	if err != nil {
		if !errors.Is(err, input.ErrBadInput) && !errors.Is(err, input.ErrBadRequest) {
			t.Fatalf("NewReader: untyped error %v", err)
		}
		return
	}
	last := 0
	for n := 0; ; n++ {
		if n > len(src)+1 {
			t.Fatalf("more records than input bytes: reader does not advance")
		}
		rec, err := rr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if rec.Line <= last && !(rec.Line == last && rec.Err != nil) {
			t.Fatalf("line %d after line %d", rec.Line, last)
		}
		last = rec.Line
		if rec.Err != nil {
			if !errors.Is(rec.Err, input.ErrBadInput) {
				t.Fatalf("line %d: untyped error %v", rec.Line, rec.Err)
			}
			continue
		}
		if !utf8.ValidString(rec.Text) || strings.TrimSpace(rec.Text) == "" || len(rec.Text) > opt.MaxTextBytes {
			t.Fatalf("line %d: bad text %q accepted", rec.Line, rec.Text)
		}
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"text\nhello\n",
		"id,text\n1,\"a\nb\"\n2,\"bad\"quote\n3,ok\n",
		"a,b\n1\n1,2,3\n",
		"\xef\xbb\xbftext\r\nx\r\n",
		"\"unterminated\n",
		"",
		"text\n\xff\xfe\n",
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "2")
	}
	f.Fuzz(func(t *testing.T, src []byte, column string) {
		checkReader(t, src, "in.csv", input.Options{Column: column, MaxTextBytes: 64})
	})
}

// FuzzCSVReaderIDAndDate: with id and date columns, every record's id is
// valid UTF-8 of at most 256 bytes and a record with an unreadable date has
// no time.
func FuzzCSVReaderIDAndDate(f *testing.F) {
	for _, s := range []string{
		"id,when,text\n1,2026-03-04,hello there\n2,25/12/2026,more text\n3,soon,x y\n",
		"a;b;c\n\xff;03/04/2026;text here\n",
		"id,when,text\n" + strings.Repeat("x", 300) + ",,t\n",
	} {
		f.Add([]byte(s), "1", "2")
	}
	f.Fuzz(func(t *testing.T, src []byte, idCol, dateCol string) {
		opt := input.Options{IDColumn: idCol, DateColumn: dateCol, MaxTextBytes: 64}
		checkReader(t, src, "in.csv", opt)
		input.Read(strings.NewReader(string(src)), "in.csv", opt, func(r input.Record) error {
			if !utf8.ValidString(r.ExtID) || len(r.ExtID) > 256 {
				t.Fatalf("line %d: id %q", r.Line, r.ExtID)
			}
			if r.BadDate && !r.Time.IsZero() {
				t.Fatalf("line %d: unreadable date with time %v", r.Line, r.Time)
			}
			return nil
		})
	})
}

func FuzzJSONLReader(f *testing.F) {
	for _, s := range []string{
		`{"text":"hello"}` + "\n",
		`{"text":"a"}` + "\n\n" + `{"text":1}` + "\n" + `nope` + "\n",
		`{"text":"\ud800"}`,
		"{\"text\":\"\xff\"}\n",
		`{"text":"` + strings.Repeat("y", 100) + `"}`,
		"\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkReader(t, src, "in.jsonl", input.Options{MaxTextBytes: 64})
	})
}

func FuzzTXTReader(f *testing.F) {
	for _, s := range []string{"a\nb\r\n\n c \n", "\xff\n", strings.Repeat("z", 200) + "\nok"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkReader(t, src, "in.txt", input.Options{MaxTextBytes: 64})
	})
}

// An over-long text is reported with its exact size, not the bytes kept to
// detect it, in bytes and binary units.
func TestInputTooLongExactSize(t *testing.T) {
	const max = 1000
	long := strings.Repeat("a", 10_001)
	for _, tc := range []struct{ unit, input, want string }{
		{"line", "ok\n" + long + "\r\nok\n", "line is 10001 bytes (9.8 KiB), over the limit of 1000 bytes (1000 B)"},
		{"line", "\xef\xbb\xbf" + long + "\n", "line is 10001 bytes"},
		{"file", long, "file is 10001 bytes (9.8 KiB), over the limit of 1000 bytes"},
	} {
		var errs []string
		err := input.Read(strings.NewReader(tc.input), "x.txt", input.Options{Format: input.FormatTXT, Unit: tc.unit, MaxTextBytes: max}, func(r input.Record) error {
			if r.Err != nil {
				errs = append(errs, r.Err.Error())
			}
			return nil
		})
		if err != nil || len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
			t.Errorf("%s %.20q: errors %q (%v), want one with %q", tc.unit, tc.input, errs, err, tc.want)
		}
	}
}
