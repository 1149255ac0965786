package app

import (
	"context"
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
	MaxRate    float64  `json:"max_rate,omitempty"`   // requests/s; 0 = 100000
	// MaxDuration bounds the whole search (0 = DefaultFindMaxDuration, at
	// most MaxFindMaxDuration).
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
