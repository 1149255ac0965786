package app

import (
	"context"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
)

// MetricsInterval is the period of live metrics snapshots (4 Hz).
const MetricsInterval = 250 * time.Millisecond

// MetricsSnapshot is the payload of the "metrics" event and of
// GET /v1/metrics.
type MetricsSnapshot struct {
	Time     time.Time         `json:"time"`
	Engine   engine.Stats      `json:"engine"`
	Profiler profiler.Snapshot `json:"profiler"`
}

// Metrics returns a snapshot of the engine's and profiler's counters.
func (s *Service) Metrics() MetricsSnapshot {
	m := MetricsSnapshot{Time: s.cfg.Now()}
	if s.eng != nil {
		m.Engine = s.eng.Stats()
	}
	m.Profiler = s.profilerSnapshot()
	return m
}

// runMetrics emits a snapshot every MetricsInterval while anyone listens and
// sleeps on the hub's change signal otherwise.
func (s *Service) runMetrics(ctx context.Context) {
	t := time.NewTicker(MetricsInterval)
	defer t.Stop()
	for {
		if s.hub.listeners() == 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.hub.changed:
				// A new listener got its first snapshot on subscribing;
				// the next one is due a full interval later.
				t.Reset(MetricsInterval)
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.hub.changed:
		case <-t.C:
			if s.hub.listeners() > 0 {
				s.hub.emit(EventMetrics, s.Metrics())
			}
		}
	}
}
