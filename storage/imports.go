package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Import statuses.
const (
	ImportRunning   = "running"
	ImportDone      = "done"
	ImportFailed    = "failed"
	ImportCancelled = "cancelled"
)

// Import is one batch of documents (a file or folder analysed in one go).
type Import struct {
	ID       ImportID  `json:"id"`
	Source   string    `json:"source"`
	Status   string    `json:"status"`
	Total    int64     `json:"total"`  // texts the import saw
	Stored   int64     `json:"stored"` // documents stored for it (live count)
	Failed   int64     `json:"failed"` // texts that failed
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

// BeginImport records a new running import of source and returns its id,
// to be set as Result.ImportID of its documents.
func (db *DB) BeginImport(ctx context.Context, source string) (ImportID, error) {
	var id ImportID
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO imports(source, status, started_at) VALUES (?, ?, ?)",
			source, ImportRunning, nanos(db.cfg.Now()))
		if err != nil {
			return err
		}
		n, _ := res.LastInsertId()
		id = ImportID(n)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("begin import: %w", err)
	}
	return id, nil
}

// FinishImport sets an import's final status (ImportDone, ImportFailed or
// ImportCancelled) and counts; the stored count is taken from its documents.
func (db *DB) FinishImport(ctx context.Context, id ImportID, status string, total, failed int64) error {
	switch status {
	case ImportDone, ImportFailed, ImportCancelled:
	default:
		return fmt.Errorf("finish import: %w: status %q", ErrInvalid, status)
	}
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE imports SET status = ?, total = ?, failed = ?, finished_at = ?,
			stored = (SELECT count(*) FROM documents WHERE import_id = ?) WHERE id = ?`,
			status, total, failed, nanos(db.cfg.Now()), id, id)
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

const importCols = `id, source, status, total, (SELECT count(*) FROM documents d WHERE d.import_id = imports.id),
	failed, started_at, finished_at`

func scanImport(s scanner) (Import, error) {
	var im Import
	var started int64
	var finished sql.NullInt64
	if err := s.Scan(&im.ID, &im.Source, &im.Status, &im.Total, &im.Stored, &im.Failed, &started, &finished); err != nil {
		return im, err
	}
	im.Started = fromNanos(started)
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
// entities and full-text entries, in one transaction. ErrNotFound if absent.
func (db *DB) DeleteImport(ctx context.Context, id ImportID) error {
	return db.deleteRow(ctx, "imports", "import", int64(id))
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
