package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/catalog"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/storage"
)

// engineFlags registers the flags shared by every command that builds a
// Service (serve, analyze, desktop) on fs and returns the Config they fill.
func engineFlags(fs *flag.FlagSet) *app.Config {
	c := &app.Config{}
	fs.StringVar(&c.DBPath, "db", "", "SQLite database `path` (default: the user data directory)")
	fs.StringVar(&c.ORTLib, "ort-lib", "", "ONNX Runtime shared library `path`")
	fs.StringVar(&c.Provider, "provider", "cpu", "execution provider: cpu or cuda")
	fs.IntVar(&c.IntraOpThreads, "threads", 0, "intra-op threads per session (0 = all CPUs)")
	fs.StringVar(&c.ModelSentiment, "model-sentiment", "", "sentiment `model`: a folder, NAME in the models folder, embedded:NAME or ORG/NAME[@REV] pulled into the Hugging Face cache, optionally #FILE.onnx (default: embedded)")
	fs.StringVar(&c.ModelEntities, "model-entities", "", "entities (NER) `model`, as --model-sentiment (default: embedded)")
	fs.StringVar(&c.ModelEntities, "model-ner", "", "deprecated alias of --model-entities")
	fs.StringVar(&c.Variant, "variant", "", "ONNX `variant` of the models: fp32, int8, quantized, fp16, … or a file name (`nlpscope models list` shows them; default: each model's model.onnx)")
	fs.StringVar(&c.ModelsDir, "models-dir", catalog.DefaultModelsDir(), "models `dir`: each sub-folder is a model")
	fs.StringVar(&c.HFCache, "hf-cache", catalog.DefaultHFCache(), "Hugging Face hub cache `dir` (models pull)")
	fs.IntVar(&c.Tuning.MaxBatchSize, "max-batch", 0, "max requests per batch (0 = engine default)")
	fs.DurationVar(&c.Tuning.MaxDelay, "max-delay", 0, "max wait before a batch flushes (0 = engine default)")
	fs.IntVar(&c.Tuning.TokenBudget, "token-budget", 0, "padded tokens per batch (0 = engine default)")
	fs.IntVar(&c.Tuning.CacheEntries, "cache-entries", 0, "in-memory result cache entries (0 = default, <0 = off)")
	fs.IntVar(&c.MaxTextBytes, "max-text-bytes", app.DefaultMaxTextBytes, "largest accepted text in bytes")
	return c
}

// limitFlags registers the start-up limits of the shells that take work
// from other programs (serve, desktop) on fs, into c.
func limitFlags(fs *flag.FlagSet, c *app.Config) {
	fs.Int64Var(&c.MaxInflightBytes, "max-inflight-bytes", app.DefaultMaxInflightBytes, "budget of text `bytes` analysed at once across requests: over it 429, a request larger than all of it 413 (<0 = none)")
	fs.Func("p99-target", "SLO mode: keep the p99 latency of admitted requests under this target by letting the batcher pick its batch size and delay (`50ms` for both tasks, or sentiment=50ms,entities=80ms)", func(v string) error {
		m, err := parseP99Targets(v)
		if err != nil {
			return err
		}
		c.P99Targets = m
		return nil
	})
	fs.DurationVar(&c.MaxQueueWait, "max-queue-wait", engine.DefaultMaxQueueWait, "refuse a request (429 + Retry-After) when its expected queue wait, from the engine's measured cost per batch, is longer (<0 = only a full queue refuses)")
	fs.Float64Var(&c.LoadTests.MaxRate, "loadtest-max-rate", app.DefaultLoadTestMaxRate, "highest `rate` in requests/s a load test or capacity search may ask for")
	fs.IntVar(&c.LoadTests.MaxUsers, "loadtest-max-users", app.DefaultLoadTestMaxUsers, "most closed-loop `users` a load test may ask for")
	fs.DurationVar(&c.LoadTests.MaxDuration, "loadtest-max-duration", app.DefaultLoadTestMaxDuration, "longest load test, search step or whole capacity search")
	fs.IntVar(&c.LoadTests.MaxInFlight, "loadtest-max-inflight", app.DefaultLoadTestMaxInFlight, "most concurrent requests of an open-loop load test")
}

// parseP99Targets reads "50ms" (every task) or "sentiment=50ms,entities=80ms".
func parseP99Targets(v string) (map[engine.Task]time.Duration, error) {
	out := map[engine.Task]time.Duration{}
	for _, part := range strings.Split(v, ",") {
		task, val, named := strings.Cut(strings.TrimSpace(part), "=")
		if !named {
			val = task
		}
		d, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil || d < time.Millisecond {
			return nil, fmt.Errorf("%q: want a duration of at least 1ms, e.g. 50ms", val)
		}
		if !named {
			out[engine.TaskSentiment], out[engine.TaskEntities] = d, d
			continue
		}
		switch t := engine.Task(strings.TrimSpace(task)); t {
		case engine.TaskSentiment, engine.TaskEntities:
			out[t] = d
		default:
			return nil, fmt.Errorf("unknown task %q (want sentiment or entities)", task)
		}
	}
	return out, nil
}

// parseTimeFlag reads a --from/--to value: an RFC 3339 time or YYYY-MM-DD
// ("" leaves dst as it is).
func parseTimeFlag(flag, v string, dst *time.Time) error {
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return usagef("--%s %q: want RFC 3339 time or YYYY-MM-DD", flag, v)
		}
	}
	*dst = t
	return nil
}

// openExistingDB opens the database at path for a command that reads or
// maintains one: it never creates a database, so a mistyped path is an
// error.
func openExistingDB(ctx context.Context, path string) (*storage.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s: %w", path, err)
	}
	return storage.Open(ctx, storage.Config{Path: path}, slog.New(slog.DiscardHandler))
}
