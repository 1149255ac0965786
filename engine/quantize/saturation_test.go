package quantize_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/engine/quantize/onnxpb"
)

// saturationModel is y = x·W with x [batch, K] and W [K, N] whose weights
// are all large and positive (0.5..1): per-channel symmetric quantization maps
// them to 64..127, and inputs near the top of their range become uint8
// activations near 255, so almost every pair of u8×s8 products exceeds the
// 16-bit sum (2·240·100 ≈ 48,000 > 32,767) that x86 kernels without VNNI
// saturate to.
func saturationModel(t testing.TB, k, n int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(42, 1))
	raw := make([]byte, 4*k*n)
	for i := 0; i < k*n; i++ {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(0.5+0.5*rng.Float64())))
	}
	vi := func(name string, dims ...any) *onnxpb.ValueInfoProto {
		shape := &onnxpb.TensorShapeProto{}
		for _, d := range dims {
			switch d := d.(type) {
			case string:
				shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
			case int:
				shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
			}
		}
		return &onnxpb.ValueInfoProto{Name: p(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
			TensorType: &onnxpb.TypeProto_Tensor{ElemType: p(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
	}
	g := &onnxpb.GraphProto{
		Name:        p("saturation"),
		Input:       []*onnxpb.ValueInfoProto{vi("x", "batch", k)},
		Output:      []*onnxpb.ValueInfoProto{vi("y", "batch", n)},
		Initializer: []*onnxpb.TensorProto{{Name: p("w"), Dims: []int64{int64(k), int64(n)}, DataType: p(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}},
		Node:        []*onnxpb.NodeProto{{OpType: p("MatMul"), Name: p("matmul"), Input: []string{"x", "w"}, Output: []string{"y"}}},
	}
	b, err := proto.Marshal(&onnxpb.ModelProto{IrVersion: p(int64(8)), ProducerName: p("nlpscope-test"),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: p(""), Version: p(int64(17))}}, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runXY runs a model with input x [batch, k] and returns y.
func runXY(t testing.TB, model []byte, x []float32, batch, k int) []float32 {
	t.Helper()
	initORT(t)
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{"x"}, []string{"y"}, opts)
	if err != nil {
		t.Fatalf("ONNX Runtime rejected the model: %v", err)
	}
	defer s.Destroy()
	in, err := ort.NewTensor(ort.NewShape(int64(batch), int64(k)), x)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	out := []ort.Value{nil}
	if err := s.Run([]ort.Value{in}, out); err != nil {
		t.Fatal(err)
	}
	defer out[0].Destroy()
	return append([]float32(nil), out[0].(*ort.Tensor[float32]).GetData()...)
}

// TestSaturation shows why the target matters, on whatever CPU runs it: with
// weights and activations near the top of their ranges, full-range
// per-channel int8 weights drift far from fp32 on x86 without VNNI (ONNX
// Runtime's VPMADDUBSW kernels clip) and stay exact to rounding where the
// kernels do not clip (VNNI, arm64); the schemes --target picks for this
// host and for portable stay within rounding everywhere.
func TestSaturation(t *testing.T) {
	host := quantize.DetectHost()
	t.Logf("host CPU: %s", host)
	const batch, k, n = 8, 256, 64
	fp32 := saturationModel(t, k, n)
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, batch*k)
	for i := range x {
		x[i] = float32(0.9 + 0.1*rng.Float64()) // uint8 activations 230..255
	}
	want := runXY(t, fp32, x, batch, k)
	relErr := func(opts quantize.Options) (float64, quantize.Report) {
		q, rep, err := quantize.Dynamic(fp32, opts)
		if err != nil {
			t.Fatal(err)
		}
		got := runXY(t, q, x, batch, k)
		worst := 0.0
		for i := range want {
			worst = max(worst, math.Abs(float64(got[i]-want[i]))/math.Abs(float64(want[i])))
		}
		return worst, rep
	}
	// Without clipping the error is rounding: half a weight step (1/128 or
	// 1/254 of the largest weight) and half an activation step, averaged
	// over 256 terms: well under 1%. Clipping halves most pair sums.
	const rounding, clipped = 0.01, 0.1
	unsafe, rep := relErr(quantize.Options{PerChannel: true})
	t.Logf("%s: worst relative error %.4f", rep.Scheme, unsafe)
	if rep.Weights.MaxAbs != 127 || rep.Weights.Unsigned {
		t.Fatalf("full-range weights expected, got %+v", rep.Weights)
	}
	if host.Target.Saturates() {
		if unsafe < clipped {
			t.Errorf("on %s (no VNNI) full-range int8 weights should clip: worst relative error %.4f, want ≥ %g", host, unsafe, clipped)
		}
	} else if unsafe > rounding {
		t.Errorf("on %s the u8×s8 kernels should not clip: worst relative error %.4f, want ≤ %g", host, unsafe, rounding)
	}
	for _, target := range []quantize.Target{quantize.TargetAuto, quantize.TargetPortable, quantize.TargetAVX2, quantize.TargetVNNI} {
		opts := quantize.ForTarget(target)
		e, rep := relErr(opts)
		safe := quantize.SafeOn(host.Target, rep.Weights.Unsigned, rep.Weights.MaxAbs)
		t.Logf("target %s → %s: worst relative error %.4f (safe here: %t)", target, rep.Scheme, e, safe)
		if safe != (e <= rounding) {
			t.Errorf("target %s (%s) on %s: worst relative error %.4f, but SafeOn says %t", target, rep.Scheme, host, e, safe)
		}
		if (target == quantize.TargetAuto || target == quantize.TargetPortable) && !safe {
			t.Errorf("target %s must be safe on this host %s", target, host)
		}
	}
	for _, o := range []quantize.Options{{PerChannel: true, Unsigned: true}, {Unsigned: true, Asymmetric: true}, {PerChannel: true, Fused: true, Unsigned: true}} {
		e, rep := relErr(o)
		t.Logf("%s: worst relative error %.4f", rep.Scheme, e)
		if e > rounding {
			t.Errorf("%s on %s: worst relative error %.4f, want ≤ %g (u8×u8 kernels never clip)", rep.Scheme, host, e, rounding)
		}
	}
}
