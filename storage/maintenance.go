package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// Stats describes the database: row counts, schema version and sizes.
type Stats struct {
	Path          string `json:"path"`
	SchemaVersion int    `json:"schema_version"`
	Documents     int64  `json:"documents"`
	Analyses      int64  `json:"analyses"`
	Entities      int64  `json:"entities"`
	Imports       int64  `json:"imports"`
	Runs          int64  `json:"runs"`
	PageSize      int64  `json:"page_size_bytes"`
	Pages         int64  `json:"pages"`
	FreePages     int64  `json:"free_pages"`
	FileBytes     int64  `json:"file_bytes"` // the database file
	WALBytes      int64  `json:"wal_bytes"`  // the -wal file
	SHMBytes      int64  `json:"shm_bytes"`  // the -shm file
	CacheHits     uint64 `json:"cache_hits"`
	CacheMisses   uint64 `json:"cache_misses"`
}

// Stats counts rows per table and measures the files.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Path: db.path}
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	defer tx.Rollback()
	for _, c := range []struct {
		q   string
		dst *int64
	}{
		{"SELECT count(*) FROM documents", &s.Documents},
		{"SELECT count(*) FROM analyses", &s.Analyses},
		{"SELECT count(*) FROM entities", &s.Entities},
		{"SELECT count(*) FROM imports", &s.Imports},
		{"SELECT count(*) FROM runs", &s.Runs},
		{"PRAGMA page_size", &s.PageSize},
		{"PRAGMA page_count", &s.Pages},
		{"PRAGMA freelist_count", &s.FreePages},
	} {
		if err := tx.QueryRowContext(ctx, c.q).Scan(c.dst); err != nil {
			return s, fmt.Errorf("stats: %s: %w", c.q, err)
		}
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&s.SchemaVersion); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	s.FileBytes = fileSize(db.path)
	s.WALBytes = fileSize(db.path + "-wal")
	s.SHMBytes = fileSize(db.path + "-shm")
	s.CacheHits, s.CacheMisses = db.CacheStats()
	return s, nil
}

// IndexSizes are the sizes of the two full-text indexes.
type IndexSizes struct {
	WordBytes    int64 `json:"word_index_bytes"`    // documents_fts: every document
	TrigramBytes int64 `json:"trigram_index_bytes"` // documents_tri
	TrigramDocs  int64 `json:"trigram_documents"`   // documents with emoji or CJK text, which documents_tri holds
}

// IndexSizes measures the full-text indexes: the bytes of their segments
// (not counting SQLite's page overhead). It reads every segment: a
// maintenance and benchmark call, not one for every request.
func (db *DB) IndexSizes(ctx context.Context) (IndexSizes, error) {
	var s IndexSizes
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s, fmt.Errorf("index sizes: %w", err)
	}
	defer tx.Rollback()
	for _, c := range []struct {
		q   string
		dst *int64
	}{
		{"SELECT coalesce(sum(length(block)), 0) FROM documents_fts_data", &s.WordBytes},
		{"SELECT coalesce(sum(length(block)), 0) FROM documents_tri_data", &s.TrigramBytes},
		{"SELECT count(*) FROM documents_tri_docsize", &s.TrigramDocs},
	} {
		if err := tx.QueryRowContext(ctx, c.q).Scan(c.dst); err != nil {
			return s, fmt.Errorf("index sizes: %w", err)
		}
	}
	return s, nil
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// FKViolation is one row of PRAGMA foreign_key_check.
type FKViolation struct {
	Table  string `json:"table"`
	RowID  int64  `json:"rowid"`
	Parent string `json:"parent"`
}

// CheckReport is the outcome of Check.
type CheckReport struct {
	OK          bool          `json:"ok"`
	Integrity   []string      `json:"integrity"` // ["ok"] when sound
	ForeignKeys []FKViolation `json:"foreign_keys,omitempty"`
	FullText    string        `json:"full_text"` // "ok" or the FTS5 integrity-check error
}

// Check runs PRAGMA integrity_check, PRAGMA foreign_key_check and the FTS5
// index integrity check. A damaged database is reported in the CheckReport
// (OK false), not as an error.
func (db *DB) Check(ctx context.Context) (CheckReport, error) {
	var rep CheckReport
	// A fresh connection: pooled readers cache FTS5 index structure, and
	// PRAGMA integrity_check's full-text part can read that stale cache
	// after other connections have merged segments, reporting corruption
	// that is not there.
	p := url.Values{}
	p.Set("mode", "ro")
	p.Set("_busy_timeout", fmt.Sprint(db.cfg.BusyTimeout.Milliseconds()))
	cdb, err := sql.Open("sqlite3", dsn(db.path, p))
	if err != nil {
		return rep, fmt.Errorf("check: %w", err)
	}
	defer cdb.Close()
	cdb.SetMaxOpenConns(1)
	rows, err := cdb.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return rep, fmt.Errorf("check: %w", mapErr(err))
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return rep, fmt.Errorf("check: %w", err)
		}
		rep.Integrity = append(rep.Integrity, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("check: %w", err)
	}
	rows, err = cdb.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return rep, fmt.Errorf("check: %w", err)
	}
	for rows.Next() {
		var v FKViolation
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&v.Table, &rowid, &v.Parent, &fkid); err != nil {
			rows.Close()
			return rep, fmt.Errorf("check: %w", err)
		}
		v.RowID = rowid.Int64
		rep.ForeignKeys = append(rep.ForeignKeys, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("check: %w", err)
	}
	// The FTS5 check is spelled as an INSERT, so it goes through the writer
	// (it reads only).
	rep.FullText = "ok"
	err = db.writeRaw(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
		if err != nil {
			return err
		}
		// The trigram index holds only some documents (migrations/*_trigram.sql):
		// rank 0 checks it without comparing it to every document.
		_, err = c.ExecContext(ctx, "INSERT INTO documents_tri(documents_tri, rank) VALUES ('integrity-check', 0)")
		return err
	})
	if err != nil {
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return rep, fmt.Errorf("check: %w", err)
		}
		rep.FullText = err.Error()
	}
	rep.OK = len(rep.Integrity) == 1 && rep.Integrity[0] == "ok" && len(rep.ForeignKeys) == 0 && rep.FullText == "ok"
	return rep, nil
}

// VacuumResult reports file sizes around a Vacuum.
type VacuumResult struct {
	BeforeBytes int64 `json:"before_bytes"` // database + WAL
	AfterBytes  int64 `json:"after_bytes"`
}

// Vacuum rebuilds the database file to reclaim free pages, optimizes the
// full-text index and truncates the WAL. Writes wait while it runs.
func (db *DB) Vacuum(ctx context.Context) (VacuumResult, error) {
	var res VacuumResult
	res.BeforeBytes = fileSize(db.path) + fileSize(db.path+"-wal")
	err := db.writeRaw(ctx, func(ctx context.Context, c *sql.Conn) error {
		for _, q := range []string{
			"INSERT INTO documents_fts(documents_fts) VALUES ('optimize')",
			"INSERT INTO documents_tri(documents_tri) VALUES ('optimize')",
			"VACUUM",
			"PRAGMA wal_checkpoint(TRUNCATE)",
		} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("vacuum: %w", err)
	}
	res.AfterBytes = fileSize(db.path) + fileSize(db.path+"-wal")
	return res, nil
}
