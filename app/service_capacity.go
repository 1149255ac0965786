package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

// LoadTestFindMax asks a load test to search for the highest open-loop
// rate that holds an SLO (see profiler.CapacityConfig): the rate grows by
// Growth from StartRate until a step breaks the SLO, then is bisected to
// Resolution.
type LoadTestFindMax struct {
	SLO        []string `json:"slo"`                  // e.g. ["p99<50ms"]; "errors<1%" is added without an errors bound
	StartRate  float64  `json:"start_rate,omitempty"` // requests/s; 0 = 10
	Growth     float64  `json:"growth,omitempty"`     // 0 = 2
	Resolution float64  `json:"resolution,omitempty"` // relative; 0 = 0.05
	MaxRate    float64  `json:"max_rate,omitempty"`   // requests/s; 0 = the Service's limit (LoadTestLimits.MaxRate)
	// MaxDuration bounds the whole search (0 = DefaultFindMaxDuration, at
	// most the Service's LoadTestLimits.MaxDuration and MaxFindMaxDuration).
	MaxDuration time.Duration `json:"max_duration_ns,omitempty"`
}

// Bounds of a capacity search started through the Service.
const (
	DefaultFindMaxDuration = 5 * time.Minute
	MaxFindMaxDuration     = time.Hour
)

// loadRun runs a load test or a capacity search against a target.
type loadRun func(context.Context, profiler.Target) (profiler.Report, error)

// newLoadRun validates lc (and fm, when the run is a capacity search) and
// returns the run with its validated step configuration. Errors wrap
// ErrBadRequest. onStep is called after each step of a search.
func (s *Service) newLoadRun(lc profiler.LoadConfig, fm *LoadTestFindMax, onStep func(profiler.Capacity)) (loadRun, profiler.LoadConfig, error) {
	if fm == nil {
		lt, err := profiler.NewLoadTest(lc, s.log)
		if err != nil {
			return nil, profiler.LoadConfig{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		return lt.Run, lt.Config(), nil
	}
	if lc.StartRate != 0 {
		return nil, profiler.LoadConfig{}, fmt.Errorf("%w: a capacity search's first rate is find_max.start_rate, not start_rate", ErrBadRequest)
	}
	d := fm.MaxDuration
	if d == 0 {
		d = DefaultFindMaxDuration
	}
	if d < 0 || d > MaxFindMaxDuration {
		return nil, profiler.LoadConfig{}, fmt.Errorf("%w: find_max.max_duration %v must be in (0, %v]", ErrBadRequest, d, MaxFindMaxDuration)
	}
	cs, err := profiler.NewCapacitySearch(profiler.CapacityConfig{
		Load: lc, SLO: fm.SLO, StartRate: fm.StartRate, Growth: fm.Growth, Resolution: fm.Resolution,
		MaxRate: fm.MaxRate, MaxDuration: d, OnStep: onStep,
	}, s.log)
	if err != nil {
		return nil, profiler.LoadConfig{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return cs.Run, cs.Config().Load, nil
}

// LoadTestLimits bound every load test and capacity search started through
// the Service: a request over a limit is refused (ErrBadRequest naming the
// limit and the start-up flag that raises it), never trimmed. The limits are
// set when the Service starts, not per request, so a web page that reaches
// the server cannot pin the engine.
type LoadTestLimits struct {
	MaxRate     float64       // open-loop and capacity-search rate, requests/s; 0 = DefaultLoadTestMaxRate
	MaxUsers    int           // closed-loop users; 0 = DefaultLoadTestMaxUsers
	MaxDuration time.Duration // one run, one search step and a whole search; 0 = DefaultLoadTestMaxDuration
	MaxInFlight int           // concurrent open-loop requests; 0 = DefaultLoadTestMaxInFlight
}

// Default load-test limits.
const (
	DefaultLoadTestMaxRate     = 1000.0
	DefaultLoadTestMaxUsers    = 256
	DefaultLoadTestMaxDuration = 10 * time.Minute
	DefaultLoadTestMaxInFlight = 256
)

func (l *LoadTestLimits) setDefaults() error {
	if l.MaxRate == 0 {
		l.MaxRate = DefaultLoadTestMaxRate
	}
	if l.MaxUsers == 0 {
		l.MaxUsers = DefaultLoadTestMaxUsers
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = DefaultLoadTestMaxDuration
	}
	if l.MaxInFlight == 0 {
		l.MaxInFlight = DefaultLoadTestMaxInFlight
	}
	if l.MaxRate < 0 || l.MaxUsers < 0 || l.MaxDuration < 0 || l.MaxInFlight < 0 {
		return errors.New("load-test limits must not be negative")
	}
	return nil
}

// overLimit is the error of a load-test setting over its start-up limit.
func overLimit(what string, got, limit any, flag string) error {
	return fmt.Errorf("%w: %s %v is over the limit of %v (raise it at start-up with --%s)", ErrBadRequest, what, got, limit, flag)
}

// check refuses a load test or capacity search over the Service's
// limits and fills in the in-flight bound (and a search's max rate and time
// limit) where c leaves them to the server.
func (l LoadTestLimits) check(c *LoadTestConfig) error {
	fm := c.FindMax
	switch {
	case c.Rate > l.MaxRate:
		return overLimit("rate", c.Rate, l.MaxRate, "loadtest-max-rate")
	case c.StartRate > l.MaxRate:
		return overLimit("start_rate", c.StartRate, l.MaxRate, "loadtest-max-rate")
	case c.Users > l.MaxUsers:
		return overLimit("users", c.Users, l.MaxUsers, "loadtest-max-users")
	case c.Duration > l.MaxDuration:
		return overLimit("duration", c.Duration, l.MaxDuration, "loadtest-max-duration")
	case c.MaxInFlight > l.MaxInFlight:
		return overLimit("max_in_flight", c.MaxInFlight, l.MaxInFlight, "loadtest-max-inflight")
	case fm != nil && fm.MaxRate > l.MaxRate:
		return overLimit("find_max.max_rate", fm.MaxRate, l.MaxRate, "loadtest-max-rate")
	case fm != nil && fm.StartRate > l.MaxRate:
		return overLimit("find_max.start_rate", fm.StartRate, l.MaxRate, "loadtest-max-rate")
	case fm != nil && fm.MaxDuration > l.MaxDuration:
		return overLimit("find_max.max_duration", fm.MaxDuration, l.MaxDuration, "loadtest-max-duration")
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = l.MaxInFlight
	}
	if fm != nil {
		f := *fm
		if f.MaxRate == 0 {
			f.MaxRate = l.MaxRate
		}
		if f.MaxDuration == 0 {
			f.MaxDuration = min(DefaultFindMaxDuration, l.MaxDuration)
		}
		c.FindMax = &f
	}
	return nil
}
