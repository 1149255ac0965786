package profiler_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

// queueTarget simulates one server with a fixed service time and a FIFO
// queue in front of it (a D/D/1 queue under uniform arrivals): its capacity
// is exactly 1/service requests per second. hits counts the requests it
// saw. Run it inside a synctest bubble so that its waits take no real time.
func queueTarget(service time.Duration, hits *atomic.Uint64) profiler.Target {
	server := make(chan struct{}, 1) // blocked senders are served in arrival order
	return func(ctx context.Context, seq uint64) error {
		hits.Add(1)
		select {
		case server <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-server }()
		return wait(ctx, service)
	}
}

func newSearch(t *testing.T, cfg profiler.CapacityConfig) *profiler.CapacitySearch {
	t.Helper()
	cfg.Load.NoFingerprint = true
	cs, err := profiler.NewCapacitySearch(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkTotals checks the report's totals against the sum of its steps and
// against the target's own count of requests.
func checkTotals(t *testing.T, r profiler.Report, hits uint64) {
	t.Helper()
	c := r.Capacity
	if c == nil {
		t.Fatal("report has no capacity section")
	}
	var req, ok, errs, dropped uint64
	for _, s := range c.Steps {
		req += s.Requests
		ok += s.Succeeded
		errs += s.Errors
		dropped += s.Dropped
		if s.Requests != s.Succeeded+s.Errors+s.Dropped {
			t.Errorf("step %+v: sent ≠ ok + errors + dropped", s)
		}
	}
	if req != r.Requests || ok != r.Succeeded || errs != r.Errors || dropped != r.Dropped || hits != r.Requests {
		t.Fatalf("steps sum to %d sent, %d ok, %d errors, %d dropped; report says %d, %d, %d, %d; the target saw %d",
			req, ok, errs, dropped, r.Requests, r.Succeeded, r.Errors, r.Dropped, hits)
	}
	if r.Latency.Count != r.Completed || r.Completed != r.Succeeded+r.Errors {
		t.Fatalf("latency count %d, completed %d, ok+errors %d", r.Latency.Count, r.Completed, r.Succeeded+r.Errors)
	}
}

// TestCapacityFindsQueueCapacity: a single server of 10 ms per request
// serves 100 req/s. Below that, uniform arrivals never queue (latency 10
// ms); above it, the queue grows for the whole step and p99 passes 50 ms
// once the rate is more than ~0.4 % over (10 s steps). The search must land
// within its 5 % resolution of 100 req/s.
func TestCapacityFindsQueueCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const service = 10 * time.Millisecond
		capacity := float64(time.Second / service)
		var hits atomic.Uint64
		var seen []profiler.Capacity
		cs := newSearch(t, profiler.CapacityConfig{
			Load: profiler.LoadConfig{Target: "fake", Duration: 10 * time.Second},
			SLO:  []string{"p99<50ms"}, StartRate: 10, Resolution: 0.05,
			OnStep: func(c profiler.Capacity) { seen = append(seen, c) },
		})
		r, err := cs.Run(context.Background(), queueTarget(service, &hits))
		if err != nil {
			t.Fatal(err)
		}
		c := r.Capacity
		for _, s := range c.Steps {
			t.Logf("%-6s %7.2f req/s  sent %5d  p99 %-8v pass %v  %s", s.Phase, s.Rate, s.Requests, s.P99, s.Pass, s.Reason)
		}
		if c.StopReason != profiler.CapacityResolved || r.StopReason != profiler.CapacityResolved || !r.Passed || r.Mode != profiler.ModeCapacity {
			t.Fatalf("stop %q / %q, passed %v, mode %q: %s", c.StopReason, r.StopReason, r.Passed, r.Mode, c.Message)
		}
		lo, hi := c.MaxPassingRate, c.MinFailingRate
		if lo < capacity*(1-c.Resolution) || lo > capacity*1.01 {
			t.Fatalf("max passing rate %.2f req/s, want within 5 %% below the capacity %.0f", lo, capacity)
		}
		if hi <= lo || hi-lo > c.Resolution*lo || hi < capacity {
			t.Fatalf("bracket [%.2f, %.2f]: want a gap ≤ 5 %% and the failing rate above the capacity %.0f", lo, hi, capacity)
		}
		best := c.Steps[c.BestStep]
		if !best.Pass || best.Rate != lo || r.RequestedRate != lo || best.P99 >= 50*time.Millisecond || best.P50 < service {
			t.Fatalf("best step %+v, requested rate %v", best, r.RequestedRate)
		}
		// Steps grow by 2 from 10 req/s until one fails, then bisect.
		for i, want := range []float64{10, 20, 40, 80, 160} {
			if s := c.Steps[i]; s.Rate != want || s.Phase != "grow" || s.Pass != (want < capacity) {
				t.Fatalf("step %d = %+v, want the growth phase at %v req/s", i, s, want)
			}
			// Uniform arrivals: a 10 s step at R req/s sends exactly 10 R.
			if s := c.Steps[i]; s.Requests != uint64(10*want) {
				t.Fatalf("step at %v req/s sent %d, want %v", want, s.Requests, 10*want)
			}
		}
		if !strings.Contains(c.Message, "p99<50ms") || !strings.Contains(c.Message, "req/s") || len(c.SLO) != 2 || c.SLO[1] != profiler.DefaultCapacityErrors {
			t.Fatalf("message %q, slo %q", c.Message, c.SLO)
		}
		if len(seen) != len(c.Steps) || len(seen[len(seen)-1].Steps) != len(c.Steps) {
			t.Fatalf("OnStep called %d times for %d steps", len(seen), len(c.Steps))
		}
		checkTotals(t, r, hits.Load())
	})
}

// TestCapacityPoissonArrivalsHoldLess: random arrivals queue below the
// capacity (an M/D/1 queue), so the same SLO holds at a lower rate than
// with uniform arrivals, and at a rate of the order that queueing theory
// gives (p99 of an M/D/1 sojourn reaches 50 ms near 60 % load).
func TestCapacityPoissonArrivalsHoldLess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Uint64
		cs := newSearch(t, profiler.CapacityConfig{
			Load: profiler.LoadConfig{Target: "fake", Duration: 10 * time.Second, Arrivals: profiler.ArrivalsPoisson, Seed: 42},
			SLO:  []string{"p99<50ms"}, StartRate: 10,
		})
		r, err := cs.Run(context.Background(), queueTarget(10*time.Millisecond, &hits))
		if err != nil {
			t.Fatal(err)
		}
		c := r.Capacity
		for _, s := range c.Steps {
			t.Logf("%-6s %7.2f req/s  sent %5d  p99 %-8v pass %v", s.Phase, s.Rate, s.Requests, s.P99, s.Pass)
		}
		if c.Arrivals != profiler.ArrivalsPoisson || c.StopReason != profiler.CapacityResolved {
			t.Fatalf("arrivals %q, stop %q: %s", c.Arrivals, c.StopReason, c.Message)
		}
		if c.MaxPassingRate < 30 || c.MaxPassingRate > 90 {
			t.Fatalf("Poisson capacity %.1f req/s, want well below the uniform 100 (about 60)", c.MaxPassingRate)
		}
		checkTotals(t, r, hits.Load())
	})
}

// TestCapacityAlwaysFailing: a target that always fails holds no rate; the
// search shrinks to its minimum rate and says so.
func TestCapacityAlwaysFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Uint64
		cs := newSearch(t, profiler.CapacityConfig{
			Load: profiler.LoadConfig{Target: "fake", Duration: 2 * time.Second},
			SLO:  []string{"p99<50ms"}, StartRate: 10, MinRate: 1,
		})
		r, err := cs.Run(context.Background(), func(ctx context.Context, seq uint64) error {
			hits.Add(1)
			return errors.New("boom")
		})
		if err != nil {
			t.Fatal(err)
		}
		c := r.Capacity
		rates := []float64{}
		for _, s := range c.Steps {
			rates = append(rates, s.Rate)
			if s.Pass || s.Phase == "grow" && s.Rate != 10 || !strings.Contains(s.Reason, "errors<1% was 100.00%") {
				t.Fatalf("step %+v", s)
			}
		}
		if want := []float64{10, 5, 2.5, 1.25, 1}; len(rates) != len(want) || rates[4] != 1 || rates[1] != 5 {
			t.Fatalf("rates %v, want %v", rates, want)
		}
		if r.Passed || c.MaxPassingRate != 0 || c.BestStep != -1 || c.StopReason != profiler.CapacityMinRate || c.MinFailingRate != 1 {
			t.Fatalf("passed %v, max passing %v, best %d, stop %q, min failing %v", r.Passed, c.MaxPassingRate, c.BestStep, c.StopReason, c.MinFailingRate)
		}
		if !strings.HasPrefix(c.Message, "no rate held the SLO (p99<50ms, errors<1%): even 1 req/s failed") {
			t.Fatalf("message %q", c.Message)
		}
		if r.Errors != r.Requests || r.ErrorsByKind["error"] != r.Requests {
			t.Fatalf("errors %d of %d, by kind %v", r.Errors, r.Requests, r.ErrorsByKind)
		}
		checkTotals(t, r, hits.Load())
	})
}

// TestCapacityBounds: the search stops at its max rate, its step count and
// its time budget, and says which.
func TestCapacityBounds(t *testing.T) {
	run := func(t *testing.T, cfg profiler.CapacityConfig) profiler.Report {
		t.Helper()
		var r profiler.Report
		synctest.Test(t, func(t *testing.T) {
			var hits atomic.Uint64
			cfg.SLO = []string{"p99<50ms"}
			if cfg.Load.Duration == 0 {
				cfg.Load.Duration = time.Second
			}
			var err error
			r, err = newSearch(t, cfg).Run(context.Background(), queueTarget(time.Millisecond, &hits))
			if err != nil {
				t.Fatal(err)
			}
			checkTotals(t, r, hits.Load())
		})
		return r
	}
	t.Run("max rate", func(t *testing.T) {
		r := run(t, profiler.CapacityConfig{StartRate: 10, MaxRate: 50})
		c := r.Capacity
		if c.StopReason != profiler.CapacityMaxRate || c.MaxPassingRate != 50 || c.MinFailingRate != 0 || len(c.Steps) != 4 || !r.Passed {
			t.Fatalf("capacity %+v", c)
		}
		if !strings.Contains(c.Message, "at least") {
			t.Fatalf("message %q", c.Message)
		}
	})
	t.Run("max steps", func(t *testing.T) {
		r := run(t, profiler.CapacityConfig{MaxSteps: 3})
		if c := r.Capacity; c.StopReason != profiler.CapacityMaxSteps || len(c.Steps) != 3 || !strings.Contains(c.Message, "stopped early (max_steps)") {
			t.Fatalf("capacity %+v", c)
		}
	})
	t.Run("time", func(t *testing.T) {
		// 1 s steps with a 5 s grace period: a step starts only when it can
		// end within 10 s, so at most 5 run.
		r := run(t, profiler.CapacityConfig{MaxDuration: 10 * time.Second})
		c := r.Capacity
		if c.StopReason != profiler.CapacityTimeUp || len(c.Steps) != 5 || r.Elapsed > 10*time.Second {
			t.Fatalf("stop %q after %d steps in %v", c.StopReason, len(c.Steps), r.Elapsed)
		}
	})
}

// TestCapacityCancel: a cancelled search returns its partial report, the
// step under way included.
func TestCapacityCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Uint64
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		cs := newSearch(t, profiler.CapacityConfig{Load: profiler.LoadConfig{Duration: time.Second}, SLO: []string{"p95<1s"}})
		r, err := cs.Run(ctx, queueTarget(time.Millisecond, &hits))
		if err != nil {
			t.Fatal(err)
		}
		c := r.Capacity
		if r.Status != profiler.StatusCanceled || c.StopReason != profiler.CapacityCanceled || len(c.Steps) != 3 || c.Steps[2].Status != profiler.StatusCanceled || c.Steps[2].Pass {
			t.Fatalf("status %q, capacity %+v", r.Status, c)
		}
		checkTotals(t, r, hits.Load())
	})
}

func TestCapacityConfigErrors(t *testing.T) {
	for name, cfg := range map[string]profiler.CapacityConfig{
		"no slo":          {},
		"bad slo":         {SLO: []string{"p99<fast"}},
		"rate set":        {SLO: []string{"p99<50ms"}, Load: profiler.LoadConfig{Rate: 10}},
		"users set":       {SLO: []string{"p99<50ms"}, Load: profiler.LoadConfig{Users: 2}},
		"thresholds set":  {SLO: []string{"p99<50ms"}, Load: profiler.LoadConfig{Thresholds: []string{"p95<1s"}}},
		"max requests":    {SLO: []string{"p99<50ms"}, Load: profiler.LoadConfig{MaxRequests: 5}},
		"growth 1":        {SLO: []string{"p99<50ms"}, Growth: 1},
		"resolution 0.9":  {SLO: []string{"p99<50ms"}, Resolution: 0.9},
		"start over max":  {SLO: []string{"p99<50ms"}, StartRate: 100, MaxRate: 50},
		"min over start":  {SLO: []string{"p99<50ms"}, StartRate: 10, MinRate: 20},
		"max rate 1e7":    {SLO: []string{"p99<50ms"}, MaxRate: 1e7},
		"negative start":  {SLO: []string{"p99<50ms"}, StartRate: -1},
		"step over total": {SLO: []string{"p99<50ms"}, MaxDuration: 2 * time.Second},
		"bad arrivals":    {SLO: []string{"p99<50ms"}, Load: profiler.LoadConfig{Arrivals: "bursty"}},
	} {
		_, err := profiler.NewCapacitySearch(cfg, nil)
		if !errors.Is(err, profiler.ErrInvalidConfig) && !errors.Is(err, profiler.ErrBadThreshold) {
			t.Errorf("%s: err = %v, want an invalid-config or bad-threshold error", name, err)
		}
	}
	// An SLO with its own error bound gets no implicit one.
	cs, err := profiler.NewCapacitySearch(profiler.CapacityConfig{SLO: []string{"p99<50ms", "errors<5%"}}, nil)
	if err != nil || len(cs.Config().SLO) != 2 || cs.Config().Load.Duration != profiler.DefaultCapacityStep {
		t.Fatalf("config %+v, %v", cs.Config(), err)
	}
}

// TestCapacitySurvivesSummary: the capacity section is kept by the summary
// storage stores, and by JSON.
func TestCapacitySurvivesSummary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Uint64
		r, err := newSearch(t, profiler.CapacityConfig{Load: profiler.LoadConfig{Duration: time.Second}, SLO: []string{"p99<50ms"}, MaxSteps: 2}).
			Run(context.Background(), queueTarget(time.Millisecond, &hits))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(r.Summary())
		if err != nil {
			t.Fatal(err)
		}
		var s profiler.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		back := s.Report()
		if back.Capacity == nil || len(back.Capacity.Steps) != 2 || back.Capacity.Steps[1].Requests != r.Capacity.Steps[1].Requests || back.Mode != profiler.ModeCapacity {
			t.Fatalf("after the summary: %+v", back.Capacity)
		}
	})
}

// TestLoadTestPoissonArrivals: an open-loop run with Poisson arrivals sends
// about rate × duration requests, ends by its duration (not by the bound on
// requests), and records the seed it drew so that the run can be repeated.
func TestLoadTestPoissonArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Rate: 1000, Duration: 10 * time.Second, Arrivals: profiler.ArrivalsPoisson})
		cfg := lt.Config()
		if cfg.Seed == 0 || cfg.MaxRequests <= 10_000 {
			t.Fatalf("seed %d, max requests %d", cfg.Seed, cfg.MaxRequests)
		}
		var hits atomic.Uint64
		r, err := lt.Run(context.Background(), func(ctx context.Context, seq uint64) error { hits.Add(1); return nil })
		if err != nil {
			t.Fatal(err)
		}
		// 10 000 expected, standard deviation 100.
		if r.Requests < 9500 || r.Requests > 10500 || hits.Load() != r.Requests || r.StopReason != profiler.StopDuration {
			t.Fatalf("sent %d (target saw %d), stop %q", r.Requests, hits.Load(), r.StopReason)
		}
		// The same seed sends the same schedule.
		again := newLoadTest(t, profiler.LoadConfig{Rate: 1000, Duration: 10 * time.Second, Arrivals: profiler.ArrivalsPoisson, Seed: cfg.Seed})
		r2, err := again.Run(context.Background(), noop)
		if err != nil || r2.Requests != r.Requests {
			t.Fatalf("same seed: %d requests, want %d (%v)", r2.Requests, r.Requests, err)
		}
	})
	if _, err := profiler.NewLoadTest(profiler.LoadConfig{Users: 2, Duration: time.Second, Arrivals: profiler.ArrivalsPoisson}, nil); !errors.Is(err, profiler.ErrInvalidConfig) {
		t.Fatalf("poisson closed loop: %v", err)
	}
}
