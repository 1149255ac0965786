// Package app is nlpscope's Service: it wires engine, profiler and storage
// together and is the only package that knows all three. The shells (the CLI
// in package cli, the web shell's HTTP API, the desktop window) import app and
// call the Service; app imports none of them.
package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/nlpscope/nlpscope/app/catalog"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
)

// Version is the application version reported by /health.
var Version = "dev"

// Inferer is what the Service needs from the engine; *engine.Engine
// implements it, tests substitute a fake (Config.Engine) for failure modes
// such as overload.
type Inferer interface {
	Close() error
	LoadModel(ctx context.Context, task engine.Task, src engine.ModelSource) (engine.ModelInfo, error)
	Models() []engine.ModelInfo
	Ready(task engine.Task) bool
	Runtime() engine.RuntimeInfo
	Sentiment(ctx context.Context, text string, opts engine.Options) (engine.Sentiment, error)
	SentimentBatch(ctx context.Context, texts []string, opts engine.Options) ([]engine.Sentiment, error)
	Entities(ctx context.Context, text string, opts engine.Options) (engine.Entities, error)
	EntitiesBatch(ctx context.Context, texts []string, opts engine.Options) ([]engine.Entities, error)
	Stats() engine.Stats
	Tuning() engine.Tuning
	SetTuning(t engine.Tuning) error
}

var _ Inferer = (*engine.Engine)(nil)

// admitter is the Inferer that can refuse a request for overload before
// it is sent (*engine.Engine): the Service asks before its own work.
type admitter interface {
	Admit(task engine.Task, opts engine.Options) error
}

var _ admitter = (*engine.Engine)(nil)

// targeter is the Inferer with SLO mode (*engine.Engine).
type targeter interface {
	SetLatencyTarget(task engine.Task, target time.Duration) error
	LatencyTargets() map[engine.Task]time.Duration
}

var _ targeter = (*engine.Engine)(nil)

// setLatencyTarget sets task's p99 target when the engine has SLO mode.
func (s *Service) setLatencyTarget(task engine.Task, d time.Duration) error {
	t, ok := s.eng.(targeter)
	if !ok {
		return errors.New("this engine has no SLO mode")
	}
	return t.SetLatencyTarget(task, d)
}

// Service is nlpscope's application layer, one per process: both shells and
// the CLI call it. It owns the engine, the profiler and the database. All
// methods are safe for concurrent use.
type Service struct {
	cfg     Config
	log     *slog.Logger
	eng     Inferer
	cat     *catalog.Catalog
	db      *storage.DB // nil with NoDB
	prof    *profiler.Profiler
	hub     *hub
	started time.Time

	ctx    context.Context // lifetime of background work (imports, load tests, metrics)
	cancel context.CancelFunc
	wg     sync.WaitGroup

	inflightBytes atomic.Int64 // text bytes in analyze now (Config.MaxInflightBytes)
	lastFree      atomic.Int64 // UnixNano of the last freeMemory

	mu        sync.Mutex
	problems  []string // why a task is not ready, for /health
	imports   map[string]*importJob
	lt        loadTests
	loaded    chan struct{} // closed when the startup models are loaded (or failed)
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

// New builds the Service: it starts ONNX Runtime and opens the database,
// then loads the sentiment and entities models (the embedded defaults or cfg's
// folders) in the background; Health reports "loading" until WaitLoaded
// would return. A model that fails to load leaves its task not ready
// (reported by Health) instead of failing New; a missing ONNX Runtime or an
// unusable database fails New.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s, err := newService(cfg, log)
	if err != nil {
		return nil, err
	}
	eng := cfg.Engine
	if eng == nil {
		e, err := engine.New(engine.Config{
			ORTLibPath:       cfg.ORTLib,
			Provider:         cfg.Provider,
			AllowCPUFallback: true,
			IntraOpThreads:   cfg.IntraOpThreads,
			InterOpThreads:   cfg.InterOpThreads,
			MaxTextBytes:     cfg.MaxTextBytes,
			QueueSize:        cfg.QueueSize,
			MaxQueueWait:     cfg.MaxQueueWait,
			Tuning:           cfg.Tuning,
			Observer:         s.observer(),
		}, log)
		switch {
		case err != nil && cfg.StartNotReady && (errors.Is(err, engine.ErrORTNotFound) || errors.Is(err, engine.ErrProviderLoad)):
			// Run without an engine, not ready, saying what is missing.
			log.Error("engine not started: every task is not ready", slog.Any("err", err))
			s.problems = append(s.problems, fmt.Sprintf("engine: %v", err))
			eng = noEngine{reason: err}
		case err != nil:
			s.Close()
			return nil, fmt.Errorf("start engine: %w", err)
		default:
			eng = e
		}
	}
	s.eng = eng
	for task, d := range cfg.P99Targets {
		if _, none := eng.(noEngine); none {
			break
		}
		if err := s.setLatencyTarget(task, d); err != nil {
			s.Close()
			return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
	}
	s.setupProfiler()
	if err := s.openStorage(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.db != nil {
		s.sweepUploads(ctx)
	}
	s.startBackground()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(s.loaded)
		s.loadModels(s.ctx)
	}()
	return s, nil
}

// loadModels loads the configured models; a model that fails leaves its
// task not ready, with the reason in Health.
func (s *Service) loadModels(ctx context.Context) {
	if _, none := s.eng.(noEngine); none {
		return // Health already says why nothing can load
	}
	for _, m := range []struct {
		task engine.Task
		ref  string
	}{{engine.TaskSentiment, s.cfg.ModelSentiment}, {engine.TaskEntities, s.cfg.ModelEntities}} {
		if s.cfg.Tasks != nil && !slices.Contains(s.cfg.Tasks, m.task) {
			continue
		}
		ch, err := resolveModel(s.cat, m.task, m.ref, s.cfg.Variant)
		if err == nil {
			_, err = s.eng.LoadModel(ctx, m.task, ch.Source())
		}
		if err != nil {
			s.mu.Lock()
			s.problems = append(s.problems, fmt.Sprintf("%s: %v", m.task, err))
			s.mu.Unlock()
			s.log.Warn("model not loaded", slog.String("task", string(m.task)), slog.Any("err", err))
		}
	}
}

// WaitLoaded blocks until the startup models have loaded (or failed to; see
// Health) or ctx ends.
func (s *Service) WaitLoaded(ctx context.Context) error {
	select {
	case <-s.loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newService builds the parts of a Service that need no engine.
func newService(cfg Config, log *slog.Logger) (*Service, error) {
	prof, err := newProfiler(cfg)
	if err != nil {
		return nil, fmt.Errorf("profiler: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		prof:    prof,
		cfg:     cfg,
		log:     log,
		hub:     newHub(cfg.Emitter),
		cat:     NewCatalog(cfg),
		started: cfg.Now(),
		ctx:     ctx,
		cancel:  cancel,
		imports: make(map[string]*importJob),
		loaded:  make(chan struct{}),
	}, nil
}

// startBackground starts the goroutines the Service owns.
func (s *Service) startBackground() {
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.prof.Run(s.ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.runMetrics(s.ctx)
	}()
}

// Close cancels running imports and load tests, waits for them, then closes
// the engine (draining queued requests) and the database.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
		var errs []error
		if s.eng != nil {
			errs = append(errs, s.eng.Close())
		}
		errs = append(errs, s.closeStorage(), s.prof.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// SetEmitter replaces the emitter that receives live events (the desktop
// shell sets it once its window context exists). nil stops external delivery.
func (s *Service) SetEmitter(e Emitter) {
	s.hub.mu.Lock()
	s.hub.emitter = e
	s.hub.mu.Unlock()
}

// SetLiveMetrics tells the Service whether the Emitter's side (the desktop
// window) currently shows live metrics; snapshots are computed only while
// someone listens.
func (s *Service) SetLiveMetrics(on bool) { s.hub.setExternal(on) }

// Subscribe returns a channel of live events (used by the SSE endpoint) and a
// function that ends the subscription. A slow reader loses events.
func (s *Service) Subscribe(buffer int) (<-chan Event, func()) { return s.hub.subscribe(buffer) }

// Health reports readiness. It is cheap: no inference, no I/O.
func (s *Service) Health() Health {
	h := Health{
		Ready:   map[string]bool{},
		Version: Version,
		Uptime:  s.cfg.Now().Sub(s.started).Seconds(),
		Storage: s.HasStorage(),
	}
	ready := true
	for _, t := range []engine.Task{engine.TaskSentiment, engine.TaskEntities} {
		r := s.eng != nil && s.eng.Ready(t)
		h.Ready[string(t)] = r
		ready = ready && r
	}
	if s.eng != nil {
		h.Runtime = s.eng.Runtime()
	}
	s.mu.Lock()
	h.Problems = slices.Clone(s.problems)
	s.mu.Unlock()
	h.Status = HealthOK
	select {
	case <-s.loaded:
		if !ready {
			h.Status = HealthNotReady
		}
	default:
		h.Status = HealthLoading
	}
	return h
}

// request is a validated AnalyzeRequest.
type request struct {
	texts   []string
	tasks   []engine.Task
	opts    engine.Options
	store   bool
	source  string
	lines   []int               // optional line per text (imports, CLI)
	extIDs  []string            // optional id per text (an import's id column)
	times   []time.Time         // optional date/time per text (an import's date column; zero = none)
	meta    []map[string]string // optional metadata per text (an import's meta columns)
	imports string
	keepDup bool   // store a new document even for a text stored before (Result.KeepDuplicate)
	via     string // who asked (profiler.Source*), for the metrics
}

// Sources of analysis work, as the metrics name them.
const (
	SourceHTTP     = profiler.SourceHTTP
	SourceDesktop  = profiler.SourceDesktop
	SourceCLI      = profiler.SourceCLI
	SourceImport   = profiler.SourceImport
	SourceLoadTest = profiler.SourceLoadTest
	SourceAPI      = profiler.SourceAPI
)

type sourceKey struct{}

// WithSource names who asks for the analyses made with ctx (the shells set
// it: SourceHTTP, SourceDesktop, SourceCLI); the dashboard and
// /metrics split the work by it. Without it the source is SourceAPI.
func WithSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, sourceKey{}, source)
}

func sourceOf(ctx context.Context) string {
	if s, ok := ctx.Value(sourceKey{}).(string); ok && s != "" {
		return s
	}
	return profiler.SourceAPI
}

func (s *Service) validate(req AnalyzeRequest) (request, error) {
	var r request
	switch {
	case req.Text != "" && len(req.Texts) > 0:
		return r, fmt.Errorf("%w: give text or texts, not both", ErrBadRequest)
	case len(req.Texts) > 0:
		r.texts = req.Texts
	default:
		r.texts = []string{req.Text}
	}
	if len(r.texts) > s.cfg.MaxBatchTexts {
		return r, fmt.Errorf("%w: %d texts, at most %d per request", ErrTooLarge, len(r.texts), s.cfg.MaxBatchTexts)
	}
	for i, t := range r.texts {
		if err := engine.CheckText(t, s.cfg.MaxTextBytes); err != nil {
			if len(r.texts) > 1 {
				return r, fmt.Errorf("texts[%d]: %w", i, err)
			}
			return r, err
		}
	}
	tasks, err := ParseTasks(req.Tasks)
	if err != nil {
		return r, err
	}
	r.tasks = tasks
	agg, err := ParseAggregation(string(req.Aggregation))
	if err != nil {
		return r, err
	}
	r.opts.Aggregation = agg
	if r.opts.SentimentMethod, err = ParseSentimentMethod(string(req.SentimentMethod)); err != nil {
		return r, err
	}
	if req.Model != "" {
		if err := s.checkModel(req.Model, r.tasks); err != nil {
			return r, err
		}
	}
	r.opts.NoCache = req.NoCache
	r.store = !req.NoStore
	r.source = req.Source
	return r, nil
}

// ParseTasks validates tasks: "all" (or none) is both, "ner" is entities.
// It returns them without duplicates, in order.
func ParseTasks(in []engine.Task) ([]engine.Task, error) {
	if len(in) == 0 {
		return []engine.Task{engine.TaskSentiment, engine.TaskEntities}, nil
	}
	var out []engine.Task
	for _, t := range in {
		switch t {
		case engine.TaskSentiment, engine.TaskEntities:
		case "all":
			return []engine.Task{engine.TaskSentiment, engine.TaskEntities}, nil
		case "ner":
			t = engine.TaskEntities
		default:
			return nil, fmt.Errorf("%w: unknown task %q (want sentiment, entities or all)", ErrBadRequest, t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// ParseAggregation validates an entity aggregation; "" is simple.
func ParseAggregation(a string) (string, error) {
	switch a {
	case "":
		return engine.AggSimple, nil
	case engine.AggNone, engine.AggSimple, engine.AggFirst, engine.AggAverage, engine.AggMax:
		return a, nil
	}
	return "", fmt.Errorf("%w: unknown aggregation %q (want none, simple, first, average or max)", ErrBadRequest, a)
}

// ParseSentimentMethod validates a sentiment method; "" is auto.
func ParseSentimentMethod(m string) (string, error) {
	out, err := engine.ParseSentimentMethod(m)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return out, nil
}

// checkModel accepts a model ID or name that is active for one of tasks.
func (s *Service) checkModel(model string, tasks []engine.Task) error {
	for _, m := range s.eng.Models() {
		if (m.ID == model || m.Name == model) && slices.Contains(tasks, m.Task) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q (activate it first: POST /v1/models/active)", ErrUnknownModel, model)
}

// Analyze runs the requested tasks on one text or a batch, stores the
// results (unless NoStore; the response comes only after the commit) and
// returns them in order. Results already stored for the same model, task,
// options and text are reused without inference. Bad input fails the whole
// request before anything is computed.
func (s *Service) Analyze(ctx context.Context, req AnalyzeRequest) (AnalyzeResponse, error) {
	r, err := s.validate(req)
	if err != nil {
		s.prof.ObserveError(errorKind(err)) // bad input is not a latency sample
		return AnalyzeResponse{}, err
	}
	r.via = sourceOf(ctx)
	res, err := s.analyze(ctx, r)
	if err != nil {
		return AnalyzeResponse{}, err
	}
	return AnalyzeResponse{Results: res}, nil
}

// analyze computes (or reuses) and stores a validated request. It is the
// one place every analysed text passes (HTTP, desktop, CLI, imports, load
// tests), so it is where the work is measured.
func (s *Service) analyze(ctx context.Context, r request) (res []DocumentResult, err error) {
	start := time.Now()
	defer func() {
		if reason := engine.ShedReason(err); reason != "" {
			s.prof.ObserveShed(reason)
		}
		s.observeWork(r, start, err)
	}()
	if s.isClosed() {
		return nil, ErrServiceClosed
	}
	for _, t := range r.tasks {
		if !s.eng.Ready(t) {
			return nil, fmt.Errorf("%s: %w", t, engine.ErrNotReady)
		}
	}
	release, err := s.reserveBytes(r.texts)
	if err != nil {
		return nil, err
	}
	defer release()
	// Refuse for the queue's expected wait before looking anything up.
	if a, ok := s.eng.(admitter); ok {
		for _, t := range r.tasks {
			if err := a.Admit(t, r.opts); err != nil {
				return nil, err
			}
		}
	}
	now := s.cfg.Now()
	out := make([]DocumentResult, len(r.texts))
	for i, t := range r.texts {
		out[i] = DocumentResult{Text: t, Source: r.source, CreatedAt: now}
		if r.lines != nil {
			out[i].Line = r.lines[i]
		}
		if r.extIDs != nil {
			out[i].ExtID = r.extIDs[i]
		}
		if r.times != nil && !r.times[i].IsZero() {
			t := r.times[i]
			out[i].Time = &t
		}
		if r.meta != nil {
			out[i].Metadata = r.meta[i]
		}
	}
	hits, err := s.lookupStored(ctx, r, out)
	if err != nil {
		return nil, err
	}
	if err := s.compute(ctx, r, out, hits); err != nil {
		return nil, err
	}
	if r.store && s.HasStorage() {
		if err := s.store(ctx, r, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reserveBytes takes the texts' bytes from the in-flight budget
// (Config.MaxInflightBytes) until release is called: over the budget the
// request is shed (an engine.OverloadError, reason ShedInflightBytes);
// larger than the whole budget, it is too large (ErrTooLarge).
func (s *Service) reserveBytes(texts []string) (release func(), err error) {
	budget := s.cfg.MaxInflightBytes
	switch {
	case budget < 0:
		return func() {}, nil
	case budget == 0:
		budget = DefaultMaxInflightBytes
	}
	var n int64
	for _, t := range texts {
		n += int64(len(t))
	}
	if n > budget {
		return nil, fmt.Errorf("%w: %d bytes of text in one request, over the in-flight budget of %d bytes (--max-inflight-bytes)", ErrTooLarge, n, budget)
	}
	if used := s.inflightBytes.Add(n); used > budget {
		s.inflightBytes.Add(-n)
		return nil, &engine.OverloadError{Reason: ShedInflightBytes, Detail: fmt.Sprintf(
			"overloaded: %d bytes of text are being analysed, %d more would pass the in-flight budget of %d bytes (retry later)", used-n, n, budget)}
	}
	return func() {
		if s.inflightBytes.Add(-n) == 0 && n >= freeAfterBytes {
			s.freeMemory()
		}
	}, nil
}

// freeAfterBytes is the size of request after which, once nothing is in
// flight, the Service hands the Go heap it no longer uses back to the OS
// (at most every freeEvery): a large request's garbage would otherwise keep
// RSS near its peak for minutes.
const (
	freeAfterBytes = 1 << 20
	freeEvery      = 10 * time.Second
)

func (s *Service) freeMemory() {
	now := time.Now().UnixNano()
	last := s.lastFree.Load()
	if now-last < int64(freeEvery) || !s.lastFree.CompareAndSwap(last, now) {
		return
	}
	go debug.FreeOSMemory()
}

// compute fills out[i] for every task not already filled from storage; the
// two tasks run concurrently, each as one engine batch.
func (s *Service) compute(ctx context.Context, r request, out []DocumentResult, have func(i int, t engine.Task) bool) error {
	var wg sync.WaitGroup
	errs := make([]error, len(r.tasks))
	for k, task := range r.tasks {
		var idx []int
		var texts []string
		for i, t := range r.texts {
			if !have(i, task) {
				idx = append(idx, i)
				texts = append(texts, t)
			}
		}
		if len(texts) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch task {
			case engine.TaskSentiment:
				var res []engine.Sentiment
				var err error
				if len(texts) == 1 {
					var one engine.Sentiment
					one, err = s.eng.Sentiment(ctx, texts[0], r.opts)
					res = []engine.Sentiment{one}
				} else {
					res, err = s.eng.SentimentBatch(ctx, texts, r.opts)
				}
				if err != nil {
					errs[k] = fmt.Errorf("sentiment: %w", err)
					return
				}
				for j, i := range idx {
					out[i].setSentiment(res[j])
				}
			case engine.TaskEntities:
				var res []engine.Entities
				var err error
				if len(texts) == 1 {
					var one engine.Entities
					one, err = s.eng.Entities(ctx, texts[0], r.opts)
					res = []engine.Entities{one}
				} else {
					res, err = s.eng.EntitiesBatch(ctx, texts, r.opts)
				}
				if err != nil {
					errs[k] = fmt.Errorf("entities: %w", err)
					return
				}
				for j, i := range idx {
					out[i].setEntities(res[j])
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Service) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Models lists the active models and the models that can be activated.
func (s *Service) Models() ModelsResponse {
	list, problems := s.availableModels()
	return ModelsResponse{Active: s.ActiveModels(), Available: list, Problems: problems,
		ModelsDir: s.cfg.ModelsDir, HFCache: s.cfg.HFCache, Runtime: s.eng.Runtime()}
}

// ActiveModels lists the model of each task that is ready.
func (s *Service) ActiveModels() []engine.ModelInfo { return nonNil(s.eng.Models()) }

// MaxTextBytes is the largest text the Service accepts, in bytes
// (Config.MaxTextBytes after defaults).
func (s *Service) MaxTextBytes() int { return s.cfg.MaxTextBytes }

// Settings returns the engine's live settings.
func (s *Service) Settings() Settings {
	t := s.eng.Tuning()
	out := Settings{MaxBatchSize: t.MaxBatchSize, MaxDelayUS: t.MaxDelay.Microseconds(), TokenBudget: t.TokenBudget, CacheEntries: t.CacheEntries,
		P99TargetMS: map[engine.Task]float64{}}
	if t, ok := s.eng.(targeter); ok {
		for task, d := range t.LatencyTargets() {
			out.P99TargetMS[task] = float64(d) / 1e6
		}
	}
	return out
}

// SetSettings applies new engine settings without restart and returns them.
func (s *Service) SetSettings(in Settings) (Settings, error) {
	switch {
	case in.MaxBatchSize < 1 || in.MaxBatchSize > 4096:
		return Settings{}, fmt.Errorf("%w: max_batch_size %d: want 1..4096", ErrBadRequest, in.MaxBatchSize)
	case in.MaxDelayUS < 0 || in.MaxDelayUS > 1_000_000:
		return Settings{}, fmt.Errorf("%w: max_delay_us %d: want 0..1000000", ErrBadRequest, in.MaxDelayUS)
	case in.TokenBudget < 1:
		return Settings{}, fmt.Errorf("%w: token_budget %d: want ≥ 1", ErrBadRequest, in.TokenBudget)
	}
	for task, ms := range in.P99TargetMS {
		if task != engine.TaskSentiment && task != engine.TaskEntities {
			return Settings{}, fmt.Errorf("%w: p99_target_ms: unknown task %q", ErrBadRequest, task)
		}
		if ms != 0 && (ms < 1 || ms > 60_000) {
			return Settings{}, fmt.Errorf("%w: p99_target_ms.%s %v: want 0 (off) or 1..60000", ErrBadRequest, task, ms)
		}
	}
	for task, ms := range in.P99TargetMS {
		if err := s.setLatencyTarget(task, time.Duration(ms*1e6)); err != nil {
			return Settings{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
	}
	err := s.eng.SetTuning(engine.Tuning{
		MaxBatchSize: in.MaxBatchSize,
		MaxDelay:     time.Duration(in.MaxDelayUS) * time.Microsecond,
		TokenBudget:  in.TokenBudget,
		CacheEntries: in.CacheEntries,
	})
	if err != nil {
		return Settings{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return s.Settings(), nil
}
