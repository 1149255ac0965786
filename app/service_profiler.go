package app

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
)

// This file connects the Service to package profiler: the engine's
// observations, operation latencies, the live snapshot and Prometheus.

// engineObserver adapts engine.Observer to the profiler.
type engineObserver struct{ p *profiler.Profiler }

var _ engine.Observer = engineObserver{}

func (o engineObserver) ObserveRequest(task engine.Task, t engine.Timings, cached bool, err error) {
	if err != nil {
		o.p.ObserveError(errorKind(err))
		return
	}
	o.p.ObserveCache(cached)
	if cached {
		o.p.ObserveStage(profiler.StageCacheLookup, t.CacheLookup)
		return
	}
	o.p.ObserveStage(profiler.StageQueueWait, t.QueueWait)
	o.p.ObserveStage(profiler.StageTokenize, t.Tokenize)
	o.p.ObserveStage(profiler.StageInference, t.Inference)
	o.p.ObserveStage(profiler.StagePostprocess, t.Postprocess)
}

func (o engineObserver) ObserveBatch(b engine.BatchStats) {
	o.p.ObserveBatch(b.Size, b.Tokens, b.PaddedTokens)
}

// errorKind names an error for the profiler's error counts, the same codes
// the HTTP API uses.
func errorKind(err error) string {
	if err == nil {
		return ""
	}
	var he httpStatusError
	if errors.As(err, &he) {
		return "http_" + strconv.Itoa(int(he))
	}
	return string(CodeOf(err))
}

func newProfiler(cfg Config) (*profiler.Profiler, error) {
	return profiler.New(profiler.Config{ClassifyError: errorKind, Now: cfg.Now}, nil)
}

func (s *Service) observer() engine.Observer { return engineObserver{s.prof} }

// setupProfiler registers the engine gauges; call once the engine exists.
func (s *Service) setupProfiler() {
	s.prof.SetGaugeFunc(profiler.GaugeQueueDepth, func() float64 {
		n := 0
		for _, d := range s.eng.Stats().QueueDepth {
			n += d
		}
		return float64(n)
	})
}

// observeWork records one analysis request r, started at start, with who
// asked for it (r.via).
func (s *Service) observeWork(r request, start time.Time, err error) {
	op := profiler.OpAnalyze
	if len(r.tasks) == 1 {
		op = string(r.tasks[0])
	}
	if errors.Is(err, ErrBadRequest) || errors.Is(err, engine.ErrEmptyText) || errors.Is(err, engine.ErrInvalidUTF8) {
		s.prof.ObserveError(errorKind(err)) // bad input is not a latency sample
		return
	}
	via := r.via
	if via == "" {
		via = profiler.SourceAPI
	}
	s.prof.ObserveWork(via, op, time.Since(start), len(r.texts), err)
}

func (s *Service) profilerSnapshot() profiler.Snapshot { return s.prof.Snapshot() }

// PrometheusHandler serves the profiler's registry in the Prometheus text
// format.
func (s *Service) PrometheusHandler() http.Handler {
	return promhttp.HandlerFor(s.prof.Registry(), promhttp.HandlerOpts{})
}

// ObserveRoute records one web-shell request: its route (the ServeMux
// pattern, e.g. "POST /v1/analyze"), how long it took and the status it
// answered. 5xx and 429 answers count as errors, named "http_<status>". It is
// safe for concurrent use.
func (s *Service) ObserveRoute(route string, elapsed time.Duration, status int) {
	var err error
	if status >= 500 || status == http.StatusTooManyRequests {
		err = httpStatusError(status)
	}
	s.prof.ObserveOp(profiler.HTTPOp(route), elapsed, err)
}

type httpStatusError int

func (e httpStatusError) Error() string { return http.StatusText(int(e)) }
