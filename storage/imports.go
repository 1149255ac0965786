package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Import statuses. ImportInterrupted is what Open makes of an import that
// a process left running (it crashed or was killed).
const (
	ImportRunning     = "running"
	ImportDone        = "done"
	ImportFailed      = "failed"
	ImportCancelled   = "cancelled"
	ImportInterrupted = "interrupted"
)

// Import is one batch of documents (a file or folder analysed in one go),
// kept as a durable record: it is listed after a restart and can be resumed.
type Import struct {
	ID     ImportID `json:"id"`
	Source string   `json:"source"`
	Status string   `json:"status"`
	Total  int64    `json:"total"`  // texts the import saw
	Stored int64    `json:"stored"` // documents stored for it (live count)
	// Duplicates are its rows that matched a stored document (live
	// count): Stored + Duplicates rows are committed. Deletes is how many
	// documents DeleteImport would delete: those seen in no other import
	// or pasted text.
	Duplicates int64     `json:"duplicates"`
	Deletes    int64     `json:"deletes"`
	Failed     int64     `json:"failed"`    // texts that failed
	BadDates   int64     `json:"bad_dates"` // rows whose date could not be read
	Started    time.Time `json:"started"`
	Updated    time.Time `json:"updated"` // last progress or state change
	Finished   time.Time `json:"finished,omitzero"`
	// Files, Options and Errors are JSON written by the caller (storage
	// does not read them); Dir is a folder the import owns ("" = none).
	Files   string `json:"files"`
	Options string `json:"options"`
	Errors  string `json:"errors"`
	Dir     string `json:"dir,omitempty"`
}

// NewImport describes an import to record with CreateImport.
type NewImport struct {
	Source  string
	Files   string // JSON; "" = []
	Options string // JSON; "" = {}
	Dir     string // folder the import owns
}

// BeginImport records a new running import of source and returns its id,
// to be set as Result.ImportID of its documents.
func (db *DB) BeginImport(ctx context.Context, source string) (ImportID, error) {
	return db.CreateImport(ctx, NewImport{Source: source})
}

// CreateImport records a new running import and returns its id, to be set
// as Result.ImportID of its documents.
func (db *DB) CreateImport(ctx context.Context, n NewImport) (ImportID, error) {
	if n.Files == "" {
		n.Files = "[]"
	}
	if n.Options == "" {
		n.Options = "{}"
	}
	var id ImportID
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		now := nanos(db.cfg.Now())
		res, err := tx.ExecContext(ctx, `INSERT INTO imports(source, status, started_at, updated_at, files, options, dir)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, n.Source, ImportRunning, now, now, n.Files, n.Options, n.Dir)
		if err != nil {
			return err
		}
		v, _ := res.LastInsertId()
		id = ImportID(v)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("begin import: %w", err)
	}
	return id, nil
}

// UpdateImport records the progress of a running import: the texts seen
// (total), failed and with an unreadable date so far, and the time of the
// update.
func (db *DB) UpdateImport(ctx context.Context, id ImportID, total, failed, badDates int64) error {
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		_, err := tx.ExecContext(ctx, "UPDATE imports SET total = ?, failed = ?, bad_dates = ?, updated_at = ? WHERE id = ? AND status = ?",
			total, failed, badDates, nanos(db.cfg.Now()), id, ImportRunning)
		return err
	})
	if err != nil {
		return fmt.Errorf("update import: %w", err)
	}
	return nil
}

// FinishImport sets an import's final status (ImportDone, ImportFailed,
// ImportCancelled, or ImportInterrupted when its process stops it) and counts; the stored count is taken from its documents.
// errors is JSON ("" = unchanged).
func (db *DB) FinishImport(ctx context.Context, id ImportID, status string, total, failed int64, errs ...string) error {
	switch status {
	case ImportDone, ImportFailed, ImportCancelled, ImportInterrupted:
	default:
		return fmt.Errorf("finish import: %w: status %q", ErrInvalid, status)
	}
	errJSON := ""
	if len(errs) > 0 {
		errJSON = errs[0]
	}
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		now := nanos(db.cfg.Now())
		res, err := tx.ExecContext(ctx, `UPDATE imports SET status = ?, total = ?, failed = ?, finished_at = ?, updated_at = ?,
			stored = (SELECT count(*) FROM documents WHERE import_id = ?),
			errors = CASE WHEN ? = '' THEN errors ELSE ? END WHERE id = ?`,
			status, total, failed, now, now, id, errJSON, errJSON, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("import %d: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	return nil
}

// ErrNotResumable is returned by ResumeImport for an import that is running,
// done or failed.
var ErrNotResumable = errors.New("import cannot be resumed")

// ResumeImport sets an interrupted or cancelled import running again and
// returns it. ErrNotFound if absent, ErrNotResumable in any other state.
func (db *DB) ResumeImport(ctx context.Context, id ImportID) (Import, error) {
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, "UPDATE imports SET status = ?, finished_at = NULL, updated_at = ? WHERE id = ? AND status IN (?, ?)",
			ImportRunning, nanos(db.cfg.Now()), id, ImportInterrupted, ImportCancelled)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var status string
		if err := tx.QueryRowContext(ctx, "SELECT status FROM imports WHERE id = ?", id).Scan(&status); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("import %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		return fmt.Errorf("import %d is %s: %w", id, status, ErrNotResumable)
	})
	if err != nil {
		return Import{}, fmt.Errorf("resume import: %w", err)
	}
	return db.GetImport(ctx, id)
}

// interruptImports marks every running import interrupted: at Open no
// import of this process runs yet, so a running one was left by a process
// that ended without finishing it. It returns how many there were.
func (db *DB) interruptImports(ctx context.Context) (int64, error) {
	res, err := db.wc.ExecContext(ctx, "UPDATE imports SET status = ?, updated_at = ?, stored = (SELECT count(*) FROM documents WHERE import_id = imports.id) WHERE status = ?",
		ImportInterrupted, nanos(db.cfg.Now()), ImportRunning)
	if err != nil {
		return 0, fmt.Errorf("mark interrupted imports: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// StoredLines returns, per source, the lines of the documents an import has
// stored and of its rows that were duplicates of stored documents: what a
// resumed import skips. Every committed row is in it; nothing else is.
func (db *DB) StoredLines(ctx context.Context, id ImportID) (map[string]map[int]bool, error) {
	rows, err := db.rdb.QueryContext(ctx, `SELECT source, line FROM documents WHERE import_id = ?1
		UNION ALL SELECT source, line FROM import_rows WHERE import_id = ?1`, id)
	if err != nil {
		return nil, fmt.Errorf("stored lines: %w", err)
	}
	defer rows.Close()
	out := map[string]map[int]bool{}
	for rows.Next() {
		var src string
		var line int
		if err := rows.Scan(&src, &line); err != nil {
			return nil, fmt.Errorf("stored lines: %w", err)
		}
		if out[src] == nil {
			out[src] = map[int]bool{}
		}
		out[src][line] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stored lines: %w", err)
	}
	return out, nil
}

// deletesOf counts the documents that deleting import %[1]s deletes: its
// own whose every sighting is in it (migrations/*_duplicates.sql). Both
// parts read the index on (import_id, seen) only; import_rows is probed
// for the documents seen more than once.
const deletesOf = `SELECT (SELECT count(*) FROM documents WHERE import_id = %[1]s AND seen = 1) +
	(SELECT count(*) FROM documents d WHERE d.import_id = %[1]s AND d.seen > 1
		AND d.seen = 1 + (SELECT count(*) FROM import_rows r WHERE r.document_id = d.id AND r.import_id = d.import_id))`

var importCols = `id, source, status, total, (SELECT count(*) FROM documents d WHERE d.import_id = imports.id),
	(SELECT count(*) FROM import_rows r WHERE r.import_id = imports.id), (` + fmt.Sprintf(deletesOf, "imports.id") + `),
	failed, bad_dates, started_at, updated_at, finished_at, files, options, errors, dir`

func scanImport(s scanner) (Import, error) {
	var im Import
	var started, updated int64
	var finished sql.NullInt64
	if err := s.Scan(&im.ID, &im.Source, &im.Status, &im.Total, &im.Stored, &im.Duplicates, &im.Deletes, &im.Failed, &im.BadDates, &started, &updated, &finished,
		&im.Files, &im.Options, &im.Errors, &im.Dir); err != nil {
		return im, err
	}
	im.Started = fromNanos(started)
	im.Updated = fromNanos(updated)
	if finished.Valid {
		im.Finished = fromNanos(finished.Int64)
	}
	return im, nil
}

// GetImport returns one import or ErrNotFound.
func (db *DB) GetImport(ctx context.Context, id ImportID) (Import, error) {
	im, err := scanImport(db.rdb.QueryRowContext(ctx, "SELECT "+importCols+" FROM imports WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Import{}, fmt.Errorf("import %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Import{}, fmt.Errorf("get import %d: %w", id, err)
	}
	return im, nil
}

// ListImports returns imports newest first.
func (db *DB) ListImports(ctx context.Context) ([]Import, error) {
	rows, err := db.rdb.QueryContext(ctx, "SELECT "+importCols+" FROM imports ORDER BY id DESC")
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var out []Import
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("list imports: %w", err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// DeleteImport deletes an import with its documents, their analyses,
// entities and full-text entries, in one transaction, and returns how many
// documents it deleted (Import.Deletes). A document also seen elsewhere (a
// duplicate row of another import, or pasted text) stays: its seen count
// drops by its sightings in this import and, if it was this import's, it
// passes to the first other import that saw it (or to none). ErrNotFound
// if absent.
func (db *DB) DeleteImport(ctx context.Context, id ImportID) (int64, error) {
	var n int64
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		if err := tx.QueryRowContext(ctx, fmt.Sprintf(deletesOf, "?1"), id).Scan(&n); err != nil {
			return err
		}
		// Sightings in this import's duplicate rows no longer count.
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET seen = seen -
			(SELECT count(*) FROM import_rows r WHERE r.document_id = documents.id AND r.import_id = ?1)
			WHERE id IN (SELECT document_id FROM import_rows WHERE import_id = ?1)`, id); err != nil {
			return err
		}
		// Its own documents seen elsewhere too pass to the first other
		// import row (which leaves import_rows) or to no import.
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS handover(
			document_id INTEGER PRIMARY KEY, row_id INTEGER, import_id INTEGER, source TEXT, line INTEGER)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM temp.handover`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO temp.handover(document_id, row_id, import_id, source, line)
			SELECT d.id, r.id, r.import_id, r.source, r.line FROM documents d
			LEFT JOIN import_rows r ON r.id = (SELECT r2.id FROM import_rows r2
				WHERE r2.document_id = d.id AND r2.import_id != ?1 ORDER BY r2.id LIMIT 1)
			WHERE d.import_id = ?1 AND d.seen > 1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET seen = seen - 1,
			import_id = h.import_id, source = coalesce(h.source, documents.source), line = coalesce(h.line, documents.line)
			FROM temp.handover h WHERE h.document_id = documents.id`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_rows WHERE id IN
			(SELECT row_id FROM temp.handover WHERE row_id IS NOT NULL)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM temp.handover`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM imports WHERE id = ?", id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("import %d: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete import: %w", err)
	}
	return n, nil
}

// DeleteDocument deletes one document with its analyses and entities.
func (db *DB) DeleteDocument(ctx context.Context, id DocID) error {
	return db.deleteRow(ctx, "documents", "document", int64(id))
}

// deleteRow deletes the row of table with the given id through the writer;
// the schema's ON DELETE CASCADE (and the FTS delete trigger) remove what
// belongs to it in the same transaction. ErrNotFound if there is no such row.
// table is a constant from this package, never user input.
func (db *DB) deleteRow(ctx context.Context, table, what string, id int64) error {
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return nil
}
