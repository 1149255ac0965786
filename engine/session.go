package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nlpscope/nlpscope/engine/cudalibs"
)

// sessionConfig is what a session needs from the engine's Config.
type sessionConfig struct {
	provider          string
	allowCPUFallback  bool
	intraOpThreads    int
	interOpThreads    int
	optimizedModelDir string
	ortVersion        string
	ortLib            string
	spin              bool
}

// newSessionOptions builds options for provider ("cpu" or "cuda").
func newSessionOptions(sc sessionConfig, provider string) (*ort.SessionOptions, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	fail := func(err error) (*ort.SessionOptions, error) {
		opts.Destroy()
		return nil, err
	}
	if err := opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll); err != nil {
		return fail(fmt.Errorf("graph optimization level: %w", err))
	}
	intra := sc.intraOpThreads
	if intra <= 0 {
		intra = runtime.NumCPU()
	}
	inter := sc.interOpThreads
	if inter <= 0 {
		inter = 1
	}
	if err := opts.SetIntraOpNumThreads(intra); err != nil {
		return fail(fmt.Errorf("intra-op threads: %w", err))
	}
	if err := opts.SetInterOpNumThreads(inter); err != nil {
		return fail(fmt.Errorf("inter-op threads: %w", err))
	}
	if !sc.spin {
		// Idle ORT threads sleep instead of spinning: they share the cores
		// with the Go side (tokenizing, HTTP, SQLite) and other processes.
		for _, key := range []string{"session.intra_op.allow_spinning", "session.inter_op.allow_spinning"} {
			if err := opts.AddSessionConfigEntry(key, "0"); err != nil {
				return fail(fmt.Errorf("%s: %w", key, err))
			}
		}
	}
	if provider == "cuda" {
		// The provider's CUDA libraries may sit outside the loader's path
		// (Python wheels, the toolkit folder): find and preload them, or
		// name every one that is missing.
		if sc.ortLib != "" {
			if _, err := cudalibs.Prepare(sc.ortLib, cudalibs.DefaultConfig()); err != nil {
				return fail(fmt.Errorf("%w: cuda: %w", ErrProviderLoad, err))
			}
		}
		cuda, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return fail(fmt.Errorf("%w: cuda: %v", ErrProviderLoad, err))
		}
		defer cuda.Destroy()
		if err := opts.AppendExecutionProviderCUDA(cuda); err != nil {
			return fail(fmt.Errorf("%w: cuda: %v", ErrProviderLoad, err))
		}
	}
	return opts, nil
}

// probeProvider checks that provider can be appended to session options.
func probeProvider(sc sessionConfig, provider string) error {
	opts, err := newSessionOptions(sc, provider)
	if err != nil {
		return err
	}
	return opts.Destroy()
}

// optimizedPath is where the optimized graph of a model is cached.
func optimizedPath(sc sessionConfig, hash, provider string) string {
	if sc.optimizedModelDir == "" {
		return ""
	}
	ver := strings.NewReplacer("/", "_", " ", "_").Replace(sc.ortVersion)
	return filepath.Join(sc.optimizedModelDir, fmt.Sprintf("%s-ort%s-%s.onnx", hash[:16], ver, provider))
}

// createSession creates a session for the model on provider: from its file
// when it has one on disk (so external weight files resolve), else from its
// bytes. With an optimized-model folder, the optimized graph is written there
// on first load and loaded from there afterwards.
func createSession(sc sessionConfig, onnx []byte, path, hash, provider string, inputs []string) (*ort.DynamicAdvancedSession, error) {
	opts, err := newSessionOptions(sc, provider)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	outputs := []string{"logits"}
	cached := optimizedPath(sc, hash, provider)
	if cached != "" {
		if isFile(cached) {
			if err := opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err == nil {
				s, err := ort.NewDynamicAdvancedSession(cached, inputs, outputs, opts)
				if err == nil {
					return s, nil
				}
			}
			// A stale or broken cache entry: rebuild it below.
			_ = os.Remove(cached)
			_ = opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll)
		}
		if err := os.MkdirAll(sc.optimizedModelDir, 0o755); err == nil {
			tmp := fmt.Sprintf("%s.tmp-%d", cached, os.Getpid())
			if err := opts.SetOptimizedModelFilePath(tmp); err == nil {
				s, err := newSession(onnx, path, inputs, outputs, opts)
				if err != nil {
					_ = os.Remove(tmp)
					return nil, err
				}
				if err := os.Rename(tmp, cached); err != nil {
					_ = os.Remove(tmp)
				}
				return s, nil
			}
		}
	}
	return newSession(onnx, path, inputs, outputs, opts)
}

func newSession(onnx []byte, path string, inputs, outputs []string, opts *ort.SessionOptions) (*ort.DynamicAdvancedSession, error) {
	if path != "" {
		return ort.NewDynamicAdvancedSession(path, inputs, outputs, opts)
	}
	return ort.NewDynamicAdvancedSessionWithONNXData(onnx, inputs, outputs, opts)
}
