package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/storage"
)

func runDB(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLI(t, "", append([]string{"db"}, args...)...)
}

func TestCmdDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := storage.Open(context.Background(), storage.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one good text", "another bad text"} {
		if _, err := db.Store(context.Background(), storage.Result{Text: text, Analyses: []storage.Analysis{{Task: "sentiment", ModelID: "m", ModelHash: "h", Label: "POSITIVE", Score: 0.9}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runDB(t, "stats", "--db", path, "--json")
	if code != cli.ExitOK {
		t.Fatalf("db stats: %d %s", code, errOut)
	}
	var s storage.Stats
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Documents != 2 || s.Analyses != 2 || s.SchemaVersion < 1 {
		t.Fatalf("db stats --json = %s (%v)", out, err)
	}
	code, out, _ = runDB(t, "stats", "--db", path)
	if code != cli.ExitOK || !hasRow(out, "documents", "2") || !hasRow(out, "analyses", "2") || !strings.Contains(out, "WAL file") {
		t.Fatalf("db stats table: %d %q", code, out)
	}
	code, out, _ = runDB(t, "check", "--db", path)
	if code != cli.ExitOK || !hasRow(out, "integrity_check", "ok") || !hasRow(out, "result", "ok") {
		t.Fatalf("db check: %d %q", code, out)
	}
	code, out, _ = runDB(t, "vacuum", "--db", path, "--json")
	var v storage.VacuumResult
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &v) != nil || v.AfterBytes == 0 {
		t.Fatalf("db vacuum: %d %q", code, out)
	}

	// Errors: missing file (never created), not a database, usage.
	missing := filepath.Join(t.TempDir(), "nope.db")
	if code, _, e := runDB(t, "stats", "--db", missing); code != cli.ExitFailure || !strings.Contains(e, "no database") {
		t.Fatalf("missing db: %d %q", code, e)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("db stats created a database")
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("junk"), 2000), 0o644)
	if code, _, e := runDB(t, "check", "--db", junk); code != cli.ExitFailure || !strings.Contains(e, "not an SQLite database") {
		t.Fatalf("junk db: %d %q", code, e)
	}
	if code, _, _ := runDB(t); code != cli.ExitUsage {
		t.Fatalf("no sub-command: %d", code)
	}
	if code, _, _ := runDB(t, "frobnicate"); code != cli.ExitUsage {
		t.Fatalf("unknown sub-command: %d", code)
	}
	if code, _, _ := runDB(t, "stats", "--db", path, "extra"); code != cli.ExitUsage {
		t.Fatalf("extra argument: %d", code)
	}
}

// hasRow reports whether a table printed by a command has a line of exactly
// these fields.
func hasRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}

func TestDefaultDBPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg/data")
	if p, err := storage.DefaultPath(); err != nil || p != "/xdg/data/nlpscope/nlpscope.db" {
		t.Fatalf("DefaultPath with XDG_DATA_HOME = %q, %v", p, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if p, err := storage.DefaultPath(); err != nil || p != "/home/someone/.local/share/nlpscope/nlpscope.db" {
		t.Fatalf("DefaultPath = %q, %v", p, err)
	}
}
