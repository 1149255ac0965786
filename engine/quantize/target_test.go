package quantize_test

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/engine/quantize"
)

// TestDetectHost checks the CPU detection against an independent source: the
// kernel's /proc/cpuinfo flags, or, when NLPSCOPE_EXPECT_CPU is set (the
// emulated run of scripts/test-cpu-emulated.sh, where qemu answers CPUID as
// another CPU but /proc/cpuinfo is still the host's), that target.
func TestDetectHost(t *testing.T) {
	h := quantize.DetectHost()
	t.Logf("detected: %s", h)
	if want := os.Getenv("NLPSCOPE_EXPECT_CPU"); want != "" {
		if string(h.Target) != want {
			t.Fatalf("detected %s, the emulated CPU is %s", h, want)
		}
		return
	}
	if runtime.GOARCH != "amd64" {
		if runtime.GOARCH == "arm64" && h.Target != quantize.TargetARM64 {
			t.Errorf("arm64 detected as %s", h)
		}
		return
	}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	var flags map[string]bool
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			flags = map[string]bool{}
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	want := quantize.TargetAVX2
	switch {
	case flags["avx512_vnni"] || flags["avx_vnni"]:
		want = quantize.TargetVNNI
	case flags["avx512bw"]:
		want = quantize.TargetAVX512
	}
	if h.Target != want {
		t.Errorf("detected %s, /proc/cpuinfo says %s", h, want)
	}
	if want.Saturates() != h.Target.Saturates() {
		t.Errorf("saturation: %t vs %t", want.Saturates(), h.Target.Saturates())
	}
}

func TestTargetsAndSchemes(t *testing.T) {
	for _, s := range []string{"auto", "AVX2", " vnni ", "portable", "arm64", "avx512"} {
		if _, err := quantize.ParseTarget(s); err != nil {
			t.Errorf("ParseTarget(%q): %v", s, err)
		}
	}
	if _, err := quantize.ParseTarget("sse4"); err == nil || !strings.Contains(err.Error(), "portable") {
		t.Errorf("ParseTarget(sse4) = %v, want an error listing the targets", err)
	}
	for target, want := range map[quantize.Target]string{
		quantize.TargetVNNI:     "int8 per-channel symmetric",
		quantize.TargetARM64:    "int8 per-channel symmetric",
		quantize.TargetAVX2:     "int8 per-channel symmetric reduce-range",
		quantize.TargetAVX512:   "int8 per-channel symmetric reduce-range",
		quantize.TargetPortable: "uint8 per-channel symmetric",
	} {
		o := quantize.ForTarget(target)
		if o.Scheme() != want || o.Target != target {
			t.Errorf("ForTarget(%s) = %s (target %s), want %s", target, o.Scheme(), o.Target, want)
		}
		// A target's scheme never clips on the CPUs it is for, and
		// portable's on none.
		for _, host := range []quantize.Target{quantize.TargetAVX2, quantize.TargetAVX512, quantize.TargetVNNI, quantize.TargetARM64} {
			maxAbs := 127
			if o.ReduceRange {
				maxAbs = 64
			}
			safe := quantize.SafeOn(host, o.Unsigned, maxAbs)
			if (host == target || target == quantize.TargetPortable) && !safe {
				t.Errorf("%s's scheme clips on %s", target, host)
			}
			if (target == quantize.TargetVNNI || target == quantize.TargetARM64) && host.Saturates() == safe {
				t.Errorf("%s's full-range scheme on %s: safe = %t", target, host, safe)
			}
		}
	}
	if got := quantize.ForTarget(quantize.TargetAuto).Target; got != quantize.DetectHost().Target {
		t.Errorf("auto resolved to %s, host is %s", got, quantize.DetectHost().Target)
	}
}

// TestInspectAndHostWarning quantizes one model three ways and reads back
// what Inspect finds in the files, whoever wrote them: the integer weights
// (kind, range) decide the warning, the recorded target only names it.
func TestInspectAndHostWarning(t *testing.T) {
	in := tinyBERT{Vocab: 50, Hidden: 32, FF: 64, Layers: 1, Labels: 2, Seed: 2}.build(t)
	avx2 := quantize.Host{Target: quantize.TargetAVX2, Arch: "amd64", Features: "avx2"}
	vnni := quantize.Host{Target: quantize.TargetVNNI, Arch: "amd64", Features: "avx2 avx512vnni"}
	for _, tc := range []struct {
		opts     quantize.Options
		unsigned bool
		bits     int
		warnAVX2 bool
	}{
		{quantize.ForTarget(quantize.TargetVNNI), false, 8, true},
		{quantize.ForTarget(quantize.TargetAVX2), false, 7, false},
		{quantize.ForTarget(quantize.TargetPortable), true, 8, false},
		{quantize.Options{Asymmetric: true, Fused: true}, false, 8, true}, // no target recorded
	} {
		out, rep, err := quantize.Dynamic(in, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		info, err := quantize.Inspect(out)
		if err != nil {
			t.Fatal(err)
		}
		if info.Target != tc.opts.Target || info.Metadata[quantize.MetadataTargetKey] != string(tc.opts.Target) || rep.Target != tc.opts.Target {
			t.Errorf("%s: target %q (metadata %q), want %q", rep.Scheme, info.Target, info.Metadata[quantize.MetadataTargetKey], tc.opts.Target)
		}
		if info.Weights != rep.Weights || info.Weights.Tensors != len(rep.Quantized) || info.Weights.Unsigned != tc.unsigned || info.Weights.Bits() != tc.bits {
			t.Errorf("%s: weights %+v (report %+v), want unsigned %t, %d bits", rep.Scheme, info.Weights, rep.Weights, tc.unsigned, tc.bits)
		}
		w := quantize.HostWarning(info, avx2)
		if (w != "") != tc.warnAVX2 {
			t.Errorf("%s on avx2: warning %q, want one: %t", rep.Scheme, w, tc.warnAVX2)
		}
		if tc.warnAVX2 && (!strings.Contains(w, "no VNNI") || !strings.Contains(w, "--target auto")) {
			t.Errorf("warning does not say why or what to do: %q", w)
		}
		if tc.opts.Target == quantize.TargetVNNI && !strings.Contains(w, "made for vnni") {
			t.Errorf("warning does not name the target: %q", w)
		}
		if w := quantize.HostWarning(info, vnni); w != "" {
			t.Errorf("%s on vnni: unexpected warning %q", rep.Scheme, w)
		}
	}
	fp, err := quantize.Inspect(in)
	if err != nil || fp.Quantized || fp.Weights.Tensors != 0 || quantize.HostWarning(fp, avx2) != "" {
		t.Errorf("fp32 model: %+v, %v", fp, err)
	}
}
