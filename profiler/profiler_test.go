package profiler_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newProfiler(t *testing.T, clk *fakeClock) *profiler.Profiler {
	t.Helper()
	p, err := profiler.New(profiler.Config{Now: clk.Now, DisableSystem: true, DisableGPU: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// exactPercentile is the nearest-rank percentile HDR uses: the value at
// rank round(p/100 × n), at least 1.
func exactPercentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p/100*float64(len(sorted)) + 0.5)
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// within checks an HDR value against the exact one: never below it, and
// above by at most the relative precision (plus the 1 µs recording unit).
func within(t *testing.T, what string, got, exact time.Duration, rel float64) {
	t.Helper()
	lo := exact.Truncate(time.Microsecond)
	hi := exact + time.Duration(float64(exact)*rel) + time.Microsecond
	if got < lo || got > hi {
		t.Errorf("%s = %v, exact %v (allowed %v..%v)", what, got, exact, lo, hi)
	}
}

func series(s profiler.Snapshot, name string, stage bool) (profiler.SeriesStats, bool) {
	list := s.Ops
	if stage {
		list = s.Stages
	}
	for _, st := range list {
		if st.Name == name {
			return st, true
		}
	}
	return profiler.SeriesStats{}, false
}

func window(t *testing.T, st profiler.SeriesStats, w string) profiler.WindowStats {
	t.Helper()
	for _, ws := range st.Windows {
		if ws.Window == w {
			return ws
		}
	}
	t.Fatalf("series %s has no window %s", st.Name, w)
	return profiler.WindowStats{}
}

func TestHistogramsAgreeWithExactPercentiles(t *testing.T) {
	clk := newFakeClock()
	p := newProfiler(t, clk)
	rng := rand.New(rand.NewPCG(1, 2))
	var vals []time.Duration
	// Log-uniform latencies from 10 µs to 2 s, all inside one second of the clock.
	for i := 0; i < 20000; i++ {
		d := time.Duration(10e3 * math.Pow(2e5, rng.Float64()))
		vals = append(vals, d)
		p.ObserveOp(profiler.OpSentiment, d, nil)
	}
	slices.Sort(vals)
	clk.Advance(time.Second)
	st, ok := series(p.Snapshot(), profiler.OpSentiment, false)
	if !ok {
		t.Fatal("no sentiment series")
	}
	check := func(what string, got profiler.Percentiles, rel float64) {
		t.Helper()
		if got.Count != uint64(len(vals)) {
			t.Fatalf("%s count = %d, want %d", what, got.Count, len(vals))
		}
		within(t, what+" p50", got.P50, exactPercentile(vals, 50), rel)
		within(t, what+" p90", got.P90, exactPercentile(vals, 90), rel)
		within(t, what+" p95", got.P95, exactPercentile(vals, 95), rel)
		within(t, what+" p99", got.P99, exactPercentile(vals, 99), rel)
		within(t, what+" p99.9", got.P999, exactPercentile(vals, 99.9), rel)
		if got.Max != vals[len(vals)-1] {
			t.Errorf("%s max = %v, want exactly %v", what, got.Max, vals[len(vals)-1])
		}
	}
	check("since start", st.Total, 0.001) // 3 significant digits
	check("1s window", window(t, st, "1s").Percentiles, 0.01)
	check("10s window", window(t, st, "10s").Percentiles, 0.01)
}

func TestRollingWindows(t *testing.T) {
	clk := newFakeClock()
	p, err := profiler.New(profiler.Config{Now: clk.Now, DisableSystem: true, DisableGPU: true, ClassifyError: classify}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Second 0: 10 fast requests; seconds 1..9: 5 requests of 20 ms each
	// second, one failing; seconds 10..69: nothing.
	for i := 0; i < 10; i++ {
		p.ObserveOp(profiler.OpEntities, time.Millisecond, nil)
	}
	for s := 1; s <= 9; s++ {
		clk.Advance(time.Second)
		for i := 0; i < 5; i++ {
			var err error
			if i == 0 {
				err = engineOverloaded
			}
			p.ObserveOp(profiler.OpEntities, 20*time.Millisecond, err)
		}
	}
	clk.Advance(time.Second) // now in second 10: seconds 0..9 are complete
	st, _ := series(p.Snapshot(), profiler.OpEntities, false)
	if w := window(t, st, "1s"); w.Count != 5 || w.PerSecond != 5 || w.ErrorsPerSecond != 1 {
		t.Fatalf("1s window = %+v, want 5 requests, 5/s, 1 error/s", w)
	}
	w10 := window(t, st, "10s")
	if w10.Count != 55 || w10.PerSecond != 5.5 {
		t.Fatalf("10s window = %+v, want 55 requests at 5.5/s", w10)
	}
	within(t, "10s p50", w10.P50, 20*time.Millisecond, 0.01)
	within(t, "10s min", w10.Min, time.Millisecond, 0.01)
	if st.Total.Count != 55 || st.Errors != 9 {
		t.Fatalf("total = %d requests, %d errors; want 55, 9", st.Total.Count, st.Errors)
	}

	clk.Advance(time.Second) // second 11: second 0 leaves the 10 s window
	st, _ = series(p.Snapshot(), profiler.OpEntities, false)
	if w := window(t, st, "10s"); w.Count != 45 {
		t.Fatalf("10s window after 1 s more = %d requests, want 45", w.Count)
	}
	if w := window(t, st, "1s"); w.Count != 0 || w.PerSecond != 0 {
		t.Fatalf("1s window of an idle second = %+v, want empty", w)
	}
	if w := window(t, st, "60s"); w.Count != 55 {
		t.Fatalf("60s window = %d requests, want 55", w.Count)
	}

	clk.Advance(60 * time.Second) // everything out of every window
	snap := p.Snapshot()
	st, _ = series(snap, profiler.OpEntities, false)
	for _, w := range st.Windows {
		if w.Count != 0 {
			t.Fatalf("window %s still holds %d requests after 60 idle seconds", w.Window, w.Count)
		}
	}
	if st.Total.Count != 55 {
		t.Fatalf("since-start count = %d, want 55", st.Total.Count)
	}
	if snap.Errors["overloaded"] != 9 {
		t.Fatalf("errors by kind = %v, want overloaded: 9", snap.Errors)
	}

	// A ring slot reused after 61 s holds only its new second.
	p.ObserveOp(profiler.OpEntities, 5*time.Millisecond, nil)
	clk.Advance(time.Second)
	st, _ = series(p.Snapshot(), profiler.OpEntities, false)
	if w := window(t, st, "60s"); w.Count != 1 {
		t.Fatalf("60s window after slot reuse = %d, want 1", w.Count)
	}
}

var engineOverloaded = errors.New("engine overloaded: queue is full")

func classify(err error) string {
	if errors.Is(err, engineOverloaded) {
		return "overloaded"
	}
	return profiler.ErrorKind(err)
}

func TestSnapshotCountersAndGauges(t *testing.T) {
	clk := newFakeClock()
	p, err := profiler.New(profiler.Config{Now: clk.Now, DisableSystem: true, DisableGPU: true, ClassifyError: classify}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	depth := 7.0
	p.SetGaugeFunc(profiler.GaugeQueueDepth, func() float64 { return depth })
	for i := 0; i < 4; i++ {
		p.ObserveCache(i == 0)
	}
	p.ObserveTexts(32)
	p.ObserveTexts(8)
	p.ObserveBatch(1, 10, 10)
	p.ObserveBatch(3, 30, 60)
	p.ObserveBatch(32, 320, 640)
	p.ObserveBatch(500, 10, 10)
	p.ObserveStage(profiler.StageInference, 3*time.Millisecond)
	p.ObserveStage(profiler.StageTokenize, 100*time.Microsecond)
	p.ObserveOp(profiler.OpSentiment, time.Millisecond, engineOverloaded)
	p.ObserveOp(profiler.OpSentiment, time.Millisecond, context.DeadlineExceeded)
	p.ObserveOp(profiler.HTTPOp("POST /v1/analyze"), time.Millisecond, nil)
	clk.Advance(time.Second)

	s := p.Snapshot()
	if s.QueueDepth != 7 || s.Gauges[profiler.GaugeQueueDepth] != 7 {
		t.Fatalf("queue depth = %v (gauges %v), want 7", s.QueueDepth, s.Gauges)
	}
	if s.Cache.Hits != 1 || s.Cache.Misses != 3 || s.Cache.HitRate != 0.25 || s.Cache.HitRate60s != 0.25 {
		t.Fatalf("cache = %+v", s.Cache)
	}
	if s.Throughput.Texts != 40 || s.Throughput.TextsPerSec1s != 40 || s.Throughput.TextsPerSec10s != 4 {
		t.Fatalf("texts = %+v", s.Throughput)
	}
	// The HTTP route's request is not counted twice.
	if s.Throughput.Requests != 2 || s.Throughput.RequestsPerSec1s != 2 {
		t.Fatalf("requests = %+v", s.Throughput)
	}
	if s.Batches.Total != 4 || s.Batches.MeanSize60s != 134 {
		t.Fatalf("batches = %+v", s.Batches)
	}
	if want := 370.0 / 720; s.Batches.Efficiency60s != want {
		t.Fatalf("padding efficiency = %v, want %v", s.Batches.Efficiency60s, want)
	}
	got := map[int]uint64{}
	for _, b := range s.Batches.Sizes {
		got[b.Le] = b.Count
	}
	if got[1] != 1 || got[4] != 1 || got[32] != 1 || got[0] != 1 || got[2] != 0 {
		t.Fatalf("batch size buckets = %v", s.Batches.Sizes)
	}
	if s.Errors["overloaded"] != 1 || s.Errors["timeout"] != 1 || len(s.Errors) != 2 {
		t.Fatalf("errors = %v", s.Errors)
	}
	names := []string{}
	for _, st := range s.Stages {
		names = append(names, st.Name)
	}
	if !slices.Equal(names, []string{profiler.StageInference, profiler.StageTokenize}) {
		t.Fatalf("stages = %v", names)
	}
	if _, ok := series(s, "http:POST /v1/analyze", false); !ok {
		t.Fatal("no series for the HTTP route")
	}
	if s.GPU.Available || s.GPU.Reason == "" {
		t.Fatalf("GPU disabled but state = %+v", s.GPU)
	}

	p.SetGaugeFunc(profiler.GaugeQueueDepth, nil)
	if s := p.Snapshot(); s.QueueDepth != 0 || len(s.Gauges) != 0 {
		t.Fatalf("gauge not removed: %v", s.Gauges)
	}
}

func TestMaxSeriesBoundsMemory(t *testing.T) {
	p, err := profiler.New(profiler.Config{MaxSeries: 3, DisableSystem: true, DisableGPU: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		p.ObserveOp(profiler.HTTPOp("/route/"+string(rune('a'+i%26))+string(rune('a'+i/26))), time.Millisecond, nil)
	}
	s := p.Snapshot()
	if len(s.Ops) != 4 {
		t.Fatalf("%d op series, want 3 and %q", len(s.Ops), profiler.OtherSeries)
	}
	other, ok := series(s, profiler.OtherSeries, false)
	if !ok || other.Total.Count != 97 {
		t.Fatalf("other series = %+v, want 97 observations", other)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []profiler.Config{
		{SampleInterval: time.Millisecond},
		{MaxSeries: -1},
	} {
		if _, err := profiler.New(cfg, nil); !errors.Is(err, profiler.ErrInvalidConfig) {
			t.Errorf("New(%+v) error = %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

func TestConcurrentObserveAndSnapshot(t *testing.T) {
	p, err := profiler.New(profiler.Config{DisableGPU: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- p.Run(ctx) }()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				p.ObserveOp(profiler.OpAnalyze, time.Duration(i)*time.Microsecond, nil)
				p.ObserveStage(profiler.StageQueueWait, time.Microsecond)
				p.ObserveBatch(i%40+1, 100, 200)
				p.ObserveCache(i%2 == 0)
				p.ObserveTexts(1)
				if i%500 == 0 {
					_ = p.Snapshot()
					_ = testutil.CollectAndCount(p.Collector())
				}
			}
		}()
	}
	wg.Wait()
	// Run samples the system at once; wait for that sample before stopping it.
	deadline := time.Now().Add(10 * time.Second)
	for p.Snapshot().System.SampledAt.IsZero() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Fatalf("Run = %v", err)
	}
	s := p.Snapshot()
	st, _ := series(s, profiler.OpAnalyze, false)
	if st.Total.Count != 16000 || s.Throughput.Texts != 16000 || s.Cache.Hits != 8000 {
		t.Fatalf("lost observations: %d ops, %d texts, %d hits", st.Total.Count, s.Throughput.Texts, s.Cache.Hits)
	}
	// Run sampled the system once at least.
	if s.System.SampledAt.IsZero() || s.System.MemTotalBytes == 0 || s.System.Goroutines == 0 || s.System.ProcessRSSBytes == 0 {
		t.Fatalf("system gauges not sampled: %+v", s.System)
	}
	if len(s.System.CPUPerCore) == 0 {
		t.Fatalf("no per-core CPU: %+v", s.System)
	}
}

func TestPrometheusExposition(t *testing.T) {
	clk := newFakeClock()
	p := newProfiler(t, clk)
	p.SetGaugeFunc(profiler.GaugeQueueDepth, func() float64 { return 3 })
	for i := 0; i < 10; i++ {
		p.ObserveOp(profiler.OpSentiment, 4*time.Millisecond, nil)
	}
	p.ObserveOp(profiler.OpSentiment, 40*time.Millisecond, errors.New("boom"))
	p.ObserveCache(true)
	p.ObserveBatch(8, 80, 100)
	p.ObserveShed("queue_wait")
	p.ObserveShed("queue_wait")
	p.ObserveShed("inflight_bytes")
	clk.Advance(time.Second)
	if sh := p.Snapshot().Shed; sh["queue_wait"] != 2 || sh["inflight_bytes"] != 1 || len(sh) != 2 {
		t.Errorf("snapshot shed = %v, want queue_wait 2, inflight_bytes 1", sh)
	}

	want := `
# HELP nlpscope_op_duration_seconds Analysis latency since start, by who asked (source) and operation.
# TYPE nlpscope_op_duration_seconds histogram
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.0005"} 0
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.001"} 0
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.0025"} 0
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.005"} 10
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.01"} 10
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.025"} 10
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.05"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.1"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.25"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="0.5"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="1"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="2.5"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="5"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="10"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="30"} 11
nlpscope_op_duration_seconds_bucket{op="sentiment",source="api",le="+Inf"} 11
nlpscope_op_duration_seconds_sum{op="sentiment",source="api"} 0.08
nlpscope_op_duration_seconds_count{op="sentiment",source="api"} 11
# HELP nlpscope_op_errors_total Failed analyses since start.
# TYPE nlpscope_op_errors_total counter
nlpscope_op_errors_total{op="sentiment",source="api"} 1
# HELP nlpscope_queue_depth Application gauge "queue_depth".
# TYPE nlpscope_queue_depth gauge
nlpscope_queue_depth 3
# HELP nlpscope_cache_hits_total Result cache hits.
# TYPE nlpscope_cache_hits_total counter
nlpscope_cache_hits_total 1
# HELP nlpscope_errors_total Errors since start by kind.
# TYPE nlpscope_errors_total counter
nlpscope_errors_total{kind="error"} 1
# HELP nlpscope_shed_total Requests refused for overload (429) since start, by reason.
# TYPE nlpscope_shed_total counter
nlpscope_shed_total{reason="inflight_bytes"} 1
nlpscope_shed_total{reason="queue_wait"} 2
# HELP nlpscope_gpu_available 1 when GPU gauges are available.
# TYPE nlpscope_gpu_available gauge
nlpscope_gpu_available 0
`
	if err := testutil.CollectAndCompare(p.Collector(), strings.NewReader(want),
		"nlpscope_op_duration_seconds", "nlpscope_op_errors_total", "nlpscope_queue_depth",
		"nlpscope_cache_hits_total", "nlpscope_errors_total", "nlpscope_shed_total", "nlpscope_gpu_available"); err != nil {
		t.Fatal(err)
	}
	// Window quantiles are exposed too, and the registry gathers cleanly.
	mfs, err := p.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		found[mf.GetName()] = true
	}
	for _, n := range []string{"nlpscope_latency_window_seconds", "nlpscope_batch_size", "go_goroutines", "nlpscope_op_rate_per_second"} {
		if !found[n] {
			t.Errorf("registry lacks %s", n)
		}
	}
}

func TestErrorKind(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{context.Canceled, "canceled"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), "timeout"},
		{&profiler.HTTPStatusError{StatusCode: 503}, "http_503"},
		{fmt.Errorf("post: %w", dialErr), "network"},
		{errors.New("something else"), "error"},
	} {
		if got := profiler.ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
