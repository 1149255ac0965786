package profiler

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry. Latencies are recorded in microseconds.
const (
	histUnit      = time.Microsecond
	histLowest    = 1                                   // 1 µs
	histHighest   = int64(time.Hour / time.Microsecond) // values above are clamped
	totalSigFigs  = 3                                   // since-start and load-test histograms: 0.1 %
	windowSigFigs = 2                                   // per-second ring slots: 1 %, ~20 KiB each
)

func newHist(sigFigs int) *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, sigFigs)
}

func recordDur(h *hdrhistogram.Histogram, d time.Duration) {
	v := int64(d / histUnit)
	if v < 0 {
		v = 0
	}
	if v > histHighest {
		v = histHighest
	}
	_ = h.RecordValue(v) // cannot fail: v is clamped into range
}

// Percentiles summarises a latency distribution. P50..P999 are HDR values:
// each is the highest value equivalent to the true one within the
// histogram's precision (0.1 % for since-start and load-test histograms, 1 %
// for rolling windows), capped at Max. Count, Min, Mean and Max are exact.
type Percentiles struct {
	Count uint64        `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

var stdPercentiles = []float64{50, 90, 95, 99, 99.9}

// exact keeps the exact count, minimum, maximum and sum next to a
// histogram, so that only the percentiles carry HDR's rounding.
type exact struct {
	n             uint64
	min, max, sum time.Duration
}

func (e *exact) add(d time.Duration) {
	d = max(d, 0)
	if e.n == 0 || d < e.min {
		e.min = d
	}
	e.max = max(e.max, d)
	e.sum += d
	e.n++
}

func (e *exact) merge(o exact) {
	if o.n == 0 {
		return
	}
	if e.n == 0 || o.min < e.min {
		e.min = o.min
	}
	e.max = max(e.max, o.max)
	e.sum += o.sum
	e.n += o.n
}

// summarize reads percentiles from h (one pass over its counts) and count,
// min, mean and max from e.
func summarize(h *hdrhistogram.Histogram, e exact) Percentiles {
	if e.n == 0 || h.TotalCount() == 0 {
		return Percentiles{}
	}
	vals := h.ValueAtPercentilesSlice(stdPercentiles)
	// Percentiles are bucket tops; never report one above the true max.
	d := func(v int64) time.Duration { return min(time.Duration(v)*histUnit, e.max) }
	return Percentiles{
		Count: e.n,
		Min:   e.min,
		Mean:  e.sum / time.Duration(e.n),
		P50:   d(vals[0]),
		P90:   d(vals[1]),
		P95:   d(vals[2]),
		P99:   d(vals[3]),
		P999:  d(vals[4]),
		Max:   e.max,
	}
}

// quantileOf returns the value at percentile p (0..100) of h.
func quantileOf(h *hdrhistogram.Histogram, p float64) time.Duration {
	if h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.ValueAtPercentile(p)) * histUnit
}
