// Package storage keeps nlpscope's history in SQLite: documents, their
// sentiment and entity analyses, imports, and load-test runs, with full-text
// search, CSV/JSONL export and maintenance.
//
// One writer goroutine owns the only read-write connection and commits in
// groups; readers use a separate pool of read-only connections. A call that
// stores something returns only after its transaction has committed, so an
// acknowledged result survives a crash of the process.
//
// It is built on github.com/mattn/go-sqlite3 and needs the sqlite_fts5 build
// tag (the Makefile sets GOFLAGS=-tags=sqlite_fts5).
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Errors callers branch on with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrClosed       = errors.New("storage closed")
	ErrSchemaTooNew = errors.New("database schema is newer than this nlpscope supports")
	ErrNotDatabase  = errors.New("file is not an SQLite database")
	ErrCannotOpen   = errors.New("cannot open or create the database file")
	ErrDiskFull     = errors.New("database or disk is full")
	ErrNoFTS5       = errors.New("SQLite was built without FTS5 (build with -tags sqlite_fts5)")
	ErrInvalid      = errors.New("invalid input")
	ErrBadCursor    = errors.New("invalid paging cursor")
)

// Config configures Open. The zero value of every field except Path is a
// sensible default.
type Config struct {
	// Path of the database file. Its directory is created when missing.
	Path string
	// Now gives the time stamps written to rows (default time.Now).
	Now func() time.Time
	// GroupCommitSize bounds how many results (documents) one transaction
	// holds (default 512). 1 means one transaction per write.
	GroupCommitSize int
	// GroupCommitDelay is how long the writer waits for more writes after
	// the first one of a group before it commits. 0 (default) commits as soon
	// as no further write is queued: writers that arrive while a commit is in
	// progress still share the next one, and a lone write adds no latency.
	GroupCommitDelay time.Duration
	// BusyTimeout is how long a connection waits on a lock (default 5s).
	BusyTimeout time.Duration
	// ReadConns is the size of the reader pool (default 4).
	ReadConns int
	// MaxPageCount caps the database size in pages (PRAGMA max_page_count);
	// 0 means no cap. Used to simulate a full disk.
	MaxPageCount int64
	// TextIndexBatch is how many new documents the cache's text index keeps
	// in memory before the writer merges them into SQLite (default 65536,
	// a few MiB; see textindex.go).
	TextIndexBatch int
}

func (c *Config) setDefaults() error {
	if c.Path == "" {
		return fmt.Errorf("%w: Config.Path is empty", ErrInvalid)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.GroupCommitSize <= 0 {
		c.GroupCommitSize = 512
	}
	if c.GroupCommitDelay < 0 {
		c.GroupCommitDelay = 0
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.ReadConns <= 0 {
		c.ReadConns = 4
	}
	if c.TextIndexBatch <= 0 {
		c.TextIndexBatch = 65536
	}
	return nil
}

// DB is an open nlpscope database. It is safe for concurrent use.
type DB struct {
	cfg  Config
	log  *slog.Logger
	path string

	wdb  *sql.DB   // exactly one connection, owned by the writer goroutine
	wc   *sql.Conn // that connection
	rdb  *sql.DB   // read-only pool
	stmt writerStmts
	// groupFirstDoc is the id of the first document inserted by the open
	// write group, 0 when none; groupNewDocs are the group's documents for
	// the text index tail; groupTri are those of them that may belong in
	// the trigram index. Only the writer goroutine touches them.
	groupFirstDoc int64
	groupNewDocs  []tailEntry
	groupTri      []int64
	// groupDocs are the group's documents that later results may
	// duplicate, by text hash (results.go).
	groupDocs map[string][]groupDoc
	tail      textTail

	mu      sync.RWMutex // guards closed and sends on writes
	closed  bool
	writes  chan *writeReq
	done    chan struct{}
	closeMu sync.Mutex

	cacheHits   atomic.Uint64
	cacheMisses atomic.Uint64
}

// DefaultPath is where nlpscope keeps its database: $XDG_DATA_HOME/nlpscope/
// nlpscope.db, or ~/.local/share/nlpscope/nlpscope.db.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "nlpscope", "nlpscope.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("default database path: %w", err)
	}
	return filepath.Join(home, ".local", "share", "nlpscope", "nlpscope.db"), nil
}

// dsn builds a go-sqlite3 URI for path with the given query parameters.
func dsn(path string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: path}
	// url.URL renders "file:///abs"; SQLite accepts that form for absolute paths.
	return u.String() + "?" + params.Encode()
}

// Open opens (creating when missing) the database at cfg.Path, checks it is
// an nlpscope database no newer than this build, applies pending migrations
// and starts the writer. A file that is not SQLite, or whose schema is newer,
// is refused before anything is written to it.
//
// Connection settings: WAL journal, synchronous=NORMAL, busy timeout,
// foreign keys on. synchronous=NORMAL is safe with WAL: a commit is appended
// to the WAL before it returns, so a crash of the application (even SIGKILL)
// loses nothing acknowledged and never corrupts the file; only a power loss
// or OS crash can lose the last few commits (the WAL is fsynced at
// checkpoints, not at every commit), and even then the database stays
// consistent. FULL would fsync on every commit and cap group commit at the
// disk's flush rate.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*DB, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrCannotOpen, cfg.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrCannotOpen, path, err)
	}
	existed := false
	if st, err := os.Stat(path); err == nil {
		existed = true
		if st.IsDir() {
			return nil, fmt.Errorf("%w: %q is a directory", ErrCannotOpen, path)
		}
		if err := precheck(ctx, path); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q: %v", ErrCannotOpen, path, err)
	}

	db, err := open(ctx, cfg, log, path)
	if err != nil && !existed {
		// Leave no empty or half-migrated file behind.
		for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
			os.Remove(p)
		}
	}
	return db, err
}

func open(ctx context.Context, cfg Config, log *slog.Logger, path string) (*DB, error) {
	db := &DB{cfg: cfg, log: log, path: path}
	if err := db.openWriter(ctx); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.wc, cfg.Now, log); err != nil {
		db.wc.Close()
		db.wdb.Close()
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	if err := db.prepare(ctx); err != nil {
		db.wc.Close()
		db.wdb.Close()
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	if err := db.loadTextTail(ctx); err != nil {
		db.closeWriterConn()
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	if n, err := db.interruptImports(ctx); err != nil {
		db.closeWriterConn()
		return nil, fmt.Errorf("open %q: %w", path, err)
	} else if n > 0 {
		log.Info("imports left running are interrupted", slog.Int64("imports", n))
	}
	rp := url.Values{}
	rp.Set("mode", "ro")
	rp.Set("_busy_timeout", fmt.Sprint(cfg.BusyTimeout.Milliseconds()))
	rp.Set("_query_only", "1")
	var err error
	db.rdb, err = sql.Open("sqlite3", dsn(path, rp))
	if err != nil {
		db.closeWriterConn()
		return nil, fmt.Errorf("%w: %q: %v", ErrCannotOpen, path, err)
	}
	db.rdb.SetMaxOpenConns(cfg.ReadConns)
	db.rdb.SetMaxIdleConns(cfg.ReadConns)
	if err := db.rdb.PingContext(ctx); err != nil {
		db.rdb.Close()
		db.closeWriterConn()
		return nil, fmt.Errorf("%w: %q: readers: %v", ErrCannotOpen, path, err)
	}

	db.writes = make(chan *writeReq, 4*cfg.GroupCommitSize)
	db.done = make(chan struct{})
	go db.writer()
	return db, nil
}

// precheck opens an existing file read-only, without any pragma that writes,
// and refuses it when it is not SQLite or its schema is newer than ours.
func precheck(ctx context.Context, path string) error {
	p := url.Values{}
	p.Set("mode", "ro")
	c, err := sql.Open("sqlite3", dsn(path, p))
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrCannotOpen, path, err)
	}
	defer c.Close()
	var version int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("open %q: %w", path, mapErr(err))
	}
	// user_version alone can be read from a damaged header; touch the schema too.
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return fmt.Errorf("open %q: %w", path, mapErr(err))
	}
	if latest := latestVersion(); version > latest {
		return fmt.Errorf("open %q: %w (file has version %d, this build knows up to %d); use a newer nlpscope",
			path, ErrSchemaTooNew, version, latest)
	}
	return nil
}

func (db *DB) openWriter(ctx context.Context) error {
	p := url.Values{}
	p.Set("mode", "rwc")
	p.Set("_journal_mode", "WAL")
	p.Set("_synchronous", "NORMAL")
	p.Set("_busy_timeout", fmt.Sprint(db.cfg.BusyTimeout.Milliseconds()))
	p.Set("_foreign_keys", "1")
	p.Set("_txlock", "immediate")
	// The writer connection is only ever used by the writer goroutine (and
	// Open/Close before and after it): SQLite need not lock its own mutexes
	// around every call (multi-thread mode, SQLITE_OPEN_NOMUTEX).
	p.Set("_mutex", "no")
	registerDriver()
	var err error
	db.wdb, err = sql.Open(writerDriver, dsn(db.path, p))
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrCannotOpen, db.path, err)
	}
	db.wdb.SetMaxOpenConns(1)
	db.wdb.SetMaxIdleConns(1)
	db.wdb.SetConnMaxLifetime(0)
	db.wc, err = db.wdb.Conn(ctx)
	if err == nil {
		err = db.wc.PingContext(ctx)
	}
	if err != nil {
		if db.wc != nil {
			db.wc.Close()
		}
		db.wdb.Close()
		return fmt.Errorf("%w: %q: %v", ErrCannotOpen, db.path, mapErr(err))
	}
	var mode string
	if err := db.wc.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		db.wc.Close()
		db.wdb.Close()
		if err == nil {
			err = fmt.Errorf("journal_mode is %q, want wal", mode)
		}
		return fmt.Errorf("%w: %q: %v", ErrCannotOpen, db.path, mapErr(err))
	}
	var fts int
	if err := db.wc.QueryRowContext(ctx, "SELECT sqlite_compileoption_used('ENABLE_FTS5')").Scan(&fts); err != nil || fts != 1 {
		db.wc.Close()
		db.wdb.Close()
		return ErrNoFTS5
	}
	pragmas := []string{
		"PRAGMA temp_store = MEMORY",
		"PRAGMA cache_size = -65536", // KiB: 64 MiB of page cache for the writer
		// Checkpoint every 64 MiB of WAL rather than 4 MiB: fewer fsyncs
		// while importing; the file is cut back to 64 MiB afterwards.
		"PRAGMA wal_autocheckpoint = 16384",
		"PRAGMA journal_size_limit = 67108864",
	}
	if db.cfg.MaxPageCount > 0 {
		pragmas = append(pragmas, fmt.Sprintf("PRAGMA max_page_count = %d", db.cfg.MaxPageCount))
	}
	for _, q := range pragmas {
		if _, err := db.wc.ExecContext(ctx, q); err != nil {
			db.wc.Close()
			db.wdb.Close()
			return fmt.Errorf("%w: %q: %s: %v", ErrCannotOpen, db.path, q, mapErr(err))
		}
	}
	return nil
}

func (db *DB) closeWriterConn() error {
	db.stmt.close()
	return errors.Join(db.wc.Close(), db.wdb.Close())
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close stops accepting writes, waits until every queued write has committed
// (or failed) and closes all connections. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeMu.Lock()
	defer db.closeMu.Unlock()
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	close(db.writes)
	db.mu.Unlock()
	<-db.done
	// Fold the WAL back into the database file on a clean shutdown.
	_, ckErr := db.wc.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(mapErr(ckErr), db.rdb.Close(), db.closeWriterConn())
}

// mapErr turns SQLite error codes callers care about into sentinel errors,
// keeping the original message.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull:
			return fmt.Errorf("%w: %v", ErrDiskFull, err)
		case sqlite3.ErrNotADB:
			return fmt.Errorf("%w: %v", ErrNotDatabase, err)
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly:
			return fmt.Errorf("%w: %v", ErrCannotOpen, err)
		}
	}
	return err
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
