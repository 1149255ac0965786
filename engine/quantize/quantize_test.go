package quantize_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/engine/quantize/onnxpb"
)

func TestQuantizeMatrixMatchesORTFormulas(t *testing.T) {
	// 2×3 matrix, row-major; columns: [-1, 2], [0.5, 0.25], [-4, 1].
	w := []float32{-1, 0.5, -4, 2, 0.25, 1}

	q, p := quantize.QuantizeMatrix(w, 2, 3, false, true, false)
	// symmetric per tensor: scale = 4/127, zero point 0.
	if len(p.Scales) != 1 || math.Abs(float64(p.Scales[0])-4.0/127) > 1e-7 || p.ZeroPoints[0] != 0 {
		t.Fatalf("per-tensor symmetric params = %+v", p)
	}
	if want := []int8{-32, 16, -127, 64, 8, 32}; !slices.Equal(q, want) {
		t.Errorf("per-tensor symmetric q = %v, want %v", q, want)
	}

	q, p = quantize.QuantizeMatrix(w, 2, 3, true, true, false)
	wantScales := []float32{2.0 / 127, 0.5 / 127, 4.0 / 127}
	for i := range wantScales {
		if math.Abs(float64(p.Scales[i]-wantScales[i])) > 1e-7 || p.ZeroPoints[i] != 0 {
			t.Fatalf("per-channel scales = %v zps = %v, want %v", p.Scales, p.ZeroPoints, wantScales)
		}
	}
	if want := []int8{-64, 127, -127, 127, 64, 32}; !slices.Equal(q, want) {
		t.Errorf("per-channel q = %v, want %v", q, want)
	}

	// asymmetric per tensor over [-4, 2]: scale 6/255, zp = round(-128 + 4/scale) = 42.
	q, p = quantize.QuantizeMatrix(w, 2, 3, false, false, false)
	if math.Abs(float64(p.Scales[0])-6.0/255) > 1e-7 || p.ZeroPoints[0] != 42 {
		t.Fatalf("asymmetric params = %+v", p)
	}
	for i, v := range w {
		back := float32(int(q[i])-int(p.ZeroPoints[0])) * p.Scales[0]
		if math.Abs(float64(back-v)) > float64(p.Scales[0])/2+1e-6 {
			t.Errorf("value %g dequantizes to %g (error over half a step)", v, back)
		}
	}

	// reduce range: 7 bits.
	q, _ = quantize.QuantizeMatrix(w, 2, 3, false, true, true)
	if slices.Min(q) != -64 || slices.Max(q) > 64 {
		t.Errorf("reduce-range q = %v, want within -64..64", q)
	}

	// all-zero matrix: scale 1, zero point 0, no NaN.
	q, p = quantize.QuantizeMatrix(make([]float32, 4), 2, 2, false, false, false)
	if p.Scales[0] != 1 || p.ZeroPoints[0] != 0 || slices.Max(q) != 0 {
		t.Errorf("zero matrix: q=%v params=%+v", q, p)
	}
}

func decode(t *testing.T, b []byte) *onnxpb.ModelProto {
	t.Helper()
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func opCount(m *onnxpb.ModelProto) map[string]int {
	c := map[string]int{}
	for _, n := range m.GetGraph().GetNode() {
		c[n.GetOpType()]++
	}
	return c
}

func TestDynamicRewritesMatMulAndGemm(t *testing.T) {
	cfg := tinyBERT{Vocab: 100, Hidden: 64, FF: 256, Layers: 2, Labels: 2, Seed: 1}
	in := cfg.build(t)
	orig := slices.Clone(in)
	out, rep, err := quantize.Dynamic(in, quantize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, orig) {
		t.Fatal("Dynamic modified its input")
	}
	// 6 MatMuls per layer with a weight (q, k, v, o, ff1, ff2) + the pooler Gemm.
	if got, want := len(rep.Quantized), 6*cfg.Layers+1; got != want {
		t.Errorf("quantized %d weights, want %d: %+v", got, want, rep.Quantized)
	}
	reasons := map[string]string{}
	for _, s := range rep.Skipped {
		reasons[s.Node] = s.Reason
	}
	// 2 attention MatMuls per layer (activation × activation) + the 2-label head.
	if got, want := len(rep.Skipped), 2*cfg.Layers+1; got != want {
		t.Errorf("skipped %d, want %d: %v", got, want, reasons)
	}
	m := decode(t, out)
	ops := opCount(m)
	// q, k, v share one input: one DynamicQuantizeLinear for the three.
	if want := 4*cfg.Layers + 1; ops["DynamicQuantizeLinear"] != want {
		t.Errorf("DynamicQuantizeLinear nodes = %d, want %d", ops["DynamicQuantizeLinear"], want)
	}
	if ops["MatMulInteger"] != 6*cfg.Layers+1 || ops["MatMul"] != 2*cfg.Layers || ops["Gemm"] != 1 || ops["Gather"] != 2 {
		t.Errorf("ops after quantization: %v", ops)
	}
	for _, init := range m.GetGraph().GetInitializer() {
		if init.GetName() == "layer0_q" || init.GetName() == "pooler_w" {
			t.Errorf("fp32 weight %q still in the model", init.GetName())
		}
	}
	if rep.OutputBytes*100 > rep.InputBytes*40 {
		t.Errorf("quantized model is %d bytes, fp32 %d: want under 40%%", rep.OutputBytes, rep.InputBytes)
	}
	if rep.WeightsBytes[0] != 4*rep.WeightsBytes[1] {
		t.Errorf("weights bytes = %v", rep.WeightsBytes)
	}

	info, err := quantize.Inspect(out)
	if err != nil || !info.Quantized || info.Opset != 17 {
		t.Errorf("Inspect(quantized) = %+v, %v", info, err)
	}
	info, err = quantize.Inspect(in)
	if err != nil || info.Quantized || info.Ops["MatMul"] != 8*cfg.Layers {
		t.Errorf("Inspect(fp32) = %+v, %v", info, err)
	}
	// With Embeddings the word-embedding table is int8 too (one scale per
	// row); the Gather of an activation (the [CLS] pick) is left alone.
	outE, repE, err := quantize.Dynamic(in, quantize.Options{Embeddings: true})
	if err != nil {
		t.Fatal(err)
	}
	mE := decode(t, outE)
	if ops := opCount(mE); ops["Gather"] != 3 || len(repE.Quantized) != len(rep.Quantized)+1 || repE.OutputBytes >= rep.OutputBytes {
		t.Errorf("embeddings: ops %v, %d quantized, %d bytes (without: %d)", ops, len(repE.Quantized), repE.OutputBytes, rep.OutputBytes)
	}
	for _, init := range mE.GetGraph().GetInitializer() {
		if init.GetName() == "word_embeddings" {
			t.Error("fp32 word_embeddings still in the model")
		}
		if init.GetName() == "word_embeddings_row_scale" && !slices.Equal(init.GetDims(), []int64{int64(cfg.Vocab), 1}) {
			t.Errorf("row scales dims %v", init.GetDims())
		}
	}
	if _, _, err := quantize.Dynamic(out, quantize.Options{}); !errors.Is(err, quantize.ErrAlreadyQuantized) {
		t.Errorf("quantizing twice: err = %v, want ErrAlreadyQuantized", err)
	}
}

// agreementCases are the schemes the agreement tests run: the two a user
// gets from --target (this host's auto scheme and portable) and the fixed
// ones behind the explicit flags.
func agreementCases(host quantize.Host) []struct {
	name string
	opts quantize.Options
	// always: the scheme must be accurate on every CPU this test runs on
	// (a scheme --target chose), so it is checked whatever the host.
	always bool
} {
	return []struct {
		name   string
		opts   quantize.Options
		always bool
	}{
		{"auto (" + string(host.Target) + ")", quantize.ForTarget(quantize.TargetAuto), true},
		{"portable", quantize.ForTarget(quantize.TargetPortable), true},
		{"per-tensor symmetric", quantize.Options{}, false},
		{"per-channel symmetric", quantize.Options{PerChannel: true}, false},
		{"per-tensor asymmetric", quantize.Options{Asymmetric: true}, false},
		{"per-channel asymmetric reduce-range", quantize.Options{PerChannel: true, Asymmetric: true, ReduceRange: true}, true},
		{"per-channel symmetric reduce-range", quantize.Options{PerChannel: true, ReduceRange: true}, true},
		{"uint8 per-channel", quantize.Options{PerChannel: true, Unsigned: true}, true},
		{"uint8 per-tensor asymmetric", quantize.Options{Asymmetric: true, Unsigned: true}, true},
		{"fused per-channel", quantize.Options{PerChannel: true, Fused: true}, false},
		{"fused per-tensor asymmetric", quantize.Options{Asymmetric: true, Fused: true}, false},
		{"fused uint8 per-channel", quantize.Options{PerChannel: true, Fused: true, Unsigned: true}, true},
		{"per-channel with embeddings", quantize.Options{PerChannel: true, Embeddings: true}, false},
		{"portable with embeddings", func() quantize.Options {
			o := quantize.ForTarget(quantize.TargetPortable)
			o.Embeddings = true
			return o
		}(), true},
	}
}

// TestDynamicAgreesWithFP32 runs the fp32 and the quantized models through the
// real ONNX Runtime and checks that they agree: a scheme must keep the label
// of at least 95% of the inputs and move no probability by more than
// quantize.ExpectedMaxScoreDiff (0.1 for 8-bit weights, 0.2 for 7-bit); the
// model must load and be under 40% of the fp32 size.
//
// Which schemes are checked depends on the CPU, for a reason the test states:
// on x86 without VNNI, full-range int8 weights clip in ONNX Runtime's u8×s8
// kernels (see quantize.Target), so those schemes are only logged there
// (TestSaturation shows the clipping); the schemes --target picks (auto and
// portable), 7-bit and uint8 weights are checked on every CPU.
func TestDynamicAgreesWithFP32(t *testing.T) {
	host := quantize.DetectHost()
	t.Logf("host CPU: %s", host)
	cfg := tinyBERT{Vocab: 200, Hidden: 64, FF: 256, Layers: 2, Labels: 2, Seed: 3, ScaledGemm: true}
	fp32 := cfg.build(t)
	fp := newSession(t, fp32)
	batches := sampleBatches(5, cfg.Vocab, 8, 16, 24)
	for _, tc := range agreementCases(host) {
		t.Run(tc.name, func(t *testing.T) {
			out, rep, err := quantize.Dynamic(fp32, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			q := newSession(t, out)
			a := compare(t, fp, q, batches)
			bound := quantize.ExpectedMaxScoreDiff(rep.Weights)
			safe := quantize.SafeOn(host.Target, rep.Weights.Unsigned, rep.Weights.MaxAbs)
			t.Logf("%s on %s: %d→%d bytes, %d-bit weights, label agreement %d/%d, max score diff %.4f (bound %.1f, safe here: %t)",
				rep.Scheme, host.Target, rep.InputBytes, rep.OutputBytes, rep.Weights.Bits(), a.SameLabel, a.N, a.MaxScoreDiff, bound, safe)
			if tc.always && !safe {
				t.Fatalf("%s is meant to be accurate on every CPU, but its weights (%+v) clip on %s", rep.Scheme, rep.Weights, host)
			}
			if a.MaxScoreDiff == 0 {
				t.Errorf("outputs identical to fp32: the quantized graph did not run")
			}
			if rep.OutputBytes*100 > rep.InputBytes*40 {
				t.Errorf("quantized %d bytes vs fp32 %d", rep.OutputBytes, rep.InputBytes)
			}
			if !safe {
				t.Logf("not held to the bounds: full-range int8 weights clip on %s (no VNNI)", host)
				return
			}
			if a.SameLabel*100 < a.N*95 {
				t.Errorf("label agreement %d/%d on %s, want ≥ 95%%", a.SameLabel, a.N, host)
			}
			if a.MaxScoreDiff > bound {
				t.Errorf("max score difference %.4f on %s, want ≤ %g", a.MaxScoreDiff, host, bound)
			}
		})
	}
}

func TestDynamicOptionsAndErrors(t *testing.T) {
	cfg := tinyBERT{Vocab: 50, Hidden: 32, FF: 64, Layers: 1, Labels: 3, Seed: 9}
	in := cfg.build(t)

	// 32×32 = 1024 values: quantized at the default threshold, not at 2048.
	_, rep, err := quantize.Dynamic(in, quantize.Options{})
	if err != nil || len(rep.Quantized) != 7 {
		t.Fatalf("default: %d quantized, err %v", len(rep.Quantized), err)
	}
	_, rep, err = quantize.Dynamic(in, quantize.Options{MinElements: 4096})
	if !errors.Is(err, quantize.ErrNothingToQuantize) {
		t.Errorf("MinElements 4096: err = %v, want ErrNothingToQuantize (report %+v)", err, rep)
	}
	// MinColumns 1 quantizes the 3-label head too; Exclude keeps one node.
	_, rep, err = quantize.Dynamic(in, quantize.Options{MinColumns: 1, MinElements: 64, Exclude: []string{"Gemm_" + strconv.Itoa(len(decode(t, in).Graph.Node))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Quantized) != 7 || rep.Skipped[len(rep.Skipped)-1].Reason != "excluded by name" {
		t.Errorf("exclude: quantized %d, skipped %+v", len(rep.Quantized), rep.Skipped)
	}

	for name, bad := range map[string][]byte{
		"empty":      nil,
		"text":       []byte("this is not an ONNX model\n"),
		"truncated":  in[:len(in)/2],
		"json":       []byte(`{"ir_version": 8}`),
		"zero bytes": make([]byte, 64),
	} {
		if _, _, err := quantize.Dynamic(bad, quantize.Options{}); !errors.Is(err, quantize.ErrNotONNX) {
			t.Errorf("%s: err = %v, want ErrNotONNX", name, err)
		}
	}

	m := decode(t, in)
	m.OpsetImport[0].Version = proto.Int64(10)
	old, _ := proto.Marshal(m)
	if _, _, err := quantize.Dynamic(old, quantize.Options{}); !errors.Is(err, quantize.ErrOpsetTooOld) {
		t.Errorf("opset 10: err = %v, want ErrOpsetTooOld", err)
	}
}

func FuzzDynamic(f *testing.F) {
	f.Add(tinyBERT{Vocab: 20, Hidden: 16, FF: 32, Layers: 1, Labels: 2, Seed: 1}.build(f))
	f.Add([]byte("not onnx"))
	f.Add([]byte{0x08, 0x08, 0x3a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, rep, err := quantize.Dynamic(data, quantize.Options{MinElements: 1, MinColumns: 1})
		if err != nil {
			return
		}
		if len(rep.Quantized) == 0 || len(out) == 0 {
			t.Fatalf("success without quantizing: %+v", rep)
		}
		if _, err := quantize.Inspect(out); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
	})
}

// TestDefaultModels quantizes the embedded default models (models/) and runs
// them against fp32 through ONNX Runtime on random token ids: every scheme
// that does not clip on this CPU must keep at least 95% of the predictions
// (per text for sentiment, per token for NER; random ids put many texts near
// a tie, so this is a harder test than real text) and move no probability by
// more than quantize.ExpectedMaxScoreDiff; every scheme must shrink the file
// to at most maxSize of the original.
func TestDefaultModels(t *testing.T) {
	host := quantize.DetectHost()
	t.Logf("host CPU: %s", host)
	for _, tc := range []struct {
		dir     string
		labels  int
		vocab   int
		maxSize float64
	}{
		// The sentiment model already stores its embedding tables as int8
		// with per-row scales (training/sentiment.py): only its small
		// convolution and output weights are left in float, so quantizing
		// cannot shrink it much; it must stay about the same size.
		{"sentiment", 3, 45000, 1.02},
		{"ner", 9, 5000, 0.5},
	} {
		fp32, err := os.ReadFile(filepath.Join("..", "..", "models", tc.dir, "model.onnx"))
		if err != nil {
			t.Fatalf("default model: %v (models/ must hold the trained models)", err)
		}
		fp := newSession(t, fp32)
		batches := sampleBatches(17, tc.vocab, 8, 16, 40)
		withTables := func(o quantize.Options, conv bool) quantize.Options {
			o.Embeddings, o.Conv = true, conv
			return o
		}
		for _, sc := range []struct {
			opts   quantize.Options
			always bool // chosen by --target: must be accurate on every CPU
		}{
			{withTables(quantize.ForTarget(quantize.TargetAuto), false), true},
			{withTables(quantize.ForTarget(quantize.TargetPortable), true), true},
			{quantize.Options{Embeddings: true}, false},
			{quantize.Options{Embeddings: true, PerChannel: true, Conv: true}, false},
			{quantize.Options{Embeddings: true, PerChannel: true, Conv: true, Unsigned: true}, true},
		} {
			opts := sc.opts
			out, rep, err := quantize.Dynamic(fp32, opts)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.dir, opts.Scheme(), err)
			}
			a := compareTokens(t, fp, newSession(t, out), batches, tc.labels)
			bound := quantize.ExpectedMaxScoreDiff(rep.Weights)
			safe := quantize.SafeOn(host.Target, rep.Weights.Unsigned, rep.Weights.MaxAbs)
			t.Logf("%s %s on %s: %d→%d bytes (%.0f%%), %d weights; agreement %d/%d, max score diff %.4f (bound %.1f, safe here: %t)",
				tc.dir, rep.Scheme, host.Target, rep.InputBytes, rep.OutputBytes, 100*float64(rep.OutputBytes)/float64(rep.InputBytes),
				len(rep.Quantized), a.SameLabel, a.N, a.MaxScoreDiff, bound, safe)
			if sc.always && !safe {
				t.Errorf("%s %s: meant for every CPU, but its weights %+v clip on %s", tc.dir, rep.Scheme, rep.Weights, host)
			}
			if a.MaxScoreDiff == 0 {
				t.Errorf("%s %s: outputs identical to fp32: the quantized graph did not run", tc.dir, rep.Scheme)
			}
			if safe && (a.SameLabel*100 < a.N*95 || a.MaxScoreDiff > bound) {
				t.Errorf("%s %s on %s: agreement %d/%d, max score diff %.4f, want ≥ 95%% and ≤ %.1f", tc.dir, rep.Scheme, host, a.SameLabel, a.N, a.MaxScoreDiff, bound)
			}
			if float64(rep.OutputBytes) > tc.maxSize*float64(rep.InputBytes) {
				t.Errorf("%s %s: %d bytes, fp32 %d: want at most %.0f%%", tc.dir, rep.Scheme, rep.OutputBytes, rep.InputBytes, 100*tc.maxSize)
			}
		}
	}
}
