package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// An import of a file with repeated lines stores each distinct text once:
// the documents are the distinct lines, their seen counts the lines'
// occurrences, and the status counts new + duplicates = done. A second
// import of the same lines adds no document, links its import, and with
// keep_duplicates every line is a document. Deleting an import deletes only
// the documents no other import saw, as many as the status announced.
func TestImportDuplicates(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	var lines []string
	occurrences := map[string]int{}
	for i := range 90 {
		l := fmt.Sprintf("Alice liked Paris, visit %d.", i%25) // 25 distinct texts
		if i%7 == 0 {
			l = "A unique line number " + strconv.Itoa(i)
		}
		lines = append(lines, l)
		occurrences[l]++
	}
	path := filepath.Join(t.TempDir(), "reviews.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tasks := []engine.Task{engine.TaskSentiment, engine.TaskEntities}
	run := func(opt app.ImportOptions) app.ImportStatus {
		t.Helper()
		opt.Tasks = tasks
		st, err := svc.StartImport(ctx, []app.ImportFile{{Path: path, Name: "reviews.txt"}}, opt)
		if err != nil {
			t.Fatal(err)
		}
		if st, err = svc.WaitImport(ctx, st.ID); err != nil || st.State != app.StateDone {
			t.Fatalf("import = %+v, %v", st, err)
		}
		return st
	}
	first := run(app.ImportOptions{})
	if first.Done != len(lines) || first.New != len(occurrences) || first.Duplicates != len(lines)-len(occurrences) {
		t.Fatalf("first import: done %d new %d duplicates %d; want %d = %d + %d", first.Done, first.New, first.Duplicates,
			len(lines), len(occurrences), len(lines)-len(occurrences))
	}
	all := func(q app.SearchQuery) []app.DocumentSummary {
		t.Helper()
		q.Limit = 500
		p, err := svc.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return p.Items
	}
	items := all(app.SearchQuery{})
	if len(items) != len(occurrences) {
		t.Fatalf("%d documents, want the %d distinct lines", len(items), len(occurrences))
	}
	for _, it := range items {
		d, err := svc.Document(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Seen != occurrences[d.Text] || it.Seen != d.Seen || !slices.Equal(d.Imports, []int64{mustInt(t, first.ID)}) ||
			!slices.Equal(it.Imports, d.Imports) {
			t.Fatalf("%q: seen %d (hit %d), imports %v (hit %v); want %d, [%s]", d.Text, d.Seen, it.Seen, d.Imports, it.Imports, occurrences[d.Text], first.ID)
		}
		if d.Sentiment == nil || d.Entities == nil {
			t.Fatalf("%q lost its analyses: %+v", d.Text, d)
		}
	}

	// The same file again: cache hits, every row a duplicate, no new document.
	second := run(app.ImportOptions{})
	if second.New != 0 || second.Duplicates != len(lines) {
		t.Fatalf("second import: new %d duplicates %d", second.New, second.Duplicates)
	}
	if n := len(all(app.SearchQuery{})); n != len(occurrences) {
		t.Fatalf("%d documents after the second import", n)
	}
	if n := len(all(app.SearchQuery{ImportID: second.ID})); n != len(occurrences) {
		t.Fatalf("the second import's filter finds %d documents, want %d", n, len(occurrences))
	}
	// Pasted text that an import stored: one more sighting.
	res, err := svc.Analyze(ctx, app.AnalyzeRequest{Texts: []string{lines[1]}, Tasks: tasks})
	if err != nil || !res.Results[0].Duplicate || res.Results[0].Seen != 2*occurrences[lines[1]]+1 {
		t.Fatalf("pasted duplicate: %+v, %v", res.Results, err)
	}

	keep := run(app.ImportOptions{KeepDuplicates: true})
	if keep.New != len(lines) || keep.Duplicates != 0 {
		t.Fatalf("keep_duplicates import: new %d duplicates %d", keep.New, keep.Duplicates)
	}
	if n := len(all(app.SearchQuery{})); n != len(occurrences)+len(lines) {
		t.Fatalf("%d documents after keep_duplicates, want %d", n, len(occurrences)+len(lines))
	}

	// Deleting the first import: its documents pass to the second (which
	// saw every text), so nothing is deleted, as announced.
	st, err := svc.ImportStatus(ctx, first.ID)
	if err != nil || st.Deletes != 0 {
		t.Fatalf("first import before delete: %+v, %v", st, err)
	}
	if n, err := svc.DeleteImport(ctx, first.ID); err != nil || n != 0 {
		t.Fatalf("DeleteImport(first) = %d, %v; want 0", n, err)
	}
	st, err = svc.ImportStatus(ctx, second.ID)
	if err != nil || st.New != len(occurrences) || st.Duplicates != len(lines)-len(occurrences) || st.Deletes != len(occurrences)-1 {
		t.Fatalf("second import after the first's delete: %+v, %v; want new %d, deletes %d (one text was also pasted)", st, err, len(occurrences), len(occurrences)-1)
	}
	if n, err := svc.DeleteImport(ctx, second.ID); err != nil || n != int64(st.Deletes) {
		t.Fatalf("DeleteImport(second) = %d, %v; want %d", n, err, st.Deletes)
	}
	if n := len(all(app.SearchQuery{})); n != len(lines)+1 {
		t.Fatalf("%d documents left, want the %d kept copies and the pasted one", n, len(lines))
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
