package app_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/storage"
)

// BenchmarkExportStored streams 10,000 stored documents (two entities and a
// sentiment each) in every export format; the docs/s of the training
// formats compare with jsonl's in the same run. One op is one whole export.
func BenchmarkExportStored(b *testing.B) {
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{Path: filepath.Join(b.TempDir(), "x.db")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 10_000
	batch := make([]storage.Result, 0, 500)
	for i := range n {
		text := fmt.Sprintf("Alice met Bob in Paris 😍 on day %d, and 東京 was great", i)
		batch = append(batch, storage.Result{Text: text, Analyses: []storage.Analysis{
			{Task: storage.TaskSentiment, ModelID: "s@1", ModelHash: "1", Label: "POSITIVE", Score: 0.9},
			{Task: storage.TaskEntities, ModelID: "n@1", ModelHash: "1", Entities: []storage.Entity{
				{Label: "PER", Text: "Alice", Start: 0, End: 5, Score: 0.9}, {Label: "LOC", Text: "Paris", Start: 17, End: 22, Score: 0.8}}}}})
		if len(batch) == cap(batch) {
			if _, err := db.StoreBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, f := range app.ExportFormats() {
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				if m, err := app.ExportStored(ctx, db, io.Discard, f, app.SearchQuery{}, app.ExportOptions{}); err != nil || m != n {
					b.Fatalf("%s: %d documents, %v", f, m, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
