package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
)

func TestDoctor(t *testing.T) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 (make setup)")
	}
	models := filepath.Join("..", "engine", "testdata")
	code, out, errOut := runCLI(t, "", "doctor", "--models-dir", models, "--json")
	// engine/testdata holds deliberately broken models, so doctor fails on
	// them while reporting the good ones.
	if code != cli.ExitFailure {
		t.Fatalf("exit %d with broken fixture models, want 1; stderr %s", code, errOut)
	}
	var r cli.DoctorReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if !r.ORT.Found || r.ORT.Version != "1.24.1" || r.ORT.Active != "cpu" || len(r.ORT.Providers) == 0 {
		t.Errorf("ort %+v", r.ORT)
	}
	byName := map[string]cli.DoctorModel{}
	for _, m := range r.Models {
		byName[m.Name] = m
	}
	if m := byName["ner"]; m.Error != "" || m.Task != "entities" || len(m.Labels) != 7 {
		t.Errorf("ner %+v", m)
	}
	if m := byName["bad_not_onnx"]; !strings.Contains(m.Error, "not a loadable ONNX model") {
		t.Errorf("bad_not_onnx %+v", m)
	}
	gpu := len(doctorGlob(t, "/dev/nvidia[0-9]*")) > 0
	if r.GPU.Present != gpu {
		t.Errorf("gpu present %v, /dev/nvidia* says %v", r.GPU.Present, gpu)
	}
	if !gpu && (r.GPU.NVML.Available || r.GPU.NVML.Reason == "") {
		t.Errorf("no GPU here but NVML says %+v", r.GPU.NVML)
	}

	// Only good models: exit 0, human-readable report.
	good := t.TempDir()
	for _, name := range []string{"sentiment", "ner"} {
		doctorCopyDir(t, filepath.Join(models, name), filepath.Join(good, name))
	}
	code, out, _ = runCLI(t, "", "doctor", "--models-dir", good)
	if code != cli.ExitOK || !strings.Contains(out, "version      1.24.1") || !strings.Contains(out, "sentiment    ok") {
		t.Errorf("exit %d:\n%s", code, out)
	}

	// CUDA on a CPU-only library: reported, falls back, still exit 0.
	code, out, _ = runCLI(t, "", "doctor", "--provider", "cuda", "--json")
	r = cli.DoctorReport{}
	json.Unmarshal([]byte(out), &r)
	if code != cli.ExitOK || r.ORT.Active != "cpu" || !strings.Contains(r.ORT.Note, "CUDA") {
		t.Errorf("cuda: exit %d %+v", code, r.ORT)
	}
}

func TestDoctorWithoutORT(t *testing.T) {
	code, out, _ := runCLI(t, "", "doctor", "--ort-lib", "/nonexistent/libonnxruntime.so.1")
	if code != cli.ExitFailure || !strings.Contains(out, "ONNX Runtime   FAIL") || !strings.Contains(out, "make setup") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "", "doctor", "--provider", "tpu"); code != cli.ExitUsage {
		t.Errorf("bad provider: exit %d", code)
	}
}

func doctorGlob(t *testing.T, pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func doctorCopyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
