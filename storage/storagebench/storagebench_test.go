package storagebench

import (
	"context"
	"path/filepath"
	"testing"
)

// A small run of every measurement: the numbers are not checked (they are
// benchmarks), what they count is.
func TestSmallRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := Store(ctx, dir, 1100)
	if err != nil {
		t.Fatal(err)
	}
	if len(store) != 6 {
		t.Fatalf("%d store cases", len(store))
	}
	for _, r := range store {
		per := 1
		if r.Name == StoreBatchBoth || r.Name == StoreBatchAllMixed || r.Name == StoreBatchDuplicates {
			per = 2
		}
		wantDocs := 1100
		if r.Name == StoreTxPerRow {
			wantDocs = 110
		}
		// Distinct texts are each a document; the repeated 512 are 512.
		wantStored := int64(wantDocs)
		if r.Name == StoreBatchDuplicates {
			wantStored = 512
		}
		if r.Stored != wantStored {
			t.Errorf("%s: %d documents stored, want %d", r.Name, r.Stored, wantStored)
		}
		if r.Docs != wantDocs || r.Analyses != per*wantDocs || r.DocsPerS <= 0 || r.AnalysesPerS != r.DocsPerS*float64(per) {
			t.Errorf("%+v", r)
		}
	}
	path := filepath.Join(dir, "search.db")
	db, built, err := BuildDB(ctx, path, 3000)
	if err != nil {
		t.Fatal(err)
	}
	if built == 0 {
		t.Error("a new database was not built")
	}
	if s, err := db.Stats(ctx); err != nil || s.Documents != 3000 || s.Analyses != 6000 {
		t.Fatalf("stats %+v, %v", s, err)
	}
	search, err := Search(ctx, db, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(search) != len(SearchCases()) {
		t.Errorf("%d search results", len(search))
	}
	ins, err := Insights(ctx, db, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != len(InsightsCases()) || ins[0].Docs != 3000 {
		t.Errorf("insights %+v", ins)
	}
	export, err := Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range export {
		if e.Rows != 3000 || e.MBPerS <= 0 {
			t.Errorf("export %+v", e)
		}
	}
	db.Close()
	// The same size again is reused, not rebuilt.
	db, built, err = BuildDB(ctx, path, 3000)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if built != 0 {
		t.Error("an existing database of the right size was rebuilt")
	}
}
