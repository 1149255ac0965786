package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Run is one saved load-test run. The JSON fields are written by the
// profiler's report types (storage keeps them opaque) and must be valid JSON
// when set; empty ones are stored as {} or [].
type Run struct {
	ID         RunID           `json:"id"`
	Name       string          `json:"name"`
	Created    time.Time       `json:"created"` // set by SaveRun
	Config     json.RawMessage `json:"config"`
	Hardware   json.RawMessage `json:"hardware"` // hardware fingerprint
	ModelHash  string          `json:"model_hash"`
	ORTVersion string          `json:"ort_version"`
	GitCommit  string          `json:"git_commit"`
	Summary    json.RawMessage `json:"summary"`
	TimeSeries json.RawMessage `json:"timeseries"` // one point per second
	Histograms json.RawMessage `json:"histograms"` // per stage
	Passed     bool            `json:"passed"`
}

// RunInfo is a run without its time series and histograms, for lists.
type RunInfo struct {
	ID         RunID           `json:"id"`
	Name       string          `json:"name"`
	Created    time.Time       `json:"created"`
	ModelHash  string          `json:"model_hash"`
	ORTVersion string          `json:"ort_version"`
	GitCommit  string          `json:"git_commit"`
	Summary    json.RawMessage `json:"summary"`
	Passed     bool            `json:"passed"`
}

func jsonOr(b json.RawMessage, empty, field string) (string, error) {
	if len(b) == 0 {
		return empty, nil
	}
	if !json.Valid(b) {
		return "", fmt.Errorf("%w: run %s is not valid JSON", ErrInvalid, field)
	}
	return string(b), nil
}

// SaveRun stores a run and returns its id once committed.
func (db *DB) SaveRun(ctx context.Context, r Run) (RunID, error) {
	var vals [5]string
	var err error
	for i, f := range []struct {
		b            json.RawMessage
		empty, field string
	}{{r.Config, "{}", "config"}, {r.Hardware, "{}", "hardware"}, {r.Summary, "{}", "summary"},
		{r.TimeSeries, "[]", "timeseries"}, {r.Histograms, "{}", "histograms"}} {
		if vals[i], err = jsonOr(f.b, f.empty, f.field); err != nil {
			return 0, fmt.Errorf("save run: %w", err)
		}
	}
	var id RunID
	err = db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs(name, created_at, config, hardware, model_hash, ort_version,
			git_commit, summary, timeseries, histograms, passed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Name, nanos(db.cfg.Now()), vals[0], vals[1], r.ModelHash, r.ORTVersion, r.GitCommit,
			vals[2], vals[3], vals[4], r.Passed)
		if err != nil {
			return err
		}
		n, _ := res.LastInsertId()
		id = RunID(n)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save run: %w", err)
	}
	return id, nil
}

// ListRuns returns up to limit runs (default 100) newest first, older than
// before when before > 0 (keyset paging).
func (db *DB) ListRuns(ctx context.Context, limit int, before RunID) ([]RunInfo, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT id, name, created_at, model_hash, ort_version, git_commit, summary, passed FROM runs`
	args := []any{}
	if before > 0 {
		q += " WHERE id < ?"
		args = append(args, before)
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := db.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		var r RunInfo
		var created int64
		var summary string
		if err := rows.Scan(&r.ID, &r.Name, &created, &r.ModelHash, &r.ORTVersion, &r.GitCommit, &summary, &r.Passed); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.Created = fromNanos(created)
		r.Summary = json.RawMessage(summary)
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRun returns a run or ErrNotFound.
func (db *DB) GetRun(ctx context.Context, id RunID) (Run, error) {
	var r Run
	var created int64
	var cfg, hw, sum, ts, hist string
	err := db.rdb.QueryRowContext(ctx, `SELECT id, name, created_at, config, hardware, model_hash, ort_version,
		git_commit, summary, timeseries, histograms, passed FROM runs WHERE id = ?`, id).Scan(
		&r.ID, &r.Name, &created, &cfg, &hw, &r.ModelHash, &r.ORTVersion, &r.GitCommit, &sum, &ts, &hist, &r.Passed)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("get run %d: %w", id, err)
	}
	r.Created = fromNanos(created)
	r.Config, r.Hardware, r.Summary = json.RawMessage(cfg), json.RawMessage(hw), json.RawMessage(sum)
	r.TimeSeries, r.Histograms = json.RawMessage(ts), json.RawMessage(hist)
	return r, nil
}

// DeleteRun deletes a run and everything stored with it. ErrNotFound if absent.
func (db *DB) DeleteRun(ctx context.Context, id RunID) error {
	return db.deleteRow(ctx, "runs", "run", int64(id))
}
