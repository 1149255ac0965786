package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
	"github.com/nlpscope/nlpscope/storage/storagebench"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

func TestRatioStats(t *testing.T) {
	f := func(in []float64, med, lo, hi float64) {
		t.Helper()
		m, l, h := ratioStats(in)
		if m != med || l != lo || h != hi {
			t.Errorf("ratioStats(%v) = %v %v %v, want %v %v %v", in, m, l, h, med, lo, hi)
		}
	}
	f([]float64{3, 1, 2}, 2, 1, 3)
	f([]float64{4, 1, 2, 3}, 2.5, 1, 4)
	f([]float64{1.5}, 1.5, 1.5, 1.5)
	if m, _, _ := ratioStats(nil); !math.IsNaN(m) {
		t.Errorf("empty: median %v, want NaN", m)
	}
}

func TestPairRatiosSkipsEmptyB(t *testing.T) {
	a := []slice{{Ops: 20, Elapsed: time.Second}, {Ops: 30, Elapsed: 2 * time.Second}, {Ops: 5, Elapsed: time.Second}}
	b := []slice{{Ops: 10, Elapsed: time.Second}, {Ops: 0, Elapsed: time.Second}, {Ops: 10, Elapsed: 4 * time.Second}}
	got := pairRatios(a, b)
	want := []float64{2, 2}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("pairRatios = %v, want %v", got, want)
	}
}

// fakeContender reports a fixed rate and records the order it ran in.
func fakeContender(name string, rate float64, order *[]string, lat time.Duration) contender {
	return func(ctx context.Context, d time.Duration) (slice, error) {
		*order = append(*order, name)
		return slice{Ops: rate * d.Seconds(), Elapsed: d, Lat: []time.Duration{lat}}, nil
	}
}

func TestCompareAlternatesAndDividesRates(t *testing.T) {
	var order []string
	c, err := compare(context.Background(), "x", "A", "B", "ops/s", 4, 10*time.Millisecond,
		fakeContender("A", 300, &order, 2*time.Millisecond), fakeContender("B", 100, &order, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// Warm-up A, B, then pairs in alternating order: AB, BA, AB, BA.
	if got, want := strings.Join(order, ""), "ABABBAABBA"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
	if c.Ratio != 3 || c.Min != 3 || c.Max != 3 || len(c.Ratios) != 4 {
		t.Errorf("ratio %v (%v–%v, %d ratios), want 3", c.Ratio, c.Min, c.Max, len(c.Ratios))
	}
	if c.RateA != 300 || c.RateB != 100 || c.P50A != 2 || c.P99B != 5 {
		t.Errorf("rates %v %v, p50A %v, p99B %v", c.RateA, c.RateB, c.P50A, c.P99B)
	}
	if g := c.withGoal(3.5); g.Pass == nil || *g.Pass {
		t.Errorf("3× against a 3.5 goal passed")
	}
	if g := c.withGoal(3); g.Pass == nil || !*g.Pass {
		t.Errorf("3× against a 3 goal failed")
	}
}

func TestCompareStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	var order []string
	bad := func(ctx context.Context, d time.Duration) (slice, error) { return slice{}, boom }
	_, err := compare(context.Background(), "x", "A", "B", "ops/s", 2, time.Millisecond, fakeContender("A", 1, &order, 0), bad)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "B") {
		t.Errorf("err = %v, want boom naming B", err)
	}
}

func TestFixedWorkCountsEveryCallOnce(t *testing.T) {
	var calls atomic.Int64
	seen := make([]atomic.Int32, 100)
	s, err := fixedWork(context.Background(), 8, 100, 2, func(ctx context.Context, u, i int) error {
		calls.Add(1)
		seen[i].Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 100 || s.Ops != 200 || len(s.Lat) != 100 {
		t.Errorf("calls %d, ops %v, latencies %d; want 100, 200, 100", calls.Load(), s.Ops, len(s.Lat))
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("call %d made %d times", i, seen[i].Load())
		}
	}
	boom := errors.New("boom")
	if _, err := fixedWork(context.Background(), 4, 50, 1, func(ctx context.Context, u, i int) error {
		if i == 10 {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}

func TestSizerAimsAtTheSliceLength(t *testing.T) {
	z := &sizer{minCalls: 64}
	if n := z.calls(time.Second); n != 64 {
		t.Errorf("first slice: %d calls, want the minimum 64", n)
	}
	z.observe(64, 200*time.Millisecond) // 320 calls/s
	if n := z.calls(2 * time.Second); n != 640 {
		t.Errorf("after 320 calls/s: %d calls for 2s, want 640", n)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(ds, 50); p != 50*time.Millisecond {
		t.Errorf("p50 %v", p)
	}
	if p := percentile(ds, 99); p != 99*time.Millisecond {
		t.Errorf("p99 %v", p)
	}
	if p := percentile(nil, 99); p != 0 {
		t.Errorf("empty p99 %v", p)
	}
}

func TestVerdicts(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{5, "target"}, {15, "target"}, {20, "acceptable"}, {99, "max"}, {101, "fail"}} {
		if got := verdict(c.v, 15, 25, 100); got != c.want {
			t.Errorf("verdict(%v) = %s, want %s", c.v, got, c.want)
		}
	}
	if throughputVerdict(120, 100, 50) != "target" || throughputVerdict(60, 100, 50) != "minimum" || throughputVerdict(10, 100, 50) != "fail" {
		t.Error("throughput verdicts")
	}
}

func TestGroupsOfTopsUpTheLastGroup(t *testing.T) {
	g := groupsOf([]string{"a", "b", "c", "d", "e"}, 2)
	if len(g) != 3 || strings.Join(g[2], "") != "ea" {
		t.Errorf("groups %v", g)
	}
}

func TestMixedTextsSpanLengths(t *testing.T) {
	texts := mixedTexts(120)
	short, long := 0, 0
	for _, s := range texts {
		switch w := len(strings.Fields(s)); {
		case w <= 7:
			short++
		case w >= 45:
			long++
		}
	}
	if short == 0 || long == 0 {
		t.Errorf("%d short and %d long texts of 120; want both", short, long)
	}
}

// syntheticReport has one of everything, with fixed numbers.
func syntheticReport() *Report {
	yes, no := true, false
	dis := 0.005
	r := &Report{Mode: "quick", StartedAt: time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC), Duration: 251 * time.Second, SliceMs: 1000, Pairs: 3}
	r.Env.Hardware.CPUModel = "Test CPU"
	r.Env.Hardware.LogicalCores = 2
	r.Env.ORTVersion, r.Env.Provider, r.Env.Threads, r.Env.GitCommit = "1.24.1", "cpu", 2, "abc123"
	r.Key.EngineVsRaw = f64(0.97)
	r.Key.PeerRatioFP32 = f64(1.2)
	r.Targets = []TargetSet{{Name: "(a) default", Sentiment: "embedded default", Entities: "embedded default",
		Ops:        []TargetRow{{Op: "health check", Target: 5, Acceptable: 10, Max: 50, N: 10, P50: 0.1, P95: 0.2, P99: 0.3, Verdict: "target"}, {Op: "sentiment, batch of 32", Target: 150, Acceptable: 200, Max: 500, Error: "boom"}},
		Throughput: []ThroughputRow{{Name: "1000 concurrent users", Target: 1000, Minimum: 500, Unit: "users", Value: 1000, Verdict: "target", Note: "0 errors"}}},
		{Name: "(b) missing", Error: "no models"}}
	r.Efficiency = []Comparison{{Name: "1 clients", A: "nlpscope", B: "raw", Unit: "texts/s", Ratio: 0.97, Min: 0.9, Max: 1.01, RateA: 80, RateB: 82.5, P50A: 12, P99A: 20, Goal: 0.95, Pass: &yes}}
	r.Batching = []Comparison{{Name: "on vs off", A: "on", B: "off", Unit: "texts/s", Ratio: 1.2, Min: 1.1, Max: 1.3, Goal: 3, Pass: &no, Note: "ceiling 1.2×"}}
	r.Peer = PeerSection{Available: true, Version: "4.3.1", ORTNode: "1.30.0", Disagreement: &dis, DisagreeN: 200,
		Comparisons: []Comparison{{Name: "64 concurrent", A: "nlpscope", B: "transformers.js", Unit: "texts/s", Ratio: 1.2, Min: 1.1, Max: 1.4, Goal: 1.1, Pass: &yes}}}
	r.Resources = Resources{TokensPerS: 1.5e6, TokensPerCPUS: 1.6e6, CacheHitP50: 2.5, CacheHitP99: 9, StoredPerS: 300, IdleRSS: 100 << 20, LoadedRSS: 150 << 20, LoadedRSS2: 151 << 20, LoadFor: "1m", ColdStartMs: 250, ColdStartRuns: []float64{240, 250, 260}}
	r.Key.StorageAnalysesPerS = f64(61234)
	r.Storage = StorageBench{SearchDocs: 1000, BuildSeconds: 2,
		Store: []storagebench.StoreResult{{Name: storagebench.StoreBatchBoth, Docs: 100, Analyses: 200, DocsPerS: 30617, AnalysesPerS: 61234, CPUPerDocUS: 30,
			Indexes: storage.IndexSizes{WordBytes: 3 << 20, TrigramBytes: 1 << 19, TrigramDocs: 6}},
			{Name: storagebench.StoreBatchAllMixed, Docs: 100, Analyses: 200, DocsPerS: 20000, AnalysesPerS: 40000, CPUPerDocUS: 45,
				Indexes: storage.IndexSizes{WordBytes: 3 << 20, TrigramBytes: 9 << 20, TrigramDocs: 100}},
			{Name: storagebench.StoreBatchSentiment, Docs: 100, Analyses: 100, DocsPerS: 40000, AnalysesPerS: 40000, CPUPerDocUS: 24},
			{Name: storagebench.StoreTxPerRow, Docs: 10, Analyses: 10, DocsPerS: 5000, AnalysesPerS: 5000, CPUPerDocUS: 150}},
		Search:   []storagebench.SearchResult{{Name: "recent", N: 10, P50: 0.25, P99: 0.75}},
		Insights: []storagebench.InsightsResult{{Name: "all", Docs: 1000, N: 5, P50: 40, P95: 55, CPUMs: 38}},
		Export:   []storagebench.ExportResult{{Format: "csv", Rows: 1000, RowsPerS: 80000, MBPerS: 12.5}}}
	r.Key.CapacityP99_50msSentiment = f64(400)
	r.Capacity = []CapacityRow{{Task: "sentiment", SLO: []string{"p99<50ms", "errors<1%"}, MaxRate: 400, MinFailingRate: 420, StepMs: 1000, StopReason: "resolution",
		Steps: []profiler.CapacityStep{{Rate: 200, AchievedRate: 200, P50: 2e6, P95: 5e6, P99: 9e6, Pass: true}, {Rate: 800, AchievedRate: 790, P50: 80e6, P95: 200e6, P99: 300e6, Reason: "p99<50ms was 300ms"}}},
		{Task: "entities", SLO: []string{"p99<50ms", "errors<1%"}, StepMs: 1000, StopReason: "min_rate", Steps: []profiler.CapacityStep{{Rate: 25, Errors: 25, Reason: "errors<1% was 100.00%"}}}}
	r.Notes = []string{"quick run: something skipped"}
	return r
}

func TestBenchReportMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	syntheticReport().writeMarkdown(&buf)
	golden := filepath.Join("testdata", "bench_report.golden.md")
	if *updateGolden {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestBenchReportMarkdownGolden -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("markdown differs from %s (rerun with -update after checking):\n%s", golden, buf.String())
	}
}

func TestBenchReportNotMeasuredIsExplicit(t *testing.T) {
	r := &Report{Mode: "quick"}
	r.Peer.Why = "Node.js is not installed"
	var buf bytes.Buffer
	r.writeMarkdown(&buf)
	md := buf.String()
	for _, want := range []string{"The peer was not measured: Node.js is not installed", "| engine vs raw ORT (worst over 1/16/64/256 clients) | not measured |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}
