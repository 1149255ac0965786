package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
)

func loadtestCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, "", append([]string{"loadtest"}, args...)...)
}

func decodeReport(t *testing.T, out string) profiler.Report {
	t.Helper()
	var r profiler.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	return r
}

func TestLoadtestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--duration", "1s"},                                   // neither rate nor users
		{"--rate", "10", "--users", "2"},                       // both
		{"--rate", "10", "--threshold", "p95<fast"},            // bad threshold
		{"--rate", "10", "--task", "translate"},                // unknown task
		{"--rate", "10", "--target", "http://192.0.2.1:8080/"}, // remote without --allow-remote
		{"--rate", "10", "--target", "ftp://127.0.0.1/"},
		{"--rate", "10", "extra"},
		{"--rate", "10", "--duration", "-1s"},
		{"--rate", "10", "--texts", filepath.Join(t.TempDir(), "missing.txt")},
		{"--no-such-flag"},
	} {
		code, _, errOut := loadtestCLI(t, args...)
		if code != cli.ExitUsage || errOut == "" {
			t.Errorf("loadtest %v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	if code, _, errOut := loadtestCLI(t, "--rate", "10", "--target", "http://192.0.2.1:8080/"); !strings.Contains(errOut, "allow") {
		t.Errorf("remote refusal (exit %d) does not say how to allow it: %q", code, errOut)
	}
}

// fakeServe answers like `nlpscope serve` on /v1/sentiment/analyze.
func fakeServe(t *testing.T, fail func(text string) bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Text    string `json:"text"`
			NoStore bool   `json:"no_store"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v1/sentiment/analyze" {
			http.Error(w, `{"error":{"code":"not_found","message":"no route"}}`, http.StatusNotFound)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Text == "" || !req.NoStore {
			http.Error(w, `{"error":{"code":"bad_request","message":"bad body"}}`, http.StatusBadRequest)
			return
		}
		n.Add(1)
		if fail != nil && fail(req.Text) {
			http.Error(w, `{"error":{"code":"overloaded","message":"queue full"}}`, http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"text":"x","sentiment":{"label":"positive","score":0.9}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestLoadtestURLTarget(t *testing.T) {
	srv, hits := fakeServe(t, nil)
	texts := filepath.Join(t.TempDir(), "texts.txt")
	if err := os.WriteFile(texts, []byte("good movie\n{\"text\": \"bad \\\"film\\\"\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := loadtestCLI(t, "--target", srv.URL, "--rate", "100", "--duration", "500ms",
		"--texts", texts, "--threshold", "errors==0", "--threshold", "p(99.9)<10s", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests != 50 || r.Succeeded != 50 || hits.Load() != 50 || !r.Passed || len(r.Thresholds) != 2 {
		t.Fatalf("report: sent %d ok %d (server saw %d), passed %v, thresholds %+v", r.Requests, r.Succeeded, hits.Load(), r.Passed, r.Thresholds)
	}
	if r.Meta["url"] != srv.URL || r.Config.Task != "sentiment" || r.Mode != "open" || r.Latency.Count != 50 {
		t.Fatalf("report meta %v config %+v latency %+v", r.Meta, r.Config, r.Latency)
	}
}

func TestLoadtestThresholdFailureExitsOne(t *testing.T) {
	srv, _ := fakeServe(t, func(text string) bool { return strings.HasPrefix(text, "bad") })
	texts := filepath.Join(t.TempDir(), "texts.txt")
	os.WriteFile(texts, []byte("good\nbad\n"), 0o644)
	db := filepath.Join(t.TempDir(), "runs.db")
	code, out, errOut := loadtestCLI(t, "--target", srv.URL, "--users", "2", "--duration", "10s", "--max-requests", "40",
		"--texts", texts, "--threshold", "errors<1%", "--db", db, "--name", "half fail")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	for _, want := range []string{"40 sent", "http_429", "errors<1%", "FAIL", "result: FAIL (threshold)", "p99.9"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The run was saved with its summary, series and verdict.
	st, err := storage.Open(context.Background(), storage.Config{Path: db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), 10, 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("saved runs = %v, %v", runs, err)
	}
	if runs[0].Name != "half fail" || runs[0].Passed {
		t.Fatalf("saved run = %+v", runs[0])
	}
	run, err := st.GetRun(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var sum profiler.Summary
	if err := json.Unmarshal(run.Summary, &sum); err != nil || sum.Requests != 40 || sum.Errors != 20 || sum.ErrorsByKind["http_429"] != 20 {
		t.Fatalf("saved summary = %+v (%v)", sum, err)
	}
	var series []profiler.SecondStats
	if err := json.Unmarshal(run.TimeSeries, &series); err != nil || len(series) == 0 {
		t.Fatalf("saved series = %s (%v)", run.TimeSeries, err)
	}
	var hw profiler.Hardware
	if err := json.Unmarshal(run.Hardware, &hw); err != nil || hw.LogicalCores == 0 {
		t.Fatalf("saved hardware = %s (%v)", run.Hardware, err)
	}
}

// TestLoadtestInproc drives the real engine (ONNX Runtime) with the small
// fixture sentiment model.
func TestLoadtestInproc(t *testing.T) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 (make setup)")
	}
	model := filepath.Join("..", "engine", "testdata", "sentiment")
	code, out, errOut := loadtestCLI(t, "--target", "inproc", "--task", "sentiment", "--model-sentiment", model,
		"--rate", "50", "--duration", "1s", "--threshold", "errors==0", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests != 50 || r.Succeeded != 50 || r.Latency.Count != 50 || r.Latency.P50 <= 0 {
		t.Fatalf("report: sent %d ok %d latency %+v errors %v", r.Requests, r.Succeeded, r.Latency, r.ErrorSamples)
	}
	if len(r.Meta[profiler.MetaModelHash]) != 64 || r.Meta[profiler.MetaORTVersion] != "1.24.1" {
		t.Fatalf("meta = %v", r.Meta)
	}
}

// TestLoadtestInprocDefaultModels runs both pipelines of the embedded
// default models in closed loop.
func TestLoadtestInprocDefaultModels(t *testing.T) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 (make setup)")
	}
	code, out, errOut := loadtestCLI(t, "--task", "analyze", "--users", "2", "--duration", "30s", "--max-requests", "20",
		"--threshold", "errors==0", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	if r.Requests != 20 || r.Succeeded != 20 || r.StopReason != profiler.StopMaxRequests || r.PeakInFlight > 2 {
		t.Fatalf("report: sent %d ok %d stop %s peak %d errors %v", r.Requests, r.Succeeded, r.StopReason, r.PeakInFlight, r.ErrorSamples)
	}
	// Both models' hashes.
	if h := strings.Split(r.Meta[profiler.MetaModelHash], ","); len(h) != 2 || len(h[0]) != 64 || len(h[1]) != 64 {
		t.Fatalf("model hashes = %q", r.Meta[profiler.MetaModelHash])
	}
}
