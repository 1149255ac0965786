package storage

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Export formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// ExportColumns are the CSV header; JSONL objects use the same keys, with
// sentiment_* and entities as typed values. ext_id and time are the row's
// id and date (an import's id and date columns; time in RFC 3339, UTC);
// meta is its metadata as one JSON object ("" in CSV, absent in JSONL when
// there is none): one column whatever the keys, so that the header does
// not depend on the rows and the export stays a single streaming pass.
var ExportColumns = []string{"id", "created", "import_id", "source", "line", "text",
	"sentiment_label", "sentiment_score", "sentiment_model", "entities", "ext_id", "time", "meta", "seen"}

// exportRow is one JSONL line.
type exportRow struct {
	ID             DocID           `json:"id"`
	Created        time.Time       `json:"created"`
	ImportID       ImportID        `json:"import_id,omitempty"`
	Source         string          `json:"source,omitempty"`
	Line           int             `json:"line,omitempty"`
	Text           string          `json:"text"`
	SentimentLabel *string         `json:"sentiment_label"`
	SentimentScore *float64        `json:"sentiment_score"`
	SentimentModel *string         `json:"sentiment_model"`
	Entities       json.RawMessage `json:"entities"`
	ExtID          string          `json:"ext_id,omitempty"`
	Time           *time.Time      `json:"time,omitempty"`
	Meta           json.RawMessage `json:"meta,omitempty"`
	Seen           int             `json:"seen"` // times the text was stored (Document.Seen)
}

// Export streams every document matching q (Limit and Cursor are ignored),
// oldest first, to w as CSV (with a header) or JSONL. Memory stays constant:
// rows go from the cursor to the writer one at a time. It returns the number
// of documents written. The entities column of CSV holds a JSON array.
func (db *DB) Export(ctx context.Context, w io.Writer, format string, q Query) (int64, error) {
	format = strings.ToLower(format)
	if format != FormatCSV && format != FormatJSONL {
		return 0, fmt.Errorf("export: %w: format %q (want csv or jsonl)", ErrInvalid, format)
	}
	rows, err := db.exportRows(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()

	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csv.Writer
	var enc *json.Encoder
	if format == FormatCSV {
		cw = csv.NewWriter(bw)
		if err := cw.Write(ExportColumns); err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
	} else {
		enc = json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
	}
	var n int64
	var r exportRow
	var created int64
	var ents, meta string
	var docTime sql.NullInt64
	rec := make([]string, len(ExportColumns))
	for rows.Next() {
		r = exportRow{}
		var entModel *string
		if err := rows.Scan(&r.ID, &created, &r.ImportID, &r.Source, &r.Line, &r.Text,
			&r.SentimentLabel, &r.SentimentScore, &r.SentimentModel, &ents, &entModel, &r.ExtID, &docTime, &meta, &r.Seen); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		r.Created = fromNanos(created)
		if docTime.Valid {
			t := fromNanos(docTime.Int64).UTC()
			r.Time = &t
		}
		if cw != nil {
			rec[0] = strconv.FormatInt(int64(r.ID), 10)
			rec[1] = r.Created.Format(time.RFC3339Nano)
			rec[2] = ""
			if r.ImportID != 0 {
				rec[2] = strconv.FormatInt(int64(r.ImportID), 10)
			}
			rec[3] = r.Source
			rec[4] = ""
			if r.Line != 0 {
				rec[4] = strconv.Itoa(r.Line)
			}
			rec[5] = r.Text
			rec[6], rec[7], rec[8] = "", "", ""
			if r.SentimentLabel != nil {
				rec[6] = *r.SentimentLabel
				rec[7] = strconv.FormatFloat(*r.SentimentScore, 'g', -1, 64)
				rec[8] = *r.SentimentModel
			}
			rec[9] = ents
			rec[10], rec[11], rec[12] = r.ExtID, "", meta
			if r.Time != nil {
				rec[11] = r.Time.Format(time.RFC3339Nano)
			}
			rec[13] = strconv.Itoa(r.Seen)
			err = cw.Write(rec)
		} else {
			r.Entities = json.RawMessage(ents)
			if meta != "" {
				r.Meta = json.RawMessage(meta)
			}
			err = enc.Encode(&r)
		}
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// exportRows runs the export query of q: every matching document, oldest
// first, with its newest sentiment, its entities as a JSON array and the
// model of its newest entities analysis.
func (db *DB) exportRows(ctx context.Context, q Query) (*sql.Rows, error) {
	pl, err := planText(q.Text)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	from, where, args := whereClause(q, pl)
	if pl.none {
		where = append(where, "0") // nothing can match; keep the header
	}
	sqlText := `SELECT d.id, d.created_at, coalesce(d.import_id, 0), d.source, d.line, d.text,
		s.label, s.score, s.model_id,
		(SELECT json_group_array(json_object('label', label, 'text', text, 'start', start_pos, 'end', end_pos, 'score', score))
		 FROM (SELECT label, text, start_pos, end_pos, score FROM entities e WHERE e.document_id = d.id ORDER BY start_pos, id)),
		(SELECT model_id FROM analyses x WHERE x.document_id = d.id AND x.task = 'entities' ORDER BY x.id DESC LIMIT 1),
		d.ext_id, d.doc_time, d.meta, d.seen
		FROM ` + from + `
		LEFT JOIN analyses s ON s.id = (SELECT max(id) FROM analyses x WHERE x.document_id = d.id AND x.task = 'sentiment')` +
		joinWhere(where) + ` ORDER BY d.id`
	rows, err := db.rdb.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return rows, nil
}

// ExportRow is one document of ExportEach: its newest sentiment (Sentiment
// "" when none) and its entities, code-point offsets.
type ExportRow struct {
	ID             DocID
	Created        time.Time
	ImportID       ImportID
	Source         string
	Line           int
	Text           string
	Sentiment      string
	SentimentScore float64
	SentimentModel string
	EntitiesModel  string // "" when the entities task never ran
	Entities       []ExportEntity
	ExtID          string // the row's id (an import's id column)
	Seen           int    // times the text was stored (Document.Seen)
}

// ExportEntity is one stored entity of an ExportRow.
type ExportEntity struct {
	Label string  `json:"label"`
	Text  string  `json:"text"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// ExportEach calls fn with every document matching q (Limit and Cursor are
// ignored), oldest first, one at a time from the cursor, as Export does; it
// stops at fn's first error and returns it. It returns the number of
// documents fn accepted.
func (db *DB) ExportEach(ctx context.Context, q Query, fn func(ExportRow) error) (int64, error) {
	rows, err := db.exportRows(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var r ExportRow
		var created int64
		var label, model, entModel *string
		var score *float64
		var ents, meta string
		var docTime sql.NullInt64
		if err := rows.Scan(&r.ID, &created, &r.ImportID, &r.Source, &r.Line, &r.Text,
			&label, &score, &model, &ents, &entModel, &r.ExtID, &docTime, &meta, &r.Seen); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		r.Created = fromNanos(created)
		if label != nil {
			r.Sentiment, r.SentimentScore, r.SentimentModel = *label, *score, *model
		}
		if entModel != nil {
			r.EntitiesModel = *entModel
		}
		if err := json.Unmarshal([]byte(ents), &r.Entities); err != nil {
			return n, fmt.Errorf("export: entities of document %d: %w", r.ID, err)
		}
		if err := fn(r); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}
