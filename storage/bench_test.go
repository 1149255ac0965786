package storage_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
	"github.com/nlpscope/nlpscope/storage/storagebench"
)

// go test -run '^$' -bench . -storage.docs 1000000 ./storage/
// (`nlpscope bench` reports the same measurements; see storage/storagebench.)
var benchDocs = flag.Int("storage.docs", 100000, "documents in the search/export benchmark database")

func reportRate(b *testing.B, cpu0 time.Duration, docs, analyses int64) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(docs)/s, "docs/s")
	b.ReportMetric(float64(analyses)/s, "analyses/s")
	b.ReportMetric(float64((storagebench.ProcessCPU()-cpu0).Microseconds())/float64(docs), "cpu-µs/doc")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStore measures persisted analyses per second: group commit with
// many concurrent callers, StoreBatch, and one transaction per row.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	pre := make([]storage.Result, 4096)
	gen := storagebench.NewGen(1)
	for i := range pre {
		pre[i] = gen(false)
	}
	b.Run(storagebench.StoreCallers, func(b *testing.B) {
		db := openTest(b, func(c *storage.Config) { c.GroupCommitSize = 512 })
		var i atomic.Int64
		b.SetParallelism(32) // × GOMAXPROCS callers
		b.ResetTimer()
		cpu0 := storagebench.ProcessCPU()
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
		name := storagebench.StoreBatchSentiment
		if withEnt {
			name = storagebench.StoreBatchBoth
		}
		b.Run(name, func(b *testing.B) {
			db := openTest(b)
			g := storagebench.NewGen(2)
			batch := make([]storage.Result, 512)
			var analyses int64
			for i := range batch {
				batch[i] = g(withEnt)
				analyses += int64(len(batch[i].Analyses))
			}
			b.ResetTimer()
			cpu0 := storagebench.ProcessCPU()
			for done := 0; done < b.N; {
				n := min(len(batch), b.N-done)
				if _, err := db.StoreBatch(ctx, batch[:n]); err != nil {
					b.Fatal(err)
				}
				done += n
			}
			reportRate(b, cpu0, int64(b.N), int64(float64(b.N)*float64(analyses)/float64(len(batch))))
		})
	}
	b.Run(storagebench.StoreTxPerRow, func(b *testing.B) {
		db := openTest(b, func(c *storage.Config) { c.GroupCommitSize = 1 })
		b.ResetTimer()
		cpu0 := storagebench.ProcessCPU()
		for i := range b.N {
			if _, err := db.Store(ctx, pre[i%len(pre)]); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, cpu0, int64(b.N), int64(b.N))
	})
}

// benchDB returns a database with *benchDocs documents, built once per size
// and schema version and kept in the temp directory for later runs.
func benchDB(b *testing.B) *storage.DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("nlpscope-storage-bench-%d-v%d.db", *benchDocs, storage.SchemaVersion()))
	db, built, err := storagebench.BuildDB(context.Background(), path, *benchDocs)
	if err != nil {
		b.Fatal(err)
	}
	if built > 0 {
		b.Logf("built %d documents in %v", *benchDocs, built.Round(time.Millisecond))
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkSearch reports search latency percentiles on a database of
// -storage.docs documents: one op is one page of 50 hits.
func BenchmarkSearch(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for _, c := range storagebench.SearchCases() {
		b.Run(c.Name, func(b *testing.B) {
			q, err := c.Prepare(ctx, db)
			if err != nil {
				b.Fatal(err)
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
				if len(p.Hits) == 0 && !c.MayBeEmpty {
					b.Fatalf("%s: no hits", c.Name)
				}
			}
			b.ReportMetric(storagebench.Percentile(lat, 0.50), "p50-ms")
			b.ReportMetric(storagebench.Percentile(lat, 0.99), "p99-ms")
		})
	}
}

// BenchmarkExport streams the whole benchmark database; one op is one
// export per format.
func BenchmarkExport(b *testing.B) {
	db := benchDB(b)
	var rows int64
	for range b.N {
		rs, err := storagebench.Export(context.Background(), db)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			rows += r.Rows
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
