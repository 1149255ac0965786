package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

// TestDiskFull fills a database capped by PRAGMA max_page_count: the write
// that does not fit fails with ErrDiskFull as a whole, everything
// acknowledged before is intact, and the database keeps working.
func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	db := openAt(t, path, func(c *storage.Config) { c.MaxPageCount = 150 })
	ctx := context.Background()
	big := func(i int) storage.Result {
		r := sentimentResult(fmt.Sprintf("doc%d %s", i, strings.Repeat(fmt.Sprintf("word%d ", i), 250)), "POSITIVE")
		r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "n", ModelHash: "n",
			Entities: []storage.Entity{{Label: "X", Text: "doc", Start: 0, End: 3}}})
		return r
	}
	var acked []storage.DocID
	var fullErr error
	for i := 0; i < 10000 && fullErr == nil; i++ {
		id, err := db.Store(ctx, big(i))
		if err != nil {
			fullErr = err
			break
		}
		acked = append(acked, id)
	}
	if !errors.Is(fullErr, storage.ErrDiskFull) {
		t.Fatalf("filling the database: %v, want ErrDiskFull", fullErr)
	}
	if len(acked) == 0 {
		t.Fatal("nothing fit: cap too small for the test")
	}
	// Concurrent writers hitting the full disk: each fails or commits whole.
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range 4 {
		wg.Go(func() {
			ids, err := db.StoreBatch(ctx, []storage.Result{big(100000 + w), big(200000 + w)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				acked = append(acked, ids...)
			} else if !errors.Is(err, storage.ErrDiskFull) {
				t.Errorf("batch on a full disk: %v", err)
			}
		})
	}
	wg.Wait()
	s := mustStats(t, db)
	if s.Documents != int64(len(acked)) || s.Analyses != 2*int64(len(acked)) || s.Entities != int64(len(acked)) {
		t.Fatalf("half-written data: %+v for %d acknowledged documents", s, len(acked))
	}
	for _, id := range acked {
		if _, err := db.Get(ctx, id); err != nil {
			t.Fatalf("acknowledged %d: %v", id, err)
		}
	}
	mustCheck(t, db)
	// Small writes that fit in free space still work.
	if _, err := db.SaveRun(ctx, storage.Run{Name: "tiny"}); err != nil && !errors.Is(err, storage.ErrDiskFull) {
		t.Fatalf("after full: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Without the cap the same file takes writes again.
	db2 := openAt(t, path)
	if _, err := db2.Store(ctx, big(-1)); err != nil {
		t.Fatalf("store after lifting the cap: %v", err)
	}
	mustCheck(t, db2)
}

func TestVacuumAndStatsSizes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	buildCorpus(t, db, 3000, imp)
	s := mustStats(t, db)
	if s.FileBytes+s.WALBytes == 0 || s.PageSize != 4096 || s.Pages == 0 || s.Documents != 3000 {
		t.Fatalf("stats %+v", s)
	}
	if _, err := db.DeleteImport(ctx, imp); err != nil {
		t.Fatal(err)
	}
	res, err := db.Vacuum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.AfterBytes >= res.BeforeBytes {
		t.Fatalf("vacuum did not shrink: %+v", res)
	}
	if s := mustStats(t, db); s.WALBytes != 0 || s.FreePages != 0 {
		t.Fatalf("after vacuum: %+v", s)
	}
	mustCheck(t, db)
}

// A new database that cannot be set up (here: a disk too full for the
// schema) is reported and leaves no file behind.
func TestOpenNewFailsCleanly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.db")
	_, err := storage.Open(context.Background(), storage.Config{Path: path, MaxPageCount: 3}, nil)
	if !errors.Is(err, storage.ErrDiskFull) {
		t.Fatalf("Open with no room for the schema: %v, want ErrDiskFull", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
}
