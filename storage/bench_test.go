package storage_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
	"github.com/nlpscope/nlpscope/storage/storagebench"
)

// go test -run '^$' -bench . -storage.docs 1000000 ./storage/
// (`nlpscope bench` reports the same measurements; see storage/storagebench.)
var benchDocs = flag.Int("storage.docs", 100000, "documents in the search/export benchmark database")

// BenchmarkStore measures persisted analyses per second, the ways
// `nlpscope bench` does (storagebench.StoreCases); one op is one document.
func BenchmarkStore(b *testing.B) {
	for _, c := range storagebench.StoreCases() {
		b.Run(c.Name, func(b *testing.B) {
			r, err := c.Run(context.Background(), b.TempDir(), b.N)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r.DocsPerS, "docs/s")
			b.ReportMetric(r.AnalysesPerS, "analyses/s")
			b.ReportMetric(r.CPUPerDocUS, "cpu-µs/doc")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchDB returns a database with *benchDocs documents, built once per size
// and schema version and kept in the temp directory for later runs.
func benchDB(b *testing.B) *storage.DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("nlpscope-storage-bench-%d-v%d.db", *benchDocs, schemaVersion(b)))
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

// BenchmarkInsights reports the latency of every Insights panel of a
// selection (one db.Insights call) on a database of -storage.docs documents.
func BenchmarkInsights(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for _, c := range storagebench.InsightsCases() {
		b.Run(c.Name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cpu0 := storagebench.ProcessCPU()
			for range b.N {
				t0 := time.Now()
				if _, err := db.Insights(ctx, c.Query); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.ReportMetric(storagebench.Percentile(lat, 0.50), "p50-ms")
			b.ReportMetric(storagebench.Percentile(lat, 0.95), "p95-ms")
			b.ReportMetric(float64((storagebench.ProcessCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkSearchCorrections reports the latency of the correction filters
// (a first page with its count) on a database of -storage.docs documents of
// which 1,000 are corrected (every 3rd of them with a changed sentiment, so
// it disagrees) and every 2nd correction is marked reviewed.
func BenchmarkSearchCorrections(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	step := max(*benchDocs/1000, 1)
	for i := 0; i < 1000 && i*step < *benchDocs; i++ {
		c := storage.Correction{Reviewed: i%2 == 0, Sentiment: "POSITIVE"}
		if i%3 == 0 {
			c.Sentiment = "CORRECTED"
		}
		if _, err := db.SetCorrection(ctx, storage.DocID(1+i*step), c); err != nil {
			b.Fatal(err)
		}
	}
	yes, no := true, false
	for _, c := range []struct {
		name string
		q    storage.Query
	}{
		{"corrected", storage.Query{Corrected: &yes}},
		{"reviewed", storage.Query{Reviewed: &yes}},
		{"disagrees", storage.Query{Disagrees: &yes}},
		{"not-reviewed", storage.Query{Reviewed: &no}},
		{"disagrees+text", storage.Query{Disagrees: &yes, Text: "service"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.q.WithTotal = true
			lat := make([]time.Duration, 0, b.N)
			for range b.N {
				t0 := time.Now()
				if _, err := db.Search(ctx, c.q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.ReportMetric(storagebench.Percentile(lat, 0.50), "p50-ms")
			b.ReportMetric(storagebench.Percentile(lat, 0.95), "p95-ms")
		})
	}
}

var benchMetaDocs = flag.Int("storage.metadocs", 50000, "documents in the metadata filter benchmark database")

// BenchmarkSearchMeta: a History page filtered by metadata (exact value,
// json_each over documents.meta, no index) against the same page without
// the filter, on -storage.metadocs documents each with {product (one of
// 50), author (one of 1000)}. "common" matches 2 % of the documents,
// "rare" one, "none" nothing (a scan of every document, the worst case).
// One op is one page of 50 hits with its count (as the first page has).
func BenchmarkSearchMeta(b *testing.B) {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{Path: filepath.Join(b.TempDir(), "meta.db")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	batch := make([]storage.Result, 0, 1000)
	for i := range *benchMetaDocs {
		batch = append(batch, storage.Result{Text: fmt.Sprintf("review %d of product %d by a user", i, i%50),
			Meta: map[string]string{"product": fmt.Sprintf("p%d", i%50), "author": fmt.Sprintf("user%d", i%1000), "id": fmt.Sprint(i)}})
		if len(batch) == cap(batch) || i == *benchMetaDocs-1 {
			if _, err := db.StoreBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, c := range []struct {
		name string
		meta map[string]string
	}{
		{"unfiltered", nil},
		{"common", map[string]string{"product": "p7"}},
		{"rare", map[string]string{"id": "17"}},
		{"none", map[string]string{"product": "nope"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for range b.N {
				t0 := time.Now()
				if _, err := db.Search(ctx, storage.Query{Meta: c.meta, WithTotal: true}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.ReportMetric(storagebench.Percentile(lat, 0.50), "p50-ms")
			b.ReportMetric(storagebench.Percentile(lat, 0.99), "p99-ms")
		})
	}
}
