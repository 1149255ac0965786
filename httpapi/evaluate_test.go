package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/gold"
	"github.com/nlpscope/nlpscope/httpapi"
)

// History exports in every training format, and a file exported there
// evaluates the same models at 1.0 through POST /v1/evaluate; a JSON gold
// set with one sentiment changed counts exactly that one.
func TestHTTPExportAndEvaluate(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	texts := []string{"Alice in Paris was great 😍", "Bob in London, awful", "great food in 東京 Berlin", "the film was boring"}
	var res app.AnalyzeResponse
	s.do("POST", "/v1/analyze", map[string]any{"texts": texts}, &res)
	if len(res.Results) != len(texts) {
		t.Fatalf("analyze: %+v", res)
	}
	for _, f := range gold.Formats {
		resp, b := s.do("GET", "/v1/results/export?comments=true&format="+string(f), nil, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != gold.ContentType(f) ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), app.ExportFileName(string(f))) {
			t.Fatalf("export %s: %d %v\n%s", f, resp.StatusCode, resp.Header, b)
		}
		docs, err := gold.ReadAll(strings.NewReader(string(b)), f, 0)
		if err != nil || len(docs) != len(texts) {
			t.Fatalf("export %s reads back as %d documents, %v", f, len(docs), err)
		}
		if f == gold.SentimentCSV || f == gold.SentimentJSONL {
			continue
		}
		// A gold file in this format evaluates the models that made it at 1.0.
		var ev app.Evaluation
		resp, b = s.uploadTo("/v1/evaluate", map[string]string{app.ExportFileName(string(f)): string(b)}, map[string]string{"format": string(f)})
		if err := json.Unmarshal(b, &ev); resp.StatusCode != 200 || err != nil || len(ev.Runs) != 1 {
			t.Fatalf("evaluate %s: %d %s", f, resp.StatusCode, b)
		}
		var raw any
		json.Unmarshal(b, &raw)
		if p := findNull(raw, "evaluation"); p != "" {
			t.Errorf("evaluate %s: null at %s", f, p)
		}
		r := ev.Runs[0].Report
		if ev.Docs != len(texts) || r.Entities == nil || r.Entities.Micro.F1 != 1 || r.Sentiment == nil || r.Sentiment.Accuracy != 1 {
			t.Errorf("evaluate %s: %s", f, b)
		}
	}

	docs := []gold.Doc{}
	for _, r := range res.Results {
		docs = append(docs, gold.Doc{Text: r.Text, Sentiment: r.Sentiment.Label})
	}
	docs[1].Sentiment = map[bool]string{true: "NEGATIVE", false: "POSITIVE"}[docs[1].Sentiment == "POSITIVE"]
	var ev app.Evaluation
	s.do("POST", "/v1/evaluate", app.EvaluateRequest{Docs: docs}, &ev)
	if len(ev.Runs) != 1 || ev.Runs[0].Report.Sentiment == nil || ev.Runs[0].Report.Sentiment.Correct != len(texts)-1 ||
		ev.Runs[0].Report.Entities != nil || len(ev.Runs[0].Report.Disagreements) != 1 || ev.Runs[0].Report.Disagreements[0].Doc != 2 {
		t.Errorf("evaluate JSON: %+v", ev)
	}

	s.wantError("GET", "/v1/results/export?format=xml", nil, 400, "bad_request")
	s.wantError("GET", "/v1/results/export?format=conll&comments=maybe", nil, 400, "bad_request")
	s.wantError("POST", "/v1/evaluate", app.EvaluateRequest{}, 400, "bad_request")
	overlap := `{"docs": [{"text": "New York", "entities": [{"start": 0, "end": 8, "label": "LOC"}, {"start": 4, "end": 8, "label": "LOC"}]}]}`
	if resp, b := s.do("POST", "/v1/evaluate", overlap, nil); resp.StatusCode != 400 || !strings.Contains(string(b), `entities overlap: LOC [0,8) \"New York\" and LOC [4,8) \"York\"`) {
		t.Errorf("overlap: %d %s", resp.StatusCode, b)
	}
	resp, b := s.uploadTo("/v1/evaluate", map[string]string{"gold.jsonl": `{"text": "x", "spans": [{"start": 0, "end": 5, "label": "X"}]}`}, nil)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "document 1") || !strings.Contains(string(b), "outside the text") {
		t.Errorf("bad gold upload: %d %s", resp.StatusCode, b)
	}
}
