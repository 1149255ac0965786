package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/storage"
)

// Config configures a Service. Zero values take the defaults noted; New
// validates it.
type Config struct {
	DBPath string // SQLite database; "" = storage.DefaultPath(); see NoDB
	NoDB   bool   // run without a database: nothing is stored, history is unavailable

	ORTLib         string // ONNX Runtime library; "" = engine lookup order
	Provider       string // "cpu" (default) or "cuda"
	IntraOpThreads int    // 0 = number of CPUs
	InterOpThreads int    // 0 = 1
	QueueSize      int    // engine queue per model; 0 = engine default
	// MaxQueueWait refuses (429) a request whose expected queue wait is
	// longer; 0 = engine.DefaultMaxQueueWait, <0 = no bound.
	MaxQueueWait time.Duration
	// StartNotReady keeps the Service running when the engine cannot start
	// (no ONNX Runtime library, a provider that will not load): every task
	// is then not ready and Health says why. For the long-running shells
	// (serve, the window); a command-line run fails instead.
	StartNotReady bool
	// P99Targets puts a task's batcher in SLO mode (engine.SetLatencyTarget):
	// it picks its batch size and delay to keep p99 under the target.
	P99Targets map[engine.Task]time.Duration

	// The models to load, as catalog references: a folder, embedded:NAME,
	// NAME (models folder, else embedded), ORG/NAME[@REV] (Hugging Face
	// cache), each with an optional #FILE.ONNX; "" = the embedded default.
	ModelSentiment string
	ModelEntities  string
	Variant        string        // ONNX variant of both models (catalog.Variant name or file, e.g. int8); "" = each model's default
	ModelsDir      string        // folder scanned for models (each sub-folder one model); "" = none
	HFCache        string        // Hugging Face hub cache searched for ORG/NAME models; "" = none
	Tasks          []engine.Task // tasks whose models load at start; nil = both

	Tuning engine.Tuning // batching and cache; zero fields = engine defaults

	MaxTextBytes  int // one text; 0 = 1 MiB
	MaxBatchTexts int // texts in one request; 0 = 256
	// MaxInflightBytes is the budget of text bytes being analysed at once,
	// across all requests: a request that would go over it is shed (429,
	// reason ShedInflightBytes), one larger than the whole budget is
	// refused (413). 0 = DefaultMaxInflightBytes; <0 = no budget.
	MaxInflightBytes int64

	// LoadTests bound the load tests and capacity searches started through
	// the Service (HTTP, desktop); zero fields take the defaults.
	LoadTests LoadTestLimits

	// Engine runs inference; nil = the ONNX Runtime engine the fields above
	// configure. The Service loads the models into it as into its own but
	// does not observe its stage timings (tests pass a fake).
	Engine Inferer

	Emitter Emitter          // live events to the desktop window; may be nil
	Now     func() time.Time // for tests; nil = time.Now
}

// Default limits.
const (
	DefaultMaxTextBytes  = engine.DefaultMaxTextBytes // one text, in bytes
	DefaultMaxBatchTexts = 256
	// DefaultMaxInflightBytes bounds the memory analysis takes: entity
	// extraction holds about 90 MiB per MiB of text in flight (windows,
	// logits, garbage), so 8 MiB keeps the server near 1.1 GiB at worst
	// (README, "Limits").
	DefaultMaxInflightBytes = 8 << 20
)

// ShedInflightBytes is the shed reason (engine.OverloadError.Reason) of a
// request refused because the in-flight text budget is spent.
const ShedInflightBytes = "inflight_bytes"

func (c *Config) setDefaults() error {
	if err := c.LoadTests.setDefaults(); err != nil {
		return err
	}
	if c.MaxTextBytes == 0 {
		c.MaxTextBytes = DefaultMaxTextBytes
	}
	if c.MaxBatchTexts == 0 {
		c.MaxBatchTexts = DefaultMaxBatchTexts
	}
	if c.MaxInflightBytes == 0 {
		c.MaxInflightBytes = DefaultMaxInflightBytes
	}
	if c.Provider == "" {
		c.Provider = "cpu"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.MaxTextBytes < 0:
		return errors.New("max text bytes must be positive")
	case c.MaxBatchTexts < 0:
		return errors.New("max batch texts must be positive")
	case c.Provider != "cpu" && c.Provider != "cuda":
		return fmt.Errorf("provider %q: want cpu or cuda", c.Provider)
	case c.IntraOpThreads < 0 || c.InterOpThreads < 0:
		return errors.New("thread counts must not be negative")
	}
	if !c.NoDB && c.DBPath == "" {
		p, err := storage.DefaultPath()
		if err != nil {
			return fmt.Errorf("default database path: %w (use --db)", err)
		}
		c.DBPath = p
	}
	return nil
}
