package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/engine/quantize"
)

// TestExpectedDrift checks the verdict `models compare` gives on an fp32 →
// INT8 comparison, for hosts of both kinds: within the scheme's bound nothing
// is said; beyond it, the sentence names clipping where the CPU explains it
// (full-range int8 weights on x86 without VNNI) and another cause elsewhere.
func TestExpectedDrift(t *testing.T) {
	a := modelRef{Name: "ner", Dir: filepath.Join("..", "models", "ner"), ONNX: "model.onnx"}
	in, err := a.readONNX()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, o quantize.Options) modelRef {
		q, _, err := quantize.Dynamic(in, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), q, 0o644); err != nil {
			t.Fatal(err)
		}
		return modelRef{Name: "ner", Dir: dir, ONNX: name}
	}
	full := write("model_vnni.onnx", quantize.ForTarget(quantize.TargetVNNI))
	seven := write("model_avx2.onnx", quantize.ForTarget(quantize.TargetAVX2))
	avx2 := quantize.Host{Target: quantize.TargetAVX2, Arch: "amd64", Features: "avx2"}
	vnni := quantize.Host{Target: quantize.TargetVNNI, Arch: "amd64", Features: "avx2 avx512vnni"}

	if want, drift := expectedDrift(a, full, 0.05, avx2); want != 0.1 || drift != "" {
		t.Errorf("8-bit within bound: %g %q", want, drift)
	}
	if want, drift := expectedDrift(a, full, 0.28, avx2); want != 0.1 || !strings.Contains(drift, "beyond") || !strings.Contains(drift, "no VNNI") {
		t.Errorf("8-bit beyond bound on avx2: %g %q", want, drift)
	}
	if _, drift := expectedDrift(a, full, 0.28, vnni); !strings.Contains(drift, "beyond") || strings.Contains(drift, "VNNI") {
		t.Errorf("8-bit beyond bound on vnni: %q", drift)
	}
	if want, drift := expectedDrift(a, seven, 0.15, avx2); want != 0.2 || drift != "" {
		t.Errorf("7-bit within its bound: %g %q", want, drift)
	}
	// fp32 against fp32, or INT8 against INT8: no scheme bound applies.
	if want, drift := expectedDrift(a, a, 0.5, avx2); want != 0 || drift != "" {
		t.Errorf("fp32 vs fp32: %g %q", want, drift)
	}
	if want, drift := expectedDrift(full, seven, 0.5, avx2); want != 0 || drift != "" {
		t.Errorf("int8 vs int8: %g %q", want, drift)
	}
}
