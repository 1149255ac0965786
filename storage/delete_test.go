package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

func TestImportLifecycleAndDeleteCascade(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	keep := buildCorpus(t, db, 40, 0)
	imp, err := db.BeginImport(ctx, "/data/folder")
	if err != nil {
		t.Fatal(err)
	}
	buildCorpus(t, db, 120, imp)
	if err := db.FinishImport(ctx, imp, storage.ImportDone, 125, 5); err != nil {
		t.Fatal(err)
	}
	im, err := db.GetImport(ctx, imp)
	if err != nil || im.Status != storage.ImportDone || im.Total != 125 || im.Stored != 120 || im.Failed != 5 || im.Finished.IsZero() || im.Source != "/data/folder" {
		t.Fatalf("GetImport = %+v, %v", im, err)
	}
	list, err := db.ListImports(ctx)
	if err != nil || len(list) != 1 || list[0].ID != imp {
		t.Fatalf("ListImports = %+v, %v", list, err)
	}
	if err := db.FinishImport(ctx, imp, "bogus", 0, 0); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("FinishImport bad status: %v", err)
	}
	before := mustStats(t, db)

	if n, err := db.DeleteImport(ctx, imp); err != nil || n != 120 {
		t.Fatalf("DeleteImport = %d, %v; want the 120 documents", n, err)
	}
	after := mustStats(t, db)
	if after.Documents != 40 || after.Imports != 0 {
		t.Fatalf("after delete: %+v", after)
	}
	// Only the import's analyses and entities went.
	var wantEnt int64
	for _, d := range keep {
		wantEnt += int64(len(d.entities))
	}
	if after.Entities != wantEnt || after.Analyses >= before.Analyses || after.Entities >= before.Entities {
		t.Fatalf("entities %d (want %d), analyses %d→%d", after.Entities, wantEnt, before.Analyses, after.Analyses)
	}
	// Full text no longer finds them; the FTS index is consistent.
	p, err := db.Search(ctx, storage.Query{Text: "number119", WithTotal: true})
	if err != nil || p.Total != 0 {
		t.Fatalf("deleted document still found: %+v %v", p, err)
	}
	p, err = db.Search(ctx, storage.Query{Text: "number39", WithTotal: true})
	if err != nil || p.Total != 1 || p.Hits[0].ID != keep[39].id {
		t.Fatalf("kept document lost: %+v %v", p, err)
	}
	mustCheck(t, db)
	if _, err := db.DeleteImport(ctx, imp); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := db.GetImport(ctx, imp); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetImport deleted: %v", err)
	}
	if err := db.DeleteDocument(ctx, keep[0].id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, keep[0].id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted document: %v", err)
	}
	mustCheck(t, db)
}

func TestRuns(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	r := storage.Run{
		Name: "smoke", Config: json.RawMessage(`{"mode":"open","rate":100}`), Hardware: json.RawMessage(`{"cpu":"x"}`),
		ModelHash: "abc", ORTVersion: "1.24.1", GitCommit: "deadbeef",
		Summary: json.RawMessage(`{"p99_ms":12.5}`), TimeSeries: json.RawMessage(`[{"t":0,"rps":99}]`),
		Histograms: json.RawMessage(`{"inference":{}}`), Passed: true,
	}
	var ids []storage.RunID
	for range 3 {
		id, err := db.SaveRun(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	got, err := db.GetRun(ctx, ids[1])
	if err != nil || got.Name != "smoke" || string(got.TimeSeries) != string(r.TimeSeries) || !got.Passed || got.GitCommit != "deadbeef" || got.Created.IsZero() {
		t.Fatalf("GetRun = %+v, %v", got, err)
	}
	list, err := db.ListRuns(ctx, 2, 0)
	if err != nil || len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] || string(list[0].Summary) != `{"p99_ms":12.5}` {
		t.Fatalf("ListRuns = %+v, %v", list, err)
	}
	list, err = db.ListRuns(ctx, 2, list[1].ID)
	if err != nil || len(list) != 1 || list[0].ID != ids[0] {
		t.Fatalf("ListRuns page 2 = %+v, %v", list, err)
	}
	if err := db.DeleteRun(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetRun(ctx, ids[1]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted run: %v", err)
	}
	if err := db.DeleteRun(ctx, ids[1]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	bad := r
	bad.Summary = json.RawMessage(`{"unterminated"`)
	if _, err := db.SaveRun(ctx, bad); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("invalid JSON: %v", err)
	}
	empty, err := db.SaveRun(ctx, storage.Run{Name: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := db.GetRun(ctx, empty); string(e.Config) != "{}" || string(e.TimeSeries) != "[]" {
		t.Fatalf("empty run JSON = %+v", e)
	}
	if s := mustStats(t, db); s.Runs != 3 {
		t.Fatalf("runs = %d", s.Runs)
	}
}

// A group can hold a StoreBatch and, after it, a delete of the same
// documents (through their import) and a new document that reuses a freed
// id. The writer indexes a group's documents for full text in one
// statement; the delete must still find them indexed, or the index would
// go out of step with the table.
//
// The test runs in a synctest bubble: synctest.Wait returns once each
// write has reached the writer, which then waits on the (fake) group delay,
// so the three writes queue in this order and share one transaction every
// time, and the delay costs no real time.
func TestDeleteImportInSameGroupAsItsDocuments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "g.db")
		ctx := context.Background()
		first := openAt(t, path)
		imp, err := first.BeginImport(ctx, "/data/same-group")
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		db := openAt(t, path, func(c *storage.Config) { c.GroupCommitDelay = time.Hour })
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		wg.Go(func() {
			r1, r2 := sentimentResult("doomed alphaword one", "POSITIVE"), sentimentResult("doomed alphaword two", "NEGATIVE")
			r1.ImportID, r2.ImportID = imp, imp
			_, err := db.StoreBatch(ctx, []storage.Result{r1, r2})
			errs <- err
		})
		synctest.Wait()
		wg.Go(func() { _, err := db.DeleteImport(ctx, imp); errs <- err })
		synctest.Wait()
		var keptID storage.DocID
		wg.Go(func() {
			var err error
			keptID, err = db.Store(ctx, sentimentResult("survivor betaword", "POSITIVE"))
			errs <- err
		})
		synctest.Wait()
		if len(errs) != 0 {
			t.Fatalf("a write finished before the group delay: %v", <-errs)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		mustCheck(t, db)
		p, err := db.Search(ctx, storage.Query{Text: "alphaword", WithTotal: true})
		if err != nil || p.Total != 0 || len(p.Hits) != 0 {
			t.Fatalf("deleted documents still found: %+v, %v", p, err)
		}
		p, err = db.Search(ctx, storage.Query{Text: "betaword", WithTotal: true})
		if err != nil || p.Total != 1 || len(p.Hits) != 1 || p.Hits[0].ID != keptID {
			t.Fatalf("kept document: %+v, %v (want id %d)", p, err, keptID)
		}
		p, err = db.Search(ctx, storage.Query{Text: "doomed", WithTotal: true})
		if err != nil || p.Total != 0 {
			t.Fatalf("deleted text still found: %+v, %v", p, err)
		}
	})
}

// An import left running by a process that ended (crash, kill -9) is
// interrupted when the database is opened again; resuming it sets it
// running, and StoredLines names exactly the rows it has committed. Only
// interrupted and cancelled imports can be resumed.
func TestImportInterruptedOnOpenAndResumed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	ctx := context.Background()
	first := openAt(t, path)
	imp, err := first.CreateImport(ctx, storage.NewImport{Source: "a.csv", Files: `[{"name":"a.csv"}]`, Options: `{"column":"body"}`, Dir: "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	var rs []storage.Result
	for _, line := range []int{2, 3, 5} {
		r := sentimentResult(fmt.Sprintf("row %d", line), "POSITIVE")
		r.ImportID, r.Source, r.Line = imp, "a.csv", line
		rs = append(rs, r)
	}
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	rs[0].ExtID, rs[0].Time = "R-17", when // the optional id and date columns
	ids, err := first.StoreBatch(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := first.Get(ctx, ids[0]); err != nil || d.ExtID != "R-17" || !d.Time.Equal(when) {
		t.Fatalf("document with id and time: %+v, %v", d, err)
	}
	if d, err := first.Get(ctx, ids[1]); err != nil || d.ExtID != "" || !d.Time.IsZero() {
		t.Fatalf("document without id and time: %+v, %v", d, err)
	}
	if err := first.UpdateImport(ctx, imp, 4, 1, 2); err != nil {
		t.Fatal(err)
	}
	done, err := first.CreateImport(ctx, storage.NewImport{Source: "b.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.FinishImport(ctx, done, storage.ImportDone, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil { // the import is still "running"
		t.Fatal(err)
	}

	db := openAt(t, path)
	im, err := db.GetImport(ctx, imp)
	if err != nil || im.Status != storage.ImportInterrupted || im.Stored != 3 || im.Total != 4 || im.Failed != 1 || im.BadDates != 2 ||
		im.Options != `{"column":"body"}` || im.Files != `[{"name":"a.csv"}]` || im.Dir != "/tmp/x" || im.Updated.IsZero() {
		t.Fatalf("after reopen: %+v, %v", im, err)
	}
	if im, err := db.GetImport(ctx, done); err != nil || im.Status != storage.ImportDone {
		t.Fatalf("a finished import changed: %+v, %v", im, err)
	}
	lines, err := db.StoredLines(ctx, imp)
	if err != nil || len(lines) != 1 || len(lines["a.csv"]) != 3 || !lines["a.csv"][2] || !lines["a.csv"][3] || !lines["a.csv"][5] {
		t.Fatalf("StoredLines = %v, %v", lines, err)
	}
	if _, err := db.ResumeImport(ctx, done); !errors.Is(err, storage.ErrNotResumable) {
		t.Fatalf("resume a done import: %v", err)
	}
	if _, err := db.ResumeImport(ctx, 999); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("resume a missing import: %v", err)
	}
	im, err = db.ResumeImport(ctx, imp)
	if err != nil || im.Status != storage.ImportRunning || !im.Finished.IsZero() {
		t.Fatalf("resume: %+v, %v", im, err)
	}
	if _, err := db.ResumeImport(ctx, imp); !errors.Is(err, storage.ErrNotResumable) {
		t.Fatalf("resume a running import: %v", err)
	}
	if err := db.FinishImport(ctx, imp, storage.ImportCancelled, 4, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ResumeImport(ctx, imp); err != nil {
		t.Fatalf("resume a cancelled import: %v", err)
	}
	if n, err := db.DeleteImport(ctx, imp); err != nil || n != 3 {
		t.Fatalf("DeleteImport = %d, %v; want 3", n, err)
	}
	mustCheck(t, db)
}
