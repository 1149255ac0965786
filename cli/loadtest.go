package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/httpapi"
	"github.com/nlpscope/nlpscope/profiler"
)

// loadtestTasks maps --task to the engine tasks and the HTTP route that
// serves it.
var loadtestTasks = map[string]struct {
	tasks []engine.Task
	route string
}{
	"sentiment": {[]engine.Task{engine.TaskSentiment}, "/v1/sentiment/analyze"},
	"entities":  {[]engine.Task{engine.TaskEntities}, "/v1/entities/extract"},
	"analyze":   {nil, "/v1/analyze"},
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

type loadtestFlags struct {
	target, task, textsFile, name, body, method string
	cache                                       string
	rate, startRate                             float64
	users                                       int
	duration, ramp, think, timeout              time.Duration
	maxRequests                                 uint64
	maxInFlight                                 int
	thresholds, headers                         stringList
	jsonOut, allowRemote                        bool
	svc                                         *app.Config
	// Capacity search (--find-max).
	findMax                     bool
	slo                         stringList
	growth, resolution, maxRate float64
	maxTime                     time.Duration
	arrivals                    string
	seed                        uint64
}

func parseLoadtestFlags(args []string, stderr io.Writer) (*loadtestFlags, error) {
	fs := flag.NewFlagSet("nlpscope loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &loadtestFlags{}
	fs.StringVar(&f.target, "target", "inproc", "`inproc` (the engine in this process) or a URL of `nlpscope serve` or a compatible endpoint")
	fs.Func("url", "the same as --target `URL`", func(v string) error { f.target = v; return nil })
	fs.StringVar(&f.task, "task", "sentiment", "sentiment, entities or analyze (both)")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: arrival rate in requests/s (coordinated-omission-free latency)")
	fs.Float64Var(&f.startRate, "start-rate", 0, "open loop: rate at the start of --ramp")
	fs.IntVar(&f.users, "users", 0, "closed loop: virtual users, each sending its next request after the last answer")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to send (--find-max: the length of each step, default 3s)")
	fs.DurationVar(&f.ramp, "ramp", 0, "open loop: linear rate ramp; closed loop: users start evenly over it")
	fs.DurationVar(&f.think, "think", 0, "closed loop: pause between a user's requests")
	fs.Uint64Var(&f.maxRequests, "max-requests", 0, "stop after this many requests (0 = open loop: rate × duration; closed loop: 10M)")
	fs.IntVar(&f.maxInFlight, "max-in-flight", 0, "open loop: concurrent requests at most (0 = 1024)")
	fs.DurationVar(&f.timeout, "timeout", 0, "per-request timeout (0 = 30s)")
	fs.StringVar(&f.textsFile, "texts", "", "`file` of texts, one per line or JSONL with \"text\" (default: built-in sentences)")
	fs.Var(&f.thresholds, "threshold", "k6-style pass/fail `expr`, repeatable: p95<25ms, p(99.9)<100ms, errors<1%, rps>=100, max<1s")
	fs.BoolVar(&f.jsonOut, "json", false, "write the report as JSON to stdout")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a target that is not on this machine")
	fs.StringVar(&f.name, "name", "", "name of the run when saved")
	fs.StringVar(&f.body, "body", "", "URL target: body template; {{text}} is a JSON-escaped text, {{seq}} the request number (default {\"text\":\"{{text}}\",\"no_store\":true})")
	fs.StringVar(&f.method, "method", "POST", "URL target: HTTP method")
	fs.Var(&f.headers, "header", "URL target: `Name: value` header, repeatable")
	fs.StringVar(&f.cache, "cache", profiler.CacheBypass, "result caches `mode`: bypass (every request is computed, in-process and at a URL, which gets the header "+httpapi.CacheHeader+": bypass) or include (repeated texts may be cache hits); the report counts the hits")
	fs.StringVar(&f.arrivals, "arrivals", "uniform", "open loop: `uniform` (evenly spaced) or poisson (random, exponential gaps) arrivals")
	fs.Uint64Var(&f.seed, "seed", 0, "poisson arrivals: random seed (0 = random; the report records the one used)")
	fs.BoolVar(&f.findMax, "find-max", false, "capacity search: step the open-loop rate up from --start-rate (×--growth) until --slo breaks, then bisect to --resolution; each step lasts --duration")
	fs.Var(&f.slo, "slo", "--find-max: threshold `expr` a step must meet, repeatable (p99<50ms; errors<1% is added unless an errors bound is given)")
	fs.Float64Var(&f.growth, "growth", 0, "--find-max: rate factor between steps until one fails (0 = 2)")
	fs.Float64Var(&f.resolution, "resolution", 0, "--find-max: stop when the highest passing and lowest failing rates are this close, relative (0 = 0.05)")
	fs.Float64Var(&f.maxRate, "max-rate", 0, "--find-max: highest rate to try in requests/s (0 = 100000)")
	fs.DurationVar(&f.maxTime, "max-time", 5*time.Minute, "--find-max: bound on the whole search")
	f.svc = engineFlags(fs)
	fs.Lookup("db").Usage = "save the run into this SQLite database `path` (default: not saved)"
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nlpscope loadtest [--target inproc|URL] [--task sentiment|entities|analyze] (--rate R | --users N) [--duration D] [flags]")
		fmt.Fprintln(stderr, "       nlpscope loadtest --find-max --slo 'p99<50ms' [--target inproc|URL] [--duration STEP] [--start-rate R] [flags]")
		fmt.Fprintln(stderr, "       nlpscope loadtest compare A B [--db PATH] [--json]")
		fmt.Fprintln(stderr, "       nlpscope loadtest report RUN [--format json|csv|html] [--out FILE] [--db PATH]")
		fmt.Fprintln(stderr, "\nDrives the engine or an HTTP endpoint and reports latency percentiles, throughput and errors.")
		fmt.Fprintln(stderr, "--find-max searches for the highest open-loop rate that holds the SLO and prints every step.")
		fmt.Fprintln(stderr, "Exit status: 0 all thresholds pass (--find-max: some rate held the SLO), 1 a threshold fails, no rate held\nor the run failed, 2 usage error, 130 interrupted.")
		fmt.Fprintln(stderr, "--db saves the run into that database (the app's history of runs).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	if _, ok := loadtestTasks[f.task]; !ok {
		return nil, usagef("--task %q: want sentiment, entities or analyze", f.task)
	}
	if f.cache != profiler.CacheBypass && f.cache != profiler.CacheInclude {
		return nil, usagef("--cache %q: want bypass or include", f.cache)
	}
	for _, h := range f.headers {
		if k, _, _ := strings.Cut(h, ":"); strings.EqualFold(strings.TrimSpace(k), httpapi.CacheHeader) {
			return nil, usagef("--header %s: use --cache bypass|include", httpapi.CacheHeader)
		}
	}
	saveDB, durationSet := false, false
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "db":
			saveDB = true
		case "duration":
			durationSet = true
		}
	})
	switch {
	case f.findMax && (f.rate != 0 || f.users != 0 || f.ramp != 0 || f.think != 0 || f.maxRequests != 0):
		return nil, usagef("--find-max sets the rate itself: leave out --rate, --users, --ramp, --think and --max-requests (--start-rate is the first step's rate)")
	case f.findMax && len(f.thresholds) > 0:
		return nil, usagef("--find-max judges each step by --slo, not --threshold")
	case f.findMax && len(f.slo) == 0:
		return nil, usagef("--find-max needs an --slo such as 'p99<50ms'")
	case !f.findMax && (len(f.slo) > 0 || f.growth != 0 || f.resolution != 0 || f.maxRate != 0):
		return nil, usagef("--slo, --growth, --resolution and --max-rate apply to --find-max only")
	}
	if f.findMax && !durationSet {
		f.duration = profiler.DefaultCapacityStep
	}
	if f.arrivals == profiler.ArrivalsUniform {
		f.arrivals = ""
	}
	if !saveDB {
		f.svc.DBPath = ""
	}
	return f, nil
}

// cmdLoadtest runs a load test or a capacity search (--find-max) and prints
// its report; `loadtest compare A B` compares two saved runs, `loadtest
// report RUN` writes one as JSON, CSV or HTML.
func cmdLoadtest(ctx context.Context, std Stdio, args []string) error {
	if len(args) > 0 && args[0] == "compare" {
		return inSub("compare", loadtestCompare(ctx, std, args[1:]))
	}
	if len(args) > 0 && args[0] == "report" {
		return inSub("report", loadtestReport(ctx, std, args[1:]))
	}
	f, err := parseLoadtestFlags(args, std.Err)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))

	texts := profiler.DefaultTexts
	if f.textsFile != "" {
		fh, err := os.Open(f.textsFile)
		if err != nil {
			return &usageError{err: err}
		}
		texts, err = profiler.ReadTexts(fh)
		fh.Close()
		if err != nil {
			return usagef("%s: %v", f.textsFile, err)
		}
	}

	cfg := profiler.LoadConfig{
		Name: f.name, Target: f.target, Task: f.task,
		Rate: f.rate, StartRate: f.startRate, Users: f.users, Think: f.think, Ramp: f.ramp,
		Duration: f.duration, MaxRequests: f.maxRequests, MaxInFlight: f.maxInFlight, Timeout: f.timeout,
		Thresholds: f.thresholds, Arrivals: f.arrivals, Seed: f.seed, Cache: f.cache,
	}
	if f.target != "inproc" {
		cfg.ClassifyError = profiler.ErrorKind
	} else {
		cfg.ClassifyError = engineErrorKind
	}
	var status *statusLine
	if !f.jsonOut || isTerminal(std.Err) {
		status = newStatusLine(std.Err, cfg)
		cfg.Progress = status.update
	}
	// run runs the load test or the capacity search once the target is
	// built; both are validated first, so bad flags start nothing.
	var run func(context.Context, profiler.Target) (profiler.Report, error)
	if f.findMax {
		cfg.StartRate = 0
		cs, err := profiler.NewCapacitySearch(profiler.CapacityConfig{
			Load: cfg, SLO: f.slo, StartRate: f.startRate, Growth: f.growth, Resolution: f.resolution,
			MaxRate: f.maxRate, MaxDuration: f.maxTime,
			OnStep: func(c profiler.Capacity) {
				if status != nil {
					status.step(c)
				}
			},
		}, log)
		if err != nil {
			return &usageError{err: err}
		}
		run = cs.Run
	} else {
		lt, err := profiler.NewLoadTest(cfg, log)
		if err != nil {
			return &usageError{err: err}
		}
		run = lt.Run
	}

	var target profiler.Target
	var cc profiler.CacheCount
	meta := map[string]string{}
	if commit := app.BuildCommit(); commit != "" {
		meta[profiler.MetaGitCommit] = commit
	}
	if f.target == "inproc" {
		svc, err := loadtestService(ctx, f, log)
		if err != nil {
			return err
		}
		defer svc.Close()
		target = svc.InprocTarget(loadtestTasks[f.task].tasks, texts, f.cache, &cc)
		svc.AddEngineMeta(meta, loadtestTasks[f.task].tasks)
	} else {
		ht, err := loadtestHTTPTarget(f, texts, &cc)
		if errors.Is(err, profiler.ErrRemoteTarget) {
			return usagef("%v (pass --allow-remote to load-test another machine)", err)
		}
		if err != nil {
			return &usageError{err: err}
		}
		defer ht.Close()
		target = ht.Do
		meta["url"] = f.target
	}

	report, err := run(ctx, target)
	if status != nil {
		status.clear()
	}
	if err != nil {
		return err
	}
	cc.Fill(&report)
	report.Meta = meta

	// The report is printed whatever happened; the errors come after it.
	var saveErr error
	if f.svc.DBPath != "" {
		saveErr = app.SaveLoadRun(context.WithoutCancel(ctx), f.svc.DBPath, report, log)
	}
	if f.jsonOut {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return errors.Join(saveErr, err)
		}
	} else {
		writeLoadReport(std.Out, report)
	}
	if report.Status != profiler.StatusCompleted {
		return errors.Join(saveErr, fmt.Errorf("run %s", report.Status))
	}
	if c := report.Capacity; c != nil && c.MaxPassingRate == 0 {
		return errors.Join(saveErr, errors.New(c.Message))
	}
	if !report.Passed {
		var failed []string
		for _, t := range report.Thresholds {
			if !t.Pass {
				failed = append(failed, t.Expr)
			}
		}
		return errors.Join(saveErr, fmt.Errorf("threshold failed: %s", strings.Join(failed, ", ")))
	}
	return saveErr
}

// loadtestService starts a Service for the in-process target: only the
// models the task needs, no database (results are never stored), and the
// result cache off unless --cache include.
func loadtestService(ctx context.Context, f *loadtestFlags, log *slog.Logger) (*app.Service, error) {
	cfg := *f.svc
	cfg.NoDB = true
	cfg.DBPath = ""
	cfg.Tasks = loadtestTasks[f.task].tasks
	if f.cache != profiler.CacheInclude {
		cfg.Tuning.CacheEntries = -1
	}
	svc, err := app.New(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := svc.WaitLoaded(ctx); err != nil {
		svc.Close()
		return nil, err
	}
	tasks := cfg.Tasks
	if tasks == nil {
		tasks = []engine.Task{engine.TaskSentiment, engine.TaskEntities}
	}
	h := svc.Health()
	for _, t := range tasks {
		if !h.Ready[string(t)] {
			svc.Close()
			return nil, fmt.Errorf("%s model not ready: %s", t, strings.Join(h.Problems, "; "))
		}
	}
	return svc, nil
}

// engineErrorKind names the engine's and Service's typed errors for the
// report's error counts.
func engineErrorKind(err error) string {
	switch {
	case errors.Is(err, engine.ErrOverloaded):
		return "overloaded"
	case errors.Is(err, engine.ErrNotReady):
		return "not_ready"
	case errors.Is(err, engine.ErrTextTooLong), errors.Is(err, app.ErrTooLarge):
		return "too_large"
	case errors.Is(err, engine.ErrEmptyText), errors.Is(err, engine.ErrInvalidUTF8), errors.Is(err, app.ErrBadRequest):
		return "bad_input"
	case errors.Is(err, engine.ErrClosed), errors.Is(err, app.ErrServiceClosed):
		return "closed"
	}
	return profiler.ErrorKind(err)
}

// loadtestHTTPTarget builds the URL target; a URL without a path gets the
// task's route. It sends the cache mode as httpapi.CacheHeader and counts
// the responses' cached results in cc.
func loadtestHTTPTarget(f *loadtestFlags, texts []string, cc *profiler.CacheCount) (*profiler.HTTPTarget, error) {
	u, err := url.Parse(f.target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("--target %q: want inproc or an http(s) URL", f.target)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = loadtestTasks[f.task].route
	}
	body := f.body
	if body == "" {
		body = `{"text":"{{text}}","no_store":true}`
		if f.task == "analyze" {
			body = `{"text":"{{text}}","tasks":["sentiment","entities"],"no_store":true}`
		}
	}
	headers := map[string]string{httpapi.CacheHeader: f.cache}
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--header %q: want \"Name: value\"", h)
		}
		headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if tok := os.Getenv("NLPSCOPE_API_TOKEN"); tok != "" && headers["Authorization"] == "" {
		headers["Authorization"] = "Bearer " + tok
	}
	return profiler.NewHTTPTarget(profiler.HTTPTargetConfig{
		URL: u.String(), Method: f.method, Body: body, Texts: texts, Headers: headers, AllowRemote: f.allowRemote,
		OnBody: func(b []byte) { cc.Add(app.CountCached(b)) },
	})
}

// statusLine prints live progress on one terminal line (stderr), ≤ 4 Hz.
type statusLine struct {
	w       io.Writer
	enabled bool
	cfg     profiler.LoadConfig
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newStatusLine(w io.Writer, cfg profiler.LoadConfig) *statusLine {
	return &statusLine{w: w, enabled: isTerminal(w), cfg: cfg}
}

func (s *statusLine) update(p profiler.Progress) {
	if !s.enabled {
		return
	}
	fmt.Fprintf(s.w, "\r\x1b[K%5.1fs/%v  sent %d  done %d  err %d  in flight %d  last 1s: %d/s p50 %s p99 %s",
		p.Elapsed.Seconds(), p.Duration, p.Sent, p.Completed, p.Errors, p.InFlight,
		p.LastSecond.Completed, profiler.FormatDuration(p.LastSecond.P50), profiler.FormatDuration(p.LastSecond.P99))
}

// step prints a finished capacity-search step on its own line.
func (s *statusLine) step(c profiler.Capacity) {
	if !s.enabled || len(c.Steps) == 0 {
		return
	}
	st := c.Steps[len(c.Steps)-1]
	verdict := "pass"
	if !st.Pass {
		verdict = "FAIL " + st.Reason
	}
	fmt.Fprintf(s.w, "\r\x1b[Kstep %d: %.4g req/s offered, %.4g achieved, p99 %s: %s\n", len(c.Steps), st.Rate, st.AchievedRate, profiler.FormatDuration(st.P99), verdict)
}

func (s *statusLine) clear() {
	if s.enabled {
		fmt.Fprint(s.w, "\r\x1b[K")
	}
}

// writeLoadReport prints the final table.
func writeLoadReport(w io.Writer, r profiler.Report) {
	fd := profiler.FormatDuration
	mode := fmt.Sprintf("open loop, %g req/s", r.Config.Rate)
	if r.Config.Ramp > 0 && r.Mode == "open" {
		mode += fmt.Sprintf(" (ramp %v from %g)", r.Config.Ramp, r.Config.StartRate)
	}
	if r.Mode == profiler.ModeCapacity && r.Capacity != nil {
		mode = fmt.Sprintf("capacity search, %s arrivals, each step", r.Capacity.Arrivals)
	}
	if r.Mode == "closed" {
		mode = fmt.Sprintf("closed loop, %d users", r.Config.Users)
		if r.Config.Think > 0 {
			mode += fmt.Sprintf(", think %v", r.Config.Think)
		}
	}
	fmt.Fprintf(w, "load test %s: %s, %s for %v → %s (%s)\n", r.ID, r.Config.Task, mode, r.Config.Duration, r.Config.Target, r.Status)
	fmt.Fprintf(w, "stopped by %s after %.2fs\n\n", r.StopReason, r.Elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "requests\t%d sent\t%d ok\t%d errors (%.2f%%)\t%d dropped\n", r.Requests, r.Succeeded, r.Errors, 100*r.ErrorRate, r.Dropped)
	if r.Mode == profiler.ModeCapacity {
		fmt.Fprintf(tw, "rate\tachieved %.1f/s over all steps\tthroughput %.1f/s\tlate sends %d\t\n", r.AchievedRate, r.Throughput, r.LateSends)
	} else if r.Mode == "open" {
		dev := 0.0
		if r.RequestedRate > 0 {
			dev = 100 * (r.AchievedRate - r.RequestedRate) / r.RequestedRate
		}
		fmt.Fprintf(tw, "rate\trequested %.1f/s\tachieved %.1f/s (%+.1f%%)\tthroughput %.1f/s\tlate sends %d\n", r.RequestedRate, r.AchievedRate, dev, r.Throughput, r.LateSends)
	} else {
		fmt.Fprintf(tw, "rate\tachieved %.1f/s\tthroughput %.1f/s\tpeak in flight %d\t\n", r.AchievedRate, r.Throughput, r.PeakInFlight)
	}
	fmt.Fprintf(tw, "cache\t%s\t\t\t\n", cacheLine(r))
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency\tp50\tp90\tp95\tp99\tp99.9\tmax\tmean\t")
	row := func(name string, p profiler.Percentiles) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, fd(p.P50), fd(p.P90), fd(p.P95), fd(p.P99), fd(p.P999), fd(p.Max), fd(p.Mean))
	}
	row("from intended send", r.Latency)
	row("service time", r.ServiceTime)
	tw.Flush()
	if r.Capacity != nil {
		writeCapacity(w, *r.Capacity)
	}

	if len(r.Series) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "second\tsent\tdone\terrors\tp50\tp95\tp99\tmax\t")
		for _, s := range r.Series {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", s.Second, s.Sent, s.Completed, s.Errors, fd(s.P50), fd(s.P95), fd(s.P99), fd(s.Max))
		}
		tw.Flush()
	}
	if len(r.ErrorsByKind) > 0 {
		fmt.Fprintln(w, "\nerrors:")
		kinds := make([]string, 0, len(r.ErrorsByKind))
		for k := range r.ErrorsByKind {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "  %-12s %6d  e.g. %s\n", k, r.ErrorsByKind[k], r.ErrorSamples[k])
		}
	}
	if len(r.Thresholds) > 0 {
		fmt.Fprintln(w, "\nthresholds:")
		for _, t := range r.Thresholds {
			fmt.Fprintf(w, "  %s\n", t)
		}
	}
	fmt.Fprintf(w, "\nhardware: %s\n", r.Hardware)
	if len(r.Meta) > 0 {
		keys := make([]string, 0, len(r.Meta))
		for k := range r.Meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if r.Meta[k] != "" {
				parts = append(parts, k+"="+r.Meta[k])
			}
		}
		fmt.Fprintf(w, "meta: %s\n", strings.Join(parts, " "))
	}
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL (threshold)"
	}
	if r.Capacity != nil {
		verdict = r.Capacity.Message
	}
	if r.Status != profiler.StatusCompleted {
		verdict = "INCOMPLETE (" + r.Status + ")"
	}
	fmt.Fprintf(w, "result: %s\n", verdict)
}

// cacheLine says how a run treated the caches and how many results were
// cache hits.
func cacheLine(r profiler.Report) string {
	mode := r.Config.Cache
	switch mode {
	case profiler.CacheBypass:
		mode = "bypassed"
	case profiler.CacheInclude:
		mode = "included"
	case "":
		mode = "mode not recorded"
	}
	if r.CacheResults == 0 {
		return fmt.Sprintf("%s, %d hits", mode, r.CacheHits)
	}
	return fmt.Sprintf("%s, %d hits of %d results (%.1f%%)", mode, r.CacheHits, r.CacheResults, 100*float64(r.CacheHits)/float64(r.CacheResults))
}

// writeCapacity prints a capacity search's per-step table and its answer.
func writeCapacity(w io.Writer, c profiler.Capacity) {
	fd := profiler.FormatDuration
	fmt.Fprintf(w, "\ncapacity search: SLO %s; start %g req/s ×%g, resolution %g %%, steps of %v\n",
		strings.Join(c.SLO, ", "), c.StartRate, c.Growth, 100*c.Resolution, c.StepDuration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tphase\toffered/s\tachieved/s\tsent\terrors\tp50\tp95\tp99\tresult\t")
	for i, s := range c.Steps {
		verdict := "pass"
		if !s.Pass {
			verdict = "FAIL"
		}
		if i == c.BestStep {
			verdict += " *"
		}
		fmt.Fprintf(tw, "%d\t%s\t%.4g\t%.4g\t%d\t%d\t%s\t%s\t%s\t%s\t\n", i+1, s.Phase, s.Rate, s.AchievedRate, s.Requests, s.Errors, fd(s.P50), fd(s.P95), fd(s.P99), verdict)
	}
	tw.Flush()
	for i, s := range c.Steps {
		if !s.Pass && s.Reason != "" {
			fmt.Fprintf(w, "  step %d failed: %s\n", i+1, s.Reason)
		}
	}
	fmt.Fprintf(w, "answer: %s (stopped: %s)\n", c.Message, c.StopReason)
}
