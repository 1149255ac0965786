package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
)

type quantizeResult struct {
	Output string `json:"output"`
	Record string `json:"record"`
	Report struct {
		Scheme      string `json:"scheme"`
		Target      string `json:"target"`
		InputBytes  int64  `json:"input_bytes"`
		OutputBytes int64  `json:"output_bytes"`
		Quantized   []any  `json:"quantized"`
	} `json:"report"`
	Compare struct {
		ExpectedMaxScoreDiff float64 `json:"expected_max_score_diff"`
		Drift                string  `json:"drift"`
		Metric               string  `json:"metric"`
		ScoreA               float64 `json:"score_a"`
		ScoreB               float64 `json:"score_b"`
		Task                 string  `json:"task"`
		Texts                int     `json:"texts"`
		Agreement            float64 `json:"agreement"`
		MaxScoreDiff         float64 `json:"max_score_diff"`
		A, B                 struct {
			Batch1  int64 `json:"batch1_ns"`
			Batch32 int64 `json:"batch32_ns"`
		}
	} `json:"compare"`
}

// TestModelsQuantizeDefaultModel quantizes the embedded NER model (with its
// embedding tables) into the models folder, loads it through the engine and
// compares it with fp32 on the held-out set: at least 95% of the texts must
// keep exactly the same entities, entity F1 must stay within 0.02, the score
// drift must be within what the scheme should give, and the file must shrink
// to under half. The default target is portable (uint8 weights: exact on
// every CPU), and the comparison runs each text on its own, so the figures
// are the same from run to run and on AVX2 and VNNI machines (116/119 on
// both, measured: the AVX2 one emulated with qemu-x86_64 -cpu Haswell).
func TestModelsQuantizeDefaultModel(t *testing.T) {
	modelsDir, _ := modelsEnv(t)
	eval := filepath.Join("..", "models", "testdata", "ner_heldout.jsonl")
	code, out, errOut := runCLI(t, "", "models", "quantize", "ner", "--embeddings", "--eval", eval, "--rounds", "1", "--json")
	if code != cli.ExitOK {
		t.Fatalf("quantize ner: %d\n%s%s", code, out, errOut)
	}
	var r quantizeResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Output != filepath.Join(modelsDir, "ner", cli.QuantizedFile) || len(r.Report.Quantized) == 0 || r.Report.OutputBytes*2 >= r.Report.InputBytes ||
		r.Report.Target != "portable" || r.Report.Scheme != "uint8 per-channel symmetric +embeddings" {
		t.Errorf("report = %+v", r)
	}
	if c := r.Compare; c.ExpectedMaxScoreDiff != 0.1 || c.Drift != "" || c.MaxScoreDiff > c.ExpectedMaxScoreDiff {
		t.Errorf("drift: max %.4f, expected ≤ %.2f, drift %q", c.MaxScoreDiff, c.ExpectedMaxScoreDiff, c.Drift)
	}
	var recs map[string]cli.QuantizationRecord
	if b, err := os.ReadFile(r.Record); err != nil || json.Unmarshal(b, &recs) != nil {
		t.Fatalf("quantization record %s: %v", r.Record, err)
	}
	if rec := recs[cli.QuantizedFile]; rec.Target != "portable" || rec.Source != "model.onnx" || !rec.Weights.Unsigned || rec.QuantizedOn.Target == "" || r.Record != filepath.Join(modelsDir, "ner", cli.QuantizationFile) {
		t.Errorf("quantization record = %+v", recs)
	}
	c := r.Compare
	if c.Task != "entities" || c.Texts < 100 || c.Agreement < 0.95 || c.A.Batch32 <= 0 || c.B.Batch1 <= 0 ||
		c.Metric != "entity_f1" || c.ScoreA < 0.5 || c.ScoreB < c.ScoreA-0.02 {
		t.Errorf("compare = %+v", c)
	}
	// Both files now list side by side.
	code, out, _ = runCLI(t, "", "models", "info", "ner", "--models-dir", modelsDir)
	if code != cli.ExitOK || !strings.Contains(out, "quantized  yes: dynamic uint8 per-channel symmetric +embeddings (nlpscope); 2 uint8 weight tensors, 8-bit; made for portable") ||
		!strings.Contains(out, "quantized  no") || strings.Contains(out, "WARNING") {
		t.Errorf("info after quantize: %d\n%s", code, out)
	}
	// The INT8 file is served: --variant int8 and NAME#FILE load it (the
	// folder in the models dir shadows the embedded ner), the default stays
	// the fp32 file.
	int8Bytes, err := os.ReadFile(r.Output)
	if err != nil {
		t.Fatal(err)
	}
	int8ID := "ner@" + sha(int8Bytes)[:12]
	for _, args := range [][]string{
		{"--model-entities", "ner", "--variant", "int8"},
		{"--model-entities", "ner#" + cli.QuantizedFile},
		{"--model-entities", filepath.Join(modelsDir, "ner"), "--variant", cli.QuantizedFile},
		{"--model", "ner", "--variant", "int8"},
		{"--model-entities", "ner"},
	} {
		code, out, errOut := runCLI(t, "Angela Merkel visited Paris.\n", append([]string{"analyze", "--task", "entities", "--threads", "1"}, args...)...)
		var rec struct {
			Entities []struct{ Label string }
			Meta     struct{ Entities struct{ Model string } }
		}
		if code != cli.ExitOK || json.Unmarshal([]byte(out), &rec) != nil || len(rec.Entities) == 0 {
			t.Errorf("analyze %v: %d\n%s%s", args, code, out, errOut)
			continue
		}
		if isInt8 := rec.Meta.Entities.Model == int8ID; isInt8 != (len(args) > 2 || strings.Contains(args[1], "#")) {
			t.Errorf("analyze %v ran model %s (int8 is %s)", args, rec.Meta.Entities.Model, int8ID)
		}
	}
	if code, _, errOut := runCLI(t, "x\n", "analyze", "--task", "entities", "--model-entities", "ner", "--variant", "fp16"); code != cli.ExitFailure || !strings.Contains(errOut, "int8 (model_int8.onnx)") {
		t.Errorf("unknown variant: %d %s, want a failure naming the variants", code, errOut)
	}
	code, out, _ = runCLI(t, "", "models", "compare", filepath.Join(modelsDir, "ner"), "--rounds", "1")
	if code != cli.ExitOK || !strings.Contains(out, "model_int8.onnx") || !strings.Contains(out, "same entities") {
		t.Errorf("compare: %d\n%s", code, out)
	}
}

func TestModelsQuantizeRefusesAndChangesNothing(t *testing.T) {
	modelsDir, _ := modelsEnv(t)
	// The fixture's only MatMul is 2×2: nothing qualifies.
	dir := filepath.Join(modelsDir, "tiny")
	copyFixture(t, "sentiment", dir)
	code, _, errOut := runCLI(t, "", "models", "quantize", "tiny")
	if code != cli.ExitFailure || !strings.Contains(errOut, "no MatMul/Gemm weight") {
		t.Errorf("quantize tiny: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, cli.QuantizedFile)); !os.IsNotExist(err) {
		t.Errorf("output written on failure: %v", err)
	}
	// compare on a labelled file (accuracy) and on a plain text file, with
	// the same file on both sides: identical results, timings for both.
	evalFile := filepath.Join(t.TempDir(), "eval.jsonl")
	os.WriteFile(evalFile, []byte(`{"text": "a great and wonderful film", "label": "POSITIVE"}
{"text": "the food was awful", "label": "NEGATIVE"}
{"text": "i love this movie", "label": "POSITIVE"}
{"text": "boring and terrible service", "label": "POSITIVE"}
`), 0o644)
	code, out, errOut := runCLI(t, "", "models", "compare", "tiny", "--b", "model.onnx", "--eval", evalFile, "--rounds", "1")
	if code != cli.ExitOK || !strings.Contains(out, "agreement: 4/4 same label (100.0%), max score difference 0.0000") ||
		!strings.Contains(out, "accuracy on the labelled texts: a 0.7500, b 0.7500") {
		t.Errorf("compare --eval: %d\n%s%s", code, out, errOut)
	}
	textFile := filepath.Join(t.TempDir(), "texts.txt")
	os.WriteFile(textFile, []byte("good movie\n\nbad film\n"), 0o644)
	code, out, errOut = runCLI(t, "", "models", "compare", "tiny", "--b", "model.onnx", "--texts", textFile, "--rounds", "1", "--json")
	var cr struct {
		Texts int `json:"texts"`
		Agree int `json:"agree"`
	}
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &cr) != nil || cr.Texts != 2 || cr.Agree != 2 {
		t.Errorf("compare --texts: %d %+v\n%s%s", code, cr, out, errOut)
	}
	os.WriteFile(evalFile, []byte("{not json\n"), 0o644)
	if code, _, errOut := runCLI(t, "", "models", "compare", "tiny", "--b", "model.onnx", "--eval", evalFile); code != cli.ExitFailure || !strings.Contains(errOut, "eval.jsonl:1") {
		t.Errorf("bad eval file: %d %s", code, errOut)
	}

	// A broken model is refused before anything is written.
	copyFixture(t, "bad_not_onnx", filepath.Join(modelsDir, "broken"))
	code, _, errOut = runCLI(t, "", "models", "quantize", "broken")
	if code != cli.ExitFailure || !strings.Contains(errOut, "ONNX") {
		t.Errorf("quantize broken: %d %s", code, errOut)
	}
	entries, _ := os.ReadDir(modelsDir)
	if len(entries) != 2 || code != cli.ExitFailure {
		t.Errorf("models dir changed: %v", entries)
	}
}
