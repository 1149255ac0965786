package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// An import with meta columns keeps each row's metadata with its document
// (Document, Search, export), and the filter meta.product=X returns
// exactly the rows whose product is X, counted independently from the
// input file. A row with a value over the bound fails alone, named in the
// import's errors.
func TestImportMetaColumns(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "reviews.csv")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", "date", "product", "author", "body"})
	products := []string{"phone", "laptop", "Phone", "tablet", "phone "} // "Phone" is another value; "phone " is trimmed
	wantByProduct := map[string][]string{}
	wantMeta := map[string]map[string]string{}
	const n = 60
	for i := range n {
		prod, author := products[i%len(products)], fmt.Sprintf("user%d", i%7)
		if i%11 == 0 {
			author = "" // not kept
		}
		body := fmt.Sprintf("review %d: the %s was %s", i, strings.TrimSpace(prod), []string{"great", "awful", "fine"}[i%3])
		w.Write([]string{fmt.Sprintf("R%d", i), fmt.Sprintf("2026-03-%02d", 1+i%28), prod, author, body})
		key := strings.TrimSpace(prod)
		wantByProduct[key] = append(wantByProduct[key], body)
		m := map[string]string{"product": key}
		if author != "" {
			m["author"] = author
		}
		wantMeta[body] = m
	}
	w.Write([]string{"R-big", "2026-03-01", strings.Repeat("x", 1025), "someone", "a row with a huge product"})
	w.Flush()
	os.WriteFile(p, buf.Bytes(), 0o644)
	files := []app.ImportFile{{Path: p, Name: "reviews.csv"}}
	opt := app.ImportOptions{Tasks: []engine.Task{engine.TaskSentiment}, IDColumn: "id", DateColumn: "date", MetaColumns: []string{"product", "author"}}

	prev, err := svc.PreviewImport(ctx, files, opt)
	if err != nil || len(prev) != 1 || prev[0].TextColumn != "body" || !slices.Equal(prev[0].MetaColumns, []string{"product", "author"}) {
		t.Fatalf("preview = %+v, %v", prev, err)
	}
	st, err := svc.StartImport(ctx, files, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st, err = svc.WaitImport(ctx, st.ID); err != nil || st.State != app.StateDone || st.Done != n || st.Failed != 1 {
		t.Fatalf("import = %+v, %v", st, err)
	}
	if len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Message, `meta column "product" is 1025 bytes, over the limit of 1024`) {
		t.Errorf("import errors: %+v", st.Errors)
	}
	if !slices.Equal(st.Options.MetaColumns, []string{"product", "author"}) {
		t.Errorf("the import's record lost its meta columns: %+v", st.Options)
	}

	search := func(q app.SearchQuery) []app.DocumentSummary {
		t.Helper()
		var out []app.DocumentSummary
		for {
			page, err := svc.Search(ctx, q)
			if err != nil {
				t.Fatalf("search %+v: %v", q, err)
			}
			out = append(out, page.Items...)
			if page.NextCursor == "" {
				return out
			}
			q.Cursor = page.NextCursor
		}
	}
	all := search(app.SearchQuery{ImportID: fmt.Sprint(st.ID), Limit: 500})
	if len(all) != n {
		t.Fatalf("%d documents, want %d", len(all), n)
	}
	for _, it := range all {
		if !maps.Equal(it.Metadata, wantMeta[it.Text]) {
			t.Errorf("%q: summary metadata %v, want %v", it.Text, it.Metadata, wantMeta[it.Text])
		}
		d, err := svc.Document(ctx, it.ID)
		if err != nil || !maps.Equal(d.Metadata, wantMeta[d.Text]) || !strings.HasPrefix(d.ExtID, "R") || d.Time == nil {
			t.Errorf("%q: document metadata %v id %q time %v (%v)", d.Text, d.Metadata, d.ExtID, d.Time, err)
		}
	}
	for _, prod := range []string{"phone", "Phone", "laptop", "tablet", "none"} {
		got := search(app.SearchQuery{Meta: map[string]string{"product": prod}, Limit: 7})
		var texts []string
		for _, it := range got {
			texts = append(texts, it.Text)
		}
		slices.Sort(texts)
		want := slices.Clone(wantByProduct[prod])
		slices.Sort(want)
		if !slices.Equal(texts, want) {
			t.Errorf("meta.product=%s: %d documents, want %d", prod, len(texts), len(want))
		}
		page, _ := svc.Search(ctx, app.SearchQuery{Meta: map[string]string{"product": prod}})
		if page.Total == nil || *page.Total != int64(len(want)) {
			t.Errorf("meta.product=%s: total %v, want %d", prod, page.Total, len(want))
		}
	}
	if got := search(app.SearchQuery{Meta: map[string]string{"product": "phone", "author": "user3"}}); len(got) == 0 {
		t.Error("meta product and author: no documents")
	} else {
		for _, it := range got {
			if it.Metadata["author"] != "user3" || it.Metadata["product"] != "phone" {
				t.Errorf("meta product and author: %v", it.Metadata)
			}
		}
	}
	if _, err := svc.Search(ctx, app.SearchQuery{Meta: map[string]string{" ": "x"}}); err == nil {
		t.Error("meta filter with an empty key accepted")
	}

	var out bytes.Buffer
	if err := svc.ExportResults(ctx, &out, "jsonl", app.SearchQuery{Meta: map[string]string{"product": "laptop"}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(wantByProduct["laptop"]) {
		t.Fatalf("export: %d lines, want %d", len(lines), len(wantByProduct["laptop"]))
	}
	for _, l := range lines {
		var r struct {
			Text  string            `json:"text"`
			ExtID string            `json:"ext_id"`
			Meta  map[string]string `json:"meta"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil || !maps.Equal(r.Meta, wantMeta[r.Text]) || r.ExtID == "" {
			t.Errorf("export line %s: %v", l, err)
		}
	}
}

// id, date and meta on a .jsonl import are fields; on a .txt file they are
// refused (the import fails, saying why) instead of being ignored.
func TestImportJSONLFields(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	dir := t.TempDir()
	jl := filepath.Join(dir, "in.jsonl")
	os.WriteFile(jl, []byte(`{"ref":"a1","at":"2026-03-04","text":"the phone is great","product":"phone"}`+"\n"+
		`{"ref":"a2","at":"2026-03-05","text":"the laptop broke","product":"laptop"}`+"\n"), 0o644)
	opt := app.ImportOptions{Tasks: []engine.Task{engine.TaskSentiment}, IDColumn: "ref", DateColumn: "at", MetaColumns: []string{"*"}}
	st, err := svc.StartImport(ctx, []app.ImportFile{{Path: jl, Name: "in.jsonl"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st, err = svc.WaitImport(ctx, st.ID); err != nil || st.State != app.StateDone || st.Done != 2 {
		t.Fatalf("import = %+v, %v", st, err)
	}
	page, err := svc.Search(ctx, app.SearchQuery{Meta: map[string]string{"product": "laptop"}})
	if err != nil || len(page.Items) != 1 || page.Items[0].ExtID != "a2" || page.Items[0].Text != "the laptop broke" {
		t.Fatalf("search = %+v, %v", page, err)
	}
	if d, err := svc.Document(ctx, page.Items[0].ID); err != nil || d.Time == nil || d.Time.Day() != 5 {
		t.Errorf("document = %+v, %v", d, err)
	}
	txt := filepath.Join(dir, "in.txt")
	os.WriteFile(txt, []byte("one line\n"), 0o644)
	bad, err := svc.StartImport(ctx, []app.ImportFile{{Path: txt, Name: "in.txt"}}, app.ImportOptions{IDColumn: "ref"})
	if err != nil {
		t.Fatal(err)
	}
	if bad, _ = svc.WaitImport(ctx, bad.ID); bad.State != app.StateFailed || len(bad.Errors) == 0 || !strings.Contains(bad.Errors[0].Message, "a text file has no columns") {
		t.Errorf("id column on .txt: %+v", bad)
	}
}
