package quantize

import (
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/nlpscope/nlpscope/engine/quantize/onnxpb"
)

// Target is the kind of CPU a quantized model is made for. It matters because
// ONNX Runtime's integer kernels differ between CPUs in more than speed:
//
//   - x86 with AVX-512 VNNI or AVX-VNNI (Intel Cascade Lake and later, AMD
//     Zen 4 and later; Alder Lake's AVX-VNNI): u8×s8 products are summed by
//     VPDPBUSD straight into 32 bits. Every scheme is exact up to rounding.
//   - x86 without VNNI (AVX2 only: AMD Zen 1–3, Intel Haswell–Skylake client;
//     AVX-512 without VNNI: Skylake-SP): u8×s8 uses VPMADDUBSW, which adds
//     two products into a saturating 16-bit sum before widening. With uint8
//     activations up to 255 and int8 weights up to ±127 a pair reaches
//     ±64,770, far past 32,767: the sum is clipped and the output drifts.
//     Per-channel symmetric weights use the full ±127 in every column, so
//     they clip often. 7-bit weights (|w| ≤ 64: 2·255·64 = 32,640) or uint8
//     weights (u8×u8 kernels widen to 16 bits before multiplying) cannot clip.
//   - arm64: widening multiplies and SDOT/UDOT, no 16-bit intermediate; every
//     scheme is exact up to rounding.
//
// ONNX Runtime's own quantize_dynamic offers reduce_range "for better
// accuracy on non-VNNI CPUs" for the same reason.
type Target string

// The targets `models quantize --target` accepts.
const (
	TargetAuto     Target = "auto"     // this machine's kind (HostTarget)
	TargetAVX2     Target = "avx2"     // x86 without VNNI (AVX2, or older)
	TargetAVX512   Target = "avx512"   // x86 with AVX-512 but no VNNI
	TargetVNNI     Target = "vnni"     // x86 with AVX-512 VNNI or AVX-VNNI
	TargetARM64    Target = "arm64"    // 64-bit ARM
	TargetPortable Target = "portable" // accurate on every x86 and arm64 CPU
)

// Targets lists the targets in the order help texts show them.
var Targets = []Target{TargetAuto, TargetAVX2, TargetAVX512, TargetVNNI, TargetARM64, TargetPortable}

// ParseTarget reads a target name (case-insensitive).
func ParseTarget(s string) (Target, error) {
	t := Target(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Targets {
		if t == k {
			return t, nil
		}
	}
	names := make([]string, len(Targets))
	for i, k := range Targets {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown quantization target %q (want %s)", s, strings.Join(names, ", "))
}

// Host describes the CPU this process runs on, as far as quantization cares.
type Host struct {
	Target   Target `json:"target"`   // avx2, avx512, vnni or arm64 (never auto or portable)
	Arch     string `json:"arch"`     // GOARCH
	Features string `json:"features"` // the features detected, e.g. "avx2 avx512bw avx512vnni"
}

// String is e.g. "vnni (amd64: avx2 avx512f avx512bw avx512vnni)".
func (h Host) String() string { return fmt.Sprintf("%s (%s: %s)", h.Target, h.Arch, h.Features) }

// DetectHost reads the CPU's features (golang.org/x/sys/cpu: CPUID on x86,
// which an emulator such as qemu-x86_64 -cpu Haswell answers as that CPU).
func DetectHost() Host {
	h := Host{Arch: runtime.GOARCH}
	switch runtime.GOARCH {
	case "amd64", "386":
		var f []string
		for _, x := range []struct {
			name string
			has  bool
		}{
			{"avx2", cpu.X86.HasAVX2}, {"avx512f", cpu.X86.HasAVX512F}, {"avx512bw", cpu.X86.HasAVX512BW},
			{"avx512vnni", cpu.X86.HasAVX512VNNI}, {"avxvnni", cpu.X86.HasAVXVNNI},
		} {
			if x.has {
				f = append(f, x.name)
			}
		}
		if len(f) == 0 {
			f = []string{"no avx2"}
		}
		h.Features = strings.Join(f, " ")
		switch {
		case cpu.X86.HasAVX512VNNI || cpu.X86.HasAVXVNNI:
			h.Target = TargetVNNI
		case cpu.X86.HasAVX512BW:
			h.Target = TargetAVX512
		default:
			h.Target = TargetAVX2
		}
	case "arm64":
		h.Target, h.Features = TargetARM64, "neon"
		if cpu.ARM64.HasASIMDDP {
			h.Features += " dotprod"
		}
	default:
		// Another architecture: nothing is known of its kernels, so
		// only what is safe everywhere is assumed.
		h.Target, h.Features = TargetAVX2, "unknown architecture: treated as saturating"
	}
	return h
}

// Saturates reports whether ONNX Runtime's u8×s8 kernels on CPUs of kind t
// clip intermediate sums (x86 without VNNI).
func (t Target) Saturates() bool {
	return t == TargetAVX2 || t == TargetAVX512 || t == TargetPortable
}

// Resolve turns auto into the host's target; other targets are returned as
// they are.
func (t Target) Resolve() Target {
	if t == TargetAuto || t == "" {
		return DetectHost().Target
	}
	return t
}

// ForTarget returns the scheme that is accurate on CPUs of kind t (auto:
// this one), with Options.Target set so that the report and the model's
// metadata record it:
//
//   - vnni, arm64: int8 per-channel symmetric, full 8 bits: the most
//     accurate scheme, on the fastest kernels there.
//   - avx2, avx512: int8 per-channel symmetric with 7-bit weights. The u8×s8
//     kernels are the fast ones there (ONNX Runtime's advice for non-VNNI
//     CPUs), and |w| ≤ 64 keeps every pair sum inside 16 bits, so
//     per-channel scales are safe; the price is one bit of resolution.
//   - portable: uint8 per-channel weights. u8×u8 kernels widen to 16 bits
//     before they multiply, so nothing clips on any x86 CPU, and arm64 runs
//     them with UDOT: full 8-bit accuracy everywhere (on a VNNI CPU its
//     outputs equal the vnni scheme's, at the same speed within noise:
//     BENCHMARKS.md, INT8 schemes).
func ForTarget(t Target) Options {
	t = t.Resolve()
	o := Options{PerChannel: true, Target: t}
	switch {
	case t == TargetPortable:
		o.Unsigned = true
	case t.Saturates():
		o.ReduceRange = true
	}
	return o
}

// SafeOn reports whether weights whose largest magnitude is maxAbs (as
// stored: uint8 weights count as safe whatever their values) are computed
// without clipping on CPUs of kind t.
func SafeOn(t Target, unsigned bool, maxAbs int) bool {
	return unsigned || maxAbs <= 64 || !t.Saturates()
}

// Weights summarises the integer weights of a quantized graph: what the
// kernels will multiply, whoever wrote the file.
type Weights struct {
	Tensors  int  `json:"tensors"`  // integer weight tensors fed to MatMulInteger, DynamicQuantizeMatMul, MatMulIntegerToFloat or ConvInteger
	Unsigned bool `json:"unsigned"` // all of them are uint8 (u8×u8 kernels)
	MaxAbs   int  `json:"max_abs"`  // largest |w| of the int8 ones (64 or less: 7-bit)
}

// Bits is 7 for reduced-range int8 weights, 8 otherwise (also when there
// are no integer GEMM weights at all).
func (w Weights) Bits() int {
	if w.Tensors > 0 && !w.Unsigned && w.MaxAbs <= 64 {
		return 7
	}
	return 8
}

// intOps are the nodes whose second input is a weight multiplied by integer
// GEMM kernels.
var intOps = map[string]bool{"MatMulInteger": true, "DynamicQuantizeMatMul": true, "MatMulIntegerToFloat": true, "ConvInteger": true}

// weightsOf finds the constant integer weights of g's integer GEMM nodes.
func weightsOf(g *onnxpb.GraphProto) Weights {
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = t
	}
	w := Weights{Unsigned: true}
	seen := map[string]bool{}
	for _, n := range g.GetNode() {
		if !intOps[n.GetOpType()] || len(n.GetInput()) < 2 {
			continue
		}
		t, ok := inits[n.GetInput()[1]]
		if !ok || seen[t.GetName()] {
			continue
		}
		seen[t.GetName()] = true
		raw := t.GetRawData()
		if raw == nil {
			raw = make([]byte, 0, len(t.GetInt32Data()))
			for _, v := range t.GetInt32Data() {
				raw = append(raw, byte(v))
			}
		}
		switch t.GetDataType() {
		case int32(onnxpb.TensorProto_UINT8):
			w.Tensors++
		case int32(onnxpb.TensorProto_INT8):
			w.Tensors++
			w.Unsigned = false
			for _, b := range raw {
				v := int(int8(b))
				if v < 0 {
					v = -v
				}
				w.MaxAbs = max(w.MaxAbs, v)
			}
		}
	}
	if w.Tensors == 0 {
		w.Unsigned = false
	}
	return w
}

// HostWarning says, in one sentence, why a quantized model will drift on
// this CPU (host), or returns "" when it will not: int8 weights over 7 bits
// on an x86 CPU without VNNI. info comes from Inspect.
func HostWarning(info Info, host Host) string {
	if !info.Quantized || info.Weights.Tensors == 0 || SafeOn(host.Target, info.Weights.Unsigned, info.Weights.MaxAbs) {
		return ""
	}
	made := ""
	if info.Target != "" {
		made = " made for " + string(info.Target)
	}
	return fmt.Sprintf("INT8 model%s has full-range int8 weights (|w| up to %d): this CPU (%s) has no VNNI, so ONNX Runtime's u8×s8 kernels clip their 16-bit sums and scores drift; re-quantize with `nlpscope models quantize --target auto` (or portable)",
		made, info.Weights.MaxAbs, host)
}

// ExpectedMaxScoreDiff is the largest change of a softmax probability (fp32
// vs int8, same inputs) the scheme should give when nothing clips: 0.1 for
// 8-bit weights, 0.2 for 7-bit ones (half the resolution). These are the
// bounds the package's agreement tests hold every scheme to; a comparison
// beyond them points at clipping or at a model that does not suit dynamic
// quantization.
func ExpectedMaxScoreDiff(w Weights) float64 {
	if w.Bits() == 7 {
		return 0.2
	}
	return 0.1
}
