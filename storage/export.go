package storage

import (
	"bufio"
	"context"
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
// sentiment_* and entities as typed values.
var ExportColumns = []string{"id", "created", "import_id", "source", "line", "text",
	"sentiment_label", "sentiment_score", "sentiment_model", "entities", "seen"}

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
	pl, err := planText(q.Text)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	from, where, args := whereClause(q, pl)
	if pl.none {
		where = append(where, "0") // nothing can match; keep the header
	}
	sqlText := `SELECT d.id, d.created_at, coalesce(d.import_id, 0), d.source, d.line, d.text,
		s.label, s.score, s.model_id,
		(SELECT json_group_array(json_object('label', label, 'text', text, 'start', start_pos, 'end', end_pos, 'score', score))
		 FROM (SELECT label, text, start_pos, end_pos, score FROM entities e WHERE e.document_id = d.id ORDER BY start_pos, id)),
		d.seen
		FROM ` + from + `
		LEFT JOIN analyses s ON s.id = (SELECT max(id) FROM analyses x WHERE x.document_id = d.id AND x.task = 'sentiment')` +
		joinWhere(where) + ` ORDER BY d.id`
	rows, err := db.rdb.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
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
	var ents string
	rec := make([]string, len(ExportColumns))
	for rows.Next() {
		r = exportRow{}
		if err := rows.Scan(&r.ID, &created, &r.ImportID, &r.Source, &r.Line, &r.Text,
			&r.SentimentLabel, &r.SentimentScore, &r.SentimentModel, &ents, &r.Seen); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		r.Created = fromNanos(created)
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
			rec[10] = strconv.Itoa(r.Seen)
			err = cw.Write(rec)
		} else {
			r.Entities = json.RawMessage(ents)
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
