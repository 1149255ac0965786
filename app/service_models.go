package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"github.com/nlpscope/nlpscope/app/catalog"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/models"
)

// defaultModels is the embedded default models' file system, with one folder
// per model.
var defaultModels fs.FS = models.FS

// defaultModelName names the embedded model of each task.
var defaultModelName = map[engine.Task]string{engine.TaskSentiment: models.Sentiment, engine.TaskEntities: models.NER}

// EmbeddedPrefix marks a model inside the binary: "embedded:<name>".
const EmbeddedPrefix = catalog.EmbeddedPrefix

// EmbeddedModels returns the embedded default models' file system, one
// folder per model; nil in a build without them.
func EmbeddedModels() fs.FS { return defaultModels }

// DefaultModelName names the embedded model of task (its folder in
// EmbeddedModels).
func DefaultModelName(task engine.Task) string { return defaultModelName[task] }

// DefaultModelRef is the reference of task's embedded default model.
func DefaultModelRef(task engine.Task) string { return EmbeddedPrefix + defaultModelName[task] }

// NewCatalog returns the model catalog over the embedded models and the
// locations cfg names (ModelsDir, HFCache, and the configured models'
// folders). The Service, the CLI and doctor all find models through it.
func NewCatalog(cfg Config) *catalog.Catalog {
	return catalog.New(catalog.Config{
		Embedded:  defaultModels,
		ModelsDir: cfg.ModelsDir,
		HFCache:   cfg.HFCache,
		Folders:   []string{cfg.ModelSentiment, cfg.ModelEntities},
	})
}

// ModelSource resolves a model reference (catalog.Resolve: a folder,
// embedded:NAME, NAME, ORG/NAME[@REV], each with an optional #FILE; "" is
// the task's embedded default) to what the engine loads, through a catalog
// of the embedded models, folders and the default Hugging Face cache.
func ModelSource(task engine.Task, ref string) (engine.ModelSource, error) {
	cat := NewCatalog(Config{HFCache: catalog.DefaultHFCache()})
	ch, err := resolveModel(cat, task, ref, "")
	if err != nil {
		return engine.ModelSource{}, err
	}
	return ch.Source(), nil
}

// resolveModel resolves ref (or task's default when "") and variant in cat;
// errors name what exists and wrap ErrBadRequest.
func resolveModel(cat *catalog.Catalog, task engine.Task, ref, variant string) (catalog.Choice, error) {
	if ref == "" {
		if defaultModels == nil {
			return catalog.Choice{}, fmt.Errorf("%w: this build has no embedded models; pass a model", engine.ErrNotReady)
		}
		ref = DefaultModelRef(task)
	}
	ch, err := cat.Resolve(ref, variant)
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) || errors.Is(err, catalog.ErrBadRef) {
			return catalog.Choice{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		return catalog.Choice{}, err
	}
	if ch.Variant.Error != "" {
		return catalog.Choice{}, fmt.Errorf("%w: %s: %s", ErrBadRequest, ch.Ref(), ch.Variant.Error)
	}
	return ch, nil
}

// Catalog returns the Service's model catalog.
func (s *Service) Catalog() *catalog.Catalog { return s.cat }

// availableModels lists the catalog: embedded models, the models folder,
// the Hugging Face cache and the configured folders, each with its
// variants. Locations that could not be read go to problems.
func (s *Service) availableModels() (list []catalog.Model, problems []string) {
	list, errs := s.cat.List()
	for _, err := range errs {
		problems = append(problems, err.Error())
	}
	if list == nil {
		list = []catalog.Model{}
	}
	return list, problems
}

// ErrModelNotOffered is returned by SetActiveModel for a model that the
// catalog does not list (a folder not named at start-up, say).
var ErrModelNotOffered = errors.New("model is not in the catalog")

// SetActiveModel loads a model from the catalog and makes it the active one
// for its task; the previous model finishes its queued requests first. Only
// models the catalog lists are accepted: embedded, the models folder, the
// Hugging Face cache and the folders configured at start-up, so that no
// caller can point the Service at an arbitrary folder.
func (s *Service) SetActiveModel(ctx context.Context, req SetModelRequest) (engine.ModelInfo, error) {
	task, err := ParseTasks([]engine.Task{req.Task})
	if err != nil || len(task) != 1 {
		return engine.ModelInfo{}, fmt.Errorf("%w: task %q (want sentiment or entities)", ErrBadRequest, req.Task)
	}
	ref := req.Ref
	if ref == "" {
		ref = req.Dir
	}
	if ref == "" {
		return engine.ModelInfo{}, fmt.Errorf("%w: ref is required (a model of GET /v1/models)", ErrBadRequest)
	}
	ch, err := resolveModel(s.cat, task[0], ref, req.Variant)
	if err != nil {
		return engine.ModelInfo{}, err
	}
	if !s.cat.Offers(ch.Model) {
		return engine.ModelInfo{}, fmt.Errorf("%w: %w: %s (models come from the models folder, the Hugging Face cache, the embedded ones and the folders given at start-up)", ErrBadRequest, ErrModelNotOffered, ref)
	}
	if ch.Model.Task != "" && ch.Model.Task != task[0] {
		return engine.ModelInfo{}, fmt.Errorf("%w: %s is a %s model, not %s", ErrBadRequest, ch.Ref(), ch.Model.Task, task[0])
	}
	src := ch.Source()
	if req.Name != "" {
		src.Name = req.Name
	}
	info, err := s.eng.LoadModel(ctx, task[0], src)
	if err != nil {
		return engine.ModelInfo{}, err
	}
	s.mu.Lock()
	s.problems = slices.DeleteFunc(s.problems, func(p string) bool { return strings.HasPrefix(p, string(task[0])+":") })
	s.mu.Unlock()
	s.log.Info("model activated", slog.String("task", string(task[0])), slog.String("ref", ch.Ref()), slog.String("id", info.ID))
	return info, nil
}
