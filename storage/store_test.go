package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

func TestStoreGetRoundTrip(t *testing.T) {
	c := newClock()
	db := openTest(t, func(cfg *storage.Config) { cfg.Now = c.now })
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, "/data/reviews.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := "Angela Merkel visited Paris — très bien 😀"
	ents := []storage.Entity{
		{Label: "PER", Text: "Angela Merkel", Start: 0, End: 13, Score: 0.99},
		{Label: "LOC", Text: "Paris", Start: 22, End: 27, Score: 0.98},
	}
	in := storage.Result{Text: text, Source: "/data/reviews.txt", Line: 7, ImportID: imp,
		Analyses: []storage.Analysis{
			sentimentAnalysis("POSITIVE"),
			{Task: storage.TaskEntities, ModelID: "ner@def", ModelHash: "def", Options: "aggregation=simple",
				Entities: ents, Timings: storage.Timings{Inference: 5 * time.Millisecond}},
		}}
	id, err := db.Store(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Text != text || d.Source != in.Source || d.Line != 7 || d.ImportID != imp || d.SHA256 != storage.TextHash(text) {
		t.Fatalf("document = %+v", d)
	}
	if !d.Created.Equal(c.t) { // the clock's last tick was taken by Store
		t.Fatalf("created = %v, want the injected clock's %v", d.Created, c.t)
	}
	if len(d.Analyses) != 2 {
		t.Fatalf("analyses = %+v", d.Analyses)
	}
	s, e := d.Analyses[0], d.Analyses[1]
	want := sentimentAnalysis("POSITIVE")
	if s.Task != want.Task || s.Label != want.Label || s.Score != want.Score || s.ModelID != want.ModelID ||
		s.ModelHash != want.ModelHash || !reflect.DeepEqual(s.Scores, want.Scores) || s.Timings != want.Timings || s.Entities != nil {
		t.Fatalf("sentiment analysis = %+v", s)
	}
	if e.Task != storage.TaskEntities || e.Options != "aggregation=simple" || !reflect.DeepEqual(e.Entities, ents) {
		t.Fatalf("entities analysis = %+v", e)
	}
	if _, err := db.Get(ctx, id+100); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
}

func TestStoreRejectsBadInputAndWritesNothing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	bad := []storage.Result{
		{Text: ""},
		{Text: "bad \xff utf8"},
		{Text: "no task", Analyses: []storage.Analysis{{Label: "X"}}},
		{Text: "span", Analyses: []storage.Analysis{{Task: "entities", Entities: []storage.Entity{{Start: 2, End: 9}}}}},
		{Text: "span", Analyses: []storage.Analysis{{Task: "entities", Entities: []storage.Entity{{Start: 3, End: 1}}}}},
		{Text: "neg", Line: -1},
	}
	for _, r := range bad {
		if _, err := db.Store(ctx, r); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Store(%q): %v, want ErrInvalid", r.Text, err)
		}
	}
	// One bad result makes the whole batch fail before anything is written.
	if _, err := db.StoreBatch(ctx, []storage.Result{sentimentResult("fine", "POSITIVE"), bad[0]}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("StoreBatch with a bad result: %v, want ErrInvalid", err)
	}
	// A constraint failure (unknown import) inside the writer also fails the whole batch.
	r := sentimentResult("unknown import", "POSITIVE")
	r.ImportID = 12345
	if _, err := db.StoreBatch(ctx, []storage.Result{sentimentResult("fine too", "POSITIVE"), r}); err == nil {
		t.Error("StoreBatch with an unknown import id succeeded")
	}
	if s := mustStats(t, db); s.Documents != 0 || s.Analyses != 0 {
		t.Fatalf("bad input wrote rows: %+v", s)
	}
	mustCheck(t, db)
}

func TestGroupCommitConcurrent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		delay time.Duration
	}{
		{"natural", 64, 0},
		{"delay", 32, 2 * time.Millisecond},
		{"per-row", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, func(c *storage.Config) { c.GroupCommitSize = tc.size; c.GroupCommitDelay = tc.delay })
			ctx := context.Background()
			const workers, each = 8, 60
			var mu sync.Mutex
			got := map[storage.DocID]string{}
			var wg sync.WaitGroup
			errs := make(chan error, workers+4)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						text := fmt.Sprintf("worker %d item %d", w, i)
						var id storage.DocID
						var err error
						if i%10 == 9 { // mix in small batches
							var ids []storage.DocID
							ids, err = db.StoreBatch(ctx, []storage.Result{sentimentResult(text, "POSITIVE"), sentimentResult(text+" b", "NEGATIVE")})
							if err == nil {
								id = ids[0]
								mu.Lock()
								got[ids[1]] = text + " b"
								mu.Unlock()
							}
						} else {
							id, err = db.Store(ctx, sentimentResult(text, "POSITIVE"))
						}
						if err != nil {
							errs <- err
							return
						}
						mu.Lock()
						if prev, dup := got[id]; dup {
							mu.Unlock()
							errs <- fmt.Errorf("id %d returned twice (%q, %q)", id, prev, text)
							return
						}
						got[id] = text
						mu.Unlock()
					}
				})
			}
			// Readers run alongside the writers and never see an error.
			stopReaders := make(chan struct{})
			var readers sync.WaitGroup
			for range 2 {
				readers.Go(func() {
					for {
						select {
						case <-stopReaders:
							return
						default:
						}
						if _, err := db.Search(ctx, storage.Query{Text: "worker item", WithTotal: true}); err != nil {
							errs <- fmt.Errorf("search during writes: %w", err)
							return
						}
						if _, _, err := db.Lookup(ctx, "abc", storage.TaskSentiment, "", storage.TextHash("worker 1 item 1")); err != nil {
							errs <- fmt.Errorf("lookup during writes: %w", err)
							return
						}
					}
				})
			}
			// A failing request in the middle of concurrent traffic fails alone.
			wg.Go(func() {
				r := sentimentResult("orphan", "POSITIVE")
				r.ImportID = 999
				if _, err := db.Store(ctx, r); err == nil {
					errs <- errors.New("store with unknown import succeeded")
				}
			})
			wg.Wait()
			close(stopReaders)
			readers.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			want := workers * (each + each/10)
			if len(got) != want {
				t.Fatalf("%d ids, want %d", len(got), want)
			}
			for id, text := range got {
				d, err := db.Get(ctx, id)
				if err != nil || d.Text != text {
					t.Fatalf("Get(%d) = %q, %v; want %q", id, d.Text, err, text)
				}
			}
			// Full-text search on pooled readers sees every committed document.
			if p, err := db.Search(ctx, storage.Query{Text: "worker item ", WithTotal: true, Limit: 1000}); err != nil || p.Total != int64(want) || len(p.Hits) != min(want, 1000) {
				t.Fatalf("search after writes: total %d, %d hits, %v; want %d", p.Total, len(p.Hits), err, want)
			}
			if s := mustStats(t, db); s.Documents != int64(want) || s.Analyses != int64(want) {
				t.Fatalf("stats %+v, want %d documents and analyses", s, want)
			}
			if rep, err := db.Check(ctx); err != nil || !rep.OK {
				raw := rawDB(t, db.Path())
				var fresh string
				raw.QueryRow("PRAGMA integrity_check").Scan(&fresh)
				rep2, _ := db.Check(ctx)
				t.Fatalf("Check: %+v %v; fresh connection: %s; again: %+v", rep, err, fresh, rep2)
			}
		})
	}
}

func TestStoreAfterCloseAndCancelled(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Store(ctx, sentimentResult("x", "P")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Store with cancelled ctx: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store(context.Background(), sentimentResult("x", "P")); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Store after Close: %v, want ErrClosed", err)
	}
}

func TestLookupReusesStoredAnalysis(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	text := "Barack Obama was born in Hawaii"
	ents := []storage.Entity{{Label: "PER", Text: "Barack Obama", Start: 0, End: 12, Score: 0.97}, {Label: "LOC", Text: "Hawaii", Start: 25, End: 31, Score: 0.95}}
	r := sentimentResult(text, "NEUTRAL")
	r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "ner@n1", ModelHash: "n1",
		Options: "aggregation=simple", Entities: ents})
	if _, err := db.Store(ctx, r); err != nil {
		t.Fatal(err)
	}
	h := storage.TextHash(text)

	a, ok, err := db.Lookup(ctx, "abc", storage.TaskSentiment, "", h)
	if err != nil || !ok || a.Label != "NEUTRAL" || len(a.Scores) != 2 {
		t.Fatalf("sentiment lookup = %+v, %v, %v", a, ok, err)
	}
	a, ok, err = db.Lookup(ctx, "n1", storage.TaskEntities, "aggregation=simple", h)
	if err != nil || !ok || !reflect.DeepEqual(a.Entities, ents) {
		t.Fatalf("entities lookup = %+v, %v, %v", a, ok, err)
	}
	for _, miss := range [][4]string{
		{"n1", storage.TaskEntities, "aggregation=max", h},               // other options
		{"other", storage.TaskSentiment, "", h},                          // other model
		{"abc", storage.TaskSentiment, "", storage.TextHash(text + "!")}, // other text
		{"abc", storage.TaskEntities, "", h},                             // other task
	} {
		if _, ok, err := db.Lookup(ctx, miss[0], miss[1], miss[2], miss[3]); ok || err != nil {
			t.Errorf("Lookup%v = hit (%v), want miss", miss, err)
		}
	}
	if hits, misses := db.CacheStats(); hits != 2 || misses != 4 {
		t.Fatalf("CacheStats = %d hits, %d misses; want 2, 4", hits, misses)
	}
	if s := mustStats(t, db); s.CacheHits != 2 || s.CacheMisses != 4 {
		t.Fatalf("Stats cache = %d/%d", s.CacheHits, s.CacheMisses)
	}
}

func TestStoreBatchLargerThanGroup(t *testing.T) {
	db := openTest(t, func(c *storage.Config) { c.GroupCommitSize = 16 })
	rs := make([]storage.Result, 1000)
	for i := range rs {
		rs[i] = sentimentResult(fmt.Sprintf("big batch %d", i), "POSITIVE")
	}
	ids, err := db.StoreBatch(context.Background(), rs)
	if err != nil || len(ids) != len(rs) {
		t.Fatalf("StoreBatch: %d ids, %v", len(ids), err)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("ids of one batch not consecutive: %d after %d", ids[i], ids[i-1])
		}
	}
	if s := mustStats(t, db); s.Documents != 1000 {
		t.Fatalf("documents = %d", s.Documents)
	}
}

// Close while writers are busy: every write either is acknowledged (and is
// then in the database) or fails with ErrClosed; none is lost or hangs.
func TestCloseDuringWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.db")
	db, err := storage.Open(context.Background(), storage.Config{Path: path, GroupCommitSize: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []storage.DocID
	var wg sync.WaitGroup
	started := make(chan struct{})
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id, err := db.Store(context.Background(), sentimentResult(fmt.Sprintf("w%d i%d", w, i), "P"))
				if errors.Is(err, storage.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Store: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				if len(acked) == 200 {
					close(started)
				}
				mu.Unlock()
			}
		})
	}
	<-started
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	db2 := openAt(t, path)
	if s := mustStats(t, db2); s.Documents != int64(len(acked)) {
		t.Fatalf("%d documents after close, %d acknowledged", s.Documents, len(acked))
	}
	for _, id := range acked {
		if _, err := db2.Get(context.Background(), id); err != nil {
			t.Fatalf("acknowledged %d: %v", id, err)
		}
	}
	mustCheck(t, db2)
}

// Every document of a large batch reads back with exactly its own analyses
// and entities, whatever their mix.
func TestStoreBatchMixedRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	var rs []storage.Result
	for i := range 157 {
		text := fmt.Sprintf("document %d with some words", i)
		r := storage.Result{Text: text, Source: fmt.Sprintf("f%d.txt", i%3), Line: i + 1}
		for k := range rng.IntN(4) {
			a := storage.Analysis{Task: fmt.Sprintf("task%d", k), ModelID: "m@1", ModelHash: "h1",
				Label: fmt.Sprintf("L%d.%d", i, k), Score: float64(k) / 10,
				Timings: storage.Timings{Inference: time.Duration(i*10 + k)}}
			for e := range rng.IntN(5) {
				a.Entities = append(a.Entities, storage.Entity{Label: "PER", Text: "d", Start: e, End: e + 1, Score: float64(i)})
			}
			r.Analyses = append(r.Analyses, a)
		}
		rs = append(rs, r)
	}
	ids, err := db.StoreBatch(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		d, err := db.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := rs[i]
		if d.Text != want.Text || d.Source != want.Source || d.Line != want.Line || len(d.Analyses) != len(want.Analyses) {
			t.Fatalf("document %d (id %d) = %q %s:%d with %d analyses", i, id, d.Text, d.Source, d.Line, len(d.Analyses))
		}
		for k, a := range d.Analyses {
			w := want.Analyses[k]
			if a.Task != w.Task || a.Label != w.Label || a.Timings.Inference != w.Timings.Inference || !reflect.DeepEqual(a.Entities, w.Entities) {
				t.Fatalf("document %d analysis %d = %+v, want %+v", i, k, a, w)
			}
		}
	}
}
