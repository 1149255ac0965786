package profiler

import (
	"strconv"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// windowSecs are the rolling windows every series reports, in seconds. Each
// covers the last N complete seconds, so values are stable between ticks.
var windowSecs = [...]int{1, 10, 60}

// ringSlots holds 60 complete seconds and the current one.
const ringSlots = 61

// slot is one second of one series. Its histogram is allocated on first use
// and reused afterwards, so an idle series costs almost nothing and a busy one
// at most ringSlots small histograms.
type slot struct {
	sec    int64 // second since the profiler started; -1 = empty
	h      *hdrhistogram.Histogram
	e      exact
	errors uint64
}

// series is the latency and count record of one operation or stage. It is
// safe for concurrent use.
type series struct {
	name   string
	source string // operations recorded with ObserveWork; "" otherwise

	mu     sync.Mutex
	total  *hdrhistogram.Histogram // since start, totalSigFigs
	totalE exact
	errors uint64
	slots  [ringSlots]slot

	// Windows merged from complete seconds, recomputed at most once per second.
	cacheSec int64
	merged   *hdrhistogram.Histogram
	cached   []WindowStats
}

func newSeries(name string) *series {
	s := &series{name: name, total: newHist(totalSigFigs), cacheSec: -1}
	for i := range s.slots {
		s.slots[i].sec = -1
	}
	return s
}

func (s *series) record(sec int64, d time.Duration, failed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recordDur(s.total, d)
	s.totalE.add(d)
	if failed {
		s.errors++
	}
	sl := &s.slots[sec%ringSlots]
	if sl.sec != sec {
		if sl.sec > sec { // a late observation for a slot already reused: since-start only
			return
		}
		sl.reset(sec)
	}
	if sl.h == nil {
		sl.h = newHist(windowSigFigs)
	}
	recordDur(sl.h, d)
	sl.e.add(d)
	if failed {
		sl.errors++
	}
}

func (sl *slot) reset(sec int64) {
	sl.sec = sec
	if sl.h != nil {
		sl.h.Reset()
	}
	sl.e, sl.errors = exact{}, 0
}

// WindowStats describes one rolling window of one series: "1s", "10s" and
// "60s", each over the last complete seconds (the current, partial second
// is not included), so values change once per second.
type WindowStats struct {
	Window          string  `json:"window"` // "1s", "10s", "60s"
	PerSecond       float64 `json:"per_second"`
	ErrorsPerSecond float64 `json:"errors_per_second"`
	Percentiles
}

// SeriesStats is one operation or stage in a Snapshot.
type SeriesStats struct {
	Name    string        `json:"name"`
	Source  string        `json:"source,omitempty"` // who did the work (ObserveWork); "" for HTTP routes and stages
	Errors  uint64        `json:"errors"`
	Total   Percentiles   `json:"total"` // since start
	Windows []WindowStats `json:"windows"`
}

// stats returns the series' since-start summary and its windows ending at
// the start of second now.
func (s *series) stats(now int64) SeriesStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := SeriesStats{
		Name:   s.name,
		Source: s.source,
		Errors: s.errors,
		Total:  summarize(s.total, s.totalE),
	}
	if s.cacheSec != now {
		s.cached = s.windowsLocked(now)
		s.cacheSec = now
	}
	out.Windows = append([]WindowStats{}, s.cached...)
	return out
}

func (s *series) windowsLocked(now int64) []WindowStats {
	out := make([]WindowStats, 0, len(windowSecs))
	for _, w := range windowSecs {
		ws := WindowStats{Window: windowName(w)}
		var e exact
		var errs uint64
		var only *hdrhistogram.Histogram
		parts := 0
		for sec := now - int64(w); sec < now; sec++ {
			if sec < 0 {
				continue
			}
			sl := &s.slots[sec%ringSlots]
			if sl.sec != sec || sl.e.n == 0 {
				continue
			}
			e.merge(sl.e)
			errs += sl.errors
			parts++
			only = sl.h
		}
		ws.PerSecond = float64(e.n) / float64(w)
		ws.ErrorsPerSecond = float64(errs) / float64(w)
		switch parts {
		case 0:
		case 1:
			ws.Percentiles = summarize(only, e)
		default:
			if s.merged == nil {
				s.merged = newHist(windowSigFigs)
			}
			s.merged.Reset()
			for sec := now - int64(w); sec < now; sec++ {
				if sec < 0 {
					continue
				}
				sl := &s.slots[sec%ringSlots]
				if sl.sec == sec && sl.e.n > 0 {
					s.merged.Merge(sl.h)
				}
			}
			ws.Percentiles = summarize(s.merged, e)
		}
		out = append(out, ws)
	}
	return out
}

// totals returns count, errors, sum and a copy of the since-start histogram.
func (s *series) totals() (count, errors uint64, sum time.Duration, h *hdrhistogram.Histogram) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalE.n, s.errors, s.totalE.sum, s.total.Clone()
}

func windowName(sec int) string { return strconv.Itoa(sec) + "s" }

// counterRing counts events per second over the last 60 complete seconds.
// The caller synchronises.
type counterRing struct {
	secs  [ringSlots]int64
	vals  [ringSlots]uint64
	total uint64
}

func newCounterRing() *counterRing {
	r := &counterRing{}
	for i := range r.secs {
		r.secs[i] = -1
	}
	return r
}

func (r *counterRing) add(sec int64, n uint64) {
	r.total += n
	i := sec % ringSlots
	if r.secs[i] != sec {
		if r.secs[i] > sec {
			return
		}
		r.secs[i], r.vals[i] = sec, 0
	}
	r.vals[i] += n
}

// sum returns the count over the w complete seconds before now.
func (r *counterRing) sum(now int64, w int) uint64 {
	var n uint64
	for sec := now - int64(w); sec < now; sec++ {
		if sec < 0 {
			continue
		}
		if i := sec % ringSlots; r.secs[i] == sec {
			n += r.vals[i]
		}
	}
	return n
}
