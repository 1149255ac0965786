package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

// clock is an injectable, deterministic time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Millisecond); return c.t }

func openTest(t testing.TB, mod ...func(*storage.Config)) *storage.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "test.db"), mod...)
}

func openAt(t testing.TB, path string, mod ...func(*storage.Config)) *storage.DB {
	t.Helper()
	cfg := storage.Config{Path: path}
	for _, m := range mod {
		m(&cfg)
	}
	db, err := storage.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func sentimentResult(text, label string) storage.Result {
	return storage.Result{
		Text: text,
		Analyses: []storage.Analysis{{
			Task: storage.TaskSentiment, ModelID: "sst2@abc", ModelHash: "abc", Options: "",
			Label: label, Score: 0.9,
			Scores:  []storage.LabelScore{{Label: label, Score: 0.9}, {Label: "OTHER", Score: 0.1}},
			Timings: storage.Timings{QueueWait: time.Millisecond, Inference: 3 * time.Millisecond},
		}},
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

var _ = fmt.Sprint
