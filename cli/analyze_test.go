package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/storage"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var fixtureFlags = []string{"--model-sentiment", fixtureSentiment, "--model-entities", fixtureNER, "--threads", "1"}

type outRecord struct {
	Source    string
	Line      int
	ID        int64
	Text      string
	Sentiment *struct {
		Label  string
		Score  float64
		Scores []struct {
			Label string
			Score float64
		}
	}
	Entities *[]struct {
		Label, Text string
		Start, End  int
	}
	Error string
}

func TestAnalyzeCLIOrderErrorsAndDB(t *testing.T) {
	// Enough lines for many concurrent chunks: output order must still be
	// input order.
	var txt strings.Builder
	for i := 0; i < 100; i++ {
		switch i % 4 {
		case 0:
			txt.WriteString("good film number one\n")
		case 1:
			txt.WriteString("Alice went to Paris\n")
		case 2:
			txt.WriteString("awful food\n")
		case 3:
			txt.WriteString("\n") // blank: skipped, not an input
		}
	}
	txt.WriteString("bad \xff bytes\n") // line 101: invalid UTF-8, and --encoding utf-8 is given
	dir := writeFiles(t, map[string]string{
		"a.txt":   txt.String(),
		"b.csv":   "id,body\n1,great\n2,\n3,Bob in London\n",
		"c.jsonl": `{"text":"boring"}` + "\n" + `{"text":7}` + "\n",
	})
	db := filepath.Join(t.TempDir(), "x.db")
	args := append([]string{"analyze", filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.csv"), "--column", "body",
		filepath.Join(dir, "c.jsonl"), "--db", db, "--encoding", "utf-8"}, fixtureFlags...)
	code, stdout, stderr := runCLI(t, "", args...)
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want 1 (some inputs failed); stderr:\n%s", code, stderr)
	}
	var recs []outRecord
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r outRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	// 75 texts + 1 bad line, 3 csv rows, 2 jsonl rows.
	if len(recs) != 81 {
		t.Fatalf("%d output records, want 81", len(recs))
	}
	prevSource, prevLine := "", 0
	stored := 0
	docs := map[int64]string{} // id -> text: a repeated text is one document
	for _, r := range recs {
		if r.Source == prevSource && r.Line <= prevLine {
			t.Fatalf("out of order: %s:%d after line %d", r.Source, r.Line, prevLine)
		}
		prevSource, prevLine = r.Source, r.Line
		if r.Error != "" {
			if r.Sentiment != nil || r.ID != 0 {
				t.Errorf("error record with results: %+v", r)
			}
			continue
		}
		if r.Sentiment == nil || len(r.Sentiment.Scores) != 2 || r.Entities == nil || r.ID == 0 {
			t.Fatalf("record %s:%d lacks sentiment scores, entities or id: %+v", r.Source, r.Line, r)
		}
		if text, ok := docs[r.ID]; ok && text != r.Text {
			t.Fatalf("document %d is %q and %q", r.ID, text, r.Text)
		}
		docs[r.ID] = r.Text
		stored++
	}
	if r := recs[1]; filepath.Base(r.Source) != "a.txt" || r.Line != 2 || len(*r.Entities) != 2 || (*r.Entities)[1].Text != "Paris" {
		t.Errorf("a.txt:2 = %+v", r)
	}
	if r := recs[0]; r.Sentiment.Label != "POSITIVE" || recs[2].Sentiment.Label != "NEGATIVE" {
		t.Errorf("labels %q %q", r.Sentiment.Label, recs[2].Sentiment.Label)
	}
	for _, want := range []string{"a.txt:101: ", "b.csv:3: ", "c.jsonl:2: ", "3 of 81 inputs failed",
		`b.csv: csv, utf-8, delimiter ",", text from column "body" (2 of 2)`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// Every printed result is in the database, a repeated text as one
	// document (its id printed for each occurrence).
	dbStats := func(path string) storage.Stats {
		t.Helper()
		sdb, err := storage.Open(context.Background(), storage.Config{Path: path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sdb.Close()
		st, err := sdb.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := dbStats(db); st.Documents != int64(len(docs)) || st.Analyses != int64(2*len(docs)) || len(docs) != 3+2+1 {
		t.Errorf("database holds %d documents, %d analyses; printed %d results of %d distinct texts (want 3 + 2 + 1)", st.Documents, st.Analyses, stored, len(docs))
	}
	// --keep-duplicates: every result is a document of its own.
	kept := filepath.Join(t.TempDir(), "kept.db")
	args[len(args)-len(fixtureFlags)-3] = kept // the --db value
	args = append(args, "--keep-duplicates")
	if code, _, stderr := runCLI(t, "", args...); code != cli.ExitFailure {
		t.Fatalf("--keep-duplicates: exit %d; stderr:\n%s", code, stderr)
	}
	if st := dbStats(kept); st.Documents != int64(stored) {
		t.Errorf("--keep-duplicates: %d documents, want %d", st.Documents, stored)
	}
}

func TestAnalyzeCLIStdinCSVAndUnits(t *testing.T) {
	args := append([]string{"analyze", "--task", "sentiment", "--format", "csv"}, fixtureFlags...)
	code, stdout, stderr := runCLI(t, "great\nterrible\n", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "source,line,id,text,label,score,score_NEGATIVE,score_POSITIVE,error"
	if len(rows) != 3 || strings.Join(rows[0], ",") != wantHeader {
		t.Fatalf("csv output:\n%s", stdout)
	}
	if rows[1][0] != "stdin" || rows[1][1] != "1" || rows[1][4] != "POSITIVE" || rows[2][4] != "NEGATIVE" || rows[1][2] != "" {
		t.Errorf("rows %v", rows[1:])
	}

	dir := writeFiles(t, map[string]string{"doc.txt": "Alice\nand Bob\n"})
	args = append([]string{"analyze", "--task", "entities", "--unit", "file", "--aggregation", "first", filepath.Join(dir, "doc.txt")}, fixtureFlags...)
	code, stdout, stderr = runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r outRecord
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	if r.Sentiment != nil || r.Entities == nil || len(*r.Entities) != 2 || (*r.Entities)[1].Start != 10 {
		t.Errorf("whole-file record %+v", r)
	}

	// --model picks the model of the one task.
	code, _, stderr = runCLI(t, "good\n", "analyze", "--task", "sentiment", "--model", fixtureSentiment, "--model-entities", "/nonexistent")
	if code != 0 {
		t.Errorf("--model: exit %d: %s", code, stderr)
	}
	// --model-ner is the deprecated name of --model-entities.
	code, _, stderr = runCLI(t, "Alice\n", "analyze", "--task", "entities", "--model-ner", "/nonexistent", "--threads", "1")
	if code == 0 || !strings.Contains(stderr, "/nonexistent") {
		t.Errorf("--model-ner /nonexistent: exit %d, stderr %q: want the entities model from it", code, stderr)
	}
}

// Sniffed inputs: a Windows-1252 file is decoded, a semicolon table with no
// header row has its delimiter and text column found by content, and how
// it was read is printed before its results.
func TestAnalyzeCLISniffedInputs(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"notes.txt":  "caf\xe9 in Paris was great\n",
		"export.csv": "1;2024-01-05;Alice loved the hotel in Rome\n2;2024-01-06;terrible service\n3;2024-01-07;Bob in London\n",
	})
	args := append([]string{"analyze", filepath.Join(dir, "notes.txt"), filepath.Join(dir, "export.csv")}, fixtureFlags...)
	code, stdout, stderr := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var recs []outRecord
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r outRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4:\n%s", len(recs), stdout)
	}
	if recs[0].Text != "café in Paris was great" {
		t.Errorf("windows-1252 line decoded as %q", recs[0].Text)
	}
	if recs[1].Text != "Alice loved the hotel in Rome" || recs[1].Line != 1 || recs[3].Text != "Bob in London" {
		t.Errorf("csv rows %+v %+v", recs[1], recs[3])
	}
	want := `export.csv: csv, utf-8, delimiter ";", no header row, text from column 3 of 3`
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// --id-column and --date-column: each result carries its row's id and
// date/time (the column's format found from its values), the mapping line
// names both, and unreadable dates are counted in one line; the results are
// still written.
func TestAnalyzeCLIIDAndDateColumns(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"r.csv": "ref,when,body\nA-1,03/04/2026,Alice loved the hotel in Rome\nA-2,25/12/2026 18:30,terrible service\nA-3,someday,Bob in London\n",
	})
	args := append([]string{"analyze", filepath.Join(dir, "r.csv"), "--id-column", "ref", "--date-column", "when", "--task", "sentiment"}, fixtureFlags...)
	code, stdout, stderr := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	type rec struct {
		ExtID string `json:"ext_id"`
		Time  *time.Time
		Text  string
	}
	var recs []rec
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r rec
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 || recs[0].ExtID != "A-1" || recs[2].ExtID != "A-3" || recs[2].Text != "Bob in London" {
		t.Fatalf("records %+v", recs)
	}
	if recs[0].Time == nil || !recs[0].Time.Equal(time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)) ||
		recs[1].Time == nil || !recs[1].Time.Equal(time.Date(2026, 12, 25, 18, 30, 0, 0, time.UTC)) || recs[2].Time != nil {
		t.Errorf("times %v %v %v: want 3 April and 25 December (day first), none for 'someday'", recs[0].Time, recs[1].Time, recs[2].Time)
	}
	for _, want := range []string{`id from column "ref", dates from column "when" (DD/MM/YYYY)`, `1 of 3 dates in --date-column "when" could not be read`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "", append([]string{"analyze", filepath.Join(dir, "r.csv"), "--date-column", "nope"}, fixtureFlags...)...); code == 0 || !strings.Contains(stderr, "nope") {
		t.Errorf("unknown date column: exit %d: %s", code, stderr)
	}
}

// --meta-column (repeatable, or '*'): each result carries the row's
// metadata in JSONL and CSV, the mapping line names the columns, and a
// .jsonl input takes them as fields.
func TestAnalyzeCLIMetaColumns(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"r.csv":   "id,date,product,author,body\n1,2026-03-04,phone,Ann,the phone is great\n2,2026-03-05,laptop,,the laptop broke\n",
		"r.jsonl": `{"id":"j1","product":"phone","stars":5,"text":"the phone is great"}` + "\n",
	})
	run := func(extra ...string) (string, string) {
		t.Helper()
		args := append(append([]string{"analyze", "--task", "sentiment"}, extra...), fixtureFlags...)
		code, stdout, stderr := runCLI(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		return stdout, stderr
	}
	stdout, stderr := run(filepath.Join(dir, "r.csv"), "--meta-column", "product", "--meta-column", "author", "--id-column", "id")
	if !strings.Contains(stderr, `metadata from "product" "author"`) {
		t.Errorf("mapping line: %s", stderr)
	}
	var recs []struct {
		ExtID    string            `json:"ext_id"`
		Metadata map[string]string `json:"metadata"`
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r struct {
			ExtID    string            `json:"ext_id"`
			Metadata map[string]string `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 2 || recs[0].Metadata["author"] != "Ann" || recs[0].Metadata["product"] != "phone" || recs[1].Metadata["product"] != "laptop" || len(recs[1].Metadata) != 1 {
		t.Errorf("jsonl records %+v", recs)
	}
	stdout, _ = run(filepath.Join(dir, "r.csv"), "--meta-column", "*", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv %q: %v", stdout, err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if m := rows[1][col["metadata"]]; m != `{"author":"Ann","date":"2026-03-04","id":"1","product":"phone"}` {
		t.Errorf("csv metadata %q (header %v)", m, rows[0])
	}
	stdout, stderr = run(filepath.Join(dir, "r.jsonl"), "--meta-column", "*", "--id-column", "id")
	if !strings.Contains(stdout, `"ext_id":"j1"`) || !strings.Contains(stdout, `"metadata":{"product":"phone","stars":"5"}`) || !strings.Contains(stderr, `id from field "id"`) {
		t.Errorf("jsonl input: %s\n%s", stdout, stderr)
	}
}

func TestAnalyzeCLIUsage(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.pdf": "x"})
	for _, args := range [][]string{
		{"analyze", "--task", "summarize"},
		{"analyze", "--format", "xml"},
		{"analyze", "--unit", "page"},
		{"analyze", "--encoding", "ebcdic"},
		{"analyze", "--delimiter", "ab"},
		{"analyze", "--aggregation", "median"},
		{"analyze", "--model", fixtureSentiment}, // --task all: ambiguous
		{"analyze", filepath.Join(dir, "missing.txt")},
		{"analyze", filepath.Join(dir, "x.pdf")},
		{"analyze", dir},
	} {
		if code, _, stderr := runCLI(t, "", args...); code != cli.ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d (%q), want 2 with a message", args, code, stderr)
		}
	}
	// A missing model is a failure, not a usage error, and says why.
	code, _, stderr := runCLI(t, "good\n", "analyze", "--task", "sentiment", "--model", "/nonexistent")
	if code != cli.ExitFailure || !strings.Contains(stderr, "no sentiment model") {
		t.Errorf("missing model: exit %d: %s", code, stderr)
	}
}

func TestAnalyzeCLIEmbeddedDefaults(t *testing.T) {
	code, stdout, stderr := runCLI(t, "I absolutely loved the new update.\nAngela Merkel met Emmanuel Macron in Paris.\n", "analyze", "--threads", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("output:\n%s", stdout)
	}
	for _, l := range lines {
		var r outRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Sentiment == nil || len(r.Sentiment.Scores) < 2 || r.Entities == nil {
			t.Errorf("record %+v: want sentiment scores of every label and entities", r)
		}
		for _, e := range *r.Entities {
			if got := string([]rune(r.Text)[e.Start:e.End]); got != e.Text {
				t.Errorf("entity %+v: text at its offsets is %q", e, got)
			}
		}
	}
}
