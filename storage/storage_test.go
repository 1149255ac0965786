package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/nlpscope/nlpscope/storage"
)

// clock is an injectable, deterministic time source: every call advances it
// by one millisecond.
type clock struct{ t time.Time }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

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

// rawDB opens path with plain database/sql, bypassing storage.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sentimentResult(text, label string) storage.Result {
	return storage.Result{
		Text:     text,
		Analyses: []storage.Analysis{sentimentAnalysis(label)},
	}
}

func sentimentAnalysis(label string) storage.Analysis {
	return storage.Analysis{
		Task: storage.TaskSentiment, ModelID: "sst2@abc", ModelHash: "abc", Options: "",
		Label: label, Score: 0.9,
		Scores:  []storage.LabelScore{{Label: label, Score: 0.9}, {Label: "OTHER", Score: 0.1}},
		Timings: storage.Timings{QueueWait: time.Millisecond, Tokenize: 2 * time.Microsecond, Inference: 3 * time.Millisecond, Postprocess: 4 * time.Microsecond},
	}
}

func mustCheck(t testing.TB, db *storage.DB) {
	t.Helper()
	rep, err := db.Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !rep.OK {
		t.Fatalf("Check: %+v", rep)
	}
}

func mustStats(t testing.TB, db *storage.DB) storage.Stats {
	t.Helper()
	s, err := db.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

func TestFTS5Available(t *testing.T) {
	// Fails (never skips) when built without -tags sqlite_fts5.
	c := rawDB(t, filepath.Join(t.TempDir(), "fts.db"))
	var used int
	if err := c.QueryRow("SELECT sqlite_compileoption_used('ENABLE_FTS5')").Scan(&used); err != nil || used != 1 {
		t.Fatalf("SQLite without FTS5 (%v): build and test with GOFLAGS=-tags=sqlite_fts5", err)
	}
}

var _ = fmt.Sprint
