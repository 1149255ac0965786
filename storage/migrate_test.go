package storage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

// schemaVersion is the newest schema version: one per migration file, as
// Open applies them.
func schemaVersion(t testing.TB) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v %v", files, err)
	}
	return len(files)
}

func TestMigrationsFreshAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "m.db") // directories are created
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustStats(t, db).SchemaVersion; got != schemaVersion(t) || got < 1 {
		t.Fatalf("schema version %d, want %d", got, schemaVersion(t))
	}
	id, err := db.Store(ctx, sentimentResult("kept across reopen", "POSITIVE"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != schemaVersion(t) {
		t.Fatalf("schema_migrations rows = %d (%v), want %d", n, err, schemaVersion(t))
	}
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q (%v), want wal", mode, err)
	}
	raw.Close()

	db2 := openAt(t, path) // reopening applies nothing and keeps data
	d, err := db2.Get(ctx, id)
	if err != nil || d.Text != "kept across reopen" {
		t.Fatalf("Get after reopen: %+v, %v", d, err)
	}
}

func TestOpenRefusesNewerSchemaWithoutTouchingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw := rawDB(t, path)
	if _, err := raw.Exec("PRAGMA journal_mode = DELETE; PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before, _ := os.ReadFile(path)

	_, err = storage.Open(ctx, storage.Config{Path: path}, nil)
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Open newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("Open changed a database with a newer schema")
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("Open created a WAL for a database it refused")
	}
}

func TestOpenRefusesNonSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	content := bytes.Repeat([]byte("this is not a database\n"), 300)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := storage.Open(context.Background(), storage.Config{Path: path}, slog.New(slog.DiscardHandler))
	if !errors.Is(err, storage.ErrNotDatabase) {
		t.Fatalf("err = %v, want ErrNotDatabase", err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, content) {
		t.Fatal("Open modified a file that is not SQLite")
	}
}

func TestOpenUnwritablePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(file, "db.sqlite"), // parent is a file (fails even as root)
		filepath.Join(file, "deeper", "db.sqlite"),
		dir, // a directory
	} {
		_, err := storage.Open(context.Background(), storage.Config{Path: p}, nil)
		if !errors.Is(err, storage.ErrCannotOpen) {
			t.Errorf("Open(%q): err = %v, want ErrCannotOpen", p, err)
		}
	}
	if _, err := storage.Open(context.Background(), storage.Config{}, nil); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Open with empty path: %v, want ErrInvalid", err)
	}
}

// A database made by the first schema (full-text entries written by a row
// trigger) upgrades in place: old documents stay searchable, new ones are
// indexed by the writer, and the full-text index stays consistent.
func TestMigrateFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	for _, q := range []string{
		"PRAGMA journal_mode = WAL",
		string(init),
		"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
		"INSERT INTO schema_migrations VALUES (1, '0001_init', 0)",
		"INSERT INTO imports(source, status, started_at) VALUES ('/old.txt', 'running', 1)",
		"INSERT INTO documents(import_id, text, sha256, created_at) VALUES (1, 'an old gammaword document', '" + storage.TextHash("an old gammaword document") + "', 1)",
		"INSERT INTO documents(text, sha256, created_at) VALUES ('old 😍 東京タワー', '" + storage.TextHash("old 😍 東京タワー") + "', 1)",
		"INSERT INTO analyses(document_id, task, model_id, model_hash, text_sha256, cache_key, label, created_at) " +
			"SELECT id, 'sentiment', 'sst2@abc', 'abc', sha256, 42, 'OLD', 1 FROM documents",
		"PRAGMA user_version = 1",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	raw.Close()

	ctx := context.Background()
	db := openAt(t, path)
	if got := mustStats(t, db).SchemaVersion; got != schemaVersion(t) {
		t.Fatalf("schema version %d after upgrade, want %d", got, schemaVersion(t))
	}
	// The imports table is rebuilt (*_durable_imports.sql) without losing its documents; an
	// import the old version left running is interrupted.
	if im, err := db.GetImport(ctx, 1); err != nil || im.Status != storage.ImportInterrupted || im.Stored != 1 || im.Source != "/old.txt" {
		t.Fatalf("old import after upgrade: %+v, %v", im, err)
	}
	// The upgrade keeps old analyses reachable by the second-level cache.
	if a, ok, err := db.Lookup(ctx, "abc", storage.TaskSentiment, "", storage.TextHash("an old gammaword document")); err != nil || !ok || a.Label != "OLD" {
		t.Fatalf("cache lookup of an analysis stored before the upgrade: %+v, %v, %v", a, ok, err)
	}
	// The trigram index (migrations/*_trigram.sql) holds the old emoji and CJK text.
	for _, q := range []string{"😍", "東京タワー", "京タ"} {
		p, err := db.Search(ctx, storage.Query{Text: q, WithTotal: true})
		if err != nil || p.Total != 1 || p.Hits[0].Text != "old 😍 東京タワー" {
			t.Fatalf("search %q after upgrade: %+v, %v", q, p, err)
		}
	}
	newID, err := db.Store(ctx, sentimentResult("a new gammaword document", "POSITIVE"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Search(ctx, storage.Query{Text: "gammaword", WithTotal: true})
	if err != nil || p.Total != 2 || len(p.Hits) != 2 || p.Hits[0].ID != newID {
		t.Fatalf("search after upgrade: %+v, %v", p, err)
	}
	if err := db.DeleteDocument(ctx, newID); err != nil {
		t.Fatal(err)
	}
	p, err = db.Search(ctx, storage.Query{Text: "gammaword new", WithTotal: true})
	if err != nil || p.Total != 0 {
		t.Fatalf("deleted document found: %+v, %v", p, err)
	}
	mustCheck(t, db)
}
