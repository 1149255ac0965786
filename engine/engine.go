package engine

// STUB: the engine owner replaces the bodies in this file (keep the signatures,
// or update every caller in the same commit).

import (
	"context"
	"io/fs"
	"log/slog"
	"time"
)

// Config configures an Engine. Zero values take the defaults noted.
type Config struct {
	ORTLibPath        string           // "" = FindORTLibrary("")
	Provider          string           // "cpu" (default) or "cuda"
	AllowCPUFallback  bool             // with Provider "cuda": fall back to CPU (logged) instead of failing
	IntraOpThreads    int              // 0 = number of CPUs
	InterOpThreads    int              // 0 = 1
	OptimizedModelDir string           // where optimized graphs are cached; "" = no cache
	MaxTextBytes      int              // 0 = 1 MiB
	QueueSize         int              // requests per model queue; 0 = 4096
	Tuning            Tuning           // batching and cache
	Observer          Observer         // may be nil
	Now               func() time.Time // for tests; nil = time.Now
}

// Tuning holds the settings that can change while the engine runs.
type Tuning struct {
	MaxBatchSize int           `json:"max_batch_size"` // 0 = 32
	MaxDelay     time.Duration `json:"max_delay_ns"`   // 0 = 2ms
	TokenBudget  int           `json:"token_budget"`   // padded tokens per batch; 0 = 16384
	CacheEntries int           `json:"cache_entries"`  // 0 = 10000; <0 disables the cache
}

// ModelSource names a model folder on disk (Dir) or inside an fs.FS (FS, Dir
// relative to it), in Hugging Face layout.
type ModelSource struct {
	Name string
	Dir  string
	FS   fs.FS
}

// RuntimeInfo reports what ONNX Runtime the engine uses.
type RuntimeInfo struct {
	LibPath    string   `json:"lib_path"`
	ORTVersion string   `json:"ort_version"`
	Provider   string   `json:"provider"`       // active: "cpu" or "cuda"
	Providers  []string `json:"providers"`      // available in the library
	Note       string   `json:"note,omitempty"` // e.g. why CUDA fell back to CPU
}

// Engine runs the pipelines. It is safe for concurrent use.
type Engine struct{}

// New initialises ONNX Runtime. It loads no model.
func New(cfg Config, log *slog.Logger) (*Engine, error) { return nil, ErrORTNotFound }

// FindORTLibrary resolves the ONNX Runtime shared library: flag, NLPSCOPE_ORT_LIB,
// ONNXRUNTIME_SHARED_LIBRARY_PATH, next to the executable, third_party/onnxruntime/,
// system paths.
func FindORTLibrary(flag string) (string, error) { return "", ErrORTNotFound }

// Close stops the batchers (draining queued requests) and releases ORT.
func (e *Engine) Close() error { return nil }

// LoadModel loads a model and makes it the active one for its task, replacing
// (and draining) the previous one.
func (e *Engine) LoadModel(ctx context.Context, task Task, src ModelSource) (ModelInfo, error) {
	return ModelInfo{}, ErrNotReady
}

// Models returns the active models.
func (e *Engine) Models() []ModelInfo { return nil }

// Ready reports whether a model is loaded for task.
func (e *Engine) Ready(task Task) bool { return false }

// Runtime reports the ONNX Runtime in use.
func (e *Engine) Runtime() RuntimeInfo { return RuntimeInfo{} }

// Sentiment classifies one text.
func (e *Engine) Sentiment(ctx context.Context, text string, opts Options) (Sentiment, error) {
	return Sentiment{}, ErrNotReady
}

// SentimentBatch classifies texts; all are validated first, so one bad text
// fails the call before anything is computed.
func (e *Engine) SentimentBatch(ctx context.Context, texts []string, opts Options) ([]Sentiment, error) {
	return nil, ErrNotReady
}

// Entities extracts named entities from one text.
func (e *Engine) Entities(ctx context.Context, text string, opts Options) (Entities, error) {
	return Entities{}, ErrNotReady
}

// EntitiesBatch is the batch form of Entities.
func (e *Engine) EntitiesBatch(ctx context.Context, texts []string, opts Options) ([]Entities, error) {
	return nil, ErrNotReady
}

// Analyze runs the given tasks (both when empty) on one text.
func (e *Engine) Analyze(ctx context.Context, text string, tasks []Task, opts Options) (Analysis, error) {
	return Analysis{}, ErrNotReady
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return Stats{} }

// Tuning returns the current tuning; SetTuning applies a new one without restart.
func (e *Engine) Tuning() Tuning { return Tuning{} }

// SetTuning applies new batching and cache settings without restart.
func (e *Engine) SetTuning(t Tuning) error { return nil }
