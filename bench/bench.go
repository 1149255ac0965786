// Package bench is the benchmark suite behind `nlpscope bench` (Run, then
// Report.Write); bench/peer holds the transformers.js driver it compares with.
package bench

// The benchmark suite behind `nlpscope bench`. Every comparison in it is a
// ratio taken from alternating short slices of the two contenders in the
// same process (A, B, A, B, …), so that the drift of a shared, noisy machine
// hits both alike; the report gives the median ratio and its range.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// slice is what one contender did in one time slice.
type slice struct {
	Ops     float64         // completed operations (texts, tokens, requests…)
	Elapsed time.Duration   // wall time of the slice
	Lat     []time.Duration // latency of each completed call, when measured
}

// rate is operations per second.
func (s slice) rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return s.Ops / s.Elapsed.Seconds()
}

// contender runs for about d and reports what it did.
type contender func(ctx context.Context, d time.Duration) (slice, error)

// Comparison is the outcome of alternating slices of A and B: the ratio is
// A's rate over B's, one per pair of slices.
type Comparison struct {
	Name    string    `json:"name"`
	A       string    `json:"a"`
	B       string    `json:"b"`
	Unit    string    `json:"unit"`  // what the rates count, per second
	Ratio   float64   `json:"ratio"` // median of Ratios
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Ratios  []float64 `json:"ratios"`
	RateA   float64   `json:"rate_a"` // median rate of A's slices
	RateB   float64   `json:"rate_b"`
	P50A    float64   `json:"p50_a_ms,omitempty"`
	P99A    float64   `json:"p99_a_ms,omitempty"`
	P50B    float64   `json:"p50_b_ms,omitempty"`
	P99B    float64   `json:"p99_b_ms,omitempty"`
	Goal    float64   `json:"goal,omitempty"` // the ratio must reach this; 0 = no goal
	Pass    *bool     `json:"pass,omitempty"`
	Note    string    `json:"note,omitempty"`
	SliceMs int64     `json:"slice_ms"`
}

// ratioStats returns the median, minimum and maximum of ratios.
func ratioStats(ratios []float64) (median, lo, hi float64) {
	if len(ratios) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := slices.Clone(ratios)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// pairRatios divides the rate of each A slice by the rate of the B slice
// run right after it.
func pairRatios(a, b []slice) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, 0, n)
	for i := range n {
		if rb := b[i].rate(); rb > 0 {
			out = append(out, a[i].rate()/rb)
		}
	}
	return out
}

// compare alternates pairs slices of a and b, each d long, after one
// discarded warm-up slice of each, and returns the ratio of their rates.
// Even pairs start with A and odd ones with B, so that neither always runs
// first after the other; the ratio always pairs slice i of A with slice i
// of B.
func compare(ctx context.Context, name, nameA, nameB, unit string, pairs int, d time.Duration, a, b contender) (Comparison, error) {
	c := Comparison{Name: name, A: nameA, B: nameB, Unit: unit, SliceMs: d.Milliseconds()}
	if pairs < 1 {
		pairs = 1
	}
	warm := min(d, time.Second)
	if _, err := a(ctx, warm); err != nil {
		return c, fmt.Errorf("%s: %s: %w", name, nameA, err)
	}
	if _, err := b(ctx, warm); err != nil {
		return c, fmt.Errorf("%s: %s: %w", name, nameB, err)
	}
	var as, bs []slice
	for i := range pairs {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, w := range order {
			if err := ctx.Err(); err != nil {
				return c, err
			}
			run, who := a, nameA
			if w == 1 {
				run, who = b, nameB
			}
			s, err := run(ctx, d)
			if err != nil {
				return c, fmt.Errorf("%s: %s: %w", name, who, err)
			}
			if w == 0 {
				as = append(as, s)
			} else {
				bs = append(bs, s)
			}
		}
	}
	c.fill(as, bs)
	return c, nil
}

// fill computes the ratio statistics, median rates and latency percentiles.
func (c *Comparison) fill(as, bs []slice) {
	c.Ratios = pairRatios(as, bs)
	c.Ratio, c.Min, c.Max = ratioStats(c.Ratios)
	rates := func(ss []slice) float64 {
		r := make([]float64, len(ss))
		for i, s := range ss {
			r[i] = s.rate()
		}
		m, _, _ := ratioStats(r)
		return m
	}
	c.RateA, c.RateB = rates(as), rates(bs)
	lat := func(ss []slice) []time.Duration {
		var all []time.Duration
		for _, s := range ss {
			all = append(all, s.Lat...)
		}
		return all
	}
	if la := lat(as); len(la) > 0 {
		c.P50A, c.P99A = ms(percentile(la, 50)), ms(percentile(la, 99))
	}
	if lb := lat(bs); len(lb) > 0 {
		c.P50B, c.P99B = ms(percentile(lb, 50)), ms(percentile(lb, 99))
	}
}

// withGoal sets the goal and whether the median ratio reaches it.
func (c Comparison) withGoal(goal float64) Comparison {
	c.Goal = goal
	ok := !math.IsNaN(c.Ratio) && c.Ratio >= goal
	c.Pass = &ok
	return c
}

// percentile returns the p-th percentile (nearest rank) of ds; ds is sorted
// in place.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	k := int(math.Ceil(p/100*float64(len(ds)))) - 1
	return ds[max(0, min(k, len(ds)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// closedLoop runs users goroutines that call op back to back for d and
// counts the calls that succeeded before the end; calls still running at the
// end are cancelled and not counted. weight is how many operations one call
// is worth (texts in a batch).
func closedLoop(ctx context.Context, users int, d time.Duration, weight float64, op func(ctx context.Context, user, i int) error) (slice, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lat   []time.Duration
		first atomic.Pointer[error]
		done  atomic.Int64
	)
	start := time.Now()
	for u := range users {
		wg.Go(func() {
			local := make([]time.Duration, 0, 64)
			for i := 0; ; i++ {
				t0 := time.Now()
				err := op(ctx, u, i)
				if ctx.Err() != nil {
					break
				}
				if err != nil {
					first.CompareAndSwap(nil, &err)
					cancel()
					break
				}
				local = append(local, time.Since(t0))
				done.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	<-ctx.Done()
	elapsed := time.Since(start)
	wg.Wait()
	if e := first.Load(); e != nil && !errors.Is(*e, context.DeadlineExceeded) && !errors.Is(*e, context.Canceled) {
		return slice{}, *e
	}
	return slice{Ops: float64(done.Load()) * weight, Elapsed: elapsed, Lat: lat}, nil
}

// fixedWork runs users goroutines that together make n calls of op (each
// user takes the next call number until n are taken) and waits for all of
// them: nothing is cut off at the end, so a slice's rate is not biased by
// requests in flight, however long their latency. weight is how many
// operations one call is worth.
func fixedWork(ctx context.Context, users, n int, weight float64, op func(ctx context.Context, user, i int) error) (slice, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lat   []time.Duration
		first atomic.Pointer[error]
		next  atomic.Int64
	)
	start := time.Now()
	for u := range min(users, n) {
		wg.Go(func() {
			local := make([]time.Duration, 0, n/max(users, 1)+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				if err := op(ctx, u, i); err != nil {
					first.CompareAndSwap(nil, &err)
					cancel()
					break
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return slice{}, *e
	}
	return slice{Ops: float64(n) * weight, Elapsed: time.Since(start), Lat: lat}, nil
}

// sizer picks the number of calls of a fixed-work slice so that it lasts
// about d at the rate (calls/s) seen so far, and at least minCalls.
type sizer struct {
	minCalls int
	rate     float64
}

func (z *sizer) calls(d time.Duration) int {
	return max(z.minCalls, int(z.rate*d.Seconds()))
}

func (z *sizer) observe(calls int, elapsed time.Duration) {
	if elapsed > 0 {
		z.rate = float64(calls) / elapsed.Seconds()
	}
}

// latencies calls op back to back until both d has passed and at least
// minCalls calls were made (or maxWait passed), returning each call's
// latency.
func latencies(ctx context.Context, d time.Duration, minCalls int, maxWait time.Duration, op func(ctx context.Context, i int) error) ([]time.Duration, error) {
	start := time.Now()
	var out []time.Duration
	for i := 0; ; i++ {
		el := time.Since(start)
		if (el >= d && len(out) >= minCalls) || el >= maxWait {
			break
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		t0 := time.Now()
		if err := op(ctx, i); err != nil {
			return out, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}
