package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
)

// LoadTestConfig is what the load-test panel submits.
type LoadTestConfig struct {
	Name        string        `json:"name,omitempty"`
	Task        LoadTestTask  `json:"task"` // "" = analyze
	Mode        LoadTestMode  `json:"mode"` // "" = open
	Rate        float64       `json:"rate,omitempty"`
	StartRate   float64       `json:"start_rate,omitempty"`
	Users       int           `json:"users,omitempty"`
	Think       time.Duration `json:"think_ns,omitempty"`
	Ramp        time.Duration `json:"ramp_ns,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
	MaxRequests uint64        `json:"max_requests,omitempty"`
	// MaxInFlight bounds concurrent requests in open loop (0 = the
	// Service's limit, LoadTestLimits.MaxInFlight).
	MaxInFlight int      `json:"max_in_flight,omitempty"`
	Thresholds  []string `json:"thresholds,omitempty"`
	Texts       []string `json:"texts,omitempty"` // empty = profiler.DefaultTexts
	// Arrivals is the open-loop arrival process: "uniform" (or "") or
	// "poisson" (Seed 0 = random).
	Arrivals string `json:"arrivals,omitempty"`
	Seed     uint64 `json:"seed,omitempty"`
	// Cache is "bypass" ("" = bypass: the caches are skipped) or
	// "include"; the report states it and its cache hits.
	Cache LoadTestCache `json:"cache,omitempty"`
	// FindMax, when set, makes the run a capacity search (open loop, no
	// Rate, Users, Ramp, MaxRequests or Thresholds): Duration is the length
	// of one step (0 = 3 s).
	FindMax *LoadTestFindMax `json:"find_max,omitempty"`
}

// LoadTestTask is what a load test runs: one task or both ("analyze").
type LoadTestTask string

// Load-test tasks.
const (
	LoadTestSentiment LoadTestTask = "sentiment"
	LoadTestEntities  LoadTestTask = "entities"
	LoadTestAnalyze   LoadTestTask = "analyze" // both tasks
)

// Values lists every load-test task.
func (LoadTestTask) Values() []LoadTestTask {
	return []LoadTestTask{LoadTestSentiment, LoadTestEntities, LoadTestAnalyze}
}

// LoadTestMode is how a load test sends: "open" (constant arrival rate) or
// "closed" (a number of users, each waiting for its answer).
type LoadTestMode string

// Load-test modes.
const (
	LoadTestOpen   LoadTestMode = "open"
	LoadTestClosed LoadTestMode = "closed"
)

// Values lists every load-test mode.
func (LoadTestMode) Values() []LoadTestMode { return []LoadTestMode{LoadTestOpen, LoadTestClosed} }

// LoadTestStatus is the state of the running (or last) load test; it is
// also the payload of "loadtest" events.
type LoadTestStatus struct {
	ID       string               `json:"id"`
	State    RunState             `json:"state"`
	Config   *profiler.LoadConfig `json:"config,omitempty"`
	Progress *profiler.Progress   `json:"progress,omitempty"`
	Report   *profiler.Report     `json:"report,omitempty"` // when finished; Report.ID is the saved run's id
	Error    string               `json:"error,omitempty"`
	// Capacity is a running capacity search's steps so far (after each
	// step); the finished report carries the final one.
	Capacity *profiler.Capacity `json:"capacity,omitempty"`
}

// LoadTestSummary is one row of the saved runs list.
type LoadTestSummary struct {
	ID           string        `json:"id"`
	Name         string        `json:"name,omitempty"`
	Mode         string        `json:"mode"`
	Task         string        `json:"task,omitempty"`
	StartedAt    time.Time     `json:"started_at"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	Requests     uint64        `json:"requests"`
	AchievedRate float64       `json:"achieved_rate"`
	P95          time.Duration `json:"p95_ns"`
	Passed       bool          `json:"passed"`
	Thresholds   int           `json:"thresholds"`
	// MaxRate is a capacity search's answer (requests/s; 0 = no rate held
	// or not a search).
	MaxRate float64 `json:"max_rate,omitempty"`
}

// LoadTestComparison puts two runs side by side; Delta is b − a per metric.
type LoadTestComparison struct {
	A     profiler.Report    `json:"a"`
	B     profiler.Report    `json:"b"`
	Delta map[string]float64 `json:"delta"`
}

// maxMemoryRuns bounds the finished runs kept in memory without a database.
const maxMemoryRuns = 50

// loadTests holds the running test and, without a database, finished ones.
type loadTests struct {
	mu      sync.Mutex
	current *LoadTestStatus
	cancel  context.CancelFunc
	done    chan struct{}
	memory  []profiler.Report // newest last; only without a database
}

// StartLoadTest starts a load test against the in-process engine (results
// are not stored; the result caches are bypassed unless c.Cache is
// "include") and returns its first status. Only one runs at a time
// (ErrLoadTestActive, naming the running one's id), within the Service's
// LoadTestLimits. Progress comes
// as "loadtest" events at ≤ 4 Hz; the finished report is saved.
func (s *Service) StartLoadTest(ctx context.Context, c LoadTestConfig) (LoadTestStatus, error) {
	tasks, err := loadTestTasks(c.Task)
	if err != nil {
		return LoadTestStatus{}, err
	}
	if err := s.cfg.LoadTests.check(&c); err != nil {
		return LoadTestStatus{}, err
	}
	for _, t := range tasks {
		if !s.eng.Ready(t) {
			return LoadTestStatus{}, fmt.Errorf("%s: %w", t, engine.ErrNotReady)
		}
	}
	texts := c.Texts
	if len(texts) == 0 {
		texts = profiler.DefaultTexts
	}
	for i, t := range texts {
		if err := engine.CheckText(t, s.cfg.MaxTextBytes); err != nil {
			return LoadTestStatus{}, fmt.Errorf("texts[%d]: %w", i, err)
		}
	}
	lc := profiler.LoadConfig{
		Name: c.Name, Target: "inproc", Task: string(c.Task), StartRate: c.StartRate, Think: c.Think, Ramp: c.Ramp,
		Duration: c.Duration, MaxRequests: c.MaxRequests, MaxInFlight: c.MaxInFlight, Thresholds: c.Thresholds, ClassifyError: errorKind,
		Arrivals: c.Arrivals, Seed: c.Seed, Cache: string(c.Cache),
	}
	switch c.Mode {
	case LoadTestOpen, "":
		lc.Rate = c.Rate
	case LoadTestClosed:
		lc.Users = c.Users
	default:
		return LoadTestStatus{}, fmt.Errorf("%w: mode %q (want open or closed)", ErrBadRequest, c.Mode)
	}
	// Run calls Progress from its own goroutine at ≤ 4 Hz.
	var st *LoadTestStatus
	lc.Progress = func(p profiler.Progress) {
		s.lt.mu.Lock()
		st.Progress = &p
		snap := *st
		s.lt.mu.Unlock()
		s.hub.emit(EventLoadTest, snap)
	}
	run, cfg, err := s.newLoadRun(lc, c.FindMax, func(cp profiler.Capacity) {
		s.lt.mu.Lock()
		st.Capacity = &cp
		snap := *st
		s.lt.mu.Unlock()
		s.hub.emit(EventLoadTest, snap)
	})
	if err != nil {
		return LoadTestStatus{}, err
	}

	s.lt.mu.Lock()
	if s.lt.current != nil && s.lt.current.State == StateRunning {
		id := s.lt.current.ID
		s.lt.mu.Unlock()
		return LoadTestStatus{}, fmt.Errorf("%w: %s (stop it first)", ErrLoadTestActive, id)
	}
	s.mu.Lock() // closed and wg.Add together, so Close never waits while a run is being added
	if s.closed {
		s.mu.Unlock()
		s.lt.mu.Unlock()
		return LoadTestStatus{}, ErrServiceClosed
	}
	s.wg.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(s.ctx)
	st = &LoadTestStatus{ID: "run-" + newID(), State: StateRunning, Config: &cfg}
	s.lt.current, s.lt.cancel, s.lt.done = st, cancel, make(chan struct{})
	done := s.lt.done
	first := *st
	s.lt.mu.Unlock()

	go func() {
		defer s.wg.Done()
		defer close(done)
		defer cancel()
		s.runLoadTest(ctx, run, st, tasks, texts, cfg.Cache == profiler.CacheBypass)
	}()
	return first, nil
}

func loadTestTasks(task LoadTestTask) ([]engine.Task, error) {
	switch task {
	case LoadTestSentiment:
		return []engine.Task{engine.TaskSentiment}, nil
	case LoadTestEntities, "ner":
		return []engine.Task{engine.TaskEntities}, nil
	case LoadTestAnalyze, "all", "":
		return []engine.Task{engine.TaskSentiment, engine.TaskEntities}, nil
	}
	return nil, fmt.Errorf("%w: task %q (want sentiment, entities or analyze)", ErrBadRequest, task)
}

func (s *Service) runLoadTest(ctx context.Context, run loadRun, st *LoadTestStatus, tasks []engine.Task, texts []string, noCache bool) {
	var cc profiler.CacheCount
	target := func(ctx context.Context, seq uint64) error {
		res, err := s.analyze(ctx, request{
			texts: []string{texts[seq%uint64(len(texts))]}, tasks: tasks, via: profiler.SourceLoadTest,
			opts: engine.Options{Aggregation: engine.AggSimple, NoCache: noCache, Bulk: true},
		})
		cc.Add(cacheCounts(res))
		return err
	}
	report, err := run(ctx, target)
	if err == nil {
		cc.Fill(&report)
		report.Meta = s.loadTestMeta(tasks)
		err = s.saveReport(context.WithoutCancel(ctx), &report)
	}
	s.lt.mu.Lock()
	switch {
	case err != nil:
		st.State, st.Error = StateFailed, err.Error()
	case report.Status == profiler.StatusCanceled:
		st.State = StateCancelled
	default:
		st.State = StateDone
	}
	if err == nil {
		st.Report = &report
		st.ID = report.ID
	}
	st.Progress, st.Capacity = nil, nil
	final := *st
	s.lt.mu.Unlock()
	s.hub.emit(EventLoadTest, final)
}

func (s *Service) loadTestMeta(tasks []engine.Task) map[string]string {
	meta := map[string]string{}
	if c := BuildCommit(); c != "" {
		meta[profiler.MetaGitCommit] = c
	}
	s.AddEngineMeta(meta, tasks)
	return meta
}

// saveReport stores the report and sets its ID to the saved run's id
// (without a database it is kept in memory under its own id).
func (s *Service) saveReport(ctx context.Context, r *profiler.Report) error {
	if s.db == nil {
		s.lt.mu.Lock()
		s.lt.memory = append(s.lt.memory, *r)
		if len(s.lt.memory) > maxMemoryRuns {
			s.lt.memory = s.lt.memory[1:]
		}
		s.lt.mu.Unlock()
		return nil
	}
	run, err := runFromReport(*r)
	if err != nil {
		return err
	}
	id, err := s.db.SaveRun(ctx, run)
	if err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	r.ID = strconv.FormatInt(int64(id), 10)
	return nil
}

// CurrentLoadTest returns the running or last load test of this process;
// ok is false when there was none.
func (s *Service) CurrentLoadTest() (LoadTestStatus, bool) {
	s.lt.mu.Lock()
	defer s.lt.mu.Unlock()
	if s.lt.current == nil {
		return LoadTestStatus{}, false
	}
	return *s.lt.current, true
}

// CancelLoadTest stops the running test (its partial report is saved) and
// waits until it has stopped.
func (s *Service) CancelLoadTest(ctx context.Context, id string) (LoadTestStatus, error) {
	s.lt.mu.Lock()
	cur, cancel, done := s.lt.current, s.lt.cancel, s.lt.done
	if cur == nil || cur.ID != id || cur.State != StateRunning {
		s.lt.mu.Unlock()
		return LoadTestStatus{}, fmt.Errorf("running load test %q: %w", id, ErrNotFound)
	}
	s.lt.mu.Unlock()
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return LoadTestStatus{}, ctx.Err()
	}
	st, _ := s.CurrentLoadTest()
	return st, nil
}

// LoadTests lists saved runs, newest first.
func (s *Service) LoadTests(ctx context.Context) ([]LoadTestSummary, error) {
	var reports []profiler.Report
	if s.db == nil {
		s.lt.mu.Lock()
		reports = append(reports, s.lt.memory...)
		s.lt.mu.Unlock()
		sort.SliceStable(reports, func(i, j int) bool { return reports[i].StartedAt.After(reports[j].StartedAt) })
		out := make([]LoadTestSummary, len(reports))
		for i, r := range reports {
			out[i] = summaryOf(r)
		}
		return out, nil
	}
	infos, err := s.db.ListRuns(ctx, 200, 0)
	if err != nil {
		return nil, err
	}
	out := make([]LoadTestSummary, 0, len(infos))
	for _, info := range infos {
		var sum profiler.Summary
		json.Unmarshal(info.Summary, &sum)
		ls := LoadTestSummary{
			ID: strconv.FormatInt(int64(info.ID), 10), Name: info.Name, Mode: sum.Mode, Task: sum.Task,
			StartedAt: info.Created.Add(-sum.Elapsed), Elapsed: sum.Elapsed, Requests: sum.Requests,
			AchievedRate: sum.AchievedRate, P95: sum.Latency.P95, Passed: info.Passed, Thresholds: len(sum.Thresholds),
		}
		if sum.Capacity != nil {
			ls.MaxRate = sum.Capacity.MaxPassingRate
		}
		out = append(out, ls)
	}
	return out, nil
}

func summaryOf(r profiler.Report) LoadTestSummary {
	ls := LoadTestSummary{
		ID: r.ID, Name: r.Config.Name, Mode: r.Mode, Task: r.Config.Task, StartedAt: r.StartedAt, Elapsed: r.Elapsed,
		Requests: r.Requests, AchievedRate: r.AchievedRate, P95: r.Latency.P95, Passed: r.Passed, Thresholds: len(r.Thresholds),
	}
	if r.Capacity != nil {
		ls.MaxRate = r.Capacity.MaxPassingRate
	}
	return ls
}

// LoadTest returns a saved run's report.
func (s *Service) LoadTest(ctx context.Context, id string) (profiler.Report, error) {
	if s.db == nil {
		s.lt.mu.Lock()
		defer s.lt.mu.Unlock()
		for _, r := range s.lt.memory {
			if r.ID == id {
				return r, nil
			}
		}
		return profiler.Report{}, fmt.Errorf("load test %q: %w", id, ErrNotFound)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return profiler.Report{}, fmt.Errorf("load test %q: %w", id, ErrNotFound)
	}
	run, err := s.db.GetRun(ctx, storage.RunID(n))
	if err != nil {
		return profiler.Report{}, fmt.Errorf("load test %q: %w", id, err)
	}
	return reportFromRun(run)
}

// reportFromRun rebuilds a report from the row runFromReport wrote.
func reportFromRun(run storage.Run) (profiler.Report, error) {
	var cfg struct {
		profiler.LoadConfig
		Meta map[string]string `json:"meta,omitempty"`
	}
	var sum profiler.Summary
	var hist map[string]profiler.Percentiles
	r := profiler.Report{ID: strconv.FormatInt(int64(run.ID), 10)}
	for _, p := range []struct {
		b []byte
		v any
	}{{run.Config, &cfg}, {run.Summary, &sum}, {run.TimeSeries, &r.Series}, {run.Histograms, &hist}, {run.Hardware, &r.Hardware}} {
		if len(p.b) == 0 {
			continue
		}
		if err := json.Unmarshal(p.b, p.v); err != nil {
			return profiler.Report{}, fmt.Errorf("decode run %d: %w", run.ID, err)
		}
	}
	r.Config, r.Meta = cfg.LoadConfig, cfg.Meta
	r.Mode, r.Status, r.StopReason = sum.Mode, sum.Status, sum.StopReason
	r.Elapsed, r.Requests, r.Succeeded, r.Errors, r.Dropped = sum.Elapsed, sum.Requests, sum.Succeeded, sum.Errors, sum.Dropped
	r.Completed = sum.Succeeded + sum.Errors
	r.ErrorRate, r.RequestedRate, r.AchievedRate, r.Throughput = sum.ErrorRate, sum.RequestedRate, sum.AchievedRate, sum.Throughput
	r.Latency, r.ServiceTime = sum.Latency, sum.ServiceTime
	r.PeakInFlight, r.LateSends, r.SendWindow, r.ErrorSamples = sum.PeakInFlight, sum.LateSends, sum.SendWindow, sum.ErrorSamples
	r.CacheResults, r.CacheHits = sum.CacheResults, sum.CacheHits
	if l, ok := hist["latency"]; ok {
		r.Latency = l
	}
	if st, ok := hist["service_time"]; ok {
		r.ServiceTime = st
	}
	r.ErrorsByKind, r.Thresholds, r.Passed = sum.ErrorsByKind, sum.Thresholds, run.Passed
	r.Capacity = sum.Capacity
	r.EndedAt = run.Created
	r.StartedAt = run.Created.Add(-sum.Elapsed)
	if r.Config.Name == "" {
		r.Config.Name = run.Name
	}
	// The summary leaves out an empty map, older rows may lack a series:
	// the API sends {} and [], never null.
	if r.ErrorsByKind == nil {
		r.ErrorsByKind = map[string]uint64{}
	}
	r.Series = nonNil(r.Series)
	return r, nil
}

// DeleteLoadTest deletes a saved run.
func (s *Service) DeleteLoadTest(ctx context.Context, id string) error {
	if s.db == nil {
		s.lt.mu.Lock()
		defer s.lt.mu.Unlock()
		for i, r := range s.lt.memory {
			if r.ID == id {
				s.lt.memory = append(s.lt.memory[:i], s.lt.memory[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("load test %q: %w", id, ErrNotFound)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("load test %q: %w", id, ErrNotFound)
	}
	if err := s.db.DeleteRun(ctx, storage.RunID(n)); err != nil {
		return fmt.Errorf("load test %q: %w", id, err)
	}
	return nil
}

// CompareLoadTests returns two saved runs side by side with b − a of the
// main metrics.
func (s *Service) CompareLoadTests(ctx context.Context, a, b string) (LoadTestComparison, error) {
	ra, err := s.LoadTest(ctx, a)
	if err != nil {
		return LoadTestComparison{}, err
	}
	rb, err := s.LoadTest(ctx, b)
	if err != nil {
		return LoadTestComparison{}, err
	}
	return CompareReports(ra, rb), nil
}

// CompareReports puts two reports side by side with b − a of the main
// metrics (latencies in milliseconds); when both are capacity searches,
// "max_passing_rate" too.
func CompareReports(ra, rb profiler.Report) LoadTestComparison {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	c := LoadTestComparison{A: ra, B: rb, Delta: map[string]float64{
		"p50_ms":        ms(rb.Latency.P50) - ms(ra.Latency.P50),
		"p95_ms":        ms(rb.Latency.P95) - ms(ra.Latency.P95),
		"p99_ms":        ms(rb.Latency.P99) - ms(ra.Latency.P99),
		"max_ms":        ms(rb.Latency.Max) - ms(ra.Latency.Max),
		"achieved_rate": rb.AchievedRate - ra.AchievedRate,
		"throughput":    rb.Throughput - ra.Throughput,
		"error_rate":    rb.ErrorRate - ra.ErrorRate,
	}}
	if ra.Capacity != nil && rb.Capacity != nil {
		c.Delta["max_passing_rate"] = rb.Capacity.MaxPassingRate - ra.Capacity.MaxPassingRate
	}
	return c
}

// ReadLoadRun returns the run with id from the database at path (the
// history SaveLoadRun writes). The database must exist.
func ReadLoadRun(ctx context.Context, path, id string, log *slog.Logger) (profiler.Report, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return profiler.Report{}, fmt.Errorf("%w: run id %q is not a saved run's number", ErrBadRequest, id)
	}
	if _, err := os.Stat(path); err != nil {
		return profiler.Report{}, fmt.Errorf("no database at %s: %w", path, err)
	}
	db, err := storage.Open(ctx, storage.Config{Path: path}, log)
	if err != nil {
		return profiler.Report{}, err
	}
	defer db.Close()
	run, err := db.GetRun(ctx, storage.RunID(n))
	if err != nil {
		return profiler.Report{}, fmt.Errorf("load test %q: %w", id, err)
	}
	return reportFromRun(run)
}

// InprocTarget is a load-test target that analyses texts[seq % len] with the
// Service, storing nothing; the caches are skipped unless cache is
// profiler.CacheInclude. It counts its task results and cache hits in cc.
func (s *Service) InprocTarget(tasks []engine.Task, texts []string, cache string, cc *profiler.CacheCount) profiler.Target {
	noCache := cache != profiler.CacheInclude
	return func(ctx context.Context, seq uint64) error {
		res, err := s.Analyze(ctx, AnalyzeRequest{Text: texts[seq%uint64(len(texts))], Tasks: tasks, NoStore: true, NoCache: noCache})
		cc.Add(cacheCounts(res.Results))
		return err
	}
}

// AddEngineMeta records the ONNX Runtime version, the provider and the hashes
// of the active models of tasks (all when empty) in a report's meta.
func (s *Service) AddEngineMeta(meta map[string]string, tasks []engine.Task) {
	m := s.Models()
	meta[profiler.MetaORTVersion] = m.Runtime.ORTVersion
	meta[profiler.MetaProvider] = m.Runtime.Provider
	var hashes []string
	for _, mi := range m.Active {
		if len(tasks) == 0 || containsTask(tasks, mi.Task) {
			hashes = append(hashes, mi.Hash)
		}
	}
	sort.Strings(hashes)
	meta[profiler.MetaModelHash] = strings.Join(hashes, ",")
}

func containsTask(tasks []engine.Task, t engine.Task) bool {
	for _, x := range tasks {
		if x == t {
			return true
		}
	}
	return false
}

// BuildCommit is the VCS revision stamped into the binary, if any.
func BuildCommit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

// loadRunStore saves load-test reports into storage; it implements
// profiler.RunStore.
type loadRunStore struct{ db *storage.DB }

var _ profiler.RunStore = loadRunStore{}

func (s loadRunStore) SaveRun(ctx context.Context, r profiler.Report) error {
	run, err := runFromReport(r)
	if err != nil {
		return err
	}
	_, err = s.db.SaveRun(ctx, run)
	return err
}

// runFromReport converts a report to storage's row: config, hardware,
// summary, per-second series and latency histograms as JSON, the rest in
// columns.
func runFromReport(r profiler.Report) (storage.Run, error) {
	name := r.Config.Name
	if name == "" {
		name = fmt.Sprintf("%s %s %s", r.Config.Task, r.Mode, r.StartedAt.UTC().Format(time.DateTime))
	}
	run := storage.Run{
		Name: name, ModelHash: r.Meta[profiler.MetaModelHash], ORTVersion: r.Meta[profiler.MetaORTVersion],
		GitCommit: r.Meta[profiler.MetaGitCommit], Passed: r.Passed,
	}
	for _, p := range []struct {
		dst *json.RawMessage
		v   any
	}{
		{&run.Config, struct {
			profiler.LoadConfig
			ID   string            `json:"run_id"`
			Meta map[string]string `json:"meta,omitempty"`
		}{r.Config, r.ID, r.Meta}},
		{&run.Hardware, r.Hardware},
		{&run.Summary, r.Summary()},
		{&run.TimeSeries, r.Series},
		{&run.Histograms, map[string]profiler.Percentiles{"latency": r.Latency, "service_time": r.ServiceTime}},
	} {
		b, err := json.Marshal(p.v)
		if err != nil {
			return storage.Run{}, fmt.Errorf("encode run: %w", err)
		}
		*p.dst = b
	}
	return run, nil
}

// SaveLoadRun saves a load-test report into the database at path (the
// history of runs the app shows).
func SaveLoadRun(ctx context.Context, path string, r profiler.Report, log *slog.Logger) error {
	db, err := storage.Open(ctx, storage.Config{Path: path}, log)
	if err != nil {
		return err
	}
	return errors.Join(loadRunStore{db}.SaveRun(ctx, r), db.Close())
}
