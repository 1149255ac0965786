package profiler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	mathrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Target is one request of a load test: it sends request number seq and
// returns its error. It must honour ctx and be safe for concurrent use.
type Target func(ctx context.Context, seq uint64) error

// Load-test limits.
const (
	MaxLoadDuration   = 24 * time.Hour
	MinProgressPeriod = 250 * time.Millisecond // progress is reported at ≤ 4 Hz
	// DefaultClosedMaxRequests bounds a closed-loop run without MaxRequests.
	DefaultClosedMaxRequests = 10_000_000
)

// LoadConfig describes one load test. Exactly one of Rate (open loop) and
// Users (closed loop) is set. Every run is bounded by Duration and by
// MaxRequests.
type LoadConfig struct {
	Name   string `json:"name,omitempty"`
	Target string `json:"target"`         // what is driven, for the report ("inproc", a URL)
	Task   string `json:"task,omitempty"` // "sentiment", "entities", "analyze"
	// Cache is how the target's result caches are treated: CacheBypass
	// (the default, set by NewLoadTest) measures inference, CacheInclude
	// lets repeated texts be answered from a cache. The caller applies it
	// to its target; reports saved before cache modes have "".
	Cache string `json:"cache,omitempty"`

	// Open loop: constant arrival rate in requests/s after a linear ramp
	// from StartRate over Ramp.
	Rate      float64 `json:"rate,omitempty"`
	StartRate float64 `json:"start_rate,omitempty"`
	// Arrivals is the open-loop arrival process: ArrivalsUniform ("" =
	// uniform) or ArrivalsPoisson, whose gaps are drawn from Seed (0 = a
	// random seed, recorded here by NewLoadTest so the run can be repeated).
	Arrivals string `json:"arrivals,omitempty"`
	Seed     uint64 `json:"seed,omitempty"`
	// Closed loop: Users virtual users, started evenly over Ramp, each
	// waiting Think between its requests.
	Users int           `json:"users,omitempty"`
	Think time.Duration `json:"think_ns,omitempty"`

	Ramp        time.Duration `json:"ramp_ns,omitempty"`
	Duration    time.Duration `json:"duration_ns"`  // > 0, ≤ MaxLoadDuration
	MaxRequests uint64        `json:"max_requests"` // 0 = open: the schedule's count; closed: DefaultClosedMaxRequests
	// MaxInFlight bounds concurrent requests in open loop (0 = 1024). When
	// it is reached the generator waits, and the wait shows in Latency.
	MaxInFlight int `json:"max_in_flight,omitempty"`
	// Timeout bounds one request (0 = 30 s); Grace is how long in-flight
	// requests may finish after the end of the run (0 = 5 s).
	Timeout time.Duration `json:"timeout_ns,omitempty"`
	Grace   time.Duration `json:"grace_ns,omitempty"`
	// Thresholds are k6-style expressions such as "p95<25ms" (see
	// ParseThreshold).
	Thresholds []string `json:"thresholds,omitempty"`

	// Progress, when set, is called from one goroutine every
	// ProgressInterval (0 = 250 ms, minimum 250 ms) while the run lasts.
	Progress         func(Progress) `json:"-"`
	ProgressInterval time.Duration  `json:"-"`
	// ClassifyError names error kinds; nil = ErrorKind.
	ClassifyError func(error) string `json:"-"`
	// NoFingerprint skips reading the hardware fingerprint (tests).
	NoFingerprint bool `json:"-"`
}

// Cache modes of a load test (LoadConfig.Cache).
const (
	CacheBypass  = "bypass"  // every request is computed: the caches are skipped
	CacheInclude = "include" // repeated texts may be answered from a cache
)

// CacheCount counts the task results a run's requests returned and how many
// of them came from a cache, for Report.CacheResults and CacheHits. The
// target adds to it; it is safe for concurrent use.
type CacheCount struct{ results, hits atomic.Uint64 }

// Add counts results task results, hits of them from a cache.
func (c *CacheCount) Add(results, hits int) {
	c.results.Add(uint64(results))
	c.hits.Add(uint64(hits))
}

// Fill sets r's cache counts.
func (c *CacheCount) Fill(r *Report) {
	r.CacheResults, r.CacheHits = c.results.Load(), c.hits.Load()
}

// Mode returns "open" or "closed".
func (c LoadConfig) Mode() string {
	if c.Users > 0 {
		return "closed"
	}
	return "open"
}

func (c *LoadConfig) validate() ([]Threshold, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
	}
	switch {
	case c.Rate > 0 && c.Users > 0:
		return nil, bad("set either a rate (open loop) or users (closed loop), not both")
	case c.Rate == 0 && c.Users == 0:
		return nil, bad("set a rate (open loop) or users (closed loop)")
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) || c.Rate > 1e6:
		return nil, bad("rate %v must be in (0, 1e6] requests/s", c.Rate)
	case c.StartRate < 0 || math.IsNaN(c.StartRate) || c.StartRate > 1e6:
		return nil, bad("start rate %v must be in [0, 1e6] requests/s", c.StartRate)
	case c.Users < 0 || c.Users > 100_000:
		return nil, bad("users %d must be in [1, 100000]", c.Users)
	case c.Duration <= 0 || c.Duration > MaxLoadDuration:
		return nil, bad("duration %v must be in (0, %v]", c.Duration, MaxLoadDuration)
	case c.Ramp < 0 || c.Ramp > c.Duration:
		return nil, bad("ramp %v must be in [0, duration]", c.Ramp)
	case c.Think < 0:
		return nil, bad("think time %v is negative", c.Think)
	case c.Think > 0 && c.Users == 0:
		return nil, bad("think time applies to closed loop (users) only")
	case c.StartRate > 0 && c.Ramp == 0:
		return nil, bad("a start rate needs a ramp")
	case c.MaxInFlight < 0 || c.Timeout < 0 || c.Grace < 0 || c.ProgressInterval < 0:
		return nil, bad("negative limit")
	case c.Arrivals != "" && c.Arrivals != ArrivalsUniform && c.Arrivals != ArrivalsPoisson:
		return nil, bad("arrivals %q: want uniform or poisson", c.Arrivals)
	case c.Arrivals == ArrivalsPoisson && c.Users > 0:
		return nil, bad("poisson arrivals apply to open loop (rate) only")
	case c.Cache != "" && c.Cache != CacheBypass && c.Cache != CacheInclude:
		return nil, bad("cache %q: want bypass or include", c.Cache)
	}
	if c.Cache == "" {
		c.Cache = CacheBypass
	}
	if c.Arrivals == ArrivalsPoisson && c.Seed == 0 {
		c.Seed = mathrand.Uint64N(1<<53) | 1 // exact in JSON numbers (JavaScript)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Grace == 0 {
		c.Grace = 5 * time.Second
	}
	if c.ProgressInterval < MinProgressPeriod {
		c.ProgressInterval = MinProgressPeriod
	}
	if c.ClassifyError == nil {
		c.ClassifyError = ErrorKind
	}
	if c.MaxRequests == 0 {
		if c.Users > 0 {
			c.MaxRequests = DefaultClosedMaxRequests
		} else {
			c.MaxRequests = c.pacer().Expected()
			if c.Arrivals == ArrivalsPoisson {
				// The count of a Poisson run varies: bound it far above
				// its mean (over 6 standard deviations) so that the
				// duration, not the bound, ends the run.
				n := float64(c.MaxRequests)
				c.MaxRequests += uint64(6*math.Sqrt(n)) + 10
			}
		}
	}
	return ParseThresholds(c.Thresholds)
}

func (c LoadConfig) pacer() Pacer {
	return Pacer{Rate: c.Rate, StartRate: c.StartRate, Ramp: c.Ramp, Duration: c.Duration, MaxRequests: c.MaxRequests}
}

// schedule returns the run's arrival schedule.
func (c LoadConfig) schedule() schedule {
	if c.Arrivals == ArrivalsPoisson {
		return NewPoissonPacer(c.pacer(), c.Seed)
	}
	return c.pacer()
}

// LoadTest runs one load test.
type LoadTest struct {
	cfg        LoadConfig
	thresholds []Threshold
	log        *slog.Logger
}

// NewLoadTest validates cfg (errors wrap ErrInvalidConfig or
// ErrBadThreshold) and fills its defaults.
func NewLoadTest(cfg LoadConfig, log *slog.Logger) (*LoadTest, error) {
	th, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LoadTest{cfg: cfg, thresholds: th, log: log}, nil
}

// Config returns the validated configuration with its defaults.
func (lt *LoadTest) Config() LoadConfig { return lt.cfg }

// Run drives target until the duration or the request count is reached, or
// ctx is cancelled, and returns the report. A cancelled run returns the
// partial report with Status StatusCanceled and a nil error. Run waits for
// the requests it started (at most Grace after the end, then cancels them).
func (lt *LoadTest) Run(ctx context.Context, target Target) (Report, error) {
	r, _, err := lt.run(ctx, target)
	return r, err
}

// run is Run that also returns the closed aggregator, whose histograms a
// capacity search merges.
func (lt *LoadTest) run(ctx context.Context, target Target) (Report, *aggregator, error) {
	if target == nil {
		return Report{}, nil, fmt.Errorf("%w: nil target", ErrInvalidConfig)
	}
	cfg := lt.cfg
	r := Report{ID: newRunID(), Config: cfg, Mode: cfg.Mode(), Status: StatusCompleted}
	if cfg.Mode() == "open" {
		r.RequestedRate = cfg.Rate
	}
	if !cfg.NoFingerprint {
		r.Hardware = Fingerprint(ctx)
	}

	// reqCtx is what requests run under: cancelled when the caller cancels
	// or when the grace period after the end runs out.
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	start := time.Now()
	r.StartedAt = start
	agg := newAggregator(start, cfg.ClassifyError)

	progressDone := make(chan struct{})
	stopProgress := make(chan struct{})
	if cfg.Progress != nil {
		go func() {
			defer close(progressDone)
			t := time.NewTicker(cfg.ProgressInterval)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case now := <-t.C:
					cfg.Progress(agg.progress(now, cfg.Duration))
				}
			}
		}()
	} else {
		close(progressDone)
	}

	exec := func(intended time.Time, seq uint64) {
		c, cancel := context.WithTimeout(reqCtx, cfg.Timeout)
		sent := time.Now()
		err := target(c, seq)
		cancel()
		end := time.Now()
		dropped := err != nil && reqCtx.Err() != nil
		agg.end(end, end.Sub(intended), end.Sub(sent), err, dropped)
	}

	// The dispatcher returns when no more requests are to be sent; done is
	// closed when every request it started has finished.
	var reason string
	var sendWindow time.Duration
	var done <-chan struct{}
	if cfg.Mode() == "open" {
		reason, sendWindow, done = lt.runOpen(ctx, start, agg, exec)
	} else {
		reason, done = lt.runClosed(ctx, agg, exec)
	}

	// Let in-flight requests finish: up to Grace, or until the caller
	// cancels; then cancel them.
	grace := time.NewTimer(cfg.Grace)
	select {
	case <-done:
	case <-grace.C:
		lt.log.Warn("load test: cancelling requests still running after the grace period", slog.Duration("grace", cfg.Grace))
		cancelReqs()
		<-done
	case <-ctx.Done():
		cancelReqs()
		<-done
	}
	grace.Stop()
	close(stopProgress)
	<-progressDone

	end := time.Now()
	if ctx.Err() != nil {
		reason = StopCanceled
		r.Status = StatusCanceled
	}
	r.StopReason = reason
	r.EndedAt = end
	r.Elapsed = end.Sub(start)
	agg.finish(end, &r)
	if cfg.Mode() == "closed" {
		sendWindow = r.Elapsed
	}
	r.SendWindow = sendWindow
	if sendWindow > 0 {
		r.AchievedRate = float64(r.Requests) / sendWindow.Seconds()
	}
	if r.Elapsed > 0 {
		r.Throughput = float64(r.Succeeded) / r.Elapsed.Seconds()
	}
	r.Thresholds, r.Passed = EvaluateThresholds(lt.thresholds, &r, agg.latencyAt)
	return r, agg, nil
}

// runOpen dispatches requests on the pacer's schedule. It returns the stop
// reason and the send window.
func (lt *LoadTest) runOpen(ctx context.Context, start time.Time, agg *aggregator, exec func(time.Time, uint64)) (string, time.Duration, <-chan struct{}) {
	cfg := lt.cfg
	var wg sync.WaitGroup
	pacer := cfg.schedule()
	slots := make(chan struct{}, cfg.MaxInFlight)
	endTimer := time.NewTimer(cfg.Duration)
	defer endTimer.Stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var sent uint64
	reason := StopDuration
loop:
	for {
		wait, stop := pacer.Pace(time.Since(start), sent)
		if stop {
			if pacer.Due(sent) < cfg.Duration {
				reason = StopMaxRequests
			}
			break
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				reason = StopCanceled
				break loop
			case <-timer.C:
			}
		}
		select {
		case slots <- struct{}{}:
		default:
			// Saturated: wait for a slot. The delay counts in Latency
			// because it is measured from the intended time.
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				reason = StopCanceled
				break loop
			case <-endTimer.C:
				break loop
			}
		}
		intended := start.Add(pacer.Due(sent))
		now := time.Now()
		agg.begin(now, now.Sub(intended) > time.Millisecond)
		wg.Add(1)
		go func(seq uint64) {
			defer wg.Done()
			defer func() { <-slots }()
			exec(intended, seq)
		}(sent)
		sent++
	}
	window := time.Since(start)
	scheduled := min(cfg.Duration, pacer.Due(sent))
	if reason != StopCanceled && window < scheduled {
		window = scheduled
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return reason, window, done
}

// runClosed runs cfg.Users virtual users until the end of the run. It
// returns the stop reason and a channel closed when every user has finished
// its last request.
func (lt *LoadTest) runClosed(ctx context.Context, agg *aggregator, exec func(time.Time, uint64)) (string, <-chan struct{}) {
	cfg := lt.cfg
	stop := make(chan struct{})
	var stopOnce sync.Once
	var reason atomic.Value
	reason.Store(StopDuration)
	halt := func(why string) {
		stopOnce.Do(func() {
			reason.Store(why)
			close(stop)
		})
	}
	var next atomic.Uint64
	var users sync.WaitGroup
	for i := 0; i < cfg.Users; i++ {
		delay := time.Duration(int64(cfg.Ramp) * int64(i) / int64(cfg.Users))
		users.Add(1)
		go func() {
			defer users.Done()
			t := time.NewTimer(delay)
			defer t.Stop()
			if delay > 0 {
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				seq := next.Add(1) - 1
				if seq >= cfg.MaxRequests {
					halt(StopMaxRequests)
					return
				}
				now := time.Now()
				agg.begin(now, false)
				exec(now, seq)
				if cfg.Think > 0 {
					t.Reset(cfg.Think)
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}
		}()
	}
	end := time.NewTimer(cfg.Duration)
	defer end.Stop()
	allDone := make(chan struct{})
	go func() { users.Wait(); close(allDone) }()
	select {
	case <-end.C:
		halt(StopDuration)
	case <-ctx.Done():
		halt(StopCanceled)
	case <-stop:
	case <-allDone:
	}
	// Users finish their current request; Run bounds that by Grace.
	return reason.Load().(string), allDone
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
