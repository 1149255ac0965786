package profiler

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"
)

// Capacity-search defaults and limits.
const (
	DefaultCapacityStartRate  = 10.0            // requests/s of the first step
	DefaultCapacityGrowth     = 2.0             // rate factor between steps until one fails
	DefaultCapacityResolution = 0.05            // 5 %: gap between pass and fail that ends the search
	DefaultCapacityMaxRate    = 100_000.0       // requests/s
	DefaultCapacityStep       = 3 * time.Second // length of one step
	DefaultCapacityMaxSteps   = 40
	DefaultCapacityMaxTime    = 10 * time.Minute // the whole search
	// DefaultCapacityErrors is the error bound a step must also meet when
	// the SLO has none: a target that fails fast is not "fast".
	DefaultCapacityErrors = "errors<1%"
)

// ModeCapacity is Report.Mode of a capacity search.
const ModeCapacity = "capacity"

// Why a capacity search stopped (Capacity.StopReason).
const (
	CapacityResolved = "resolution" // the highest pass and the lowest fail are within Resolution
	CapacityMaxRate  = "max_rate"   // every step passed up to MaxRate: the capacity is at least that
	CapacityMinRate  = "min_rate"   // every step failed down to MinRate: no rate held
	CapacityMaxSteps = "max_steps"  // MaxSteps steps ran
	CapacityTimeUp   = "time_limit" // the next step would have ended after MaxDuration
	CapacityCanceled = "canceled"   // the caller cancelled
)

// CapacityConfig describes a capacity search: short open-loop steps at an
// offered rate that grows by Growth from StartRate until a step breaks the
// SLO, then bisects between the highest rate that held and the lowest that
// failed until they are within Resolution of each other. If the first step
// already fails, the rate shrinks by Growth down to MinRate. The search is
// bounded by MaxSteps and MaxDuration.
type CapacityConfig struct {
	// Load is the template of every step. Target, Task, Name, Arrivals,
	// Seed, MaxInFlight, Timeout, Grace, ClassifyError, NoFingerprint and
	// Progress (each step's progress) apply, and Duration is the length of
	// one step (0 = DefaultCapacityStep). Rate, StartRate, Ramp, Users,
	// Think, MaxRequests and Thresholds must be unset: the search sets the
	// rate, and SLO is the threshold.
	Load LoadConfig `json:"-"`
	// SLO lists thresholds (ParseThreshold syntax, e.g. "p99<50ms") that a
	// step must all meet to pass. Without an error-rate threshold,
	// DefaultCapacityErrors is added. A step also fails when requests were
	// still running after its grace period.
	SLO        []string `json:"slo"`
	StartRate  float64  `json:"start_rate,omitempty"` // requests/s; 0 = DefaultCapacityStartRate
	Growth     float64  `json:"growth,omitempty"`     // in (1, 100]; 0 = DefaultCapacityGrowth
	Resolution float64  `json:"resolution,omitempty"` // relative, in [0.001, 0.5]; 0 = DefaultCapacityResolution
	MinRate    float64  `json:"min_rate,omitempty"`   // requests/s; 0 = StartRate/10
	MaxRate    float64  `json:"max_rate,omitempty"`   // requests/s, ≤ 1e6; 0 = DefaultCapacityMaxRate
	MaxSteps   int      `json:"max_steps,omitempty"`  // 0 = DefaultCapacityMaxSteps
	// MaxDuration bounds the whole search: a step is started only when it
	// can end (its duration and grace period) within it. 0 =
	// DefaultCapacityMaxTime.
	MaxDuration time.Duration `json:"max_duration_ns,omitempty"`
	// OnStep, when set, is called after each step with the search so far
	// (a copy), from Run's goroutine.
	OnStep func(Capacity) `json:"-"`
}

// Capacity is the capacity-search section of a Report: the settings, every
// step and the answer.
type Capacity struct {
	SLO          []string       `json:"slo"` // as evaluated, with the implicit error bound
	Arrivals     string         `json:"arrivals"`
	StartRate    float64        `json:"start_rate"`
	Growth       float64        `json:"growth"`
	Resolution   float64        `json:"resolution"`
	MinRate      float64        `json:"min_rate"`
	MaxRate      float64        `json:"max_rate"`
	StepDuration time.Duration  `json:"step_duration_ns"`
	Steps        []CapacityStep `json:"steps"`
	// MaxPassingRate is the highest offered rate (requests/s) that held the
	// SLO below the lowest one that broke it; 0 when none held.
	MaxPassingRate float64 `json:"max_passing_rate"`
	// MinFailingRate is the lowest offered rate that broke the SLO above
	// MaxPassingRate; 0 when none broke it.
	MinFailingRate float64 `json:"min_failing_rate"`
	// BestStep is the index in Steps of the step at MaxPassingRate, -1 when
	// none passed.
	BestStep   int    `json:"best_step"`
	StopReason string `json:"stop_reason"` // CapacityResolved, CapacityMaxRate, ...
	Message    string `json:"message"`     // the answer in one sentence
}

// CapacityStep is one step of a capacity search.
type CapacityStep struct {
	Phase        string            `json:"phase"`         // "grow", "shrink" or "bisect"
	Rate         float64           `json:"rate"`          // offered, requests/s
	AchievedRate float64           `json:"achieved_rate"` // sent per second of the send window
	Throughput   float64           `json:"throughput"`    // successful requests per second
	Requests     uint64            `json:"requests"`      // sent
	Succeeded    uint64            `json:"succeeded"`
	Errors       uint64            `json:"errors"`
	Dropped      uint64            `json:"dropped"` // still running after the grace period
	ErrorRate    float64           `json:"error_rate"`
	P50          time.Duration     `json:"p50_ns"` // latency from the intended send time
	P95          time.Duration     `json:"p95_ns"`
	P99          time.Duration     `json:"p99_ns"`
	Max          time.Duration     `json:"max_ns"`
	Elapsed      time.Duration     `json:"elapsed_ns"`
	Status       string            `json:"status"` // StatusCompleted or StatusCanceled
	Thresholds   []ThresholdResult `json:"thresholds"`
	Pass         bool              `json:"pass"`
	// Reason says why a step failed: the thresholds that broke, or the
	// requests still running.
	Reason string `json:"reason,omitempty"`
}

// CapacitySearch finds the highest open-loop rate a target serves within an
// SLO. Run it once per search.
type CapacitySearch struct {
	cfg  CapacityConfig
	step LoadConfig // validated template (Rate set per step)
	log  *slog.Logger
}

// NewCapacitySearch validates cfg (errors wrap ErrInvalidConfig or
// ErrBadThreshold) and fills its defaults.
func NewCapacitySearch(cfg CapacityConfig, log *slog.Logger) (*CapacitySearch, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
	}
	l := cfg.Load
	switch {
	case l.Rate != 0 || l.StartRate != 0 || l.Ramp != 0:
		return nil, bad("a capacity search sets the rate itself: leave rate, start rate and ramp unset")
	case l.Users != 0 || l.Think != 0:
		return nil, bad("a capacity search runs in open loop: leave users and think time unset")
	case l.MaxRequests != 0:
		return nil, bad("a capacity search bounds each step by its duration: leave max requests unset")
	case len(l.Thresholds) != 0:
		return nil, bad("a capacity search's criterion is its SLO: leave thresholds unset")
	case len(cfg.SLO) == 0:
		return nil, bad("a capacity search needs an SLO such as p99<50ms")
	}
	slo, err := ParseThresholds(cfg.SLO)
	if err != nil {
		return nil, err
	}
	hasErrors := false
	for _, t := range slo {
		hasErrors = hasErrors || t.Metric == "errors"
	}
	cfg.SLO = append([]string(nil), cfg.SLO...)
	if !hasErrors {
		cfg.SLO = append(cfg.SLO, DefaultCapacityErrors)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.StartRate, DefaultCapacityStartRate)
	def(&cfg.Growth, DefaultCapacityGrowth)
	def(&cfg.Resolution, DefaultCapacityResolution)
	def(&cfg.MaxRate, DefaultCapacityMaxRate)
	def(&cfg.MinRate, cfg.StartRate/10)
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = DefaultCapacityMaxSteps
	}
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = DefaultCapacityMaxTime
	}
	if l.Duration == 0 {
		l.Duration = DefaultCapacityStep
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(cfg.MaxRate) || cfg.MaxRate <= 0 || cfg.MaxRate > 1e6:
		return nil, bad("max rate %v must be in (0, 1e6] requests/s", cfg.MaxRate)
	case !finite(cfg.StartRate) || cfg.StartRate <= 0 || cfg.StartRate > cfg.MaxRate:
		return nil, bad("start rate %v must be in (0, max rate %v] requests/s", cfg.StartRate, cfg.MaxRate)
	case !finite(cfg.MinRate) || cfg.MinRate <= 0 || cfg.MinRate > cfg.StartRate:
		return nil, bad("min rate %v must be in (0, start rate %v] requests/s", cfg.MinRate, cfg.StartRate)
	case !finite(cfg.Growth) || cfg.Growth <= 1 || cfg.Growth > 100:
		return nil, bad("growth %v must be in (1, 100]", cfg.Growth)
	case !finite(cfg.Resolution) || cfg.Resolution < 0.001 || cfg.Resolution > 0.5:
		return nil, bad("resolution %v must be in [0.001, 0.5] (0.05 = 5 %%)", cfg.Resolution)
	case cfg.MaxSteps < 1 || cfg.MaxSteps > 1000:
		return nil, bad("max steps %d must be in [1, 1000]", cfg.MaxSteps)
	case cfg.MaxDuration < 0 || cfg.MaxDuration > MaxLoadDuration:
		return nil, bad("max duration %v must be in (0, %v]", cfg.MaxDuration, MaxLoadDuration)
	}
	// Validate the template once at the highest rate it may run; each
	// step's NewLoadTest then only changes the rate.
	probe := l
	probe.Rate, probe.Thresholds = cfg.MaxRate, cfg.SLO
	lt, err := NewLoadTest(probe, log)
	if err != nil {
		return nil, err
	}
	step := lt.Config()
	step.Rate, step.MaxRequests = 0, 0 // per step
	if step.Duration+step.Grace > cfg.MaxDuration {
		return nil, bad("one step (%v + %v grace) does not fit in the search's max duration %v", step.Duration, step.Grace, cfg.MaxDuration)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Load = step
	return &CapacitySearch{cfg: cfg, step: step, log: log}, nil
}

// Config returns the validated configuration with its defaults (Load is
// the step template).
func (cs *CapacitySearch) Config() CapacityConfig { return cs.cfg }

// Run steps the offered rate against target until the search is resolved,
// bounded or cancelled, and returns one report: Mode ModeCapacity, the
// Capacity section with every step, and totals over all steps (requests,
// errors and latency percentiles of every request sent). Passed is true
// when some rate held the SLO. A cancelled search returns its partial
// report with Status StatusCanceled and a nil error.
func (cs *CapacitySearch) Run(ctx context.Context, target Target) (Report, error) {
	if target == nil {
		return Report{}, fmt.Errorf("%w: nil target", ErrInvalidConfig)
	}
	cfg := cs.cfg
	capy := Capacity{
		SLO: cfg.SLO, Arrivals: cs.step.Arrivals, StartRate: cfg.StartRate, Growth: cfg.Growth,
		Resolution: cfg.Resolution, MinRate: cfg.MinRate, MaxRate: cfg.MaxRate, StepDuration: cs.step.Duration,
		Steps: []CapacityStep{}, BestStep: -1,
	}
	if capy.Arrivals == "" {
		capy.Arrivals = ArrivalsUniform
	}
	r := Report{ID: newRunID(), Config: cs.step, Mode: ModeCapacity, Status: StatusCompleted}
	if !cs.step.NoFingerprint {
		r.Hardware = Fingerprint(ctx)
	}
	start := time.Now()
	r.StartedAt = start
	total := newAggregator(start, cs.step.ClassifyError)

	var lo, hi float64 // highest pass below the lowest fail; 0 = none yet
	rate, phase := cfg.StartRate, "grow"
	for {
		if ctx.Err() != nil {
			capy.StopReason = CapacityCanceled
			break
		}
		if len(capy.Steps) >= cfg.MaxSteps {
			capy.StopReason = CapacityMaxSteps
			break
		}
		if time.Since(start)+cs.step.Duration+cs.step.Grace > cfg.MaxDuration {
			capy.StopReason = CapacityTimeUp
			break
		}
		sc := cs.step
		sc.Rate = rate
		if sc.Arrivals == ArrivalsPoisson {
			sc.Seed = cs.step.Seed + uint64(len(capy.Steps)) // a fresh, reproducible schedule per step
			if sc.Seed == 0 {
				sc.Seed = 1
			}
		}
		lt, err := NewLoadTest(sc, cs.log)
		if err != nil {
			return Report{}, fmt.Errorf("capacity step at %g req/s: %w", rate, err)
		}
		rep, agg, err := lt.run(ctx, target)
		if err != nil {
			return Report{}, err
		}
		total.mergeFrom(agg)
		r.SendWindow += rep.SendWindow
		st := stepOf(phase, rate, rep)
		capy.Steps = append(capy.Steps, st)
		if rep.Status == StatusCanceled {
			capy.StopReason = CapacityCanceled
			break
		}
		if st.Pass {
			lo = rate
			capy.BestStep = len(capy.Steps) - 1
		} else {
			hi = rate
		}
		cs.log.Debug("capacity step", slog.Float64("rate", rate), slog.Bool("pass", st.Pass), slog.Duration("p99", st.P99))
		if cfg.OnStep != nil {
			cfg.OnStep(capy.snapshot(lo, hi))
		}
		switch {
		case hi == 0: // nothing failed yet: grow
			if rate >= cfg.MaxRate {
				capy.StopReason = CapacityMaxRate
			}
			rate, phase = min(rate*cfg.Growth, cfg.MaxRate), "grow"
		case lo == 0: // nothing passed yet: shrink
			if rate <= cfg.MinRate {
				capy.StopReason = CapacityMinRate
			}
			rate, phase = max(rate/cfg.Growth, cfg.MinRate), "shrink"
		default:
			if hi-lo <= cfg.Resolution*lo {
				capy.StopReason = CapacityResolved
			}
			rate, phase = (lo+hi)/2, "bisect"
		}
		if capy.StopReason != "" {
			break
		}
	}
	capy = capy.snapshot(lo, hi)

	end := time.Now()
	if ctx.Err() != nil {
		r.Status = StatusCanceled
		r.StopReason = StopCanceled
	} else {
		r.StopReason = capy.StopReason
	}
	r.EndedAt = end
	r.Elapsed = end.Sub(start)
	total.finish(end, &r)
	r.Series = []SecondStats{} // per-step rows replace the per-second series
	if r.SendWindow > 0 {
		r.AchievedRate = float64(r.Requests) / r.SendWindow.Seconds()
	}
	if r.Elapsed > 0 {
		r.Throughput = float64(r.Succeeded) / r.Elapsed.Seconds()
	}
	// The verdict is the best step's (or, when none passed, the last
	// step's): that is the run the answer rests on.
	if b := capy.BestStep; b >= 0 {
		r.Thresholds, r.Passed, r.RequestedRate = capy.Steps[b].Thresholds, true, capy.Steps[b].Rate
	} else if n := len(capy.Steps); n > 0 {
		r.Thresholds = capy.Steps[n-1].Thresholds
	}
	r.Capacity = &capy
	return r, nil
}

// snapshot returns a copy of c with the answer so far.
func (c Capacity) snapshot(lo, hi float64) Capacity {
	c.Steps = append([]CapacityStep{}, c.Steps...) // [] in JSON, never null
	c.MaxPassingRate, c.MinFailingRate = lo, hi
	c.Message = c.message()
	return c
}

func (c Capacity) message() string {
	slo := strings.Join(c.SLO, ", ")
	rate := func(v float64) string { return fmt.Sprintf("%.4g req/s", v) }
	if len(c.Steps) == 0 {
		return "no step ran"
	}
	if c.MaxPassingRate == 0 {
		last := c.Steps[len(c.Steps)-1]
		lowest := c.MinFailingRate
		msg := fmt.Sprintf("no rate held the SLO (%s): even %s failed", slo, rate(lowest))
		if last.Reason != "" {
			msg += " (" + last.Reason + ")"
		}
		if c.StopReason != CapacityMinRate && c.StopReason != "" {
			msg += "; the search stopped early (" + c.StopReason + ")"
		}
		return msg
	}
	switch {
	case c.MinFailingRate == 0:
		msg := fmt.Sprintf("every step held the SLO (%s) up to %s", slo, rate(c.MaxPassingRate))
		if c.StopReason == CapacityMaxRate {
			msg += ", the highest rate allowed: the capacity is at least that"
		} else if c.StopReason != "" {
			msg += "; the search stopped early (" + c.StopReason + ") before a rate broke it"
		}
		return msg
	}
	msg := fmt.Sprintf("max rate holding the SLO (%s): %s (%s broke it)", slo, rate(c.MaxPassingRate), rate(c.MinFailingRate))
	if c.StopReason != CapacityResolved && c.StopReason != "" {
		msg += fmt.Sprintf("; the search stopped early (%s), %.1f %% apart", c.StopReason, 100*(c.MinFailingRate-c.MaxPassingRate)/c.MaxPassingRate)
	}
	return msg
}

// stepOf reads one step's row from its report.
func stepOf(phase string, rate float64, rep Report) CapacityStep {
	st := CapacityStep{
		Phase: phase, Rate: rate, AchievedRate: rep.AchievedRate, Throughput: rep.Throughput,
		Requests: rep.Requests, Succeeded: rep.Succeeded, Errors: rep.Errors, Dropped: rep.Dropped, ErrorRate: rep.ErrorRate,
		P50: rep.Latency.P50, P95: rep.Latency.P95, P99: rep.Latency.P99, Max: rep.Latency.Max,
		Elapsed: rep.Elapsed, Status: rep.Status, Thresholds: rep.Thresholds,
	}
	var why []string
	for _, t := range rep.Thresholds {
		if !t.Pass {
			why = append(why, t.Expr+" was "+t.FormatActual())
		}
	}
	if rep.Dropped > 0 {
		why = append(why, fmt.Sprintf("%d requests still running after the grace period", rep.Dropped))
	}
	if rep.Status != StatusCompleted {
		why = append(why, "cancelled")
	}
	st.Pass = rep.Passed && rep.Dropped == 0 && rep.Status == StatusCompleted
	st.Reason = strings.Join(why, "; ")
	return st
}
