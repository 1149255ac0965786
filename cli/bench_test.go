package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchQuickSmoke runs a very short `bench --quick --json` on the
// embedded default models (no benchmark models, no peer) and checks the
// machine-readable ratios and the report files.
func TestBenchQuickSmoke(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "", "bench", "--quick", "--json", "--no-peer",
		"--models-dir", filepath.Join(out, "no-bench-models"), "--out", out,
		"--only", "batching,tokenizer,storage", "--slice", "100ms", "--pairs", "1")
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	var key struct {
		EngineVsRaw    *float64 `json:"engine_vs_raw"`
		BatchingGain   *float64 `json:"default_model_batching_gain"`
		PeerRatioFP32  *float64 `json:"peer_ratio_fp32"`
		TokensPerS     *float64 `json:"tokenizer_tokens_per_s"`
		LengthBatching *float64 `json:"length_batching_vs_padded"`
		Mode           string   `json:"mode"`
		ReportFiles    []string `json:"report_files"`
	}
	if err := json.Unmarshal([]byte(stdout), &key); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if key.Mode != "quick" || key.BatchingGain == nil || *key.BatchingGain <= 0 || key.TokensPerS == nil || *key.TokensPerS <= 0 {
		t.Errorf("key ratios: %s", stdout)
	}
	if key.EngineVsRaw != nil || key.PeerRatioFP32 != nil || key.LengthBatching != nil {
		t.Errorf("ratios that need the benchmark models or the peer were reported: %s", stdout)
	}
	if len(key.ReportFiles) != 2 {
		t.Fatalf("report files %v; --quick must not update BENCHMARKS.md by default", key.ReportFiles)
	}
	md, err := os.ReadFile(key.ReportFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"benchmark models are missing", "skipped (--no-peer)", "batching on vs off", "SQLite persisted results/s"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	var full map[string]any
	data, err := os.ReadFile(key.ReportFiles[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &full); err != nil {
		t.Fatal(err)
	}
	res := full["resources"].(map[string]any)
	if res["stored_results_per_s"].(float64) <= 0 || res["cache_hit_p50_us"].(float64) <= 0 {
		t.Errorf("resources: %v", res)
	}
}

func TestBenchUsage(t *testing.T) {
	if code, _, stderr := runCLI(t, "", "bench", "extra"); code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "bench", "--no-such-flag"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
}
