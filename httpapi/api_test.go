package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
	"github.com/nlpscope/nlpscope/profiler"
)

// shell is a web shell under test: a real Service on the fixture models and
// a temp database, served by httptest.
type shell struct {
	t   *testing.T
	svc *app.Service
	srv *httptest.Server
	tok string
}

func newShell(t *testing.T, cfg app.Config, sc httpapi.ServerConfig) *shell {
	t.Helper()
	svc := newService(t, cfg)
	s, err := httpapi.NewServer(sc, svc, nil)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &shell{t: t, svc: svc, srv: srv, tok: sc.Token}
}

// do sends a request and decodes a JSON answer into out (when not nil). It
// returns the response with its body read.
func (s *shell) do(method, path string, body any, out any) (*http.Response, []byte) {
	s.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if s.tok != "" {
		req.Header.Set("Authorization", "Bearer "+s.tok)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	// The API never sends null (lists are [], absent things are left out),
	// so the generated TypeScript types need no null: every JSON answer of
	// every test here is checked. The one exception is documented: no load
	// test yet.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && path != "/v1/loadtests/current" {
		var v any
		if err := json.Unmarshal(b, &v); err == nil {
			if where := findNull(v, "$"); where != "" {
				s.t.Errorf("%s %s: %s is null in %s", method, path, where, b)
			}
		}
	}
	return resp, b
}

// findNull returns the path of the first null in a decoded JSON value, or "".
func findNull(v any, path string) string {
	switch x := v.(type) {
	case nil:
		return path
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p := findNull(x[k], path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := findNull(e, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// wantError asserts an error response's status and code.
func (s *shell) wantError(method, path string, body any, status int, code string) *http.Response {
	s.t.Helper()
	resp, b := s.do(method, path, body, nil)
	if resp.StatusCode != status {
		s.t.Errorf("%s %s: status %d (%s), want %d", method, path, resp.StatusCode, b, status)
		return resp
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		s.t.Errorf("%s %s: body %s, want error code %q with a message", method, path, b, code)
	}
	return resp
}

func TestHTTPHealth(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	var h app.Health
	resp, _ := s.do("GET", "/health", nil, &h)
	if resp.StatusCode != 200 || h.Status != "ok" || !h.Ready["sentiment"] || !h.Ready["entities"] || h.Runtime.ORTVersion == "" {
		t.Fatalf("health %d %+v", resp.StatusCode, h)
	}

	cfg := testConfig(t)
	cfg.ModelSentiment = filepath.Join(t.TempDir(), "missing")
	s2 := newShell(t, cfg, httpapi.ServerConfig{})
	resp, b := s2.do("GET", "/health", nil, nil)
	if resp.StatusCode != 503 || !strings.Contains(string(b), `"not_ready"`) {
		t.Errorf("health without a sentiment model: %d %s", resp.StatusCode, b)
	}
	s2.wantError("POST", "/v1/sentiment/analyze", map[string]any{"text": "good"}, 503, "not_ready")
	// The other task still works.
	resp, _ = s2.do("POST", "/v1/entities/extract", map[string]any{"text": "Alice"}, nil)
	if resp.StatusCode != 200 {
		t.Errorf("entities without a sentiment model: %d", resp.StatusCode)
	}
}

func TestHTTPAnalyzeEndpoints(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})

	var one app.DocumentResult
	s.do("POST", "/v1/sentiment/analyze", map[string]any{"text": "what a great film"}, &one)
	if one.Sentiment == nil || one.Sentiment.Label != "POSITIVE" || one.Entities != nil || one.ID == 0 {
		t.Errorf("sentiment/analyze = %+v", one)
	}

	var batch app.AnalyzeResponse
	s.do("POST", "/v1/sentiment/batch", map[string]any{"texts": []string{"good", "bad", "awful food"}}, &batch)
	if len(batch.Results) != 3 || batch.Results[0].Sentiment.Label != "POSITIVE" || batch.Results[2].Sentiment.Label != "NEGATIVE" {
		t.Errorf("sentiment/batch = %+v", batch)
	}

	// Offsets are code points: the emoji before the name counts as one.
	var ents app.DocumentResult
	_, body := s.do("POST", "/v1/entities/extract", map[string]any{"text": "😀 Alice visited London", "aggregation": "first"}, &ents)
	if len(ents.Entities) != 2 || ents.Meta.Entities == nil || ents.Meta.Entities.Model == "" || ents.Sentiment != nil || ents.Meta.Sentiment != nil {
		t.Fatalf("entities/extract = %+v", ents)
	}
	if e := ents.Entities[0]; e.Label != "PER" || e.Text != "Alice" || e.Start != 2 || e.End != 7 {
		t.Errorf("first entity %+v, want PER Alice [2,7)", e)
	}
	// The list of spans is where a reader expects it; model, cached and
	// timings sit beside it in meta, not around it.
	var raw struct {
		Entities []map[string]any          `json:"entities"`
		Meta     map[string]map[string]any `json:"meta"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || len(raw.Entities) != 2 || raw.Meta["entities"]["model"] == nil ||
		raw.Meta["entities"]["timings"] == nil || raw.Meta["entities"]["cached"] == nil {
		t.Errorf("entities/extract body %s (%v): want entities as a list and meta.entities beside it", body, err)
	}

	_, body = s.do("POST", "/v1/entities/batch", map[string]any{"texts": []string{"Bob in Paris", "nothing here"}}, &batch)
	if len(batch.Results) != 2 || len(batch.Results[0].Entities) != 2 || batch.Results[1].Entities == nil || len(batch.Results[1].Entities) != 0 {
		t.Errorf("entities/batch = %+v", batch)
	}
	if !strings.Contains(string(body), `"entities":[]`) {
		t.Errorf("entities/batch body %s: a text without entities has \"entities\":[]", body)
	}

	s.do("POST", "/v1/analyze", map[string]any{"text": "Maria loved Berlin, great trip", "tasks": []string{"sentiment", "entities"}}, &batch)
	if len(batch.Results) != 1 || batch.Results[0].Sentiment == nil || batch.Results[0].Entities == nil {
		t.Errorf("analyze = %+v", batch)
	}
	var unstored app.AnalyzeResponse
	s.do("POST", "/v1/analyze", map[string]any{"texts": []string{"good", "Alice"}, "no_store": true}, &unstored)
	if len(unstored.Results) != 2 || unstored.Results[0].ID != 0 || unstored.Results[1].ID != 0 {
		t.Errorf("analyze no_store = %+v", unstored)
	}
}

func TestHTTPBadRequests(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxTextBytes = 100
	cfg.MaxBatchTexts = 4
	s := newShell(t, cfg, httpapi.ServerConfig{MaxBodyBytes: 1000})
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"bad JSON", "/v1/analyze", `{"text": `, 400, "bad_json"},
		{"wrong type", "/v1/analyze", `{"text": 5}`, 400, "bad_json"},
		{"empty body", "/v1/sentiment/analyze", ``, 400, "bad_json"},
		{"trailing data", "/v1/analyze", `{"text":"good"} {}`, 400, "bad_json"},
		{"empty text", "/v1/sentiment/analyze", `{"text": ""}`, 400, "empty_text"},
		{"whitespace text", "/v1/entities/extract", `{"text": " \n\t"}`, 400, "empty_text"},
		{"empty texts", "/v1/sentiment/batch", `{"texts": []}`, 400, "bad_request"},
		{"empty text in batch", "/v1/entities/batch", `{"texts": ["Alice", " "]}`, 400, "empty_text"},
		{"invalid UTF-8", "/v1/sentiment/analyze", []byte("{\"text\": \"bad \xff\"}"), 400, "invalid_utf8"},
		{"unknown task", "/v1/analyze", `{"text": "good", "tasks": ["summarize"]}`, 400, "bad_request"},
		{"unknown aggregation", "/v1/entities/extract", `{"text": "Alice", "aggregation": "median"}`, 400, "bad_request"},
		{"unknown model", "/v1/analyze", `{"text": "good", "model": "gpt"}`, 400, "unknown_model"},
		{"text and texts", "/v1/analyze", `{"text": "good", "texts": ["bad"]}`, 400, "bad_request"},
		{"text over limit", "/v1/sentiment/analyze", map[string]string{"text": strings.Repeat("good ", 30)}, 413, "text_too_long"},
		{"body over limit", "/v1/sentiment/batch", map[string]any{"texts": []string{strings.Repeat("a", 600), strings.Repeat("b", 600)}}, 413, "body_too_large"},
		{"too many texts", "/v1/sentiment/batch", map[string]any{"texts": []string{"a", "b", "c", "d", "e"}}, 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.t = t
			s.wantError("POST", tc.path, tc.body, tc.status, tc.code)
		})
	}
	s.t = t
	s.wantError("GET", "/v1/nothing", nil, 404, "not_found")
	s.wantError("GET", "/v1/results/abc", nil, 400, "bad_request")
	s.wantError("GET", "/v1/results/999999", nil, 404, "not_found")
	s.wantError("GET", "/v1/results?limit=0", nil, 400, "bad_request")
	s.wantError("GET", "/v1/results?from=yesterday", nil, 400, "bad_request")
	s.wantError("GET", "/v1/results?cursor=garbage", nil, 400, "bad_request")
	s.wantError("GET", "/v1/results/export?format=xml", nil, 400, "bad_request")
	s.wantError("GET", "/v1/imports/nope", nil, 404, "not_found")
	s.wantError("POST", "/v1/imports", `{"files": []}`, 400, "bad_request")
	s.wantError("PUT", "/v1/settings", `{"max_batch_size": 0, "token_budget": 10}`, 400, "bad_request")
	s.wantError("POST", "/v1/models/active", `{"task": "entities", "dir": "/nonexistent"}`, 400, "bad_model")
	s.wantError("POST", "/v1/models/active", map[string]string{"task": "entities", "dir": filepath.Join("..", "engine", "testdata", "bad_rank")}, 400, "bad_model")
	s.wantError("POST", "/v1/models/active", `{"task": "nope", "ref": "embedded:sentiment"}`, 400, "bad_request")

	// Nothing was stored by any of them.
	var page app.SearchPage
	s.do("GET", "/v1/results", nil, &page)
	if len(page.Items) != 0 {
		t.Errorf("%d documents stored after bad requests", len(page.Items))
	}
}

func TestHTTPResultsSearchExport(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	texts := []string{"Alice in Paris was great", "Bob in London, awful", "great food in Berlin", "the film was boring"}
	for _, tx := range texts {
		s.do("POST", "/v1/analyze", map[string]any{"text": tx}, nil)
	}
	var page app.SearchPage
	s.do("GET", "/v1/results?limit=3", nil, &page)
	if len(page.Items) != 3 || page.NextCursor == "" {
		t.Fatalf("page 1 = %+v", page)
	}
	if page.Items[0].Text != texts[3] {
		t.Errorf("newest first: got %q", page.Items[0].Text)
	}
	var page2 app.SearchPage
	s.do("GET", "/v1/results?limit=3&cursor="+page.NextCursor, nil, &page2)
	if len(page2.Items) != 1 || page2.Items[0].Text != texts[0] || page2.NextCursor != "" {
		t.Errorf("page 2 = %+v", page2)
	}

	s.do("GET", "/v1/results?q=london", nil, &page)
	if len(page.Items) != 1 || !strings.Contains(page.Items[0].Snippet, "[[London]]") {
		t.Errorf("q=london: %+v", page)
	}
	s.do("GET", "/v1/results?sentiment=NEGATIVE", nil, &page)
	if len(page.Items) != 2 {
		t.Errorf("sentiment=NEGATIVE: %d items", len(page.Items))
	}
	s.do("GET", "/v1/results?entity_label=PER", nil, &page)
	if len(page.Items) != 2 {
		t.Errorf("entity_label=PER: %d items", len(page.Items))
	}
	// FTS syntax that the search syntax lacks is text, not an error.
	resp, _ := s.do("GET", `/v1/results?q=%22NEAR(%2A`, nil, &page)
	if resp.StatusCode != 200 {
		t.Errorf("q with FTS syntax: %d", resp.StatusCode)
	}
	// The search syntax, with the count on the first page; a malformed
	// search is a 400 that says what is wrong, in search and export.
	s.do("GET", "/v1/results?q=london+OR+berlin+-food&limit=1", nil, &page)
	if len(page.Items) != 1 || page.Total == nil || *page.Total != 1 || !page.TotalExact {
		t.Errorf("q=london OR berlin -food: %+v", page)
	}
	s.do("GET", "/v1/results?q=in&limit=1", nil, &page)
	if len(page.Items) != 1 || page.Total == nil || *page.Total != 3 || !page.TotalExact || page.NextCursor == "" {
		t.Errorf("q=in: %+v", page)
	}
	var next app.SearchPage
	s.do("GET", "/v1/results?q=in&limit=1&cursor="+page.NextCursor, nil, &next)
	if len(next.Items) != 1 || next.Total != nil {
		t.Errorf("q=in, page 2 (counts only on page 1): %+v", next)
	}
	for _, path := range []string{"/v1/results?q=-london", "/v1/results?q=london+OR", "/v1/results/export?format=csv&q=%28london%29%29"} {
		resp, b := s.do("GET", path, nil, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"code":"bad_request"`) || !strings.Contains(string(b), `"message":"search: `) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}

	var doc app.DocumentResult
	s.do("GET", "/v1/results/1", nil, &doc)
	if doc.Text != texts[0] || doc.Sentiment == nil || doc.Entities == nil || doc.Meta.Sentiment == nil || doc.Meta.Entities == nil {
		t.Errorf("results/1 = %+v", doc)
	}

	resp, b := s.do("GET", "/v1/results/export?format=csv&entity_label=LOC", nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("export csv: %d %v", resp.StatusCode, resp.Header)
	}
	if lines := strings.Count(string(b), "\n"); lines != 4 { // header + 3 documents with a LOC
		t.Errorf("export csv has %d lines:\n%s", lines, b)
	}
	resp, b = s.do("GET", "/v1/results/export?format=jsonl", nil, nil)
	if resp.StatusCode != 200 || strings.Count(string(b), "\n") != 4 {
		t.Errorf("export jsonl: %d\n%s", resp.StatusCode, b)
	}
}

// upload posts files as multipart/form-data with extra form fields.
func (s *shell) upload(files map[string]string, fields map[string]string) (*http.Response, []byte) {
	s.t.Helper()
	return s.uploadTo("/v1/imports", files, fields)
}

func (s *shell) uploadTo(path string, files map[string]string, fields map[string]string) (*http.Response, []byte) {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, content := range files {
		w, err := mw.CreateFormFile("files", name)
		if err != nil {
			s.t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(httpapi.CSRFHeader, "1") // as the bundled UI sends it
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// waitImport polls an import until it is no longer running.
func (s *shell) waitImport(id string) app.ImportStatus {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var st app.ImportStatus
		s.do("GET", "/v1/imports/"+id, nil, &st)
		if st.State != app.StateRunning {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("import %s still running: %+v", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHTTPImportUpload(t *testing.T) {
	cfg := testConfig(t)
	s := newShell(t, cfg, httpapi.ServerConfig{})
	resp, b := s.upload(map[string]string{
		"reviews.csv":      "id,review\n1,good food\n2,\"Alice, from Paris\"\n3,\n",
		"folder/notes.txt": "great\nawful\n",
	}, map[string]string{"column": "review", "tasks": "sentiment,entities"})
	if resp.StatusCode != 202 {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	var st app.ImportStatus
	if err := json.Unmarshal(b, &st); err != nil || st.ID == "" {
		t.Fatalf("upload answer %s: %v", b, err)
	}
	st = s.waitImport(st.ID)
	if st.State != app.StateDone || st.Done != 4 || st.Failed != 1 || len(st.Errors) != 1 {
		t.Fatalf("import = %+v", st)
	}
	if e := st.Errors[0]; e.Source != "reviews.csv" || e.Line != 4 {
		t.Errorf("error %+v, want reviews.csv line 4", e)
	}
	var page app.SearchPage
	s.do("GET", "/v1/results?import_id="+st.ID, nil, &page)
	if len(page.Items) != 4 {
		t.Errorf("import %s holds %d documents, want 4", st.ID, len(page.Items))
	}
	s.do("GET", "/v1/results?source=folder/notes.txt", nil, &page)
	if len(page.Items) != 2 {
		t.Errorf("source=folder/notes.txt: %d documents, want 2", len(page.Items))
	}
	var list struct{ Imports []app.ImportStatus }
	s.do("GET", "/v1/imports", nil, &list)
	if len(list.Imports) != 1 || list.Imports[0].ID != st.ID {
		t.Errorf("imports = %+v", list)
	}

	// Rejected uploads.
	resp, b = s.upload(map[string]string{"x.pdf": "%PDF"}, nil)
	if resp.StatusCode != 400 {
		t.Errorf("pdf upload: %d %s", resp.StatusCode, b)
	}
	resp, b = s.upload(map[string]string{"a.csv": "x,y\n1,2\n"}, map[string]string{"column": "nope"})
	if resp.StatusCode != 202 {
		t.Fatalf("csv with a missing column: %d %s", resp.StatusCode, b)
	}
	json.Unmarshal(b, &st)
	st = s.waitImport(st.ID)
	if st.State != app.StateFailed || st.Done != 0 || len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Message, "nope") {
		t.Errorf("missing column import = %+v, want failed", st)
	}
	badID := st.ID

	// A finished import cannot be resumed; cancelling it changes nothing;
	// deleting it says how many documents went with it.
	s.wantError("POST", "/v1/imports/"+badID+"/resume", map[string]any{}, 409, "conflict")
	resp, b = s.do("POST", "/v1/imports/"+badID+"/cancel", map[string]any{}, &st)
	if resp.StatusCode != 200 || st.State != app.StateFailed {
		t.Errorf("cancel a failed import: %d %s", resp.StatusCode, b)
	}
	var del app.ImportDeleted
	if resp, b = s.do("DELETE", "/v1/imports/"+list.Imports[0].ID, nil, &del); resp.StatusCode != 200 || del.Deleted != 4 {
		t.Errorf("delete: %d %s, want 4 deleted", resp.StatusCode, b)
	}
	s.do("GET", "/v1/results?import_id="+list.Imports[0].ID, nil, &page)
	if len(page.Items) != 0 {
		t.Errorf("%d documents of a deleted import remain", len(page.Items))
	}
	s.wantError("DELETE", "/v1/imports/"+list.Imports[0].ID, nil, 404, "not_found")
	s.do("GET", "/v1/imports", nil, &list)
	if len(list.Imports) != 1 || list.Imports[0].ID != badID || list.Imports[0].State != app.StateFailed {
		t.Errorf("imports after delete = %+v", list)
	}
	// The uploads of finished imports are gone from the data folder.
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg.DBPath), "uploads", "*")); len(left) != 0 {
		t.Errorf("upload folders left: %v", left)
	}
}

// The preview reads uploaded files as an import would and stores nothing:
// the sniffed mapping and first rows come back, per file.
func TestHTTPImportPreview(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	resp, b := s.uploadTo("/v1/imports/preview", map[string]string{
		"reviews.csv": "id,author,body,stars\n1,ann,the food was lovely and warm,5\n2,bob,\"cold, slow and rude staff\",1\n",
		"notes.txt":   "caf\xe9 good\n",
	}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("preview: %d %s", resp.StatusCode, b)
	}
	var prev struct{ Files []app.ImportPreview }
	if err := json.Unmarshal(b, &prev); err != nil || len(prev.Files) != 2 {
		t.Fatalf("preview answer %s: %v", b, err)
	}
	var csvMap, txtMap *app.InputMapping
	for i := range prev.Files {
		f := &prev.Files[i]
		if f.Error != "" {
			t.Fatalf("preview of %s: %s", f.Source, f.Error)
		}
		switch f.Source {
		case "reviews.csv":
			csvMap = &f.InputMapping
		case "notes.txt":
			txtMap = &f.InputMapping
		}
	}
	if csvMap == nil || txtMap == nil {
		t.Fatalf("preview names: %s", b)
	}
	if csvMap.TextColumn != "body" || !csvMap.Header || csvMap.Delimiter != "," || csvMap.Quote != `"` || len(csvMap.Columns) != 4 || len(csvMap.Rows) != 2 || csvMap.Rows[1][2] != "cold, slow and rude staff" {
		t.Errorf("csv mapping %+v", csvMap)
	}
	if txtMap.Encoding != "windows-1252" {
		t.Errorf("txt encoding %q, want windows-1252", txtMap.Encoding)
	}
	// The delimiter and column can be given; a bad one is refused.
	resp, b = s.uploadTo("/v1/imports/preview", map[string]string{"a.csv": "x|y\n1|hello there\n"}, map[string]string{"delimiter": "pipe", "column": "y"})
	if json.Unmarshal(b, &prev); resp.StatusCode != 200 || prev.Files[0].TextColumn != "y" {
		t.Errorf("pipe preview: %d %s", resp.StatusCode, b)
	}
	resp, b = s.uploadTo("/v1/imports/preview", map[string]string{"a.csv": "x\n"}, map[string]string{"encoding": "ebcdic"})
	if resp.StatusCode != 400 {
		t.Errorf("bad encoding: %d %s", resp.StatusCode, b)
	}
	resp, b = s.uploadTo("/v1/imports", map[string]string{"a.txt": "x\n"}, map[string]string{"keep_duplicates": "maybe"})
	if resp.StatusCode != 400 || !strings.Contains(string(b), "keep_duplicates") {
		t.Errorf("bad keep_duplicates: %d %s", resp.StatusCode, b)
	}
	// Nothing was imported or stored.
	var list struct{ Imports []app.ImportStatus }
	s.do("GET", "/v1/imports", nil, &list)
	var page app.SearchPage
	s.do("GET", "/v1/results", nil, &page)
	if len(list.Imports) != 0 || len(page.Items) != 0 {
		t.Errorf("preview stored something: %d imports, %d documents", len(list.Imports), len(page.Items))
	}
}

func TestHTTPModelsSettings(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	var m app.ModelsResponse
	s.do("GET", "/v1/models", nil, &m)
	if len(m.Active) != 2 || m.Runtime.Provider != "cpu" {
		t.Fatalf("models = %+v", m)
	}
	avail := map[string]string{}
	for _, a := range m.Available {
		avail[a.Dir] = string(a.Task)
	}
	for dir, task := range map[string]string{fixtureSentiment: "sentiment", fixtureNER: "entities", "embedded:sentiment": "sentiment", "embedded:ner": "entities"} {
		if avail[dir] != task {
			t.Errorf("available %v: want %s as %s", avail, dir, task)
		}
	}
	var info struct{ ID, Task string }
	resp, b := s.do("POST", "/v1/models/active", map[string]string{"task": "sentiment", "dir": fixtureSentiment, "name": "renamed"}, &info)
	if resp.StatusCode != 200 || info.Task != "sentiment" || !strings.HasPrefix(info.ID, "renamed") {
		t.Errorf("models/active: %d %s", resp.StatusCode, b)
	}
	// The model can be named in a request now.
	resp, b = s.do("POST", "/v1/analyze", map[string]any{"text": "good", "tasks": []string{"sentiment"}, "model": "renamed"}, nil)
	if resp.StatusCode != 200 {
		t.Errorf("analyze with model: %d %s", resp.StatusCode, b)
	}

	var set app.Settings
	s.do("GET", "/v1/settings", nil, &set)
	if set.MaxBatchSize <= 0 || set.TokenBudget <= 0 {
		t.Fatalf("settings = %+v", set)
	}
	set.MaxBatchSize, set.MaxDelayUS = 4, 500
	var got app.Settings
	s.do("PUT", "/v1/settings", set, &got)
	if got.MaxBatchSize != 4 || got.MaxDelayUS != 500 {
		t.Errorf("settings after PUT = %+v", got)
	}
}

func TestHTTPMetrics(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	s.do("POST", "/v1/analyze", map[string]any{"texts": []string{"good", "Alice in Paris"}}, nil)
	var snap app.MetricsSnapshot
	s.do("GET", "/v1/metrics", nil, &snap)
	var ops []string
	for _, o := range snap.Profiler.Ops {
		ops = append(ops, o.Name)
	}
	if !strings.Contains(strings.Join(ops, ","), "analyze") {
		t.Errorf("ops %v: want analyze and the route", ops)
	}
	if snap.Profiler.Throughput.Texts < 2 {
		t.Errorf("texts counted %d, want ≥ 2", snap.Profiler.Throughput.Texts)
	}
	resp, b := s.do("GET", "/metrics", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "nlpscope_") || !strings.Contains(string(b), "go_goroutines") {
		t.Errorf("/metrics: %d\n%.500s", resp.StatusCode, b)
	}
	resp, _ = s.do("GET", "/debug/pprof/", nil, nil)
	if resp.StatusCode != 200 {
		t.Errorf("pprof from loopback: %d", resp.StatusCode)
	}
}

func TestHTTPPprofLoopbackOnly(t *testing.T) {
	svc := newService(t, testConfig(t))
	srv, err := httpapi.NewServer(httpapi.ServerConfig{}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/debug/pprof/", nil)
	req.Host = "127.0.0.1:8765"
	req.RemoteAddr = "192.0.2.7:5555"
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), `"forbidden"`) {
		t.Errorf("pprof from 192.0.2.7: %d %s", rec.Code, rec.Body)
	}
}

func TestHTTPAuth(t *testing.T) {
	svc := newService(t, testConfig(t))
	if _, err := httpapi.NewServer(httpapi.ServerConfig{Addr: "0.0.0.0:8765"}, svc, nil); err == nil {
		t.Fatal("NewServer on 0.0.0.0 without a token: want an error")
	}
	srv, err := httpapi.NewServer(httpapi.ServerConfig{Addr: "0.0.0.0:0", Token: "s3cret"}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path, auth string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/health", "", 401},
		{"/health", "Bearer wrong", 401},
		{"/health", "Bearer s3cret", 200},
		{"/health", "bearer s3cret", 200},
		{"/v1/models", "Basic s3cret", 401},
		{"/metrics", "", 401},
		{"/", "", 401},
		{"/v1/models?token=s3cret", "", 200},
		{"/v1/models?token=nope", "", 401},
		{"/?token=s3cret", "", 303},
	} {
		if resp := get(tc.path, tc.auth); resp.StatusCode != tc.want {
			t.Errorf("GET %s (%q): %d, want %d", tc.path, tc.auth, resp.StatusCode, tc.want)
		} else if tc.want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s: 401 without WWW-Authenticate", tc.path)
		}
	}
	// The page login sets a cookie that then authorizes requests.
	resp := get("/?token=s3cret", "")
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "nlpscope_token" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: cookies %v location %q", resp.Cookies(), resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", ts.URL+"/v1/settings", nil)
	req.AddCookie(cookie)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 {
		t.Errorf("with cookie: %d", r2.StatusCode)
	}
}

func TestHTTPCORS(t *testing.T) {
	for _, tc := range []struct {
		cors, origin, want string
	}{
		{"", "http://evil.example", ""},
		{"http://localhost:5173", "http://localhost:5173", "http://localhost:5173"},
		{"http://localhost:5173", "http://evil.example", ""},
	} {
		s := newShell(t, testConfig(t), httpapi.ServerConfig{CORSOrigin: tc.cors})
		req, _ := http.NewRequest("OPTIONS", s.srv.URL+"/v1/analyze", nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
			t.Errorf("cors %q origin %q: allow-origin %q, want %q", tc.cors, tc.origin, got, tc.want)
		}
	}
}

// readEvent reads one SSE event (name and data) from r.
func readEvent(t *testing.T, r *bufio.Reader) (string, string) {
	t.Helper()
	var name, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read SSE: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		}
	}
}

func TestHTTPMetricsStream(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+"/v1/metrics/stream", nil)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	r := bufio.NewReader(resp.Body)
	// The first snapshot comes at once, the next ones from the 4 Hz ticker.
	var times []time.Time
	for len(times) < 3 {
		name, data := readEvent(t, r)
		if name != app.EventMetrics {
			continue
		}
		var m app.MetricsSnapshot
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("metrics event %q: %v", data, err)
		}
		times = append(times, m.Time)
	}
	if !times[1].After(times[0]) || !times[2].After(times[1]) {
		t.Errorf("snapshot times not increasing: %v", times)
	}

	// An import's progress arrives on the same stream.
	up, b := s.upload(map[string]string{"a.txt": "good\nbad\n"}, nil)
	if up.StatusCode != 202 {
		t.Fatalf("upload: %d %s", up.StatusCode, b)
	}
	for {
		name, data := readEvent(t, r)
		if name != app.EventImport {
			continue
		}
		var st app.ImportStatus
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			t.Fatal(err)
		}
		if st.State == app.StateDone {
			if st.Done != 2 {
				t.Errorf("final import event %+v", st)
			}
			break
		}
	}
}

func TestHTTPLoadTests(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	var none json.RawMessage
	s.do("GET", "/v1/loadtests/current", nil, &none)
	if string(none) != "null" {
		t.Errorf("current before any run = %s", none)
	}
	cfg := app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 50, Duration: time.Second, Thresholds: []string{"errors<1%"}}
	var st app.LoadTestStatus
	resp, b := s.do("POST", "/v1/loadtests", cfg, &st)
	if resp.StatusCode != 200 || st.State != app.StateRunning || st.ID == "" {
		t.Fatalf("start: %d %s", resp.StatusCode, b)
	}
	s.wantError("POST", "/v1/loadtests", cfg, 409, "conflict")
	deadline := time.Now().Add(time.Minute)
	for st.State == app.StateRunning {
		if time.Now().After(deadline) {
			t.Fatalf("load test still running: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
		s.do("GET", "/v1/loadtests/current", nil, &st)
	}
	if st.State != app.StateDone || st.Report == nil || st.Report.Requests != 50 || !st.Report.Passed {
		t.Fatalf("finished: %+v", st)
	}
	var list []app.LoadTestSummary
	s.do("GET", "/v1/loadtests", nil, &list)
	if len(list) != 1 || list[0].ID != st.Report.ID || list[0].Requests != 50 || list[0].Mode != "open" {
		t.Fatalf("list = %+v", list)
	}
	var rep struct {
		ID       string
		Requests uint64
		Latency  struct{ Count uint64 }
		Series   []any
	}
	s.do("GET", "/v1/loadtests/"+list[0].ID, nil, &rep)
	if rep.ID != list[0].ID || rep.Requests != 50 || rep.Latency.Count != 50 || len(rep.Series) == 0 {
		t.Errorf("report = %+v", rep)
	}
	var cmp app.LoadTestComparison
	s.do("GET", "/v1/loadtests/compare?a="+rep.ID+"&b="+rep.ID, nil, &cmp)
	if cmp.Delta["p95_ms"] != 0 || cmp.A.Requests != 50 {
		t.Errorf("compare with itself = %+v", cmp.Delta)
	}
	resp, _ = s.do("DELETE", "/v1/loadtests/"+rep.ID, nil, nil)
	if resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	s.wantError("GET", "/v1/loadtests/"+rep.ID, nil, 404, "not_found")
	s.wantError("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Mode: "open", Duration: time.Second}, 400, "bad_request")
	s.wantError("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Rate: 5, Duration: time.Second, Thresholds: []string{"p95<<1"}}, 400, "bad_request")
}

// TestHTTPLoadTestFindMax starts a capacity search on the real engine with
// a loose SLO and tiny steps: it grows to its max rate, and the saved
// report's steps add up to its totals.
func TestHTTPLoadTestFindMax(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	cfg := app.LoadTestConfig{Task: "sentiment", Duration: 200 * time.Millisecond,
		FindMax: &app.LoadTestFindMax{SLO: []string{"p99<10s"}, StartRate: 10, MaxRate: 40}}
	var st app.LoadTestStatus
	resp, b := s.do("POST", "/v1/loadtests", cfg, &st)
	if resp.StatusCode != 200 || st.State != app.StateRunning || st.Config == nil || st.Config.Duration != cfg.Duration {
		t.Fatalf("start: %d %s", resp.StatusCode, b)
	}
	deadline := time.Now().Add(time.Minute)
	for st.State == app.StateRunning {
		if time.Now().After(deadline) {
			t.Fatalf("search still running: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
		s.do("GET", "/v1/loadtests/current", nil, &st)
	}
	r := st.Report
	if st.State != app.StateDone || r == nil || r.Capacity == nil || r.Mode != profiler.ModeCapacity {
		t.Fatalf("finished: %+v", st)
	}
	c := r.Capacity
	var sent, ok uint64
	for _, step := range c.Steps {
		sent += step.Requests
		ok += step.Succeeded
	}
	// 10, 20 and 40 req/s for 200 ms: 2 + 4 + 8 requests.
	if len(c.Steps) != 3 || sent != r.Requests || ok != r.Succeeded || r.Requests != 14 || c.MaxPassingRate != 40 || c.StopReason != profiler.CapacityMaxRate || !r.Passed {
		t.Fatalf("capacity %+v; report: %d sent, %d ok", c, r.Requests, r.Succeeded)
	}
	var saved profiler.Report
	s.do("GET", "/v1/loadtests/"+r.ID, nil, &saved)
	if saved.Capacity == nil || len(saved.Capacity.Steps) != 3 || saved.Capacity.Steps[2].Requests != c.Steps[2].Requests || saved.Requests != r.Requests {
		t.Fatalf("saved report's capacity = %+v", saved.Capacity)
	}
	var list []app.LoadTestSummary
	s.do("GET", "/v1/loadtests", nil, &list)
	if len(list) != 1 || list[0].Mode != profiler.ModeCapacity || list[0].MaxRate != 40 || list[0].Requests != 14 {
		t.Fatalf("list = %+v", list)
	}
	// A second search, cancelled after its first step: the status showed
	// the steps so far, and the partial report keeps every step.
	long := app.LoadTestConfig{Task: "sentiment", Duration: 300 * time.Millisecond, FindMax: &app.LoadTestFindMax{SLO: []string{"p99<10s"}}}
	var run app.LoadTestStatus
	s.do("POST", "/v1/loadtests", long, &run)
	for run.Capacity == nil || len(run.Capacity.Steps) == 0 {
		if time.Now().After(deadline) || run.State != app.StateRunning {
			t.Fatalf("no step reported: %+v", run)
		}
		time.Sleep(20 * time.Millisecond)
		run = app.LoadTestStatus{}
		s.do("GET", "/v1/loadtests/current", nil, &run)
	}
	var final app.LoadTestStatus
	if resp, b := s.do("POST", "/v1/loadtests/"+run.ID+"/cancel", struct{}{}, &final); resp.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", resp.StatusCode, b)
	}
	if final.State != app.StateCancelled || final.Report == nil || final.Report.Capacity == nil || final.Capacity != nil {
		t.Fatalf("cancelled: %+v", final)
	}
	pc := final.Report.Capacity
	sent = 0
	for _, step := range pc.Steps {
		sent += step.Requests
	}
	// The cancel lands during the second step (or, rarely, just between
	// the first and the second).
	if len(pc.Steps) < 1 || pc.Steps[0].Status != profiler.StatusCompleted || pc.StopReason != profiler.CapacityCanceled || sent != final.Report.Requests {
		t.Fatalf("partial search: %+v (%d sent in steps, %d in the report)", pc, sent, final.Report.Requests)
	}

	for _, bad := range []app.LoadTestConfig{
		{Task: "sentiment", Rate: 10, FindMax: &app.LoadTestFindMax{SLO: []string{"p99<50ms"}}},
		{Task: "sentiment", FindMax: &app.LoadTestFindMax{}},
		{Task: "sentiment", FindMax: &app.LoadTestFindMax{SLO: []string{"p99<50ms"}, MaxDuration: 2 * time.Hour}},
		{Task: "sentiment", Mode: "closed", Users: 2, FindMax: &app.LoadTestFindMax{SLO: []string{"p99<50ms"}}},
		{Task: "sentiment", Thresholds: []string{"p95<1s"}, FindMax: &app.LoadTestFindMax{SLO: []string{"p99<50ms"}}},
		{Task: "sentiment", Rate: 10, Duration: time.Second, Arrivals: "bursty"},
	} {
		s.wantError("POST", "/v1/loadtests", bad, 400, "bad_request")
	}
}

func TestHTTPFrontend(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	resp, b := s.do("GET", "/", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<html") {
		t.Errorf("GET /: %d %.200s", resp.StatusCode, b)
	}
	resp, b = s.do("GET", "/history", nil, nil) // a client-side route
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<html") {
		t.Errorf("GET /history: %d %.200s", resp.StatusCode, b)
	}
	s.wantError("POST", "/", "x", 405, "method_not_allowed")
}

// TestHTTPEmptyListsAreNotNull reads every list of a fresh server, before
// anything was analysed: empty lists are [] (do fails on any null).
func TestHTTPEmptyListsAreNotNull(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	for _, path := range []string{"/health", "/v1/metrics", "/v1/models", "/v1/settings", "/v1/results", "/v1/imports", "/v1/loadtests"} {
		if resp, b := s.do("GET", path, nil, nil); resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
	var page app.SearchPage
	if s.do("GET", "/v1/results", nil, &page); page.Items == nil {
		t.Error("GET /v1/results: items is not a list")
	}
}

// Every workload is measured where the texts pass (the Service), not in the
// HTTP middleware: HTTP analyses, an import and a built-in load test each
// appear under their source in /v1/metrics and /metrics, and the counts
// equal an independent count of the work (texts sent, rows imported,
// requests the load test's report says succeeded).
func TestHTTPMetricsCountEveryWorkload(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	httpTexts := 0
	for i := range 5 {
		texts := []string{"good film", "Alice met Bob in Paris", "awful"}[:1+i%3]
		var res app.AnalyzeResponse
		if resp, b := s.do("POST", "/v1/analyze", app.AnalyzeRequest{Texts: texts, NoStore: true}, &res); resp.StatusCode != 200 {
			t.Fatalf("analyze: %d %s", resp.StatusCode, b)
		}
		httpTexts += len(texts)
	}
	var lines strings.Builder
	for i := range 300 {
		fmt.Fprintf(&lines, "imported text number %d\n", i)
	}
	up, b := s.upload(map[string]string{"a.txt": lines.String()}, map[string]string{"tasks": "sentiment"})
	if up.StatusCode != 202 {
		t.Fatalf("upload: %d %s", up.StatusCode, b)
	}
	var imp app.ImportStatus
	json.Unmarshal(b, &imp)
	if imp = s.waitImport(imp.ID); imp.Done != 300 {
		t.Fatalf("import %+v", imp)
	}
	var lt app.LoadTestStatus
	if resp, b := s.do("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 40, Duration: time.Second}, &lt); resp.StatusCode != 200 {
		t.Fatalf("load test: %d %s", resp.StatusCode, b)
	}
	for deadline := time.Now().Add(time.Minute); lt.State == app.StateRunning; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("load test still running")
		}
		s.do("GET", "/v1/loadtests/current", nil, &lt)
	}
	if lt.Report == nil || lt.Report.Succeeded == 0 {
		t.Fatalf("load test %+v", lt)
	}

	var m app.MetricsSnapshot
	s.do("GET", "/v1/metrics", nil, &m)
	want := map[string]uint64{"http": uint64(httpTexts), "import": 300, "loadtest": lt.Report.Succeeded}
	got := map[string]uint64{}
	var sum uint64
	for _, src := range m.Profiler.Throughput.Sources {
		got[src.Source] = src.Texts
		sum += src.Texts
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("source %s: %d texts in /v1/metrics, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if m.Profiler.Throughput.Texts != sum || sum != uint64(httpTexts)+300+lt.Report.Succeeded {
		t.Errorf("texts total %d, sources sum %d, work done %d", m.Profiler.Throughput.Texts, sum, uint64(httpTexts)+300+lt.Report.Succeeded)
	}
	// Requests: 5 HTTP calls, the import's chunks, one per load-test request.
	reqs := map[string]uint64{}
	for _, op := range m.Profiler.Ops {
		reqs[op.Source] += op.Total.Count
	}
	if reqs["http"] != 5 || reqs["loadtest"] != lt.Report.Completed || reqs["import"] == 0 {
		t.Errorf("requests by source %v; want http 5, loadtest %d", reqs, lt.Report.Completed)
	}
	// The all-sources series of an operation (source "") is the sum of its
	// sources; the throughput total counts each request once.
	all, bySrc := map[string]uint64{}, map[string]uint64{}
	for _, op := range m.Profiler.Ops {
		if strings.HasPrefix(op.Name, "http:") {
			continue
		}
		if op.Source == "" {
			all[op.Name] += op.Total.Count
		} else {
			bySrc[op.Name] += op.Total.Count
		}
	}
	if len(all) == 0 || !maps.Equal(all, bySrc) || m.Profiler.Throughput.Requests != reqs["http"]+reqs["import"]+reqs["loadtest"] {
		t.Errorf("all-sources ops %v, sum of sources %v, requests %d", all, bySrc, m.Profiler.Throughput.Requests)
	}
	// Prometheus has the same series with a source label.
	resp, body := s.do("GET", "/metrics", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	for src, n := range want {
		line := fmt.Sprintf("nlpscope_source_texts_total{source=%q} %d\n", src, n)
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if !strings.Contains(string(body), `nlpscope_http_request_duration_seconds_count{route="POST /v1/analyze"} 5`) {
		t.Errorf("/metrics lacks the HTTP route table for POST /v1/analyze")
	}
}

// TestHTTPLoadTestLimits: load tests over a start-up limit are refused with
// 400 naming the limit and its flag and start nothing; a second test while
// one runs gets 409 naming the running id; the API stops the running one.
func TestHTTPLoadTestLimits(t *testing.T) {
	cfg := testConfig(t)
	cfg.LoadTests = app.LoadTestLimits{MaxRate: 100, MaxUsers: 4, MaxDuration: time.Minute, MaxInFlight: 8}
	s := newShell(t, cfg, httpapi.ServerConfig{})
	over := func(c app.LoadTestConfig, limit, flag string) {
		t.Helper()
		_, b := s.do("POST", "/v1/loadtests", c, nil)
		resp := s.wantError("POST", "/v1/loadtests", c, 400, "bad_request")
		if resp.StatusCode == 400 && (!bytes.Contains(b, []byte(limit)) || !bytes.Contains(b, []byte("--"+flag))) {
			t.Errorf("%+v: %s does not name the limit %s and --%s", c, b, limit, flag)
		}
	}
	sec := time.Second
	over(app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 1e6, Duration: time.Hour}, "100", "loadtest-max-rate")
	over(app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 50, StartRate: 200, Ramp: sec, Duration: sec}, "100", "loadtest-max-rate")
	over(app.LoadTestConfig{Task: "sentiment", Mode: "closed", Users: 5, Duration: sec}, "4", "loadtest-max-users")
	over(app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 50, Duration: 2 * time.Minute}, "1m0s", "loadtest-max-duration")
	over(app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 50, Duration: sec, MaxInFlight: 9}, "8", "loadtest-max-inflight")
	over(app.LoadTestConfig{Task: "sentiment", Duration: sec, FindMax: &app.LoadTestFindMax{SLO: []string{"p99<1s"}, MaxRate: 101}}, "100", "loadtest-max-rate")
	over(app.LoadTestConfig{Task: "sentiment", Duration: sec, FindMax: &app.LoadTestFindMax{SLO: []string{"p99<1s"}, MaxDuration: time.Hour}}, "1m0s", "loadtest-max-duration")
	var none json.RawMessage
	s.do("GET", "/v1/loadtests/current", nil, &none)
	if string(none) != "null" {
		t.Fatalf("a refused load test started: current = %s", none)
	}

	// At the limits: accepted, and the in-flight bound is the limit.
	var st app.LoadTestStatus
	resp, b := s.do("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Mode: "open", Rate: 100, Duration: time.Minute}, &st)
	if resp.StatusCode != 200 || st.State != app.StateRunning || st.Config == nil || st.Config.MaxInFlight != 8 {
		t.Fatalf("start at the limits: %d %s", resp.StatusCode, b)
	}
	_, b = s.do("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Mode: "closed", Users: 1, Duration: sec}, nil)
	s.wantError("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Mode: "closed", Users: 1, Duration: sec}, 409, "conflict")
	if !bytes.Contains(b, []byte(st.ID)) {
		t.Errorf("409 %s does not name the running test %s", b, st.ID)
	}
	var fin app.LoadTestStatus
	resp, b = s.do("POST", "/v1/loadtests/"+st.ID+"/cancel", struct{}{}, &fin)
	if resp.StatusCode != 200 || fin.State != app.StateCancelled || fin.Report == nil || fin.Report.Requests >= 6000 {
		t.Fatalf("cancel: %d %s", resp.StatusCode, b)
	}
}
