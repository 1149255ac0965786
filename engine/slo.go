package engine

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// SLO mode: with a p99 latency target for a task, its batcher chooses its
// own batch size and delay, and how much queue wait admission lets in. Every
// evaluation (half a second of work and at least sloEvalSamples sequences)
// it reads, over the last sloWindow sequences, the p99 of their latency
// (queue wait + inference) and of their batch's inference alone, and
//   - when batches themselves take over half the target: shrinks the batch
//     by a third and halves the delay;
//   - when the latency is over 90 % of the target but batches are quick: the
//     queue is the cause, so admission lets in less queue wait (a fifth less);
//   - when the latency is under 60 % of the target: lets admission in a
//     tenth more (up to the whole budget), and grows the batch by a quarter
//     when most flushes filled it, for throughput;
//   - otherwise holds.
// The cost model caps growth so that one batch's inference would take at
// most half the target (it never shrinks a batch by itself: smaller batches
// cost throughput, and a busy CPU inflates the estimate). Admission refuses a request whose expected queue
// wait is over (target − one batch's inference) × that share, so what is
// admitted can be served in time; the rest gets 429 at once.

const (
	sloWindow      = 1024
	sloEvalSamples = 128
	sloEvalEvery   = 500 * time.Millisecond
	sloMaxBatch    = 512
)

// SLOState is what a batcher in SLO mode chose, and why.
type SLOState struct {
	Target   time.Duration `json:"target_ns"`
	P99      time.Duration `json:"p99_ns"`  // over the last Samples sequences; 0 before the first evaluation
	Samples  int           `json:"samples"` // sequences in the window
	MaxBatch int           `json:"max_batch"`
	MaxDelay time.Duration `json:"max_delay_ns"`
	Admit    float64       `json:"admit_share"` // share of (target − one batch) admission lets queue
	Reason   string        `json:"reason"`
	Changed  time.Time     `json:"changed"` // when the choice last changed
}

type sloController struct {
	mu       sync.Mutex
	target   time.Duration
	lat      []time.Duration // ring of the last sloWindow latencies
	next     int
	since    int             // samples since the last evaluation
	flushes  int             // flushes since the last evaluation …
	full     int             // … and how many filled the batch
	inf      []time.Duration // the same sequences' batch inference times
	lastEval time.Time
	admit    float64 // share of the wait budget admission lets in, (0, 1]
	state    SLOState
}

func newSLOController(target time.Duration, t Tuning, now time.Time) *sloController {
	c := &sloController{target: target, lastEval: now, admit: 1}
	c.state = SLOState{Target: target, MaxBatch: t.MaxBatchSize, MaxDelay: min(t.MaxDelay, target/10),
		Reason: "starting from the tuning's batch size", Changed: now}
	return c
}

// limits returns the batch size and delay to use now.
func (c *sloController) limits() (int, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.MaxBatch, c.state.MaxDelay
}

// snapshot returns the current state.
func (c *sloController) snapshot() SLOState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state
	s.Samples = min(len(c.lat), sloWindow)
	s.Admit = c.admit
	return s
}

// waitBound is the longest expected queue wait admission lets in: the
// target less one batch's inference.
func (c *sloController) waitBound(est *costEstimate, seqLen int) time.Duration {
	c.mu.Lock()
	n, share := c.state.MaxBatch, c.admit
	c.mu.Unlock()
	bound := c.target
	if est != nil {
		bound -= time.Duration(est.fixed + est.perToken*float64(n*max(seqLen, 1)))
	}
	return max(time.Duration(float64(bound)*share), c.target/20)
}

// observeFlush counts one flush and whether it filled the batch.
func (c *sloController) observeFlush(full bool) {
	c.mu.Lock()
	c.flushes++
	if full {
		c.full++
	}
	c.mu.Unlock()
}

// observe records the latencies of one run's sequences (and the run's
// inference time) and evaluates when due; est and seqLen feed the cost
// bound.
func (c *sloController) observe(lat []time.Duration, inference time.Duration, now time.Time, est *costEstimate, seqLen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range lat {
		if len(c.lat) < sloWindow {
			c.lat = append(c.lat, d)
			c.inf = append(c.inf, inference)
		} else {
			c.lat[c.next], c.inf[c.next] = d, inference
			c.next = (c.next + 1) % sloWindow
		}
	}
	c.since += len(lat)
	if c.since < sloEvalSamples || now.Sub(c.lastEval) < sloEvalEvery {
		return
	}
	in := sloInput{target: c.target, p99: quantile(c.lat, 0.99), inf99: quantile(c.inf, 0.99),
		n: c.state.MaxBatch, d: c.state.MaxDelay, admit: c.admit, maxByCost: sloMaxBatch}
	if c.flushes > 0 {
		in.full = float64(c.full) / float64(c.flushes)
	}
	if est != nil && est.perToken > 0 {
		in.maxByCost = int((float64(c.target)/2 - est.fixed) / (est.perToken * float64(max(seqLen, 1))))
	}
	out := decideSLO(in)
	if out.n != c.state.MaxBatch || out.d != c.state.MaxDelay {
		// The window measured the old choice: start a fresh one.
		c.state.Changed = now
		c.lat, c.inf, c.next = c.lat[:0], c.inf[:0], 0
	}
	c.admit = out.admit
	c.state.P99, c.state.MaxBatch, c.state.MaxDelay, c.state.Reason = in.p99, out.n, out.d, out.why
	c.since, c.flushes, c.full, c.lastEval = 0, 0, 0, now
}

// sloInput is what one evaluation sees; decideSLO returns the same fields
// for the next period.
type sloInput struct {
	target, p99, inf99 time.Duration
	full               float64 // share of flushes that filled the batch
	n                  int
	d                  time.Duration
	admit              float64
	maxByCost          int
}

type sloOutput struct {
	n     int
	d     time.Duration
	admit float64
	why   string
}

// decideSLO is the controller's rule (see the comment at the top of the
// file).
func decideSLO(in sloInput) sloOutput {
	ms := func(x time.Duration) string { return fmt.Sprintf("%.1f ms", float64(x)/1e6) }
	out := sloOutput{n: in.n, d: min(in.d, in.target/10), admit: in.admit}
	switch {
	case in.inf99 > in.target/2:
		out.n, out.d = max(1, in.n*2/3), out.d/2
		out.why = fmt.Sprintf("batches take %s, over half the %s target: smaller batches", ms(in.inf99), ms(in.target))
	case in.p99 > in.target*9/10: // aim a tenth under the target: p99 of a window is noisy
		out.admit = max(0.05, in.admit*0.8)
		out.why = fmt.Sprintf("p99 %s over the %s target with quick batches: admitting less queue (%.0f %% of the budget)", ms(in.p99), ms(in.target), 100*out.admit)
	case in.p99 < in.target*6/10:
		out.admit = min(1, in.admit*1.1)
		out.why = fmt.Sprintf("holding: p99 %s well within the %s target", ms(in.p99), ms(in.target))
		if in.full > 0.5 {
			grown := min(sloMaxBatch, in.n+max(1, in.n/4))
			if in.maxByCost >= 1 {
				grown = min(grown, in.maxByCost)
			}
			if grown > in.n {
				out.n = grown
				out.why = fmt.Sprintf("p99 %s under the %s target and batches full: larger batches for throughput", ms(in.p99), ms(in.target))
			}
		}
	default:
		out.why = fmt.Sprintf("holding: p99 %s within the %s target", ms(in.p99), ms(in.target))
	}
	return out
}

// quantile of xs (unsorted; not modified).
func quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
