package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/profiler"
)

// checkCapacityTotals checks a capacity report's totals against its steps
// and, when seen ≥ 0, against the number of requests the target saw.
func checkCapacityTotals(t *testing.T, r profiler.Report, seen int64) {
	t.Helper()
	if r.Capacity == nil || r.Mode != profiler.ModeCapacity {
		t.Fatalf("mode %q, capacity %v", r.Mode, r.Capacity)
	}
	var sent, ok, errs uint64
	for _, s := range r.Capacity.Steps {
		sent += s.Requests
		ok += s.Succeeded
		errs += s.Errors
	}
	if sent != r.Requests || ok != r.Succeeded || errs != r.Errors || r.Latency.Count != r.Completed {
		t.Fatalf("steps: %d sent, %d ok, %d errors; report: %d, %d, %d (latency count %d, completed %d)",
			sent, ok, errs, r.Requests, r.Succeeded, r.Errors, r.Latency.Count, r.Completed)
	}
	if seen >= 0 && uint64(seen) != r.Requests {
		t.Fatalf("the target saw %d requests, the report says %d", seen, r.Requests)
	}
}

func TestLoadtestFindMaxURL(t *testing.T) {
	srv, hits := fakeServe(t, nil)
	code, out, errOut := loadtestCLI(t, "--find-max", "--slo", "p99<5s", "--url", srv.URL, "--duration", "200ms",
		"--max-rate", "80", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	c := r.Capacity
	checkCapacityTotals(t, r, hits.Load())
	// 10, 20, 40, 80 req/s for 200 ms each: 2 + 4 + 8 + 16 requests.
	if len(c.Steps) != 4 || r.Requests != 30 || c.StopReason != profiler.CapacityMaxRate || c.MaxPassingRate != 80 || !r.Passed {
		t.Fatalf("capacity %+v, requests %d", c, r.Requests)
	}
	if c.StepDuration != 200e6 || strings.Join(c.SLO, ",") != "p99<5s,errors<1%" || r.Meta["url"] != srv.URL {
		t.Fatalf("step %v, slo %v, meta %v", c.StepDuration, c.SLO, r.Meta)
	}
}

func TestLoadtestFindMaxTable(t *testing.T) {
	srv, _ := fakeServe(t, nil)
	code, out, errOut := loadtestCLI(t, "--find-max", "--slo", "p99<5s", "--target", srv.URL, "--duration", "100ms", "--max-rate", "20")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"capacity search: SLO p99<5s, errors<1%", "offered/s", "achieved/s", "grow", "pass *",
		"answer: every step held the SLO (p99<5s, errors<1%) up to 20 req/s", "(stopped: max_rate)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestLoadtestFindMaxNothingHolds: every request fails, so no rate holds;
// the exit status is 1 and the message says so.
func TestLoadtestFindMaxNothingHolds(t *testing.T) {
	srv, hits := fakeServe(t, func(string) bool { return true })
	code, out, errOut := loadtestCLI(t, "--find-max", "--slo", "p99<1s", "--url", srv.URL, "--duration", "100ms",
		"--start-rate", "40", "--growth", "4", "--json")
	if code != cli.ExitFailure || !strings.Contains(errOut, "no rate held the SLO (p99<1s, errors<1%)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	r := decodeReport(t, out)
	checkCapacityTotals(t, r, hits.Load())
	// 40 → 10 → 4 (the minimum, start/10).
	if c := r.Capacity; r.Passed || c.MaxPassingRate != 0 || c.StopReason != profiler.CapacityMinRate || len(c.Steps) != 3 || c.Steps[2].Rate != 4 {
		t.Fatalf("capacity %+v", c)
	}
}

func TestLoadtestFindMaxUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--find-max"}, // no SLO
		{"--find-max", "--slo", "p99<50ms", "--rate", "10"}, // rate is the search's
		{"--find-max", "--slo", "p99<50ms", "--users", "2"},
		{"--find-max", "--slo", "p99<50ms", "--threshold", "p95<1s"},
		{"--find-max", "--slo", "p99<fast"},
		{"--find-max", "--slo", "p99<50ms", "--growth", "1"},
		{"--find-max", "--slo", "p99<50ms", "--resolution", "2"},
		{"--find-max", "--slo", "p99<50ms", "--duration", "10s", "--max-time", "5s"},
		{"--find-max", "--slo", "p99<50ms", "--arrivals", "bursty"},
		{"--rate", "10", "--slo", "p99<50ms"}, // SLO without the search
		{"--rate", "10", "--growth", "3"},
	} {
		code, _, errOut := loadtestCLI(t, args...)
		if code != cli.ExitUsage || errOut == "" {
			t.Errorf("loadtest %v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

// TestLoadtestFindMaxInproc is the smoke test on the real engine (ONNX
// Runtime, the embedded default sentiment model): a loose SLO and tiny
// steps, so the search grows to its max rate; the report's totals agree
// with its steps.
func TestLoadtestFindMaxInproc(t *testing.T) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 (make setup)")
	}
	code, out, errOut := loadtestCLI(t, "--find-max", "--slo", "p99<10s", "--task", "sentiment", "--duration", "200ms",
		"--start-rate", "20", "--max-rate", "80", "--arrivals", "poisson", "--seed", "3", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	r := decodeReport(t, out)
	checkCapacityTotals(t, r, -1)
	c := r.Capacity
	if len(c.Steps) != 3 || c.StopReason != profiler.CapacityMaxRate || c.MaxPassingRate != 80 || c.Arrivals != profiler.ArrivalsPoisson || r.Config.Seed != 3 {
		t.Fatalf("capacity %+v, seed %d", c, r.Config.Seed)
	}
	for _, s := range c.Steps {
		if !s.Pass || s.Requests == 0 || s.Succeeded != s.Requests || s.P50 <= 0 || s.P99 < s.P50 {
			t.Fatalf("step %+v", s)
		}
	}
	if r.Errors != 0 || r.Succeeded == 0 || len(r.Meta[profiler.MetaModelHash]) != 64 || r.Meta[profiler.MetaORTVersion] != "1.24.1" {
		t.Fatalf("errors %d, ok %d, meta %v", r.Errors, r.Succeeded, r.Meta)
	}
}

// TestLoadtestCompare compares two report files and two runs saved in a
// database.
func TestLoadtestCompare(t *testing.T) {
	srv, _ := fakeServe(t, nil)
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	code, outA, errOut := loadtestCLI(t, "--url", srv.URL, "--rate", "50", "--duration", "200ms", "--json", "--db", db, "--name", "plain")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, outB, errOut := loadtestCLI(t, "--url", srv.URL, "--find-max", "--slo", "p99<5s", "--duration", "100ms", "--max-rate", "20", "--json", "--db", db)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(a, []byte(outA), 0o644)
	os.WriteFile(b, []byte(outB), 0o644)
	ra, rb := decodeReport(t, outA), decodeReport(t, outB)

	code, out, errOut := loadtestCLI(t, "compare", a, b)
	if code != cli.ExitOK {
		t.Fatalf("compare files: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"A: " + a + " (plain)", "B: " + b, "open, 50 req/s", "capacity search (p99<5s, errors<1%)", "max rate holding the SLO", "20.0/s", "p99"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
	// By saved run id (1 and 2) from the database, as JSON.
	code, out, errOut = loadtestCLI(t, "compare", "1", "--db", db, "2", "--json")
	if code != cli.ExitOK {
		t.Fatalf("compare ids: exit %d: %s", code, errOut)
	}
	var cmp struct {
		A, B  profiler.Report
		Delta map[string]float64
	}
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatal(err)
	}
	if cmp.A.Requests != ra.Requests || cmp.B.Requests != rb.Requests || cmp.B.Capacity == nil || len(cmp.B.Capacity.Steps) != len(rb.Capacity.Steps) {
		t.Fatalf("compared %d vs %d requests (want %d, %d), capacity %+v", cmp.A.Requests, cmp.B.Requests, ra.Requests, rb.Requests, cmp.B.Capacity)
	}
	if d := cmp.Delta["throughput"]; d != cmp.B.Throughput-cmp.A.Throughput {
		t.Fatalf("throughput delta %v", d)
	}
	for _, args := range [][]string{{"compare", a}, {"compare", a, b, "c"}, {"compare", a, "nope", "--db", db}, {"compare", a, "99", "--db", db}} {
		if code, _, errOut := loadtestCLI(t, args...); code == cli.ExitOK || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
