package profiler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

func newLoadTest(t *testing.T, cfg profiler.LoadConfig) *profiler.LoadTest {
	t.Helper()
	cfg.NoFingerprint = true
	lt, err := profiler.NewLoadTest(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lt
}

func noop(context.Context, uint64) error { return nil }

// wait blocks for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestOpenLoopCountsStallsFromIntendedTime: a target that stalls for a
// known time behind a single in-flight slot (like one connection). Requests
// due during the stall are sent late; measured from their intended send
// time they show the stall, measured from the actual send (the naive way)
// they do not.
func TestOpenLoopCountsStallsFromIntendedTime(t *testing.T) {
	const stall = 300 * time.Millisecond
	// 150 requests; the 30 due during the stall wait behind it, and the
	// remaining 1.2 s leave the generator time to catch up.
	lt := newLoadTest(t, profiler.LoadConfig{Rate: 100, Duration: 5 * stall, MaxInFlight: 1})
	r, err := lt.Run(context.Background(), func(ctx context.Context, seq uint64) error {
		if seq == 0 {
			return wait(ctx, stall)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 150 || r.Completed != 150 || r.Errors != 0 {
		t.Fatalf("sent %d, completed %d, errors %d; want 150, 150, 0", r.Requests, r.Completed, r.Errors)
	}
	// The stall delayed 30 requests (20 %) by up to its length.
	if r.Latency.P99 < stall*9/10 || r.Latency.Max < stall {
		t.Fatalf("intended-time p99 = %v, max = %v; the %v stall is hidden", r.Latency.P99, r.Latency.Max, stall)
	}
	if r.Latency.P90 < stall/3 {
		t.Fatalf("intended-time p90 = %v; a fifth of the requests waited behind the stall", r.Latency.P90)
	}
	// Naive: only the stalled request itself is slow, below the 1 % tail.
	if r.ServiceTime.P99 >= stall/3 || r.ServiceTime.Max < stall {
		t.Fatalf("service-time p99 = %v, max = %v; want p99 far below the stall and max at it", r.ServiceTime.P99, r.ServiceTime.Max)
	}
	if r.LateSends < 25 {
		t.Fatalf("late sends = %d, want the ~30 requests due during the stall", r.LateSends)
	}
}

func TestClosedLoopNeverExceedsUsers(t *testing.T) {
	const users = 5
	var inFlight, peak atomic.Int64
	lt := newLoadTest(t, profiler.LoadConfig{Users: users, Ramp: 50 * time.Millisecond, Duration: 400 * time.Millisecond})
	r, err := lt.Run(context.Background(), func(ctx context.Context, seq uint64) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		return wait(ctx, time.Millisecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > users || p < 1 {
		t.Fatalf("peak concurrency %d, want 1..%d", p, users)
	}
	if r.PeakInFlight > users || r.Mode != "closed" || r.StopReason != profiler.StopDuration || r.Requests == 0 {
		t.Fatalf("report: peak %d, mode %s, stop %s, requests %d", r.PeakInFlight, r.Mode, r.StopReason, r.Requests)
	}
	if r.Requests != r.Completed+r.Dropped {
		t.Fatalf("sent %d ≠ completed %d + dropped %d", r.Requests, r.Completed, r.Dropped)
	}
}

func TestClosedLoopThinkTime(t *testing.T) {
	// Each user sends, thinks 1 s; in 300 ms each can send once only.
	lt := newLoadTest(t, profiler.LoadConfig{Users: 3, Think: time.Second, Duration: 300 * time.Millisecond})
	r, err := lt.Run(context.Background(), noop)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 3 || r.Completed != 3 {
		t.Fatalf("sent %d / completed %d, want 3 (one per user)", r.Requests, r.Completed)
	}
}

func TestRunsStopAtTheirBounds(t *testing.T) {
	t.Run("open loop request count", func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Rate: 1000, Duration: time.Minute, MaxRequests: 50})
		r, _ := lt.Run(context.Background(), noop)
		if r.Requests != 50 || r.StopReason != profiler.StopMaxRequests || r.Status != profiler.StatusCompleted || r.Elapsed >= time.Minute {
			t.Fatalf("requests %d, stop %s, status %s, elapsed %v", r.Requests, r.StopReason, r.Status, r.Elapsed)
		}
	})
	t.Run("open loop duration", func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Rate: 100, Duration: 300 * time.Millisecond})
		if lt.Config().MaxRequests != 30 {
			t.Fatalf("default max requests = %d, want the schedule's 30", lt.Config().MaxRequests)
		}
		r, _ := lt.Run(context.Background(), noop)
		if r.Requests != 30 || r.StopReason != profiler.StopDuration {
			t.Fatalf("requests %d, stop %s; want 30, duration", r.Requests, r.StopReason)
		}
		if r.SendWindow < 300*time.Millisecond || r.AchievedRate > 100.001 || r.RequestedRate != 100 {
			t.Fatalf("send window %v, achieved %v, requested %v", r.SendWindow, r.AchievedRate, r.RequestedRate)
		}
	})
	t.Run("closed loop request count", func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Users: 4, Duration: time.Minute, MaxRequests: 20})
		r, _ := lt.Run(context.Background(), noop)
		if r.Requests != 20 || r.Completed != 20 || r.StopReason != profiler.StopMaxRequests || r.Elapsed >= time.Minute {
			t.Fatalf("requests %d, completed %d, stop %s, elapsed %v", r.Requests, r.Completed, r.StopReason, r.Elapsed)
		}
	})
	t.Run("hung requests are cut off after the grace period", func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Users: 2, Duration: 100 * time.Millisecond, Grace: 100 * time.Millisecond})
		r, _ := lt.Run(context.Background(), func(ctx context.Context, _ uint64) error {
			<-ctx.Done()
			return ctx.Err()
		})
		if r.Requests != 2 || r.Dropped != 2 || r.Completed != 0 || r.Errors != 0 || r.Status != profiler.StatusCompleted {
			t.Fatalf("requests %d, dropped %d, completed %d, errors %d, status %s", r.Requests, r.Dropped, r.Completed, r.Errors, r.Status)
		}
	})
	t.Run("request timeout is an error", func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Rate: 50, Duration: 100 * time.Millisecond, Timeout: 10 * time.Millisecond})
		r, _ := lt.Run(context.Background(), func(ctx context.Context, _ uint64) error {
			<-ctx.Done()
			return ctx.Err()
		})
		if r.Errors != 5 || r.ErrorsByKind["timeout"] != 5 || r.ErrorRate != 1 {
			t.Fatalf("errors %d, by kind %v, rate %v; want 5 timeouts", r.Errors, r.ErrorsByKind, r.ErrorRate)
		}
	})
}

func TestCancelReturnsPartialReport(t *testing.T) {
	for _, cfg := range []profiler.LoadConfig{
		{Rate: 200, Duration: time.Minute},
		{Users: 3, Duration: time.Minute},
	} {
		t.Run(cfg.Mode(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var n atomic.Uint64
			lt := newLoadTest(t, cfg)
			r, err := lt.Run(ctx, func(ctx context.Context, seq uint64) error {
				if n.Add(1) == 20 {
					cancel()
				}
				return wait(ctx, time.Millisecond)
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != profiler.StatusCanceled || r.StopReason != profiler.StopCanceled {
				t.Fatalf("status %s, stop %s", r.Status, r.StopReason)
			}
			if r.Requests < 20 || r.Completed == 0 || r.Elapsed >= time.Minute || r.Requests != r.Completed+r.Dropped {
				t.Fatalf("partial report: sent %d, completed %d, dropped %d, elapsed %v", r.Requests, r.Completed, r.Dropped, r.Elapsed)
			}
		})
	}
}

func TestReportSeriesErrorsAndThresholds(t *testing.T) {
	var progress []profiler.Progress
	var mu sync.Mutex
	lt := newLoadTest(t, profiler.LoadConfig{
		Rate: 100, Duration: 1500 * time.Millisecond,
		Thresholds:       []string{"errors<1%", "p(75)<1s", "p95<1s", "rps>=1000"},
		ProgressInterval: time.Millisecond, // clamped to 250 ms
		Progress: func(p profiler.Progress) {
			mu.Lock()
			progress = append(progress, p)
			mu.Unlock()
		},
	})
	r, err := lt.Run(context.Background(), func(_ context.Context, seq uint64) error {
		if seq%10 == 3 {
			return fmt.Errorf("bad request %d", seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 150 || r.Errors != 15 || r.ErrorsByKind["error"] != 15 || r.ErrorSamples["error"] != "bad request 3" {
		t.Fatalf("requests %d, errors %d, kinds %v, samples %v", r.Requests, r.Errors, r.ErrorsByKind, r.ErrorSamples)
	}
	if len(r.Series) != 2 {
		t.Fatalf("series has %d seconds, want 2: %+v", len(r.Series), r.Series)
	}
	var sent, done, errs uint64
	for i, s := range r.Series {
		if s.Second != i {
			t.Fatalf("series[%d].Second = %d", i, s.Second)
		}
		sent, done, errs = sent+s.Sent, done+s.Completed, errs+s.Errors
	}
	// About 100 requests are sent in the first second (a late one may slip
	// into the next).
	if sent != 150 || done != 150 || errs != 15 || r.Series[0].Sent < 90 || r.Series[0].Sent > 100 {
		t.Fatalf("series totals sent %d done %d errors %d, first second sent %d", sent, done, errs, r.Series[0].Sent)
	}
	want := []bool{false, true, true, false}
	for i, tr := range r.Thresholds {
		if tr.Pass != want[i] {
			t.Errorf("threshold %s: pass = %v (actual %v), want %v", tr.Expr, tr.Pass, tr.Actual, want[i])
		}
	}
	if r.Passed {
		t.Fatal("report passed with failing thresholds")
	}
	mu.Lock()
	defer mu.Unlock()
	// 1.5 s at ≤ 4 Hz.
	if len(progress) < 1 || len(progress) > 6 {
		t.Fatalf("%d progress calls in 1.5 s, want about 6 at most", len(progress))
	}
	last := progress[len(progress)-1]
	if last.Sent == 0 || last.Duration != 1500*time.Millisecond {
		t.Fatalf("last progress = %+v", last)
	}
}

func TestLoadConfigValidation(t *testing.T) {
	for _, cfg := range []profiler.LoadConfig{
		{Duration: time.Second},
		{Rate: 10, Users: 2, Duration: time.Second},
		{Rate: -1, Duration: time.Second},
		{Rate: 10},
		{Rate: 10, Duration: 25 * time.Hour},
		{Rate: 10, Duration: time.Second, Ramp: 2 * time.Second},
		{Rate: 10, Duration: time.Second, Think: time.Second},
		{Rate: 10, StartRate: 5, Duration: time.Second},
		{Users: 2, Duration: time.Second, Think: -time.Second},
	} {
		if _, err := profiler.NewLoadTest(cfg, nil); !errors.Is(err, profiler.ErrInvalidConfig) {
			t.Errorf("NewLoadTest(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := profiler.NewLoadTest(profiler.LoadConfig{Rate: 1, Duration: time.Second, Thresholds: []string{"p95<"}}, nil); !errors.Is(err, profiler.ErrBadThreshold) {
		t.Errorf("bad threshold error = %v, want ErrBadThreshold", err)
	}
}

func TestSummaryRoundTrip(t *testing.T) {
	lt := newLoadTest(t, profiler.LoadConfig{Rate: 200, Duration: 100 * time.Millisecond, Target: "inproc", Task: "sentiment",
		Thresholds: []string{"errors<50%"}})
	r, err := lt.Run(context.Background(), func(_ context.Context, seq uint64) error {
		if seq%3 == 0 {
			return errors.New("every third")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var cc profiler.CacheCount
	cc.Add(20, 3)
	cc.Fill(&r)
	b, err := json.Marshal(r.Summary())
	if err != nil {
		t.Fatal(err)
	}
	var sum profiler.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	back := sum.Report()
	back.Config, back.Hardware, back.Series, back.Meta = r.Config, r.Hardware, r.Series, r.Meta
	want, _ := json.Marshal(r)
	got, _ := json.Marshal(back)
	if string(got) != string(want) {
		t.Fatalf("report does not round-trip through its summary:\n got %s\nwant %s", got, want)
	}
}

func TestRampUp(t *testing.T) {
	t.Run("closed loop starts users evenly over the ramp", func(t *testing.T) {
		// Each user sends once (the think time outlasts the run), so the
		// start times are the users' start times.
		var mu sync.Mutex
		var starts []time.Duration
		begin := time.Now()
		lt := newLoadTest(t, profiler.LoadConfig{Users: 4, Ramp: 400 * time.Millisecond, Think: time.Hour, Duration: 500 * time.Millisecond})
		r, err := lt.Run(context.Background(), func(context.Context, uint64) error {
			mu.Lock()
			starts = append(starts, time.Since(begin))
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Requests != 4 || len(starts) != 4 {
			t.Fatalf("%d requests, want one per user", r.Requests)
		}
		slices.Sort(starts)
		for i, s := range starts {
			if s < time.Duration(i)*100*time.Millisecond {
				t.Fatalf("user %d started at %v, before its ramp slot %v", i, s, time.Duration(i)*100*time.Millisecond)
			}
		}
	})
	t.Run("open loop ramps the rate", func(t *testing.T) {
		// 0 → 200/s over 1 s: 100 requests (half the constant rate's 200).
		lt := newLoadTest(t, profiler.LoadConfig{Rate: 200, Ramp: time.Second, Duration: time.Second})
		r, err := lt.Run(context.Background(), noop)
		if err != nil {
			t.Fatal(err)
		}
		if r.Requests != 100 || r.StopReason != profiler.StopDuration {
			t.Fatalf("%d requests, stopped by %s; want 100, duration", r.Requests, r.StopReason)
		}
	})
}
