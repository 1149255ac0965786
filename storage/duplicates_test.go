package storage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

// rowResult is an import row's result with a sentiment analysis.
func rowResult(text string, imp storage.ImportID, line int) storage.Result {
	r := sentimentResult(text, "POSITIVE")
	r.ImportID, r.Source, r.Line = imp, "rows.txt", line
	return r
}

func mustGet(t *testing.T, db *storage.DB, id storage.DocID) storage.Document {
	t.Helper()
	d, err := db.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return d
}

func TestDuplicatesAreOneDocument(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, "rows.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The same text three times in one batch (one write group), a fourth
	// time in a later group, and once as pasted text.
	ids, err := db.StoreBatch(ctx, []storage.Result{
		rowResult("same text", imp, 1), rowResult("other text", imp, 2),
		rowResult("same text", imp, 3), rowResult("same text", imp, 4),
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != ids[2] || ids[0] != ids[3] || ids[0] == ids[1] {
		t.Fatalf("ids %v: want rows 1, 3 and 4 to share a document", ids)
	}
	id5, err := db.Store(ctx, rowResult("same text", imp, 5))
	if err != nil || id5 != ids[0] {
		t.Fatalf("later group: id %d (%v), want %d", id5, err, ids[0])
	}
	if id, err := db.Store(ctx, sentimentResult("same text", "POSITIVE")); err != nil || id != ids[0] {
		t.Fatalf("pasted: id %d (%v), want %d", id, err, ids[0])
	}
	d := mustGet(t, db, ids[0])
	if d.Seen != 5 || !slices.Equal(d.Imports, []storage.ImportID{imp}) || d.Line != 1 || len(d.Analyses) != 1 {
		t.Fatalf("document: seen %d imports %v line %d analyses %d; want 5, [%d], 1, 1", d.Seen, d.Imports, d.Line, len(d.Analyses), imp)
	}
	if d := mustGet(t, db, ids[1]); d.Seen != 1 {
		t.Fatalf("other text seen %d", d.Seen)
	}

	// Other options, another model, another task, KeepDuplicate: new documents.
	opt := sentimentResult("same text", "POSITIVE")
	opt.Analyses[0].Options = "method=mean"
	model := sentimentResult("same text", "POSITIVE")
	model.Analyses[0].ModelHash = "def"
	keep := sentimentResult("same text", "POSITIVE")
	keep.KeepDuplicate = true
	more := sentimentResult("same text", "POSITIVE")
	more.Analyses = append(more.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelHash: "ner", Options: "aggregation=simple"})
	seen := map[storage.DocID]bool{ids[0]: true, ids[1]: true}
	for i, r := range []storage.Result{opt, model, keep, more} {
		id, err := db.Store(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("result %d stored as existing document %d", i, id)
		}
		seen[id] = true
	}
	// A result whose analyses are a subset of a stored document's is a
	// duplicate of the newest such document ("more").
	dup, err := db.Store(ctx, func() storage.Result {
		r := sentimentResult("same text", "POSITIVE")
		r.Analyses = []storage.Analysis{{Task: storage.TaskEntities, ModelHash: "ner", Options: "aggregation=simple"}}
		return r
	}())
	if err != nil || mustGet(t, db, dup).Seen != 2 || len(mustGet(t, db, dup).Analyses) != 2 {
		t.Fatalf("subset result: %d %v", dup, err)
	}
	if n := mustStats(t, db).Documents; n != 6 {
		t.Fatalf("documents %d, want 6", n)
	}
	if err := db.FinishImport(ctx, imp, storage.ImportDone, 5, 0); err != nil {
		t.Fatal(err)
	}
	im, err := db.GetImport(ctx, imp)
	if err != nil || im.Stored != 2 || im.Duplicates != 3 || im.Stored+im.Duplicates != im.Total {
		t.Fatalf("import %+v %v: want stored 2 + duplicates 3 = total 5", im, err)
	}
	// Export has one row per document, with its count.
	var buf bytes.Buffer
	if n, err := db.Export(ctx, &buf, storage.FormatCSV, storage.Query{ImportID: imp}); err != nil || n != 2 {
		t.Fatalf("export: %d %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][13] != "seen" || recs[1][5] != "same text" || recs[1][13] != "5" || recs[2][13] != "1" {
		t.Fatalf("export rows %q %v", recs, err)
	}
	lines, err := db.StoredLines(ctx, imp)
	if err != nil || len(lines["rows.txt"]) != 5 {
		t.Fatalf("stored lines %v %v: want lines 1-5", lines, err)
	}
	// Full text finds the text once per document; the hit shows its count.
	p, err := db.Search(ctx, storage.Query{Text: "other", WithTotal: true})
	if err != nil || p.Total != 1 {
		t.Fatalf("search: %+v %v", p, err)
	}
	p, err = db.Search(ctx, storage.Query{ImportID: imp, WithTotal: true})
	if err != nil || p.Total != 2 || p.Hits[1].ID != ids[0] || p.Hits[1].Seen != 5 || !slices.Equal(p.Hits[1].Imports, []storage.ImportID{imp}) {
		t.Fatalf("import's hits: %+v %v", p, err)
	}
	mustCheck(t, db)
}

// Identical texts from concurrent writers end in one document whatever the
// grouping, and every one of them is counted. The text index merges its
// tail every few documents (TextIndexBatch 3), so stored documents are found
// both in the tail and in text_index, and again after a reopen.
func TestDuplicatesConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dups.db")
	small := func(c *storage.Config) { c.TextIndexBatch = 3 }
	db := openAt(t, path, small)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, "rows.txt")
	if err != nil {
		t.Fatal(err)
	}
	const writers, per, distinct = 8, 60, 7
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				line := w*per + i + 1
				text := fmt.Sprintf("text %d 東京", line%distinct)
				if _, err := db.StoreBatch(ctx, []storage.Result{rowResult(text, imp, line)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := mustStats(t, db).Documents; n != distinct {
		t.Fatalf("documents %d, want %d", n, distinct)
	}
	var total int
	for k := range distinct {
		p, err := db.Search(ctx, storage.Query{Text: fmt.Sprintf(`"text %d"`, k), WithTotal: true})
		if err != nil || p.Total != 1 {
			t.Fatalf("search text %d: %+v %v", k, p, err)
		}
		total += mustGet(t, db, p.Hits[0].ID).Seen
	}
	if total != writers*per {
		t.Fatalf("seen counts sum to %d, want %d", total, writers*per)
	}
	// The trigram index holds each document once.
	p, err := db.Search(ctx, storage.Query{Text: "東京", WithTotal: true})
	if err != nil || p.Total != distinct {
		t.Fatalf("trigram search: %+v %v", p, err)
	}
	mustCheck(t, db)
	// After a reopen (the tail rebuilt from the file) the texts are still
	// found: one more of each is a duplicate.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path, small)
	for k := range distinct {
		st, err := db.StoreResults(ctx, []storage.Result{rowResult(fmt.Sprintf("text %d 東京", k), imp, 10000+k)})
		if err != nil || !st[0].Duplicate {
			t.Fatalf("after reopen, text %d: %+v %v", k, st, err)
		}
	}
	if n := mustStats(t, db).Documents; n != distinct {
		t.Fatalf("documents after reopen %d, want %d", n, distinct)
	}
	mustCheck(t, db)
}

func TestDeleteImportWithSharedDocuments(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a, _ := db.BeginImport(ctx, "a")
	b, _ := db.BeginImport(ctx, "b")
	store := func(rs ...storage.Result) []storage.DocID {
		t.Helper()
		ids, err := db.StoreBatch(ctx, rs)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// a: only-a ×2, a-and-b, a-and-pasted. b: a-and-b ×2, only-b.
	ia := store(rowResult("only a", a, 1), rowResult("only a", a, 2), rowResult("a and b", a, 3), rowResult("a and pasted", a, 4))
	ib := store(rowResult("a and b", b, 1), rowResult("only b", b, 2), rowResult("a and b", b, 3))
	store(sentimentResult("a and pasted", "POSITIVE"))
	if ib[0] != ia[2] || ib[2] != ia[2] {
		t.Fatalf("shared text not one document: %v %v", ia, ib)
	}
	// Filtering by import finds the documents it saw again too.
	p, err := db.Search(ctx, storage.Query{ImportID: b, WithTotal: true})
	if err != nil || p.Total != 2 || p.Hits[1].ID != ia[2] || !slices.Equal(p.Hits[1].Imports, []storage.ImportID{a, b}) || p.Hits[1].Seen != 3 {
		t.Fatalf("b's hits: %+v %v", p, err)
	}
	ima, err := db.GetImport(ctx, a)
	if err != nil || ima.Deletes != 1 || ima.Stored != 3 || ima.Duplicates != 1 {
		t.Fatalf("import a: %+v %v; want deletes 1 (only a), stored 3, duplicates 1", ima, err)
	}
	n, err := db.DeleteImport(ctx, a)
	if err != nil || n != ima.Deletes {
		t.Fatalf("DeleteImport = %d, %v; want %d as announced", n, err, ima.Deletes)
	}
	if _, err := db.Get(ctx, ia[0]); err == nil {
		t.Fatal("document only seen in a survived")
	}
	shared := mustGet(t, db, ia[2])
	if shared.Seen != 2 || !slices.Equal(shared.Imports, []storage.ImportID{b}) || shared.ImportID != b || shared.Line != 1 {
		t.Fatalf("shared document: seen %d imports %v import %d line %d; want 2, [b], b, 1", shared.Seen, shared.Imports, shared.ImportID, shared.Line)
	}
	pasted := mustGet(t, db, ia[3])
	if pasted.Seen != 1 || len(pasted.Imports) != 0 || pasted.ImportID != 0 {
		t.Fatalf("pasted document: %+v", pasted)
	}
	imb, err := db.GetImport(ctx, b)
	if err != nil || imb.Stored != 2 || imb.Duplicates != 1 || imb.Deletes != 2 {
		t.Fatalf("import b after a's delete: %+v %v; want stored 2 (handed over), duplicates 1, deletes 2", imb, err)
	}
	lines, err := db.StoredLines(ctx, b)
	if err != nil || len(lines["rows.txt"]) != 3 {
		t.Fatalf("b's lines %v %v", lines, err)
	}
	if n, err := db.DeleteImport(ctx, b); err != nil || n != 2 {
		t.Fatalf("DeleteImport(b) = %d, %v", n, err)
	}
	if s := mustStats(t, db); s.Documents != 1 {
		t.Fatalf("documents left %d, want the pasted one", s.Documents)
	}
	// A text stored again after its document went is a new document.
	id := store(sentimentResult("a and b", "POSITIVE"))[0]
	if d := mustGet(t, db, id); d.Seen != 1 {
		t.Fatalf("re-stored: %+v", d)
	}
	mustCheck(t, db)
}
