package storage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

// TestDocumentMeta: metadata is stored with its document, read back by Get
// and Search, filtered by exact value (AND over keys) and exported in CSV
// and JSONL with ext_id and time.
func TestDocumentMeta(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	when := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	in := []storage.Result{
		{Text: "the phone is great", ExtID: "r1", Time: when, Meta: map[string]string{"product": "phone", "author": "Ann"}},
		{Text: "the laptop broke", ExtID: "r2", Meta: map[string]string{"product": "laptop", "author": "Ann"}},
		{Text: "battery of the phone", ExtID: "r3", Meta: map[string]string{"product": "phone", "we\"ird key": "a'b"}},
		{Text: "no metadata here"},
		{Text: "Phone upper case", Meta: map[string]string{"product": "Phone"}},
	}
	ids := make([]storage.DocID, len(in))
	for i, r := range in {
		id, err := db.Store(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	for i, id := range ids {
		d, err := db.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(d.Meta, in[i].Meta) || d.ExtID != in[i].ExtID {
			t.Errorf("doc %d: meta %v id %q, want %v %q", i, d.Meta, d.ExtID, in[i].Meta, in[i].ExtID)
		}
	}
	f := func(meta map[string]string, want ...int) {
		t.Helper()
		var wantIDs []storage.DocID
		for _, i := range want {
			wantIDs = append([]storage.DocID{ids[i]}, wantIDs...) // newest first
		}
		if got := searchIDs(t, db, storage.Query{Meta: meta}); !slices.Equal(got, wantIDs) {
			t.Errorf("meta %v: %v, want %v", meta, got, wantIDs)
		}
		p, err := db.Search(ctx, storage.Query{Meta: meta, WithTotal: true})
		if err != nil || p.Total != int64(len(want)) {
			t.Errorf("meta %v: total %d err %v, want %d", meta, p.Total, err, len(want))
		}
	}
	f(map[string]string{"product": "phone"}, 0, 2) // exact: not "Phone"
	f(map[string]string{"product": "phone", "author": "Ann"}, 0)
	f(map[string]string{"author": "Ann"}, 0, 1)
	f(map[string]string{"we\"ird key": "a'b"}, 2)
	f(map[string]string{"product": "tablet"})
	f(map[string]string{"nokey": ""})
	// Combined with a text search.
	if got := searchIDs(t, db, storage.Query{Text: "battery", Meta: map[string]string{"product": "phone"}}); !slices.Equal(got, []storage.DocID{ids[2]}) {
		t.Errorf("text+meta: %v", got)
	}
	p, err := db.Search(ctx, storage.Query{Meta: map[string]string{"author": "Ann"}})
	if err != nil || len(p.Hits) != 2 || !maps.Equal(p.Hits[1].Meta, in[0].Meta) || p.Hits[1].ExtID != "r1" {
		t.Fatalf("hits carry meta: %+v %v", p.Hits, err)
	}

	var buf bytes.Buffer
	if n, err := db.Export(ctx, &buf, storage.FormatCSV, storage.Query{Meta: map[string]string{"product": "phone"}}); err != nil || n != 2 {
		t.Fatalf("export csv: %d %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv %v %v", recs, err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	if recs[1][col["ext_id"]] != "r1" || recs[1][col["time"]] != "2026-03-04T10:30:00Z" || recs[2][col["time"]] != "" {
		t.Errorf("csv ext_id/time: %q", recs[1:])
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(recs[1][col["meta"]]), &m); err != nil || !maps.Equal(m, in[0].Meta) {
		t.Errorf("csv meta %q: %v", recs[1][col["meta"]], err)
	}
	buf.Reset()
	if _, err := db.Export(ctx, &buf, storage.FormatJSONL, storage.Query{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var rows []struct {
		ExtID string            `json:"ext_id"`
		Time  *time.Time        `json:"time"`
		Meta  map[string]string `json:"meta"`
	}
	for _, l := range lines {
		var r struct {
			ExtID string            `json:"ext_id"`
			Time  *time.Time        `json:"time"`
			Meta  map[string]string `json:"meta"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 5 || rows[0].ExtID != "r1" || rows[0].Time == nil || !rows[0].Time.Equal(when) || !maps.Equal(rows[2].Meta, in[2].Meta) || rows[3].Meta != nil || rows[3].Time != nil {
		t.Errorf("jsonl rows %+v", rows)
	}
}

// TestDocumentMetaBounds: Store refuses metadata over its bounds and
// stores nothing.
func TestDocumentMetaBounds(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	many := map[string]string{}
	for i := range storage.MaxMetaKeys + 1 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	big := map[string]string{}
	for i := range 20 {
		big[string(rune('a'+i))] = strings.Repeat("x", 1000)
	}
	for _, m := range []map[string]string{
		many, big,
		{"a": strings.Repeat("x", storage.MaxMetaValueBytes+1)},
		{"": "empty key"},
		{"a": "\xff"},
	} {
		if _, err := db.Store(ctx, storage.Result{Text: "some text", Meta: m}); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("meta of %d keys: error %v, want ErrInvalid", len(m), err)
		}
	}
	if p, err := db.Search(ctx, storage.Query{WithTotal: true}); err != nil || p.Total != 0 {
		t.Errorf("stored after refusals: %d %v", p.Total, err)
	}
}
