package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
)

// The SLO section: the default sentiment model under a step load (50 →
// 400 → 100 req/s, open loop, in process), once with the fixed default
// tuning and once in SLO mode with a 50 ms p99 target. It reports, per
// step, the p99 of the answered requests (measured around each call, apart
// from the load generator) and how many were shed.

const sloTarget = 50 * time.Millisecond

// SLOStep is one step of the step load in one mode.
type SLOStep struct {
	Rate       float64       `json:"rate"`     // offered, req/s
	OK         uint64        `json:"ok"`       // answered
	Shed       uint64        `json:"shed"`     // refused for overload (429)
	Errors     uint64        `json:"errors"`   // other failures
	P99        time.Duration `json:"p99_ns"`   // of the answered requests
	Throughput float64       `json:"ok_per_s"` // answered per second of the step
}

// SLORun is the step load in one mode.
type SLORun struct {
	Mode  string    `json:"mode"` // "fixed" or "slo"
	Steps []SLOStep `json:"steps"`
	Batch string    `json:"batcher,omitempty"` // SLO mode: what the batcher chose at the end
}

// SLOSection is the report's SLO section.
type SLOSection struct {
	Target time.Duration `json:"target_ns"`
	StepMs int64         `json:"step_ms"`
	Runs   []SLORun      `json:"runs"`
}

func (b *benchRun) sloSection(ctx context.Context) error {
	step := 10 * time.Second
	if b.quick {
		step = 3 * time.Second
	}
	sec := &SLOSection{Target: sloTarget, StepMs: step.Milliseconds()}
	texts := benchTexts(len(benchSentences))
	var okFixed, okSLO uint64
	for _, mode := range []string{"fixed", "slo"} {
		cfg := app.Config{NoDB: true, ORTLib: b.ortLib, Provider: b.provider, IntraOpThreads: b.threads, Tuning: engine.Tuning{CacheEntries: -1}}
		if mode == "slo" {
			cfg.P99Targets = map[engine.Task]time.Duration{engine.TaskSentiment: sloTarget}
		}
		svc, err := app.New(ctx, cfg, b.log)
		if err != nil {
			return err
		}
		if err := svc.WaitLoaded(ctx); err != nil {
			svc.Close()
			return err
		}
		run := SLORun{Mode: mode}
		for _, rate := range []float64{50, 400, 100} {
			st, err := b.sloStep(ctx, svc, texts, rate, step)
			if err != nil {
				svc.Close()
				return err
			}
			run.Steps = append(run.Steps, st)
			if mode == "fixed" {
				okFixed += st.OK
			} else {
				okSLO += st.OK
			}
			b.progress("slo %s %0.f req/s: p99 %v, %d answered, %d shed", mode, rate, st.P99.Round(100*time.Microsecond), st.OK, st.Shed)
		}
		if s, ok := svc.Metrics().Engine.SLO[engine.TaskSentiment]; ok {
			run.Batch = fmt.Sprintf("batch ≤ %d, delay %v: %s", s.MaxBatch, s.MaxDelay, s.Reason)
		}
		svc.Close()
		sec.Runs = append(sec.Runs, run)
	}
	b.report.SLO = sec
	worst := time.Duration(0)
	for _, s := range sec.Runs[1].Steps {
		worst = max(worst, s.P99)
	}
	b.report.Key.SLOStepP99Ms = f64(float64(worst) / 1e6)
	if okFixed > 0 {
		b.report.Key.SLOStepThroughputVsFixed = f64(float64(okSLO) / float64(okFixed))
	}
	return nil
}

// sloStep runs one open-loop step and measures each answered call.
func (b *benchRun) sloStep(ctx context.Context, svc *app.Service, texts []string, rate float64, d time.Duration) (SLOStep, error) {
	lt, err := profiler.NewLoadTest(profiler.LoadConfig{Target: "inproc", Task: "sentiment", Rate: rate, Duration: d, Grace: 5 * time.Second, NoFingerprint: true}, b.log)
	if err != nil {
		return SLOStep{}, err
	}
	inner := svc.InprocTarget([]engine.Task{engine.TaskSentiment}, texts, profiler.CacheBypass, new(profiler.CacheCount))
	var (
		mu   sync.Mutex
		lats []time.Duration
		st   = SLOStep{Rate: rate}
	)
	_, err = lt.Run(ctx, func(ctx context.Context, seq uint64) error {
		start := time.Now()
		err := inner(ctx, seq)
		took := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			st.OK++
			lats = append(lats, took)
		case engine.ShedReason(err) != "":
			st.Shed++
		default:
			st.Errors++
		}
		return err
	})
	if err != nil {
		return st, err
	}
	slices.Sort(lats)
	if n := len(lats); n > 0 {
		st.P99 = lats[min(n-1, n*99/100)]
	}
	st.Throughput = float64(st.OK) / d.Seconds()
	return st, nil
}

// writeSLO renders the SLO section.
func (r *Report) writeSLO(w io.Writer) {
	s := r.SLO
	if s == nil || len(s.Runs) < 2 {
		return
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## SLO mode under a step load\n\n")
	p("The default sentiment model in process, open loop at 50 → 400 → 100 req/s (%d ms each), result cache off: the fixed default tuning against SLO mode with a p99 target of %v (`serve --p99-target`). p99 is over the answered requests, timed around each call.\n\n", s.StepMs, s.Target)
	p("| offered | fixed: p99 | fixed: answered | SLO: p99 | SLO: answered | SLO: shed (429) |\n|---|---|---|---|---|---|\n")
	for i, a := range s.Runs[0].Steps {
		if i >= len(s.Runs[1].Steps) {
			break
		}
		c := s.Runs[1].Steps[i]
		p("| %.0f/s | %.1f ms | %d | %.1f ms | %d | %d |\n", a.Rate, ms(a.P99), a.OK, ms(c.P99), c.OK, c.Shed)
	}
	if b := strings.TrimSpace(s.Runs[1].Batch); b != "" {
		p("\nAt the end the batcher had chosen: %s\n", b)
	}
	p("\n")
}
