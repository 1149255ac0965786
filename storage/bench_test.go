package storage_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

// go test -run '^$' -bench . -storage.docs 1000000 ./storage/
var benchDocs = flag.Int("storage.docs", 100000, "documents in the search/export benchmark database")

// benchWords is a synthetic vocabulary drawn with a Zipf distribution, so
// a few words are in most documents and most words are rare.
var benchWords = func() []string {
	syl := []string{"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "de", "go"}
	var w []string
	for i := range 5000 {
		s := ""
		for n := i; ; n /= len(syl) {
			s += syl[n%len(syl)]
			if n < len(syl) {
				break
			}
		}
		w = append(w, s)
	}
	return w
}()

var benchNames = []string{"Alice", "Berlin", "Paris", "Acme", "Bob", "Tokyo", "Carol", "Nile"}

func benchResult(rng *rand.Rand, zipf *rand.Zipf, withEntities bool) storage.Result {
	n := 12 + rng.IntN(20)
	words := make([]string, n)
	for i := range words {
		words[i] = benchWords[zipf.Uint64()]
	}
	var ents []storage.Entity
	if withEntities {
		named := map[int]bool{}
		for k := rng.IntN(3); k > 0; k-- {
			pos := rng.IntN(n)
			words[pos] = benchNames[rng.IntN(len(benchNames))]
			named[pos] = true
		}
		start := 0 // words are ASCII: bytes = code points
		for i, w := range words {
			if named[i] {
				ents = append(ents, storage.Entity{Label: []string{"PER", "LOC", "ORG"}[rng.IntN(3)], Text: w, Start: start, End: start + len(w), Score: 0.9})
			}
			start += len(w) + 1
		}
	}
	label := []string{"POSITIVE", "NEGATIVE"}[rng.IntN(2)]
	r := storage.Result{Text: strings.Join(words, " "), Source: fmt.Sprintf("/corpus/file%d.txt", rng.IntN(20)), Line: rng.IntN(10000) + 1,
		Analyses: []storage.Analysis{{Task: storage.TaskSentiment, ModelID: "sst2@0123456789ab", ModelHash: "0123456789abcdef",
			Label: label, Score: 0.93, Scores: []storage.LabelScore{{Label: label, Score: 0.93}, {Label: "OTHER", Score: 0.07}},
			Timings: storage.Timings{QueueWait: 100 * time.Microsecond, Tokenize: 20 * time.Microsecond, Inference: 3 * time.Millisecond, Postprocess: 5 * time.Microsecond}}}}
	if withEntities {
		r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "ner@0123456789ab", ModelHash: "fedcba9876543210",
			Options: "aggregation=simple", Entities: ents})
	}
	return r
}

func newBenchGen(seed uint64) func(withEntities bool) storage.Result {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(benchWords)-1))
	return func(withEntities bool) storage.Result { return benchResult(rng, zipf, withEntities) }
}

// processCPU is the CPU time this process has used (user + system). On a
// shared machine it is a steadier measure than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRate(b *testing.B, cpu0 time.Duration, docs, analyses int64) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(docs)/s, "docs/s")
	b.ReportMetric(float64(analyses)/s, "analyses/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(docs), "cpu-µs/doc")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStore measures persisted analyses per second: group commit with
// many concurrent callers, StoreBatch, and one transaction per row.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	pre := make([]storage.Result, 4096)
	gen := newBenchGen(1)
	for i := range pre {
		pre[i] = gen(false)
	}
	b.Run("group-commit/64-callers", func(b *testing.B) {
		db := openTest(b, func(c *storage.Config) { c.GroupCommitSize = 512 })
		var i atomic.Int64
		b.SetParallelism(32) // × GOMAXPROCS callers
		b.ResetTimer()
		cpu0 := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.Store(ctx, pre[i.Add(1)%int64(len(pre))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, cpu0, int64(b.N), int64(b.N))
	})
	for _, withEnt := range []bool{false, true} {
		name := "batch-512/sentiment"
		if withEnt {
			name = "batch-512/sentiment+entities"
		}
		b.Run(name, func(b *testing.B) {
			db := openTest(b)
			g := newBenchGen(2)
			batch := make([]storage.Result, 512)
			for i := range batch {
				batch[i] = g(withEnt)
			}
			per := int64(len(batch[0].Analyses))
			var analyses int64
			for _, r := range batch {
				analyses += int64(len(r.Analyses))
			}
			b.ResetTimer()
			cpu0 := processCPU()
			done := 0
			for done < b.N {
				n := min(len(batch), b.N-done)
				if _, err := db.StoreBatch(ctx, batch[:n]); err != nil {
					b.Fatal(err)
				}
				done += n
			}
			_ = per
			reportRate(b, cpu0, int64(b.N), int64(float64(b.N)*float64(analyses)/float64(len(batch))))
		})
	}
	b.Run("tx-per-row", func(b *testing.B) {
		db := openTest(b, func(c *storage.Config) { c.GroupCommitSize = 1 })
		b.ResetTimer()
		cpu0 := processCPU()
		for i := range b.N {
			if _, err := db.Store(ctx, pre[i%len(pre)]); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, cpu0, int64(b.N), int64(b.N))
	})
}

// benchDB returns a database with *benchDocs documents, built once per size
// and kept in the temp directory for later runs.
func benchDB(b *testing.B) *storage.DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("nlpscope-storage-bench-%d-v%d.db", *benchDocs, storage.SchemaVersion()))
	ctx := context.Background()
	if _, err := os.Stat(path); err == nil {
		db := openAt(b, path)
		if mustStats(b, db).Documents == int64(*benchDocs) {
			return db
		}
		db.Close()
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
	start := time.Now()
	db, err := storage.Open(ctx, storage.Config{Path: path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	gen := newBenchGen(7)
	batch := make([]storage.Result, 0, 2000)
	for i := range *benchDocs {
		batch = append(batch, gen(true))
		if len(batch) == cap(batch) || i == *benchDocs-1 {
			if _, err := db.StoreBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d documents in %v", *benchDocs, time.Since(start).Round(time.Millisecond))
	return openAt(b, path)
}

// BenchmarkSearch reports search latency percentiles on a database of
// -storage.docs documents: one op is one page of 50 hits.
func BenchmarkSearch(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	// A cursor half-way down for deep-page queries.
	mid := func(q storage.Query) string {
		q.WithTotal = true
		p, err := db.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		var id storage.DocID
		// Walk down with large pages until half the total is behind us.
		q.Limit, q.WithTotal = 1000, false
		seen := int64(0)
		for seen < p.Total/2 {
			pp, err := db.Search(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			seen += int64(len(pp.Hits))
			if pp.Next == "" {
				break
			}
			q.Cursor, id = pp.Next, pp.Hits[len(pp.Hits)-1].ID
		}
		_ = id
		return q.Cursor
	}
	common, rare := benchWords[2], benchWords[1500]
	cases := []struct {
		name string
		q    storage.Query
	}{
		{"recent", storage.Query{}},
		{"common-word", storage.Query{Text: common}},
		{"rare-word", storage.Query{Text: rare}},
		{"prefix", storage.Query{Text: benchWords[200][:3]}},
		{"two-words-prefix", storage.Query{Text: common + " " + benchWords[300][:3]}},
		{"sentiment", storage.Query{Sentiment: "NEGATIVE"}},
		{"entity", storage.Query{EntityLabel: "LOC", EntityText: "paris"}},
		{"word+filters", storage.Query{Text: common, Sentiment: "POSITIVE", EntityText: "Alice"}},
		{"common-word+total", storage.Query{Text: common, WithTotal: true}},
		{"deep-page/common-word", storage.Query{Text: common}},
		{"deep-page/recent", storage.Query{}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			q := c.q
			if strings.HasPrefix(c.name, "deep-page") {
				q.Cursor = mid(q)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				p, err := db.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				if len(p.Hits) == 0 && c.name != "rare-word" {
					b.Fatalf("%s: no hits", c.name)
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkExport streams the whole benchmark database; one op is one full
// export.
func BenchmarkExport(b *testing.B) {
	db := benchDB(b)
	for _, f := range []string{storage.FormatCSV, storage.FormatJSONL} {
		b.Run(f, func(b *testing.B) {
			var rows int64
			var w countWriter
			for range b.N {
				n, err := db.Export(context.Background(), &w, f, storage.Query{})
				if err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(rows)/s, "rows/s")
			b.ReportMetric(float64(w.n)/s/1e6, "MB/s")
		})
	}
}

var _ = io.Discard
