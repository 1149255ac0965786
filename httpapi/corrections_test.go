package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
)

// PUT/GET/DELETE /v1/results/{id}/correction: stored apart from the
// predictions, validated with a clear 400, found by the History filters.
func TestHTTPCorrections(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	var res app.AnalyzeResponse
	s.do("POST", "/v1/analyze", map[string]any{"text": "Alice 😀 loves Paris, great"}, &res)
	s.do("POST", "/v1/analyze", map[string]any{"text": "Bob was awful"}, nil)
	id := res.Results[0].ID
	if id == 0 || res.Results[0].Sentiment == nil || res.Results[0].Sentiment.Label != "POSITIVE" {
		t.Fatalf("analyze = %+v", res.Results[0])
	}
	path := "/v1/results/" + itoa(int(id)) + "/correction"
	s.wantError("GET", path, nil, 404, "not_found")
	var doc app.DocumentResult
	s.do("GET", "/v1/results/"+itoa(int(id)), nil, &doc)
	if doc.Correction != nil {
		t.Fatalf("correction before any: %+v", doc.Correction)
	}

	// Labels in any case become the model's; the text comes from the span
	// (code points: 😀 is one).
	var c app.Correction
	resp, b := s.do("PUT", path, `{"sentiment": "negative", "entities": [{"label": "loc", "start": 14, "end": 19}, {"label": "PER", "start": 0, "end": 5}], "reviewed": true}`, &c)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, b)
	}
	if c.Sentiment == nil || *c.Sentiment != "NEGATIVE" || c.Entities == nil || len(*c.Entities) != 2 || !c.Reviewed ||
		(*c.Entities)[0] != (app.CorrectionEntity{Label: "PER", Start: 0, End: 5, Text: "Alice"}) ||
		(*c.Entities)[1] != (app.CorrectionEntity{Label: "LOC", Start: 14, End: 19, Text: "Paris"}) ||
		!strings.HasPrefix(c.SentimentModel, "sentiment@") || c.EntitiesModel == "" || c.CreatedAt.IsZero() {
		t.Fatalf("PUT = %s", b)
	}
	var got app.Correction
	s.do("GET", path, nil, &got)
	if got.Sentiment == nil || *got.Sentiment != "NEGATIVE" || len(*got.Entities) != 2 || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("GET = %+v", got)
	}
	s.do("GET", "/v1/results/"+itoa(int(id)), nil, &doc)
	if doc.Correction == nil || *doc.Correction.Sentiment != "NEGATIVE" || doc.Sentiment.Label != "POSITIVE" {
		t.Fatalf("document: correction %+v, prediction %+v", doc.Correction, doc.Sentiment)
	}

	// Filters.
	count := func(q string) int {
		var p app.SearchPage
		s.do("GET", "/v1/results?"+q, nil, &p)
		return len(p.Items)
	}
	for q, want := range map[string]int{"reviewed=1": 1, "reviewed=0": 1, "corrected=1": 1, "disagrees=1": 1,
		"disagrees=0": 1, "disagrees=1&sentiment=negative": 0, "disagrees=true&sentiment=POSITIVE": 1} {
		if n := count(q); n != want {
			t.Errorf("GET /v1/results?%s: %d items, want %d", q, n, want)
		}
	}
	var p app.SearchPage
	s.do("GET", "/v1/results?reviewed=1", nil, &p)
	if len(p.Items) != 1 || p.Items[0].ID != id || !p.Items[0].Reviewed || !p.Items[0].Corrected {
		t.Errorf("reviewed hit = %+v", p.Items)
	}
	s.wantError("GET", "/v1/results?reviewed=yes", nil, 400, "bad_request")

	// Re-analysis stores a new document; the correction stays.
	s.do("POST", "/v1/analyze", map[string]any{"text": "Alice 😀 loves Paris, great"}, nil)
	s.do("GET", path, nil, &got)
	if got.Sentiment == nil || *got.Sentiment != "NEGATIVE" {
		t.Fatalf("after re-analysis: %+v", got)
	}

	// Bad corrections: 400 with a message naming the problem; nothing changes.
	for _, tc := range []struct{ body, msg string }{
		{`{"sentiment": "MEH"}`, `sentiment label "MEH" is not one of the model's labels`},
		{`{"sentiment": ""}`, "sentiment label is empty"},
		{`{"entities": [{"label": "PER", "start": 0, "end": 99}]}`, "outside the text"},
		{`{"entities": [{"label": "PER", "start": 3, "end": 3}]}`, "empty"},
		{`{"entities": [{"label": "PER", "start": 0, "end": 5}, {"label": "LOC", "start": 4, "end": 8}]}`, "entities overlap"},
		{`{"entities": [{"label": "FOOD", "start": 0, "end": 5}]}`, `entity 0 label "FOOD" is not one of the model's labels`},
		{`{"entities": [{"label": "", "start": 0, "end": 5}]}`, "entity 0 label is empty"},
	} {
		resp, b := s.do("PUT", path, tc.body, nil)
		var e app.ErrorBody
		json.Unmarshal(b, &e)
		if resp.StatusCode != 400 || !strings.Contains(e.Error.Message, tc.msg) || e.Error.Code != app.CodeBadRequest {
			t.Errorf("PUT %s: %d %s, want 400 with %q", tc.body, resp.StatusCode, b, tc.msg)
		}
	}
	s.wantError("PUT", path, `{"sentiment": 5}`, 400, "bad_json")
	s.wantError("PUT", "/v1/results/999999/correction", `{"reviewed": true}`, 404, "not_found")
	s.wantError("PUT", "/v1/results/abc/correction", `{"reviewed": true}`, 400, "bad_request")
	s.do("GET", path, nil, &got)
	if *got.Sentiment != "NEGATIVE" || len(*got.Entities) != 2 || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("refused PUTs changed the correction: %+v", got)
	}

	// The guard: a cross-site form post cannot write a correction.
	if st, b := s.raw("PUT", path, "", map[string]string{"Content-Type": "text/plain"}, `{"reviewed": false}`); st != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain PUT: %d %s", st, b)
	}
	if st, b := s.raw("PUT", path, "", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, `{"reviewed": false}`); st != http.StatusForbidden {
		t.Errorf("cross-origin PUT: %d %s", st, b)
	}
	if st, b := s.raw("DELETE", path, "", map[string]string{"Origin": "https://evil.example"}, ""); st != http.StatusForbidden {
		t.Errorf("cross-origin DELETE: %d %s", st, b)
	}

	s.do("DELETE", path, nil, nil)
	s.wantError("GET", path, nil, 404, "not_found")
	s.wantError("DELETE", path, nil, 404, "not_found")
	if n := count("corrected=1"); n != 0 {
		t.Errorf("corrected after DELETE: %d", n)
	}
	var after app.DocumentResult
	s.do("GET", "/v1/results/"+itoa(int(id)), nil, &after)
	if after.Correction != nil || after.Sentiment.Label != "POSITIVE" {
		t.Fatalf("after DELETE: %+v", doc)
	}
}
