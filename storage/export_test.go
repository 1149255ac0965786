package storage_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

func TestExportCSVAndJSONL(t *testing.T) {
	c := newClock()
	db := openTest(t, func(cfg *storage.Config) { cfg.Now = c.now })
	ctx := context.Background()
	imp, err := db.BeginImport(ctx, "/in")
	if err != nil {
		t.Fatal(err)
	}
	docs := buildCorpus(t, db, 250, imp)
	other := buildCorpus(t, db, 30, 0) // not part of the import
	// A text that needs CSV quoting.
	tricky := "comma, \"quote\"\nnewline"
	trickyID, err := db.Store(ctx, storage.Result{Text: tricky, ImportID: imp})
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, corpusDoc{id: trickyID, text: tricky, importID: imp})

	q := storage.Query{ImportID: imp}
	var buf bytes.Buffer
	n, err := db.Export(ctx, &buf, storage.FormatCSV, q)
	if err != nil || n != int64(len(docs)) {
		t.Fatalf("Export csv: n=%d err=%v, want %d", n, err, len(docs))
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("exported CSV does not parse: %v", err)
	}
	if !slices.Equal(recs[0], storage.ExportColumns) || len(recs) != len(docs)+1 {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	for i, rec := range recs[1:] {
		d := docs[i]
		if rec[0] != strconv.FormatInt(int64(d.id), 10) || rec[5] != d.text || rec[2] != strconv.FormatInt(int64(imp), 10) {
			t.Fatalf("record %d = %q, want doc %+v", i, rec, d)
		}
		if rec[6] != d.label {
			t.Fatalf("record %d sentiment %q, want %q", i, rec[6], d.label)
		}
		var ents []storage.Entity
		if err := json.Unmarshal([]byte(rec[9]), &ents); err != nil {
			t.Fatalf("record %d entities %q: %v", i, rec[9], err)
		}
		if len(ents) != len(d.entities) || (len(ents) > 0 && !slices.Equal(ents, d.entities)) {
			t.Fatalf("record %d entities %+v, want %+v", i, ents, d.entities)
		}
	}

	buf.Reset()
	n, err = db.Export(ctx, &buf, storage.FormatJSONL, storage.Query{Text: "alpha", Sentiment: "POSITIVE"})
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(docs[:250]), other...)
	slices.SortFunc(all, func(a, b corpusDoc) int { return int(a.id - b.id) })
	want := expect(all, storage.Query{Text: "alpha", Sentiment: "POSITIVE"})
	slices.Reverse(want) // export is oldest first
	sc := bufio.NewScanner(&buf)
	var got []storage.DocID
	for sc.Scan() {
		var row struct {
			ID             storage.DocID    `json:"id"`
			Text           string           `json:"text"`
			SentimentLabel string           `json:"sentiment_label"`
			Entities       []storage.Entity `json:"entities"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("JSONL line %q: %v", sc.Text(), err)
		}
		if row.SentimentLabel != "POSITIVE" || row.Entities == nil {
			t.Fatalf("row %+v", row)
		}
		got = append(got, row.ID)
	}
	if n != int64(len(want)) || !slices.Equal(got, want) {
		t.Fatalf("JSONL export: n=%d ids %v, want %v", n, head(got), head(want))
	}

	if _, err := db.Export(ctx, io.Discard, "xml", q); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("bad format: %v", err)
	}
	buf.Reset()
	if n, err := db.Export(ctx, &buf, storage.FormatCSV, storage.Query{Text: `"*"`}); err != nil || n != 0 || buf.String() != "id,created,import_id,source,line,text,sentiment_label,sentiment_score,sentiment_model,entities,ext_id,time,meta,seen\n" {
		t.Fatalf("export of a query without words: n=%d err=%v out=%q", n, err, buf.String())
	}
}

// failWriter fails after limit bytes, like a full disk under the export file.
type failWriter struct{ n, limit int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, errors.New("disk full")
	}
	w.n += len(p)
	return len(p), nil
}

func TestExportWriterErrorStops(t *testing.T) {
	db := openTest(t)
	buildCorpus(t, db, 2000, 0)
	_, err := db.Export(context.Background(), &failWriter{limit: 100 << 10}, storage.FormatJSONL, storage.Query{})
	if err == nil {
		t.Fatal("export into a failing writer succeeded")
	}
}

// ExportEach hands over exactly the documents, sentiment, entities and
// models that were stored, for the same query as Export.
func TestExportEach(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	docs := buildCorpus(t, db, 120, 0)
	q := storage.Query{Text: "alpha"}
	want := expect(docs, q)
	slices.Reverse(want) // oldest first
	byID := map[storage.DocID]corpusDoc{}
	for _, d := range docs {
		byID[d.id] = d
	}
	var got []storage.DocID
	n, err := db.ExportEach(ctx, q, func(r storage.ExportRow) error {
		d := byID[r.ID]
		if r.Text != d.text || r.Sentiment != d.label || r.SentimentModel != d.model {
			t.Errorf("row %d: %q %s %s, want %q %s %s", r.ID, r.Text, r.Sentiment, r.SentimentModel, d.text, d.label, d.model)
		}
		if len(r.Entities) != len(d.entities) {
			t.Errorf("row %d: %d entities, want %d", r.ID, len(r.Entities), len(d.entities))
		}
		for i, e := range r.Entities {
			s := d.entities[i]
			if e.Label != s.Label || e.Start != s.Start || e.End != s.End || e.Text != s.Text {
				t.Errorf("row %d entity %d: %+v, want %+v", r.ID, i, e, s)
			}
		}
		if m := map[bool]string{true: "ner@n", false: ""}[len(d.entities) > 0]; r.EntitiesModel != m {
			t.Errorf("row %d: entities model %q, want %q", r.ID, r.EntitiesModel, m)
		}
		got = append(got, r.ID)
		return nil
	})
	if err != nil || n != int64(len(want)) || !slices.Equal(got, want) {
		t.Fatalf("ExportEach: n=%d err=%v ids %v, want %v", n, err, head(got), head(want))
	}
	stop := errors.New("stop")
	if n, err := db.ExportEach(ctx, q, func(storage.ExportRow) error { return stop }); n != 0 || err != stop {
		t.Errorf("stopping: n=%d err=%v", n, err)
	}
}
