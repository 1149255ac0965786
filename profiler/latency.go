package profiler

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry. Latencies are recorded in microseconds.
const (
	histUnit        = time.Microsecond
	histLowest      = 1                                   // 1 µs
	histHighest     = int64(time.Hour / time.Microsecond) // values above are clamped
	totalSigFigs    = 3                                   // since-start and load-test histograms: 0.1 %
	windowSigFigs   = 2                                   // per-second ring slots: 1 %, ~20 KiB each
	percentileCount = 6
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

// Percentiles summarises a latency distribution. Durations are HDR values:
// each is the highest value equivalent to the true one within the
// histogram's precision (0.1 % for since-start and load-test histograms, 1 %
// for rolling windows). Max is exact.
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

// Quantile returns the value at percentile p (0..100): P50, P90, P95, P99 and
// P999 exactly as stored, other values by nearest stored neighbour. It is
// used by threshold evaluation when the histogram is gone.
func (p Percentiles) field(name string) (time.Duration, bool) {
	switch name {
	case "p50", "med":
		return p.P50, true
	case "p90":
		return p.P90, true
	case "p95":
		return p.P95, true
	case "p99":
		return p.P99, true
	case "p99.9":
		return p.P999, true
	case "max":
		return p.Max, true
	case "min":
		return p.Min, true
	case "avg":
		return p.Mean, true
	}
	return 0, false
}

var stdPercentiles = []float64{50, 90, 95, 99, 99.9}

// summarize reads percentiles from h; maxExact (0 = unknown) replaces the
// bucketed maximum.
func summarize(h *hdrhistogram.Histogram, maxExact time.Duration) Percentiles {
	n := h.TotalCount()
	if n == 0 {
		return Percentiles{}
	}
	vals := h.ValueAtPercentilesSlice(stdPercentiles)
	d := func(v int64) time.Duration { return time.Duration(v) * histUnit }
	p := Percentiles{
		Count: uint64(n),
		Min:   d(h.Min()),
		Mean:  time.Duration(math.Round(h.Mean() * float64(histUnit))),
		P50:   d(vals[0]),
		P90:   d(vals[1]),
		P95:   d(vals[2]),
		P99:   d(vals[3]),
		P999:  d(vals[4]),
		Max:   d(h.Max()),
	}
	if maxExact > 0 {
		p.Max = maxExact
		// Percentiles are bucket tops; never report one above the true max.
		for _, q := range []*time.Duration{&p.P50, &p.P90, &p.P95, &p.P99, &p.P999} {
			if *q > maxExact {
				*q = maxExact
			}
		}
	}
	return p
}

// quantileOf returns the value at percentile p (0..100) of h.
func quantileOf(h *hdrhistogram.Histogram, p float64) time.Duration {
	if h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.ValueAtPercentile(p)) * histUnit
}
