package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
)

// capacitySLO is the SLO of the capacity section (issue: "capacity at
// p99<50ms for each default model").
const capacitySLO = "p99<50ms"

// CapacityRow is one capacity search of the bench: the highest open-loop
// rate (uniform arrivals, in process, cache off) at which a default model
// holds the SLO.
type CapacityRow struct {
	Task           string                  `json:"task"`
	SLO            []string                `json:"slo"`
	MaxRate        float64                 `json:"max_rate"` // requests/s; 0 = no rate held
	MinFailingRate float64                 `json:"min_failing_rate"`
	StepMs         int64                   `json:"step_ms"`
	StopReason     string                  `json:"stop_reason"`
	Message        string                  `json:"message"`
	Steps          []profiler.CapacityStep `json:"steps"`
	Elapsed        time.Duration           `json:"elapsed_ns"`
}

// capacity runs a capacity search per default model against the Service in
// this process and records capacity_p99_50ms_<task>.
func (b *benchRun) capacity(ctx context.Context) error {
	svc, err := app.New(ctx, app.Config{NoDB: true, ORTLib: b.ortLib, Provider: b.provider, IntraOpThreads: b.threads,
		Tuning: engine.Tuning{CacheEntries: -1}}, b.log)
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.WaitLoaded(ctx); err != nil {
		return err
	}
	if h := svc.Health(); len(h.Problems) > 0 {
		return fmt.Errorf("models not ready: %s", strings.Join(h.Problems, "; "))
	}
	step, budget := 3*time.Second, 3*time.Minute
	if b.quick {
		step, budget = time.Second, 45*time.Second
	}
	texts := benchTexts(len(benchSentences))
	for _, task := range []engine.Task{engine.TaskSentiment, engine.TaskEntities} {
		cs, err := profiler.NewCapacitySearch(profiler.CapacityConfig{
			Load: profiler.LoadConfig{Target: "inproc", Task: string(task), Duration: step, Grace: 2 * time.Second, NoFingerprint: true},
			SLO:  []string{capacitySLO}, StartRate: 25, MaxDuration: budget,
		}, b.log)
		if err != nil {
			return err
		}
		r, err := cs.Run(ctx, svc.InprocTarget([]engine.Task{task}, texts, profiler.CacheBypass, new(profiler.CacheCount)))
		if err != nil {
			return err
		}
		c := r.Capacity
		row := CapacityRow{Task: string(task), SLO: c.SLO, MaxRate: c.MaxPassingRate, MinFailingRate: c.MinFailingRate,
			StepMs: step.Milliseconds(), StopReason: c.StopReason, Message: c.Message, Steps: c.Steps, Elapsed: r.Elapsed}
		b.report.Capacity = append(b.report.Capacity, row)
		if c.MaxPassingRate > 0 {
			v := f64(c.MaxPassingRate)
			if task == engine.TaskSentiment {
				b.report.Key.CapacityP99_50msSentiment = v
			} else {
				b.report.Key.CapacityP99_50msEntities = v
			}
		}
		b.progress("capacity %s: %s (%d steps in %v)", task, c.Message, len(c.Steps), r.Elapsed.Round(time.Second))
	}
	return nil
}

// writeCapacity renders the capacity section.
func (r *Report) writeCapacity(w io.Writer) {
	if len(r.Capacity) == 0 {
		return
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## Capacity (`loadtest --find-max`)\n\n")
	p("The highest open-loop rate (uniform arrivals, in process, result cache off) at which each default model holds `%s` and errors < 1 %%: the rate doubles from 25 req/s until a step fails, then is bisected to 5 %%.\n\n", capacitySLO)
	p("| task | max rate holding the SLO | lowest failing rate | steps | stopped |\n|---|---|---|---|---|\n")
	rate := func(v float64, none string) string {
		if v == 0 {
			return none
		}
		return fmt.Sprintf("%.0f req/s", v)
	}
	for _, c := range r.Capacity {
		p("| %s | %s | %s | %d × %d ms | %s |\n", c.Task, rate(c.MaxRate, "none held"), rate(c.MinFailingRate, "–"), len(c.Steps), c.StepMs, c.StopReason)
	}
	p("\n")
	for _, c := range r.Capacity {
		p("<details><summary>%s: every step</summary>\n\n| offered | achieved | p50 | p95 | p99 | errors | result |\n|---|---|---|---|---|---|---|\n", c.Task)
		for _, s := range c.Steps {
			res := "pass"
			if !s.Pass {
				res = "fail: " + s.Reason
			}
			p("| %.0f/s | %.0f/s | %.1f ms | %.1f ms | %.1f ms | %d | %s |\n", s.Rate, s.AchievedRate, ms(s.P50), ms(s.P95), ms(s.P99), s.Errors, res)
		}
		p("\n</details>\n\n")
	}
}
