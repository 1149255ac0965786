package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures an Engine. Zero values take the defaults noted.
type Config struct {
	ORTLibPath        string // "" = FindORTLibrary("")
	Provider          string // "cpu" (default) or "cuda"
	AllowCPUFallback  bool   // with Provider "cuda": fall back to CPU (logged) instead of failing
	IntraOpThreads    int    // 0 = number of CPUs
	InterOpThreads    int    // 0 = 1
	OptimizedModelDir string // where optimized graphs are cached; "" = no cache
	Spin              bool   // let idle ORT threads spin-wait (lower latency on an otherwise idle machine)
	MaxTextBytes      int    // 0 = 1 MiB
	QueueSize         int    // sequences per model queue; 0 = 4096
	// MaxQueueWait is the longest expected queue wait (from each batcher's
	// measured cost per batch and per token) at which a request is still
	// queued; above it the request fails at once with an OverloadError.
	// 0 = DefaultMaxQueueWait; <0 = no bound (only a full queue refuses).
	MaxQueueWait time.Duration
	Tuning       Tuning           // batching and cache
	Observer     Observer         // may be nil
	Now          func() time.Time // for tests; nil = time.Now
}

// DefaultMaxQueueWait is the default Config.MaxQueueWait: with a batch's
// inference time on top, admitted requests stay near the single-text
// latency ceilings (100–200 ms).
const DefaultMaxQueueWait = 100 * time.Millisecond

// Tuning holds the settings that can change while the engine runs.
type Tuning struct {
	MaxBatchSize int           `json:"max_batch_size"` // sequences per batch; 0 = 32
	MaxDelay     time.Duration `json:"max_delay_ns"`   // longest wait for a batch to fill; 0 = 2ms
	TokenBudget  int           `json:"token_budget"`   // padded tokens per batch; 0 = 16384
	CacheEntries int           `json:"cache_entries"`  // 0 = 10000; <0 disables the cache
	// SplitOverheadTokens is what one extra ONNX Runtime run costs, in padded
	// tokens, when the batcher decides whether to split a flush into
	// sub-batches of similar length. 0 = learned from the batches run so far;
	// <0 = never split.
	SplitOverheadTokens int `json:"split_overhead_tokens"`
	// FixedDelay makes a batch always wait up to MaxDelay for company. By
	// default the batcher stops waiting once no request came for a few
	// typical inter-arrival gaps, so a lone request is barely delayed.
	FixedDelay bool `json:"fixed_delay"`
	// Stride is the number of tokens consecutive windows of a long text share
	// (entities). 0 = a quarter of the model's window.
	Stride int `json:"stride"`
}

func (t Tuning) withDefaults() Tuning {
	if t.MaxBatchSize == 0 {
		t.MaxBatchSize = 32
	}
	if t.MaxDelay == 0 {
		t.MaxDelay = 2 * time.Millisecond
	}
	if t.TokenBudget == 0 {
		t.TokenBudget = 16384
	}
	if t.CacheEntries == 0 {
		t.CacheEntries = 10000
	}
	return t
}

func (t Tuning) validate() error {
	switch {
	case t.MaxBatchSize < 0:
		return fmt.Errorf("tuning: max batch size %d is negative", t.MaxBatchSize)
	case t.MaxDelay < 0:
		return fmt.Errorf("tuning: max delay %v is negative", t.MaxDelay)
	case t.TokenBudget < 0:
		return fmt.Errorf("tuning: token budget %d is negative", t.TokenBudget)
	case t.Stride < 0:
		return fmt.Errorf("tuning: stride %d is negative", t.Stride)
	}
	return nil
}

// ModelSource names a model folder on disk (Dir) or inside an fs.FS (FS, Dir
// relative to it), in Hugging Face layout.
type ModelSource struct {
	Name     string
	Dir      string
	FS       fs.FS
	ONNXFile string // ONNX file inside the folder; "" = model.onnx, then onnx/model.onnx
}

// RuntimeInfo reports what ONNX Runtime the engine uses.
type RuntimeInfo struct {
	LibPath    string   `json:"lib_path"`
	ORTVersion string   `json:"ort_version"`
	Provider   string   `json:"provider"`       // active: "cpu" or "cuda"
	Providers  []string `json:"providers"`      // available in the library
	Note       string   `json:"note,omitempty"` // e.g. why CUDA fell back to CPU
}

// pipeline is one loaded model with its batcher.
type pipeline struct {
	info      ModelInfo
	labels    []string
	tok       tokenizer
	maxLength int
	batcher   *batcher
}

// Engine runs the pipelines. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	sc     sessionConfig
	now    func() time.Time
	tuning atomic.Pointer[Tuning]
	cache  *resultCache

	mu        sync.RWMutex
	runtime   RuntimeInfo
	pipelines map[Task]*pipeline
	targets   map[Task]time.Duration // p99 latency targets (SLO mode), kept across model loads
	closed    bool
	loadMu    sync.Mutex // serialises LoadModel
}

// New initialises ONNX Runtime. It loads no model.
func New(cfg Config, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch cfg.Provider {
	case "":
		cfg.Provider = "cpu"
	case "cpu", "cuda":
	default:
		return nil, fmt.Errorf("engine: unknown execution provider %q (want cpu or cuda)", cfg.Provider)
	}
	if cfg.MaxTextBytes == 0 {
		cfg.MaxTextBytes = DefaultMaxTextBytes
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 4096
	}
	if cfg.MaxQueueWait == 0 {
		cfg.MaxQueueWait = DefaultMaxQueueWait
	}
	if cfg.MaxTextBytes < 0 || cfg.QueueSize < 0 || cfg.IntraOpThreads < 0 || cfg.InterOpThreads < 0 {
		return nil, errors.New("engine: negative size or thread count in config")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := cfg.Tuning.withDefaults()
	if err := t.validate(); err != nil {
		return nil, err
	}
	lib := cfg.ORTLibPath
	var err error
	if lib, err = FindORTLibrary(lib); err != nil {
		return nil, err
	}
	version, err := acquireORT(lib)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg: cfg, log: log, now: cfg.Now,
		cache:     newResultCache(t.CacheEntries),
		pipelines: map[Task]*pipeline{},
		sc: sessionConfig{
			provider: cfg.Provider, allowCPUFallback: cfg.AllowCPUFallback,
			intraOpThreads: cfg.IntraOpThreads, interOpThreads: cfg.InterOpThreads,
			optimizedModelDir: cfg.OptimizedModelDir, ortVersion: version, ortLib: lib, spin: cfg.Spin,
		},
		runtime: RuntimeInfo{LibPath: lib, ORTVersion: version, Provider: cfg.Provider, Providers: availableProviders(lib)},
	}
	e.tuning.Store(&t)
	if cfg.Provider == "cuda" {
		if err := probeProvider(e.sc, "cuda"); err != nil {
			if !cfg.AllowCPUFallback {
				releaseORT()
				return nil, err
			}
			e.fallBack(err)
		}
	}
	return e, nil
}

// fallBack switches to the CPU provider after a CUDA failure. Callers hold
// e.mu or own e exclusively.
func (e *Engine) fallBack(reason error) {
	e.sc.provider = "cpu"
	e.runtime.Provider = "cpu"
	e.runtime.Note = "CUDA unavailable, using CPU: " + reason.Error()
	e.log.Warn("cuda execution provider unavailable; falling back to cpu", slog.String("reason", reason.Error()))
}

// Close stops the batchers (running the requests already queued) and
// releases ONNX Runtime. Calls after the first return nil.
func (e *Engine) Close() error {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	ps := e.pipelines
	e.pipelines = map[Task]*pipeline{}
	e.mu.Unlock()
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.batcher.close())
	}
	errs = append(errs, releaseORT())
	return errors.Join(errs...)
}

// LoadModel loads a model and makes it the active one for its task, replacing
// (and draining) the previous one. task "" takes the task the model's logits
// imply.
func (e *Engine) LoadModel(ctx context.Context, task Task, src ModelSource) (ModelInfo, error) {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	e.mu.RLock()
	closed := e.closed
	e.mu.RUnlock()
	if closed {
		return ModelInfo{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return ModelInfo{}, err
	}
	ins, err := inspect(src)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("load model: %w", err)
	}
	if task == "" {
		task = ins.io.task
	}
	if task != TaskSentiment && task != TaskEntities {
		return ModelInfo{}, fmt.Errorf("load model: unknown task %q", task)
	}
	if ins.io.task != task {
		want := 2
		if task == TaskEntities {
			want = 3
		}
		return ModelInfo{}, fmt.Errorf("load model %s for %s: %w: output \"logits\" has rank %d, want %d", ins.info.Dir, task, ErrBadModel, ins.io.logitsRank, want)
	}
	tok, err := loadTokenizer(ins.files.tokenizer)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("load model %s: %w", ins.info.Dir, err)
	}
	if err := ctx.Err(); err != nil {
		return ModelInfo{}, err
	}
	provider := e.sc.provider
	session, err := createSession(e.sc, ins.files.onnx, ins.files.onnxPath, ins.info.Hash, provider, ins.io.inputNames)
	if err != nil && provider == "cuda" && e.cfg.AllowCPUFallback {
		e.mu.Lock()
		e.fallBack(err)
		e.mu.Unlock()
		provider = "cpu"
		session, err = createSession(e.sc, ins.files.onnx, ins.files.onnxPath, ins.info.Hash, provider, ins.io.inputNames)
	}
	if err != nil {
		if provider == "cuda" {
			return ModelInfo{}, fmt.Errorf("load model %s: %w: %v", ins.info.Dir, ErrProviderLoad, err)
		}
		return ModelInfo{}, fmt.Errorf("load model %s: %w: create session: %v", ins.info.Dir, ErrBadModel, err)
	}
	info := ins.info
	info.Provider = provider
	be := &ortBackend{session: session, numLabels: len(ins.config.labels), tokens: task == TaskEntities, hasTypes: ins.io.hasTypeIDs}
	p := &pipeline{
		info: info, labels: ins.config.labels, tok: tok, maxLength: ins.config.maxLength,
		batcher: newBatcher(task, be, tok.padID(), e.cfg.QueueSize, e.cfg.MaxQueueWait, &e.tuning, e.cfg.Observer, e.now, ins.io.hasTypeIDs),
	}
	e.mu.Lock()
	old := e.pipelines[task]
	e.pipelines[task] = p
	if d := e.targets[task]; d > 0 {
		p.batcher.setTarget(d)
	}
	e.mu.Unlock()
	if old != nil {
		if err := old.batcher.close(); err != nil {
			e.log.Warn("close previous model", slog.String("model", old.info.ID), slog.String("error", err.Error()))
		}
	}
	e.log.Info("model loaded", slog.String("task", string(task)), slog.String("model", info.ID), slog.String("provider", provider))
	if info.Warning != "" {
		e.log.Warn("quantized model will drift on this CPU", slog.String("model", info.ID), slog.String("reason", info.Warning))
	}
	return info, nil
}

// Models returns the active models.
func (e *Engine) Models() []ModelInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []ModelInfo
	for _, task := range []Task{TaskSentiment, TaskEntities} {
		if p := e.pipelines[task]; p != nil {
			out = append(out, p.info)
		}
	}
	return out
}

// Ready reports whether a model is loaded for task.
func (e *Engine) Ready(task Task) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.pipelines[task] != nil
}

// Runtime reports the ONNX Runtime in use.
func (e *Engine) Runtime() RuntimeInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r := e.runtime
	r.Providers = slices.Clone(r.Providers)
	return r
}

func (e *Engine) pipeline(task Task) (*pipeline, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	p := e.pipelines[task]
	if p == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotReady, task)
	}
	return p, nil
}

// Admit tells, without queueing or reserving anything, whether a request
// of task with opts would now be refused for its expected queue wait (an
// OverloadError); callers check it before work of their own (a database
// lookup) to refuse early. Sentiment and Entities decide again for real.
// It is cheap and safe for concurrent use.
func (e *Engine) Admit(task Task, opts Options) error {
	p, err := e.pipeline(task)
	if err != nil || p.batcher.maxWait < 0 {
		return nil // the request itself reports what is wrong
	}
	if w, ok := p.batcher.expectedWait(laneOf(opts), 0, 0); ok && w > p.batcher.maxWait {
		return &OverloadError{Reason: ShedQueueWait, Wait: w, Bound: p.batcher.maxWait}
	}
	return nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := Stats{QueueDepth: map[Task]int{}, CacheHits: e.cache.hits.Load(), CacheMisses: e.cache.misses.Load(), CacheSize: e.cache.len()}
	for task, p := range e.pipelines {
		s.QueueDepth[task] = p.batcher.depth()
		if c := p.batcher.slo.Load(); c != nil {
			if s.SLO == nil {
				s.SLO = map[Task]SLOState{}
			}
			s.SLO[task] = c.snapshot()
		}
	}
	return s
}

// SetLatencyTarget puts task's batcher in SLO mode: it picks its batch size
// and delay to keep the p99 latency of admitted requests under target
// (queue wait + inference), maximises throughput within it, and has
// admission refuse what it could not serve in time (slo.go). 0 turns it
// off (the tuning's fixed values apply again). The target stays when a new
// model is loaded for task.
func (e *Engine) SetLatencyTarget(task Task, target time.Duration) error {
	if task != TaskSentiment && task != TaskEntities {
		return fmt.Errorf("engine: unknown task %q", task)
	}
	if target < 0 || (target > 0 && target < time.Millisecond) || target > time.Minute {
		return fmt.Errorf("engine: p99 target %v: want 0 (off) or 1ms..1m", target)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.targets == nil {
		e.targets = map[Task]time.Duration{}
	}
	if target == 0 {
		delete(e.targets, task)
	} else {
		e.targets[task] = target
	}
	if p := e.pipelines[task]; p != nil {
		p.batcher.setTarget(target)
	}
	return nil
}

// LatencyTargets returns the p99 targets in force, by task.
func (e *Engine) LatencyTargets() map[Task]time.Duration {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[Task]time.Duration{}
	for t, d := range e.targets {
		out[t] = d
	}
	return out
}

// Tuning returns the current tuning, defaults filled in.
func (e *Engine) Tuning() Tuning { return *e.tuning.Load() }

// SetTuning applies new batching and cache settings without restart; zero
// fields take their defaults. The batchers use them from their next batch.
func (e *Engine) SetTuning(t Tuning) error {
	t = t.withDefaults()
	if err := t.validate(); err != nil {
		return err
	}
	e.tuning.Store(&t)
	e.cache.resize(t.CacheEntries)
	return nil
}
