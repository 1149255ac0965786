package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/models"
)

// defaultModels is the embedded default models' file system, with one folder
// per model.
var defaultModels fs.FS = models.FS

// defaultModelName names the embedded model of each task.
var defaultModelName = map[engine.Task]string{engine.TaskSentiment: models.Sentiment, engine.TaskEntities: models.NER}

// EmbeddedPrefix marks a model inside the binary: "embedded:<name>".
const EmbeddedPrefix = "embedded:"

// EmbeddedModels returns the embedded default models' file system, one
// folder per model; nil in a build without them.
func EmbeddedModels() fs.FS { return defaultModels }

// DefaultModelName names the embedded model of task (its folder in
// EmbeddedModels).
func DefaultModelName(task engine.Task) string { return defaultModelName[task] }

// ModelSource resolves a folder (or "embedded:<name>", or "" for the task's
// embedded default) to an engine.ModelSource.
func ModelSource(task engine.Task, dir string) (engine.ModelSource, error) {
	if dir == "" {
		dir = EmbeddedPrefix + defaultModelName[task]
	}
	if name, ok := strings.CutPrefix(dir, EmbeddedPrefix); ok {
		if defaultModels == nil {
			return engine.ModelSource{}, fmt.Errorf("%w: this build has no embedded models; pass a model folder", engine.ErrNotReady)
		}
		if _, err := fs.Stat(defaultModels, name); err != nil {
			return engine.ModelSource{}, fmt.Errorf("%w: no embedded model %q", ErrBadRequest, name)
		}
		return engine.ModelSource{Name: name, Dir: name, FS: defaultModels}, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return engine.ModelSource{}, fmt.Errorf("%w: model folder: %v", ErrBadRequest, err)
	}
	if !st.IsDir() {
		return engine.ModelSource{}, fmt.Errorf("%w: model folder %q is not a directory", ErrBadRequest, dir)
	}
	return engine.ModelSource{Name: filepath.Base(filepath.Clean(dir)), Dir: dir}, nil
}

// availableModels lists the embedded models and the model folders under
// cfg.ModelsDir (any sub-folder holding a config.json).
func (s *Service) availableModels() []ModelChoice {
	var out []ModelChoice
	if defaultModels != nil {
		entries, _ := fs.ReadDir(defaultModels, ".")
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			task, ok := detectTask(engine.ModelSource{FS: defaultModels, Dir: e.Name()})
			if !ok {
				continue
			}
			out = append(out, ModelChoice{Name: e.Name(), Dir: EmbeddedPrefix + e.Name(), Task: task})
		}
	}
	if s.cfg.ModelsDir != "" {
		entries, _ := os.ReadDir(s.cfg.ModelsDir)
		for _, e := range entries {
			dir := filepath.Join(s.cfg.ModelsDir, e.Name())
			task, ok := detectTask(engine.ModelSource{Dir: dir})
			if !ok {
				continue
			}
			out = append(out, ModelChoice{Name: e.Name(), Dir: dir, Task: task})
		}
	}
	for _, m := range []string{s.cfg.ModelSentiment, s.cfg.ModelEntities} {
		if m == "" {
			continue
		}
		if task, ok := detectTask(engine.ModelSource{Dir: m}); ok {
			out = append(out, ModelChoice{Name: filepath.Base(filepath.Clean(m)), Dir: m, Task: task})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return dedupe(out)
}

func dedupe(in []ModelChoice) []ModelChoice {
	out := in[:0]
	for i, m := range in {
		if i > 0 && in[i-1].Dir == m.Dir {
			continue
		}
		out = append(out, m)
	}
	return out
}

// detectTask is engine.DetectTask for the catalog: ok is false when the
// folder has no readable config.json (not a model); a config.json that is
// not JSON still lists the folder, with no task.
func detectTask(src engine.ModelSource) (task string, ok bool) {
	t, err := engine.DetectTask(src)
	if err != nil && !errors.Is(err, engine.ErrBadModel) {
		return "", false
	}
	return string(t), true
}
