package profiler

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Report is the result of one load test. It is JSON-able and self-contained
// so that saved runs can be compared.
type Report struct {
	ID         string     `json:"id"` // random, assigned by Run
	Config     LoadConfig `json:"config"`
	Mode       string     `json:"mode"` // "open", "closed" or ModeCapacity
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    time.Time  `json:"ended_at"`
	Status     string     `json:"status"`      // StatusCompleted or StatusCanceled
	StopReason string     `json:"stop_reason"` // StopDuration, StopMaxRequests or StopCanceled; a capacity search's Capacity.StopReason
	// Elapsed runs from the start until the last request finished.
	Elapsed time.Duration `json:"elapsed_ns"`
	// SendWindow is the time over which requests were sent; AchievedRate is
	// Requests / SendWindow.
	SendWindow time.Duration `json:"send_window_ns"`

	Requests  uint64 `json:"requests"`  // sent
	Completed uint64 `json:"completed"` // finished, successfully or not
	Succeeded uint64 `json:"succeeded"`
	Errors    uint64 `json:"errors"`
	// Dropped requests were still running when the run ended (after the
	// grace period) or was cancelled; they count neither as errors nor in
	// the latency percentiles.
	Dropped   uint64  `json:"dropped"`
	ErrorRate float64 `json:"error_rate"` // Errors / Completed, 0..1

	RequestedRate float64 `json:"requested_rate"` // open loop: requests/s after the ramp
	AchievedRate  float64 `json:"achieved_rate"`  // requests sent per second
	Throughput    float64 `json:"throughput"`     // successful requests per second of Elapsed
	// PeakInFlight is the largest number of requests in flight at once.
	PeakInFlight int `json:"peak_in_flight"`
	// CacheResults counts the task results the target returned (a request
	// of both tasks returns two) and CacheHits those answered from a cache
	// (the results' "cached" flag): 0 hits under Config.Cache CacheBypass.
	// Both are 0 when the target does not say.
	CacheResults uint64 `json:"cache_results"`
	CacheHits    uint64 `json:"cache_hits"`
	// LateSends counts open-loop requests sent more than 1 ms after their
	// intended time because the generator was saturated (MaxInFlight).
	LateSends uint64 `json:"late_sends"`

	// Latency runs from each request's intended send time to its completion
	// (open loop; equal to ServiceTime in closed loop). This is the latency a
	// user arriving on schedule would see.
	Latency Percentiles `json:"latency"`
	// ServiceTime runs from the actual send to the completion: what a naive
	// benchmark reports. The gap to Latency is the coordinated omission.
	ServiceTime Percentiles `json:"service_time"`

	Series       []SecondStats     `json:"series"`
	ErrorsByKind map[string]uint64 `json:"errors_by_kind"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"` // first message per kind
	Thresholds   []ThresholdResult `json:"thresholds,omitempty"`
	Passed       bool              `json:"passed"` // every threshold passed
	Hardware     Hardware          `json:"hardware"`
	// Capacity is the section of a capacity search (Mode ModeCapacity):
	// its settings, per-step table and answer.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Meta carries what the caller knows about the target: model hash, ORT
	// version, git commit, URL...
	Meta map[string]string `json:"meta,omitempty"`
}

// Report status and stop reasons.
const (
	StatusCompleted = "completed"
	StatusCanceled  = "canceled"

	StopDuration    = "duration"
	StopMaxRequests = "max_requests"
	StopCanceled    = "canceled"
)

// SecondStats is one second of a run, by completion time (Sent by send time).
type SecondStats struct {
	Second    int           `json:"second"` // since the start
	Sent      uint64        `json:"sent"`
	Completed uint64        `json:"completed"`
	Errors    uint64        `json:"errors"`
	P50       time.Duration `json:"p50_ns"`
	P95       time.Duration `json:"p95_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
}

// Progress is what a run reports to its live view, at most every
// LoadConfig.ProgressInterval (≥ 250 ms).
type Progress struct {
	Elapsed   time.Duration `json:"elapsed_ns"`
	Duration  time.Duration `json:"duration_ns"` // configured
	Sent      uint64        `json:"sent"`
	Completed uint64        `json:"completed"`
	Errors    uint64        `json:"errors"`
	InFlight  int           `json:"in_flight"`
	// LastSecond is the latest complete second.
	LastSecond SecondStats `json:"last_second"`
	// Latency so far (intended-time based).
	Latency Percentiles `json:"latency"`
}

// RunStore saves reports. app connects it to storage.
type RunStore interface {
	SaveRun(ctx context.Context, r Report) error
}

// aggregator collects results of a run. It is safe for concurrent use.
type aggregator struct {
	mu       sync.Mutex
	start    time.Time
	latency  *hdrhistogram.Histogram
	service  *hdrhistogram.Histogram
	latE     exact
	svcE     exact
	sent     uint64
	done     uint64
	errors   uint64
	dropped  uint64
	late     uint64
	kinds    map[string]uint64
	samples  map[string]string
	sentSec  []uint64
	series   []SecondStats
	curSec   int
	cur      *hdrhistogram.Histogram // current second, by completion
	curStats SecondStats
	inFlight int
	peak     int
	closed   bool
	classify func(error) string
}

func newAggregator(start time.Time, classify func(error) string) *aggregator {
	return &aggregator{
		start:    start,
		latency:  newHist(totalSigFigs),
		service:  newHist(totalSigFigs),
		kinds:    map[string]uint64{},
		samples:  map[string]string{},
		cur:      newHist(windowSigFigs),
		classify: classify,
	}
}

func (a *aggregator) secOf(t time.Time) int {
	d := t.Sub(a.start)
	if d < 0 {
		return 0
	}
	return int(d / time.Second)
}

// begin records a send at t.
func (a *aggregator) begin(t time.Time, late bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent++
	if late {
		a.late++
	}
	s := a.secOf(t)
	for len(a.sentSec) <= s {
		a.sentSec = append(a.sentSec, 0)
	}
	a.sentSec[s]++
	a.inFlight++
	if a.inFlight > a.peak {
		a.peak = a.inFlight
	}
}

// end records a completion at t.
func (a *aggregator) end(t time.Time, latency, service time.Duration, err error, dropped bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inFlight--
	if a.closed {
		return
	}
	if dropped {
		a.dropped++
		return
	}
	a.rollTo(a.secOf(t))
	a.done++
	a.curStats.Completed++
	if err != nil {
		a.errors++
		a.curStats.Errors++
		k := a.classify(err)
		if k == "" {
			k = "error"
		}
		a.kinds[k]++
		if _, ok := a.samples[k]; !ok {
			msg := err.Error()
			if len(msg) > 200 {
				msg = msg[:200]
			}
			a.samples[k] = msg
		}
	}
	recordDur(a.latency, latency)
	recordDur(a.service, service)
	recordDur(a.cur, latency)
	a.latE.add(latency)
	a.svcE.add(service)
	a.curStats.Max = max(a.curStats.Max, latency)
}

// rollTo closes every second before s. Caller holds mu.
func (a *aggregator) rollTo(s int) {
	for a.curSec < s {
		a.closeSecond()
	}
}

func (a *aggregator) closeSecond() {
	st := a.curStats
	st.Second = a.curSec
	st.P50, st.P95, st.P99 = quantileOf(a.cur, 50), quantileOf(a.cur, 95), quantileOf(a.cur, 99)
	for _, q := range []*time.Duration{&st.P50, &st.P95, &st.P99} {
		*q = min(*q, st.Max)
	}
	a.series = append(a.series, st)
	a.cur.Reset()
	a.curStats = SecondStats{}
	a.curSec++
}

func (a *aggregator) progress(now time.Time, duration time.Duration) Progress {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rollTo(a.secOf(now))
	p := Progress{
		Elapsed:   now.Sub(a.start),
		Duration:  duration,
		Sent:      a.sent,
		Completed: a.done,
		Errors:    a.errors,
		InFlight:  a.inFlight,
		Latency:   summarize(a.latency, a.latE),
	}
	if n := len(a.series); n > 0 {
		p.LastSecond = a.series[n-1]
	}
	if len(a.series) > 0 && p.LastSecond.Second < len(a.sentSec) {
		p.LastSecond.Sent = a.sentSec[p.LastSecond.Second]
	}
	return p
}

// finish closes the aggregator at end and fills r.
func (a *aggregator) finish(end time.Time, r *Report) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.curStats.Completed > 0 || a.curSec < a.secOf(end) {
		a.rollTo(a.secOf(end))
		if a.curStats.Completed > 0 {
			a.closeSecond()
		}
	}
	for i := range a.series {
		if s := a.series[i].Second; s < len(a.sentSec) {
			a.series[i].Sent = a.sentSec[s]
		}
	}
	for s := len(a.series); s < len(a.sentSec); s++ { // seconds with sends but no completion
		a.series = append(a.series, SecondStats{Second: s, Sent: a.sentSec[s]})
	}
	r.Requests, r.Completed, r.Errors, r.Dropped = a.sent, a.done, a.errors, a.dropped
	r.Succeeded = a.done - a.errors
	r.ErrorRate = ratio(a.errors, a.done)
	r.PeakInFlight = a.peak
	r.LateSends = a.late
	r.Latency = summarize(a.latency, a.latE)
	r.ServiceTime = summarize(a.service, a.svcE)
	r.Series = append([]SecondStats(nil), a.series...)
	r.ErrorsByKind = make(map[string]uint64, len(a.kinds))
	for k, v := range a.kinds {
		r.ErrorsByKind[k] = v
	}
	r.ErrorSamples = make(map[string]string, len(a.samples))
	for k, v := range a.samples {
		r.ErrorSamples[k] = v
	}
}

// mergeFrom adds the requests, errors and latencies of o, a finished
// run's aggregator, to a (a capacity search's totals); per-second series
// are not merged.
func (a *aggregator) mergeFrom(o *aggregator) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.latency.Merge(o.latency)
	a.service.Merge(o.service)
	a.latE.merge(o.latE)
	a.svcE.merge(o.svcE)
	a.sent += o.sent
	a.done += o.done
	a.errors += o.errors
	a.dropped += o.dropped
	a.late += o.late
	a.peak = max(a.peak, o.peak)
	for k, v := range o.kinds {
		a.kinds[k] += v
		if _, ok := a.samples[k]; !ok {
			a.samples[k] = o.samples[k]
		}
	}
}

// latencyAt returns the intended-time latency at percentile p (0..100).
func (a *aggregator) latencyAt(p float64) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return min(quantileOf(a.latency, p), a.latE.max)
}

// Report.Meta keys that storage keeps in their own columns.
const (
	MetaModelHash  = "model_hash"  // sha256 of the model(s) driven, comma-separated when several
	MetaORTVersion = "ort_version" // ONNX Runtime version
	MetaGitCommit  = "git_commit"  // nlpscope's commit
	MetaProvider   = "provider"    // execution provider ("cpu", "cuda")
)

// Summary is a Report without its configuration, hardware and per-second
// series, for run lists. Summary and Report round-trip the fields they share.
type Summary struct {
	ID            string            `json:"id,omitempty"`
	Mode          string            `json:"mode"`
	Target        string            `json:"target"`
	Task          string            `json:"task,omitempty"`
	Status        string            `json:"status"`
	StopReason    string            `json:"stop_reason"`
	StartedAt     time.Time         `json:"started_at"`
	EndedAt       time.Time         `json:"ended_at"`
	Elapsed       time.Duration     `json:"elapsed_ns"`
	SendWindow    time.Duration     `json:"send_window_ns"`
	Requests      uint64            `json:"requests"`
	Completed     uint64            `json:"completed"`
	Succeeded     uint64            `json:"succeeded"`
	Errors        uint64            `json:"errors"`
	Dropped       uint64            `json:"dropped"`
	ErrorRate     float64           `json:"error_rate"`
	RequestedRate float64           `json:"requested_rate"`
	AchievedRate  float64           `json:"achieved_rate"`
	Throughput    float64           `json:"throughput"`
	Users         int               `json:"users,omitempty"`
	Cache         string            `json:"cache,omitempty"`
	CacheResults  uint64            `json:"cache_results"`
	CacheHits     uint64            `json:"cache_hits"`
	PeakInFlight  int               `json:"peak_in_flight"`
	LateSends     uint64            `json:"late_sends"`
	Latency       Percentiles       `json:"latency"`
	ServiceTime   Percentiles       `json:"service_time"`
	ErrorsByKind  map[string]uint64 `json:"errors_by_kind,omitempty"`
	ErrorSamples  map[string]string `json:"error_samples,omitempty"`
	Thresholds    []ThresholdResult `json:"thresholds,omitempty"`
	Passed        bool              `json:"passed"`
	Capacity      *Capacity         `json:"capacity,omitempty"`
}

// Summary returns r's summary.
func (r Report) Summary() Summary {
	return Summary{
		ID: r.ID, Mode: r.Mode, Target: r.Config.Target, Task: r.Config.Task, Status: r.Status, StopReason: r.StopReason,
		StartedAt: r.StartedAt, EndedAt: r.EndedAt, Elapsed: r.Elapsed, SendWindow: r.SendWindow,
		Requests: r.Requests, Completed: r.Completed, Succeeded: r.Succeeded, Errors: r.Errors, Dropped: r.Dropped,
		ErrorRate: r.ErrorRate, RequestedRate: r.RequestedRate, AchievedRate: r.AchievedRate,
		Throughput: r.Throughput, Users: r.Config.Users, PeakInFlight: r.PeakInFlight, LateSends: r.LateSends,
		Cache: r.Config.Cache, CacheResults: r.CacheResults, CacheHits: r.CacheHits,
		Latency: r.Latency, ServiceTime: r.ServiceTime,
		ErrorsByKind: r.ErrorsByKind, ErrorSamples: r.ErrorSamples, Thresholds: r.Thresholds, Passed: r.Passed,
		Capacity: r.Capacity,
	}
}

// Report rebuilds a Report from s; the caller adds Config, Hardware, Series
// and Meta (stored beside the summary).
func (s Summary) Report() Report {
	r := Report{
		ID: s.ID, Mode: s.Mode, Status: s.Status, StopReason: s.StopReason,
		StartedAt: s.StartedAt, EndedAt: s.EndedAt, Elapsed: s.Elapsed, SendWindow: s.SendWindow,
		Requests: s.Requests, Completed: s.Completed, Succeeded: s.Succeeded, Errors: s.Errors, Dropped: s.Dropped,
		ErrorRate: s.ErrorRate, RequestedRate: s.RequestedRate, AchievedRate: s.AchievedRate,
		Throughput: s.Throughput, PeakInFlight: s.PeakInFlight, LateSends: s.LateSends,
		CacheResults: s.CacheResults, CacheHits: s.CacheHits,
		Latency: s.Latency, ServiceTime: s.ServiceTime,
		ErrorsByKind: s.ErrorsByKind, ErrorSamples: s.ErrorSamples, Thresholds: s.Thresholds, Passed: s.Passed,
		Capacity: s.Capacity,
	}
	r.Config.Target, r.Config.Task, r.Config.Users, r.Config.Cache = s.Target, s.Task, s.Users, s.Cache
	return r
}
