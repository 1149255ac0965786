package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Correction is the analyst's own labels for one document, stored apart
// from the model's predictions: storing or re-analysing documents never
// changes it.
type Correction struct {
	// Sentiment is the corrected sentiment label; "" = not corrected.
	Sentiment string `json:"sentiment,omitempty"`
	// HasEntities: Entities is the full gold entity list (possibly empty)
	// that replaces the predicted entities; false = entities not corrected.
	HasEntities bool `json:"has_entities"`
	// Entities are the gold entities by start offset (Score is unused).
	// Their Text is the span's text, set by SetCorrection.
	Entities []Entity `json:"entities,omitempty"`
	Reviewed bool     `json:"reviewed"`
	// SentimentModel and EntitiesModel are the model ids (name@hash12) of
	// the newest predictions of the document when the correction was
	// saved: what was corrected ("" when not corrected or no prediction).
	SentimentModel string `json:"sentiment_model,omitempty"`
	EntitiesModel  string `json:"entities_model,omitempty"`
	// Created is when the document was first corrected, Updated when the
	// correction last changed. Both are set by SetCorrection.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Corrected reports whether c changes a label (not only marks the document
// reviewed).
func (c Correction) Corrected() bool { return c.Sentiment != "" || c.HasEntities }

// maxLabelBytes bounds a label (sentiment or entity).
const maxLabelBytes = 64

// checkLabel rejects an empty, over-long or control-character label.
func checkLabel(what, l string) error {
	switch {
	case strings.TrimSpace(l) == "":
		return fmt.Errorf("%w: %s label is empty", ErrInvalid, what)
	case len(l) > maxLabelBytes:
		return fmt.Errorf("%w: %s label %q is longer than %d bytes", ErrInvalid, what, l, maxLabelBytes)
	case !utf8.ValidString(l):
		return fmt.Errorf("%w: %s label is not valid UTF-8", ErrInvalid, what)
	case strings.IndexFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("%w: %s label %q has a control character", ErrInvalid, what, l)
	}
	return nil
}

// NormalizeEntities checks gold entities against text and returns them
// sorted by start, with Text set from each span (code points) and Score
// zero. Labels must be valid, spans non-empty and inside the text, and no
// two entities may overlap; the error (ErrInvalid) says which.
func NormalizeEntities(text string, in []Entity) ([]Entity, error) {
	runes := []rune(text)
	n := len(runes)
	out := make([]Entity, len(in))
	for i, e := range in {
		if err := checkLabel(fmt.Sprintf("entity %d", i), e.Label); err != nil {
			return nil, err
		}
		if e.Start < 0 || e.End > n || e.Start >= e.End {
			return nil, fmt.Errorf("%w: entity %d (%s): span [%d,%d) is empty or outside the text of %d code points",
				ErrInvalid, i, e.Label, e.Start, e.End, n)
		}
		out[i] = Entity{Label: e.Label, Start: e.Start, End: e.End, Text: string(runes[e.Start:e.End])}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].End < out[j].End
	})
	for i := 1; i < len(out); i++ {
		a, b := out[i-1], out[i]
		if b.Start < a.End {
			return nil, fmt.Errorf("%w: entities overlap: %s %q [%d,%d) and %s %q [%d,%d)",
				ErrInvalid, a.Label, a.Text, a.Start, a.End, b.Label, b.Text, b.Start, b.End)
		}
	}
	return out, nil
}

// SetCorrection stores c as the correction of document id, replacing any
// earlier one (Created is kept). It validates the entities against the
// document text (NormalizeEntities), records the model ids of the newest
// predictions, and returns the stored correction. ErrNotFound if there is
// no such document; ErrInvalid for a bad correction, which changes nothing.
func (db *DB) SetCorrection(ctx context.Context, id DocID, c Correction) (Correction, error) {
	if c.Sentiment != "" {
		if err := checkLabel("sentiment", c.Sentiment); err != nil {
			return Correction{}, fmt.Errorf("set correction: %w", err)
		}
	}
	if !c.HasEntities && len(c.Entities) > 0 {
		return Correction{}, fmt.Errorf("set correction: %w: entities given without has_entities", ErrInvalid)
	}
	now := nanos(db.cfg.Now())
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		var text string
		err := tx.QueryRowContext(ctx, "SELECT text FROM documents WHERE id = ?", id).Scan(&text)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("document %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if c.HasEntities {
			if c.Entities, err = NormalizeEntities(text, c.Entities); err != nil {
				return err
			}
		} else {
			c.Entities = nil
		}
		newest := func(task string) (string, error) {
			var m string
			err := tx.QueryRowContext(ctx, `SELECT model_id FROM analyses WHERE document_id = ? AND task = ?
				ORDER BY id DESC LIMIT 1`, id, task).Scan(&m)
			if errors.Is(err, sql.ErrNoRows) {
				return "", nil
			}
			return m, err
		}
		c.SentimentModel, c.EntitiesModel = "", ""
		if c.Sentiment != "" {
			if c.SentimentModel, err = newest(TaskSentiment); err != nil {
				return err
			}
		}
		if c.HasEntities {
			if c.EntitiesModel, err = newest(TaskEntities); err != nil {
				return err
			}
		}
		var sent any
		if c.Sentiment != "" {
			sent = c.Sentiment
		}
		var created int64
		err = tx.QueryRowContext(ctx, `INSERT INTO corrections(document_id, sentiment, has_entities, reviewed,
				sentiment_model, entities_model, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(document_id) DO UPDATE SET sentiment = excluded.sentiment, has_entities = excluded.has_entities,
				reviewed = excluded.reviewed, sentiment_model = excluded.sentiment_model,
				entities_model = excluded.entities_model, updated_at = excluded.updated_at
			RETURNING created_at`,
			id, sent, c.HasEntities, c.Reviewed, c.SentimentModel, c.EntitiesModel, now, now).Scan(&created)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM correction_entities WHERE document_id = ?", id); err != nil {
			return err
		}
		for _, e := range c.Entities {
			if _, err := tx.ExecContext(ctx, `INSERT INTO correction_entities(document_id, label, text, start_pos, end_pos)
				VALUES (?, ?, ?, ?, ?)`, id, e.Label, e.Text, e.Start, e.End); err != nil {
				return err
			}
		}
		c.Created, c.Updated = fromNanos(created), fromNanos(now)
		return nil
	})
	if err != nil {
		return Correction{}, fmt.Errorf("set correction: %w", err)
	}
	return c, nil
}

// GetCorrection returns the correction of document id; ok is false when it
// has none (or there is no such document).
func (db *DB) GetCorrection(ctx context.Context, id DocID) (c Correction, ok bool, err error) {
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot
	if err != nil {
		return c, false, fmt.Errorf("get correction %d: %w", id, err)
	}
	defer tx.Rollback()
	return getCorrection(ctx, tx, id)
}

func getCorrection(ctx context.Context, tx *sql.Tx, id DocID) (c Correction, ok bool, err error) {
	var sent sql.NullString
	var created, updated int64
	err = tx.QueryRowContext(ctx, `SELECT sentiment, has_entities, reviewed, sentiment_model, entities_model, created_at, updated_at
		FROM corrections WHERE document_id = ?`, id).Scan(&sent, &c.HasEntities, &c.Reviewed, &c.SentimentModel, &c.EntitiesModel, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Correction{}, false, nil
	}
	if err != nil {
		return Correction{}, false, fmt.Errorf("get correction %d: %w", id, err)
	}
	c.Sentiment = sent.String
	c.Created, c.Updated = fromNanos(created), fromNanos(updated)
	rows, err := tx.QueryContext(ctx, `SELECT label, text, start_pos, end_pos FROM correction_entities
		WHERE document_id = ? ORDER BY start_pos, id`, id)
	if err != nil {
		return Correction{}, false, fmt.Errorf("get correction %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entity
		if err := rows.Scan(&e.Label, &e.Text, &e.Start, &e.End); err != nil {
			return Correction{}, false, fmt.Errorf("get correction %d: %w", id, err)
		}
		c.Entities = append(c.Entities, e)
	}
	if err := rows.Err(); err != nil {
		return Correction{}, false, fmt.Errorf("get correction %d: %w", id, err)
	}
	return c, true, nil
}

// ClearCorrection deletes the correction of document id (the predictions
// stay). ErrNotFound when the document has none.
func (db *DB) ClearCorrection(ctx context.Context, id DocID) error {
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Conn) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM corrections WHERE document_id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("correction of document %d: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear correction: %w", err)
	}
	return nil
}

// Conditions of the History filters on corrections, on a document aliased
// d (whereClause).
const (
	condReviewed  = "EXISTS (SELECT 1 FROM corrections c WHERE c.document_id = d.id AND c.reviewed = 1)"
	condCorrected = "EXISTS (SELECT 1 FROM corrections c WHERE c.document_id = d.id AND (c.sentiment IS NOT NULL OR c.has_entities = 1))"
	// A correction disagrees with the model when its sentiment differs
	// from the newest predicted sentiment (kept on the document), or its
	// gold entities differ, as a set of (label, start, end), from the
	// entities of the newest entities analysis (none when there is none).
	condDisagrees = `EXISTS (SELECT 1 FROM corrections c WHERE c.document_id = d.id AND (
		(c.sentiment IS NOT NULL AND c.sentiment IS NOT d.sentiment)
		OR (c.has_entities = 1 AND (
			EXISTS (SELECT 1 FROM correction_entities g WHERE g.document_id = d.id AND NOT EXISTS (
				SELECT 1 FROM entities p WHERE p.analysis_id = (SELECT max(id) FROM analyses x WHERE x.document_id = d.id AND x.task = 'entities')
				AND p.start_pos = g.start_pos AND p.end_pos = g.end_pos AND p.label = g.label))
			OR EXISTS (SELECT 1 FROM entities p WHERE p.analysis_id = (SELECT max(id) FROM analyses x WHERE x.document_id = d.id AND x.task = 'entities')
				AND NOT EXISTS (SELECT 1 FROM correction_entities g WHERE g.document_id = d.id
				AND p.start_pos = g.start_pos AND p.end_pos = g.end_pos AND p.label = g.label))))))`
)

// drivenByCorrections reports whether whereClause reads the selection from
// the corrections table: a filter needs a correction and no text index
// drives the query.
func drivenByCorrections(q Query, pl textPlan) bool {
	if pl.table != "" || pl.trigramDocs {
		return false
	}
	for _, v := range []*bool{q.Reviewed, q.Corrected, q.Disagrees} {
		if v != nil && *v {
			return true
		}
	}
	return false
}

// correctionWhere adds the conditions of the reviewed / corrected /
// disagrees filters (nil = either).
func correctionWhere(q Query, where []string) []string {
	for _, f := range []struct {
		v    *bool
		cond string
	}{{q.Reviewed, condReviewed}, {q.Corrected, condCorrected}, {q.Disagrees, condDisagrees}} {
		switch {
		case f.v == nil:
		case *f.v:
			where = append(where, f.cond)
		default:
			where = append(where, "NOT "+f.cond)
		}
	}
	return where
}
