package httpapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/catalog"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/httpapi"
)

// copyModel copies a fixture model folder to dst and returns dst.
func copyModel(t *testing.T, src, dst string) string {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// withInt8 writes an INT8 variant next to dir's model.onnx, as
// `nlpscope models quantize` does.
func withInt8(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := quantize.Dynamic(b, quantize.Options{MinElements: 1, MinColumns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model_int8.onnx"), q, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPModelCatalog: GET /v1/models lists the catalog with each model's
// variants, a variant can be activated by name or as REF#FILE, and every
// model that cannot be activated (not in the catalog, missing, broken, an
// unknown variant) gets the same answer, so that a page learns nothing
// about the paths on this computer, and the active model stays.
func TestHTTPModelCatalog(t *testing.T) {
	modelsDir := t.TempDir()
	sent := copyModel(t, fixtureSentiment, filepath.Join(modelsDir, "tiny-sentiment"))
	withInt8(t, sent)
	copyModel(t, filepath.Join("..", "engine", "testdata", "bad_rank"), filepath.Join(modelsDir, "broken"))
	outside := copyModel(t, fixtureSentiment, filepath.Join(t.TempDir(), "outside"))
	cfg := testConfig(t)
	cfg.ModelsDir = modelsDir
	s := newShell(t, cfg, httpapi.ServerConfig{})

	var m app.ModelsResponse
	s.do("GET", "/v1/models", nil, &m)
	var found *catalog.Model
	for i, a := range m.Available {
		if a.Dir == sent {
			found = &m.Available[i]
		}
		if a.Dir == outside {
			t.Errorf("a folder not given at start-up is listed: %+v", a)
		}
	}
	if found == nil {
		t.Fatalf("models-dir model not listed: %+v", m.Available)
	}
	if found.Source != catalog.SourceModelsDir || found.Task != engine.TaskSentiment || len(found.Variants) != 2 {
		t.Fatalf("listed model = %+v", *found)
	}
	fp32, int8 := found.Variants[0], found.Variants[1]
	if fp32.Name != "fp32" || fp32.File != "model.onnx" || !fp32.Default || fp32.Quantized || fp32.Precision != "fp32" {
		t.Errorf("default variant = %+v", fp32)
	}
	if st, _ := os.Stat(filepath.Join(sent, "model_int8.onnx")); int8.Name != "int8" || int8.File != "model_int8.onnx" || int8.Default ||
		!int8.Quantized || int8.Scheme == "" || st == nil || int8.SizeBytes != st.Size() {
		t.Errorf("int8 variant = %+v", int8)
	}

	var info engine.ModelInfo
	resp, b := s.do("POST", "/v1/models/active", map[string]string{"task": "sentiment", "ref": found.Ref, "variant": "int8"}, &info)
	if resp.StatusCode != 200 || info.File != "model_int8.onnx" || !info.Quantized || info.Dir != sent {
		t.Fatalf("activate int8: %d %s", resp.StatusCode, b)
	}
	int8ID := info.ID
	resp, b = s.do("POST", "/v1/models/active", map[string]string{"task": "sentiment", "ref": found.Ref + "#model.onnx"}, &info)
	if resp.StatusCode != 200 || info.File != "model.onnx" || info.Quantized || info.ID == int8ID {
		t.Fatalf("activate REF#model.onnx: %d %s", resp.StatusCode, b)
	}
	active := info.ID

	var msgs []string
	for _, req := range []map[string]string{
		{"task": "sentiment", "ref": outside},                            // a valid model, but not offered
		{"task": "sentiment", "ref": "/nonexistent"},                     // missing
		{"task": "sentiment", "ref": "/etc"},                             // a folder, not a model
		{"task": "sentiment", "ref": filepath.Join(sent, "config.json")}, // a file
		{"task": "sentiment", "ref": filepath.Join(modelsDir, "broken")},
		{"task": "sentiment", "ref": found.Ref, "variant": "fp16"},
		{"task": "sentiment", "ref": found.Ref + "#../outside/model.onnx"},
		{"task": "entities", "ref": found.Ref}, // a sentiment model
		{"task": "sentiment", "ref": "acme/never-pulled"},
	} {
		resp, b := s.do("POST", "/v1/models/active", req, nil)
		var e app.ErrorBody
		json.Unmarshal(b, &e)
		if resp.StatusCode != 400 || e.Error.Code != "bad_model" {
			t.Errorf("%v: %d %s, want 400 bad_model", req, resp.StatusCode, b)
		}
		msgs = append(msgs, e.Error.Message)
	}
	for _, msg := range msgs[1:] {
		if msg != msgs[0] {
			t.Errorf("refusals differ, so they tell what exists: %q vs %q", msg, msgs[0])
		}
	}
	var after app.ModelsResponse
	s.do("GET", "/v1/models", nil, &after)
	for _, a := range after.Active {
		if a.Task == engine.TaskSentiment && a.ID != active {
			t.Errorf("active sentiment model changed by refused requests: %s, want %s", a.ID, active)
		}
	}
}
