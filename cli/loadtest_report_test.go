package cli_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/profiler"
)

// TestLoadtestReport: a run saved with --db, and the same run's JSON
// report file, are written as JSON, CSV (whose total row has the run's
// counts and whose seconds add up to them) and a self-contained HTML page.
func TestLoadtestReport(t *testing.T) {
	srv, _ := fakeServe(t, func(text string) bool { return text == "bad" })
	dir := t.TempDir()
	texts := filepath.Join(dir, "texts.txt")
	os.WriteFile(texts, []byte("good\nbad\ngood\ngood\n"), 0o644)
	db := filepath.Join(dir, "runs.db")
	code, out, errOut := loadtestCLI(t, "--target", srv.URL, "--rate", "40", "--duration", "1500ms", "--texts", texts, "--db", db, "--name", "for the record", "--json")
	if code != cli.ExitOK {
		t.Fatalf("loadtest: exit %d, %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests != 60 || r.Errors != 15 {
		t.Fatalf("run: %d sent, %d errors; want 60 and 15", r.Requests, r.Errors)
	}
	file := filepath.Join(dir, "run.json")
	os.WriteFile(file, []byte(out), 0o644)

	for _, ref := range []string{"1", file} {
		csvFile := filepath.Join(dir, "run.csv")
		if code, _, errOut := runCLI(t, "", "loadtest", "report", ref, "--db", db, "--format", "csv", "--out", csvFile); code != cli.ExitOK {
			t.Fatalf("report %s csv: exit %d, %s", ref, code, errOut)
		}
		if fi, err := os.Stat(csvFile); err != nil || fi.Mode().Perm()&0o044 == 0 {
			t.Errorf("report file %v: want readable by others (a report to share), err %v", fi.Mode(), err)
		}
		f, _ := os.Open(csvFile)
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range recs[0] {
			col[c] = i
		}
		var total []string
		sum := map[string]int{}
		for _, rec := range recs[1:] {
			if rec[col["type"]] == profiler.CSVTotal {
				total = rec
				continue
			}
			for _, c := range []string{"sent", "completed", "errors"} {
				var n int
				for _, d := range rec[col[c]] {
					n = 10*n + int(d-'0')
				}
				sum[c] += n
			}
		}
		if total == nil || total[col["sent"]] != "60" || total[col["errors"]] != "15" || total[col["completed"]] != "60" ||
			sum["sent"] != 60 || sum["completed"] != 60 || sum["errors"] != 15 {
			t.Errorf("report %s csv: total %v, rows add up to %v", ref, total, sum)
		}

		code, page, errOut := runCLI(t, "", "loadtest", "report", "--db", db, ref) // html to stdout by default
		if code != cli.ExitOK {
			t.Fatalf("report %s html: exit %d, %s", ref, code, errOut)
		}
		if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//|<script|<link`).FindString(page); m != "" {
			t.Errorf("report %s html refers outside itself: %q", ref, m)
		}
		for _, want := range []string{"for the record", `data-figure="requests">60<`, `data-figure="errors">15 (25.00 %)<`, "caches bypassed", "<svg"} {
			if !strings.Contains(page, want) {
				t.Errorf("report %s html lacks %q", ref, want)
			}
		}

		code, js, _ := runCLI(t, "", "loadtest", "report", ref, "--db", db, "--format", "json")
		if back := decodeReport(t, js); code != cli.ExitOK || back.Requests != 60 || back.Config.Name != "for the record" {
			t.Errorf("report %s json: exit %d, %+v", ref, code, back.Summary())
		}
	}
	for _, args := range [][]string{{"report"}, {"report", "1", "--db", db, "--format", "pdf"}, {"report", "1", "2", "--db", db}} {
		if code, _, _ := runCLI(t, "", append([]string{"loadtest"}, args...)...); code != cli.ExitUsage {
			t.Errorf("loadtest %v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runCLI(t, "", "loadtest", "report", "7", "--db", db); code != cli.ExitFailure || !strings.Contains(errOut, "7") {
		t.Errorf("unknown run: exit %d, %q", code, errOut)
	}
}
