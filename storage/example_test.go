package storage_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nlpscope/nlpscope/storage"
)

// Open creates (or upgrades) the database; Store writes a document with its
// analyses through the group-commit writer, and Search finds it by a word.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "nlpscope-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{Path: filepath.Join(dir, "nlpscope.db")}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	id, err := db.Store(ctx, storage.Result{
		Text: "Angela Merkel visited Paris.",
		Analyses: []storage.Analysis{
			{Task: storage.TaskSentiment, ModelID: "sentiment@0123456789ab", ModelHash: "0123456789ab", Label: "neutral", Score: 0.8},
			{Task: storage.TaskEntities, ModelID: "ner@ba9876543210", ModelHash: "ba9876543210", Entities: []storage.Entity{
				{Label: "PER", Text: "Angela Merkel", Start: 0, End: 13, Score: 0.99},
				{Label: "LOC", Text: "Paris", Start: 22, End: 27, Score: 0.98},
			}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	page, err := db.Search(ctx, storage.Query{Text: "paris", EntityLabel: "PER", Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored as", id, "- hits:", len(page.Hits), "first:", page.Hits[0].ID == id)
	// Output: stored as 1 - hits: 1 first: true
}
