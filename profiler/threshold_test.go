package profiler_test

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		expr   string
		metric string
		op     string
		value  float64
	}{
		{"p95<25ms", "p95", "<", 0.025},
		{"p(99.9)<100ms", "p(99.9)", "<", 0.1},
		{"p99.9 < 100ms", "p(99.9)", "<", 0.1},
		{"p999<1s", "p(99.9)", "<", 1},
		{"p(95)<=25ms", "p95", "<=", 0.025},
		{"p(99.99)<2s", "p(99.99)", "<", 2},
		{"P50 < 1.5ms", "p50", "<", 0.0015},
		{"med<10ms", "p50", "<", 0.01},
		{"avg<10ms", "avg", "<", 0.01},
		{"max<1s", "max", "<", 1},
		{"min>=100us", "min", ">=", 100e-6},
		{"max<1m30s", "max", "<", 90},
		{"errors<1%", "errors", "<", 0.01},
		{"error_rate<0.05", "errors", "<", 0.05},
		{"errors==0", "errors", "==", 0},
		{"errors <= 12.5 %", "errors", "<=", 0.125},
		{"rps>=100", "rps", ">=", 100},
		{"rps>99.5/s", "rps", ">", 99.5},
		{"throughput!=0", "throughput", "!=", 0},
	}
	for _, tc := range tests {
		th, err := profiler.ParseThreshold(tc.expr)
		if err != nil {
			t.Errorf("ParseThreshold(%q): %v", tc.expr, err)
			continue
		}
		if th.Metric != tc.metric || th.Op != tc.op || math.Abs(th.Value-tc.value) > 1e-12 {
			t.Errorf("ParseThreshold(%q) = %+v, want %s %s %v", tc.expr, th, tc.metric, tc.op, tc.value)
		}
	}
}

func TestParseThresholdRejects(t *testing.T) {
	for _, expr := range []string{
		"", "p95", "p95 25ms", "p95<", "<25ms", "p95<25", "p95<fast", "p95<-5ms",
		"p101<1s", "p0<1s", "p(abc)<1s", "p(NaN)<1s", "p(1e2)<1s", "pinf<1s", "latency<1s",
		"errors<150%", "errors<2", "errors<-1%", "errors<NaN", "rps>=fast", "rps>=Inf", "rps>=-3",
		"p95<25ms<30ms", "p95=<25ms", "p95=25ms",
	} {
		if th, err := profiler.ParseThreshold(expr); !errors.Is(err, profiler.ErrBadThreshold) {
			t.Errorf("ParseThreshold(%q) = %+v, %v; want ErrBadThreshold", expr, th, err)
		}
	}
}

func TestEvaluateThresholds(t *testing.T) {
	r := profiler.Report{
		Completed: 1000, Errors: 5, ErrorRate: 0.005, AchievedRate: 199.5, Throughput: 198,
		Latency: profiler.Percentiles{Count: 1000, P50: 8 * time.Millisecond, P95: 20 * time.Millisecond,
			P99: 30 * time.Millisecond, P999: 90 * time.Millisecond, Max: 1200 * time.Millisecond, Mean: 9 * time.Millisecond},
	}
	f := func(expr string, pass bool, actual float64) {
		t.Helper()
		th, err := profiler.ParseThreshold(expr)
		if err != nil {
			t.Fatal(err)
		}
		res, ok := profiler.EvaluateThresholds([]profiler.Threshold{th}, &r, nil)
		if ok != pass || res[0].Pass != pass || math.Abs(res[0].Actual-actual) > 1e-12 {
			t.Fatalf("%s: pass=%v actual=%v, want pass=%v actual=%v", expr, res[0].Pass, res[0].Actual, pass, actual)
		}
	}
	f("p95<25ms", true, 0.02)
	f("p95<20ms", false, 0.02)
	f("p95<=20ms", true, 0.02)
	f("p(99.9)<100ms", true, 0.09)
	f("max<1s", false, 1.2)
	f("avg<10ms", true, 0.009)
	f("errors<1%", true, 0.005)
	f("errors<0.5%", false, 0.005)
	f("errors==0", false, 0.005)
	f("rps>=200", false, 199.5)
	f("rps>=190", true, 199.5)
	f("throughput>100", true, 198)

	// A percentile the report does not store fails without the histogram.
	th, _ := profiler.ParseThreshold("p(75)<1s")
	if res, ok := profiler.EvaluateThresholds([]profiler.Threshold{th}, &r, nil); ok || !math.IsNaN(res[0].Actual) {
		t.Fatalf("p(75) without histogram = %+v", res)
	}
	// With the histogram's quantile function it is answered.
	at := func(p float64) time.Duration {
		if p != 75 {
			t.Errorf("quantile asked for p%v", p)
		}
		return 12 * time.Millisecond
	}
	if res, ok := profiler.EvaluateThresholds([]profiler.Threshold{th}, &r, at); !ok || res[0].Actual != 0.012 {
		t.Fatalf("p(75) with a quantile function = %+v", res)
	}
	// No completed request: latency thresholds fail.
	empty := profiler.Report{}
	th, _ = profiler.ParseThreshold("p95<25ms")
	if _, ok := profiler.EvaluateThresholds([]profiler.Threshold{th}, &empty, nil); ok {
		t.Fatal("latency threshold passed on a run without requests")
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"p95<25ms", "p(99.9)<100ms", "errors<1%", "rps>=100", "max<1s", "avg <= 3.5us",
		"errors==0", "p(0.001)>1ns", "throughput!=2/s", "p999<1h", "<<", "p(", "errors<%", "p95<1e400s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		th, err := profiler.ParseThreshold(expr)
		if err != nil {
			if !errors.Is(err, profiler.ErrBadThreshold) {
				t.Fatalf("error %v does not wrap ErrBadThreshold", err)
			}
			return
		}
		if math.IsNaN(th.Value) || math.IsInf(th.Value, 0) || th.Value < 0 {
			t.Fatalf("%q parsed to value %v", expr, th.Value)
		}
		if th.Metric == "errors" && th.Value > 1 {
			t.Fatalf("%q parsed to error rate %v", expr, th.Value)
		}
		if th.Percentile < 0 || th.Percentile > 100 {
			t.Fatalf("%q parsed to percentile %v", expr, th.Percentile)
		}
		// The canonical form parses to the same threshold.
		canon := th.Metric + th.Op
		switch th.Metric {
		case "errors":
			canon += fmtFloat(th.Value)
		case "rps", "throughput":
			canon += fmtFloat(th.Value)
		default:
			canon += time.Duration(math.Round(th.Value * 1e9)).String()
		}
		again, err := profiler.ParseThreshold(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q: %v", canon, expr, err)
		}
		if again.Metric != th.Metric || again.Op != th.Op || math.Abs(again.Value-th.Value) > 1e-9*math.Max(1, th.Value) {
			t.Fatalf("%q → %+v, canonical %q → %+v", expr, th, canon, again)
		}
	})
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"}, {800, "800ns"}, {812 * time.Microsecond, "812µs"}, {9999 * time.Microsecond, "10.0ms"},
		{12340 * time.Microsecond, "12.3ms"}, {99960 * time.Microsecond, "100ms"}, {1250 * time.Millisecond, "1.25s"},
		{3 * time.Microsecond, "3.00µs"},
	} {
		if got := profiler.FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
