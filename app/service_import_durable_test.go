package app_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// The child process of TestImportResumeAfterKill: it gets the database and
// the input file in these variables, starts the import, prints "import ID"
// and then "done N EXACT" (rows committed, whether the total is counted and
// recorded) every few milliseconds until it is killed.
const (
	importChildEnv   = "NLPSCOPE_TEST_IMPORT_CHILD_DB"
	importChildInput = "NLPSCOPE_TEST_IMPORT_CHILD_INPUT"
)

func importChild() int {
	ctx := context.Background()
	svc, err := app.New(ctx, app.Config{DBPath: os.Getenv(importChildEnv), ModelSentiment: fixtureSentiment,
		ModelEntities: fixtureNER, IntraOpThreads: 1, Tasks: []engine.Task{engine.TaskSentiment}}, nil)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	if err := svc.WaitLoaded(ctx); err != nil {
		fmt.Println("error", err)
		return 1
	}
	in := os.Getenv(importChildInput)
	st, err := svc.StartImport(ctx, []app.ImportFile{{Path: in, Name: filepath.Base(in)}}, app.ImportOptions{Tasks: []engine.Task{engine.TaskSentiment}})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("import", st.ID)
	for st.State == app.StateRunning {
		time.Sleep(5 * time.Millisecond)
		if st, err = svc.ImportStatus(ctx, st.ID); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("done", st.Done, st.TotalExact)
	}
	fmt.Println("finished", st.State)
	return 0
}

// writeReviews writes a CSV of n reviews (id,author,body,stars; the bodies
// with commas, quotes and non-ASCII letters) and returns the bodies. With
// repeat, every fifth body is that of an earlier row (row i/3): duplicates
// near and far from their first occurrence.
func writeReviews(t *testing.T, path string, n int, repeat ...bool) []string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"id", "author", "body", "stars"})
	bodies := make([]string, n)
	for i := range n {
		bodies[i] = fmt.Sprintf("review %d: the food was %s, \"really\" — naïve café %d", i, []string{"good", "awful", "great", "bad"}[i%4], i*7)
		if len(repeat) > 0 && repeat[0] && i%5 == 4 {
			bodies[i] = bodies[i/3]
		}
		w.Write([]string{fmt.Sprint(i), fmt.Sprintf("user%d", i%97), bodies[i], fmt.Sprint(1 + i%5)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return bodies
}

// An import killed with SIGKILL in the middle is listed as interrupted when
// the database is opened again, and Resume continues it: in the end every
// input row is committed exactly once (each row's stored text equals the
// input's body, compared one by one), none is missing and none duplicated.
// A fifth of the rows repeat earlier ones: each distinct text is one
// document whose seen count is its number of rows, the repeated rows are in
// import_rows, and resume skips committed rows of both kinds.
func TestImportResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "nlpscope.db")
	input := filepath.Join(dir, "reviews.csv")
	const rows = 30000
	bodies := writeReviews(t, input, rows, true)
	occurrences := map[string]int{}
	for _, b := range bodies {
		occurrences[b]++
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), importChildEnv+"="+dbPath, importChildInput+"="+input)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var id string
	committed, exact := 0, false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "import":
			id = f[1]
		case "done":
			fmt.Sscan(f[1], &committed)
			exact = len(f) > 2 && f[2] == "true"
		case "finished", "error":
			t.Fatalf("child: %s (before it was killed; make the input larger)", sc.Text())
		}
		if committed >= 1000 && exact {
			break
		}
	}
	if id == "" || committed < 1000 || !exact {
		t.Fatalf("child ended early: import %q, %d rows committed, %v", id, committed, sc.Err())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no last write
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()

	cfg := testConfig(t)
	cfg.DBPath = dbPath
	svc := newService(t, cfg)
	ctx := context.Background()
	list, err := svc.Imports(ctx)
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("Imports after the kill = %+v, %v", list, err)
	}
	st := list[0]
	if st.State != app.StateInterrupted || !st.Resumable || st.Done < committed || st.Done >= rows || st.Finished != nil || st.Total != rows {
		t.Fatalf("killed import = %+v; want interrupted with at least %d of %d rows (the total from the counting pass)", st, committed, rows)
	}
	if len(st.Mappings) != 1 || !strings.Contains(st.Mappings[0], `"body"`) {
		t.Errorf("mapping %q: want the text column body", st.Mappings)
	}
	t.Logf("killed after %d rows reported, %d committed", committed, st.Done)

	st, err = svc.ResumeImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ResumeImport(ctx, id); err == nil {
		t.Error("a second resume of a running import was accepted")
	}
	st, err = svc.WaitImport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != app.StateDone || st.Done != rows || st.Total != rows || st.Failed != 0 ||
		st.New != len(occurrences) || st.Duplicates != rows-len(occurrences) {
		t.Fatalf("resumed import = %+v, want done with %d rows: %d new, %d duplicates", st, rows, len(occurrences), rows-len(occurrences))
	}

	// An independent count: the documents in the file, read with SQL.
	raw, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// Every committed row: a document's own row, or a duplicate row linked
	// to its document.
	q, err := raw.Query(`SELECT d.text, d.source, d.line, d.seen, 1 FROM documents d WHERE d.import_id = ?1
		UNION ALL SELECT d.text, r.source, r.line, d.seen, 0 FROM import_rows r JOIN documents d ON d.id = r.document_id WHERE r.import_id = ?1
		ORDER BY 3`, id)
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, 0, rows)
	docs := map[string]int{}
	lines := map[int]int{}
	for q.Next() {
		var text, source string
		var line, seen int
		var own bool
		if err := q.Scan(&text, &source, &line, &seen, &own); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, text)
		lines[line]++
		if own {
			docs[text]++
		}
		if source != "reviews.csv" {
			t.Fatalf("document source %q", source)
		}
		if seen != occurrences[text] {
			t.Fatalf("%q seen %d times, in %d rows", text, seen, occurrences[text])
		}
	}
	q.Close()
	for l, n := range lines {
		if n != 1 {
			t.Errorf("line %d stored %d times", l, n)
		}
	}
	if len(texts) != rows || len(docs) != len(occurrences) {
		t.Fatalf("%d rows committed as %d documents, want %d rows as %d", len(texts), len(docs), rows, len(occurrences))
	}
	for text, n := range docs {
		if n != 1 {
			t.Fatalf("%q stored as %d documents", text, n)
		}
	}
	// Ordered by line, the rows' texts are the input's bodies in order.
	if !slices.Equal(texts, bodies) {
		for i := range texts {
			if texts[i] != bodies[i] {
				t.Fatalf("row %d is %q, want %q", i, texts[i], bodies[i])
			}
		}
	}
	// The record is durable: a second restart lists it done with its counts.
	if list, err := svc.Imports(ctx); err != nil || list[0].State != app.StateDone || list[0].Done != rows {
		t.Fatalf("Imports after resume = %+v, %v", list, err)
	}
}

// Imports are durable records: after a restart they are listed with their
// state, counts, files and mapping; an unknown column makes the import
// failed (not done with 0 rows); uploaded files are removed once the import
// is done; deleting an import deletes its documents and says how many; an
// import running when the Service closes is interrupted, not cancelled.
func TestImportRecordsAfterRestart(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	first, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	up, err := first.NewUploadDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(filepath.Dir(up)) != filepath.Dir(cfg.DBPath) {
		t.Errorf("upload folder %s is not in the data folder %s", up, filepath.Dir(cfg.DBPath))
	}
	p := filepath.Join(up, "0000.csv")
	os.WriteFile(p, []byte("id,author,body,stars\n1,ann,The battery lasts two days.,5\n2,bob,Broke after a week.,1\n3,cy,Good value.,4\n"), 0o644)
	good, err := first.StartUploadedImport(ctx, up, []app.ImportFile{{Path: p, Name: "reviews.csv"}}, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if good, err = first.WaitImport(ctx, good.ID); err != nil || good.State != app.StateDone || good.Done != 3 {
		t.Fatalf("good import = %+v, %v", good, err)
	}
	if _, err := os.Stat(up); !os.IsNotExist(err) {
		t.Errorf("the uploaded files of a finished import are still there: %v", err)
	}
	p2 := filepath.Join(t.TempDir(), "reviews.csv")
	os.WriteFile(p2, []byte("id,author,body,stars\n1,ann,x,5\n"), 0o644)
	bad, err := first.StartImport(ctx, []app.ImportFile{{Path: p2}}, app.ImportOptions{Column: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	bad, _ = first.WaitImport(ctx, bad.ID)
	if bad.State != app.StateFailed {
		t.Fatalf("unknown column: %+v, want failed", bad)
	}
	big := filepath.Join(t.TempDir(), "big.csv")
	writeReviews(t, big, 200000)
	run, err := first.StartImport(ctx, []app.ImportFile{{Path: big}}, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for run.Done == 0 {
		time.Sleep(5 * time.Millisecond)
		run, _ = first.ImportStatus(ctx, run.ID)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// Upload folders no import owns: an old one is swept at start, a recent
	// one (another process may be uploading) is kept.
	uploads := filepath.Join(filepath.Dir(cfg.DBPath), "uploads")
	orphan, recent := filepath.Join(uploads, "import-orphan"), filepath.Join(uploads, "import-recent")
	for _, d := range []string{orphan, recent} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "0000.csv"), []byte("x\n"), 0o600)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}

	svc := newService(t, cfg)
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("an old upload folder that no import owns was kept: %v", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recent upload folder was swept: %v", err)
	}
	list, err := svc.Imports(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("Imports after restart = %+v, %v", list, err)
	}
	byID := map[string]app.ImportStatus{}
	for _, st := range list {
		byID[st.ID] = st
	}
	if st := byID[good.ID]; st.State != app.StateDone || st.Done != 3 || st.Total != 3 || st.Failed != 0 || st.Finished == nil ||
		len(st.Files) != 1 || st.Files[0] != "reviews.csv" || !strings.Contains(st.Mappings[0], `"body"`) || st.Resumable {
		t.Errorf("done import after restart = %+v", st)
	}
	if st := byID[bad.ID]; st.State != app.StateFailed || st.Done != 0 || len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Message, "nope") || st.Options.Column != "nope" {
		t.Errorf("failed import after restart = %+v", st)
	}
	if st := byID[run.ID]; st.State != app.StateInterrupted || !st.Resumable || st.Done == 0 || st.Done >= 200000 {
		t.Errorf("import running at Close = %+v, want interrupted", st)
	}
	if n, err := svc.DeleteImport(ctx, good.ID); err != nil || n != 3 {
		t.Fatalf("DeleteImport = %d, %v; want 3", n, err)
	}
	if page, _ := svc.Search(ctx, app.SearchQuery{ImportID: good.ID}); len(page.Items) != 0 {
		t.Errorf("%d documents of a deleted import remain", len(page.Items))
	}
	if _, err := svc.ImportStatus(ctx, good.ID); err == nil {
		t.Error("a deleted import is still found")
	}
	if n, err := svc.DeleteImport(ctx, bad.ID); err != nil || n != 0 {
		t.Errorf("delete the failed import = %d, %v", n, err)
	}
	if _, err := svc.ResumeImport(ctx, bad.ID); err == nil {
		t.Error("a deleted import was resumed")
	}
	want := byID[run.ID].Done
	if n, err := svc.DeleteImport(ctx, run.ID); err != nil || n != int64(want) {
		t.Errorf("delete the interrupted import = %d, %v; want %d", n, err, want)
	}
	if list, _ := svc.Imports(ctx); len(list) != 0 {
		t.Errorf("imports after deleting all: %+v", list)
	}
}

// The optional id and date columns: the preview names them with the date
// format it found and counts unreadable dates in its rows; the import keeps
// each row's id and date with its document, stores rows with an unreadable
// date without one, and counts them (also in the record after a restart).
// An unknown date column fails the import.
func TestImportIDAndDateColumns(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "r.csv")
	os.WriteFile(p, []byte("ref,when,body\nA-1,2026-03-04,Alice loved the hotel in Rome\nA-2,2026-12-25 18:30,terrible service\nA-3,soon,Bob in London\nA-4,,good\n"), 0o644)
	opt := app.ImportOptions{Tasks: []engine.Task{engine.TaskSentiment}, IDColumn: "ref", DateColumn: "when"}
	first, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	prev, err := first.PreviewImport(ctx, []app.ImportFile{{Path: p, Name: "r.csv"}}, opt)
	if err != nil || len(prev) != 1 || prev[0].IDColumn != "ref" || prev[0].DateColumn != "when" || prev[0].DateFormat != "YYYY-MM-DD" || prev[0].BadDates != 1 || prev[0].TextColumn != "body" {
		t.Fatalf("preview = %+v, %v", prev, err)
	}
	st, err := first.StartImport(ctx, []app.ImportFile{{Path: p, Name: "r.csv"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st, err = first.WaitImport(ctx, st.ID); err != nil || st.State != app.StateDone || st.Done != 4 || st.BadDates != 1 {
		t.Fatalf("import = %+v, %v", st, err)
	}
	page, err := first.Search(ctx, app.SearchQuery{ImportID: st.ID})
	if err != nil || len(page.Items) != 4 {
		t.Fatalf("search = %+v, %v", page, err)
	}
	want := map[string]struct {
		id string
		at time.Time
	}{
		"Alice loved the hotel in Rome": {"A-1", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
		"terrible service":              {"A-2", time.Date(2026, 12, 25, 18, 30, 0, 0, time.UTC)},
		"Bob in London":                 {"A-3", time.Time{}},
		"good":                          {"A-4", time.Time{}},
	}
	for _, it := range page.Items {
		d, err := first.Document(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		w := want[d.Text]
		if d.ExtID != w.id || (d.Time == nil) != w.at.IsZero() || (d.Time != nil && !d.Time.Equal(w.at)) {
			t.Errorf("%q: id %q time %v, want %q %v", d.Text, d.ExtID, d.Time, w.id, w.at)
		}
	}
	bad, err := first.StartImport(ctx, []app.ImportFile{{Path: p, Name: "r.csv"}}, app.ImportOptions{DateColumn: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if bad, _ = first.WaitImport(ctx, bad.ID); bad.State != app.StateFailed || !strings.Contains(bad.Errors[0].Message, "nope") {
		t.Errorf("unknown date column: %+v", bad)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, cfg)
	if again, err := svc.ImportStatus(ctx, st.ID); err != nil || again.BadDates != 1 || again.Options.DateColumn != "when" {
		t.Errorf("after restart: %+v, %v", again, err)
	}
}
