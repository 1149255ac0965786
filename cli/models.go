package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/nlpscope/nlpscope/app/catalog"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/cudalibs"
	hfhub "github.com/nlpscope/nlpscope/engine/hub"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/models"
)

const modelsUsage = `usage: nlpscope models <command> [flags]

commands:
  list                       embedded models, the models folder and the Hugging Face cache
  info MODEL                 task, labels, inputs/outputs, size, sha256, opset, quantization
  pull ORG/NAME[@REVISION]   download config.json, tokenizer.json and the ONNX weights
  rm MODEL                   remove a downloaded model (models folder or Hugging Face cache)
  quantize MODEL             write model_int8.onnx (INT8 dynamic quantization) and compare it
  compare MODEL              compare two ONNX files or two providers of one model

MODEL is a folder path, a folder name under the models folder (it shadows an
embedded model of the same name), an embedded model (sentiment, ner, or
embedded:NAME), or ORG/NAME[@REVISION] from the Hugging Face cache.
Common flags: --models-dir DIR, --hf-cache DIR, --ort-lib PATH, --json.
Environment: NLPSCOPE_MODELS_DIR, HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE.`

// cmdModels lists, inspects, pulls, removes, quantizes and compares models.
func cmdModels(ctx context.Context, std Stdio, args []string) error {
	if len(args) == 0 {
		return withUsage("\n"+modelsUsage, "which command?")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(std.Out, modelsUsage)
		return nil
	}
	sub := map[string]func(context.Context, Stdio, *modelsEnv, []string) error{
		"list": modelsList, "ls": modelsList, "info": modelsInfo, "pull": modelsPull,
		"rm": modelsRemove, "quantize": modelsQuantize, "compare": modelsCompare,
	}[args[0]]
	if sub == nil {
		return usagef("unknown command %q (want list, info, pull, rm, quantize or compare); run 'nlpscope models --help' for the commands", args[0])
	}
	return inSub(args[0], sub(ctx, std, &modelsEnv{name: args[0]}, args[1:]))
}

// modelsEnv holds the flags every models sub-command shares.
type modelsEnv struct {
	name      string
	modelsDir string
	hfCache   string
	ortLib    string
	json      bool
}

func (m *modelsEnv) flags(std Stdio) *flag.FlagSet {
	fset := flag.NewFlagSet("models "+m.name, flag.ContinueOnError)
	fset.SetOutput(std.Err)
	fset.StringVar(&m.modelsDir, "models-dir", "", "models `dir` (default $NLPSCOPE_MODELS_DIR or the user data dir nlpscope/models)")
	fset.StringVar(&m.hfCache, "hf-cache", "", "Hugging Face hub cache `dir` (default $HF_HUB_CACHE or $HF_HOME/hub)")
	fset.StringVar(&m.ortLib, "ort-lib", "", "ONNX Runtime shared library `path`")
	fset.BoolVar(&m.json, "json", false, "print JSON")
	return fset
}

// parse parses flags and positional arguments in any order and checks that
// there are n positional arguments; usage is the line a mistake prints.
func (m *modelsEnv) parse(fset *flag.FlagSet, args []string, n int, usage string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fset, args); err != nil {
			return nil, err
		}
		args = fset.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if m.modelsDir == "" {
		m.modelsDir = DefaultModelsDir()
	}
	if m.hfCache == "" {
		m.hfCache = hfhub.DefaultCacheDir()
	}
	if m.ortLib != "" {
		// InspectModel and every engine of this process resolve the library
		// through the same lookup; the flag goes first in it.
		abs, _ := filepath.Abs(m.ortLib)
		os.Setenv("NLPSCOPE_ORT_LIB", abs)
	}
	switch {
	case len(pos) < n:
		return nil, withUsage(usage, "missing argument")
	case len(pos) > n:
		return nil, withUsage(usage, "unexpected argument %q", pos[n])
	}
	return pos, nil
}

// DefaultModelsDir is the models folder every command searches unless told
// otherwise (catalog.DefaultModelsDir).
func DefaultModelsDir() string { return catalog.DefaultModelsDir() }

// embeddedModels is the default models' file system.
func embeddedModels() fs.FS {
	if app.EmbeddedModels() != nil {
		return app.EmbeddedModels()
	}
	return models.FS
}

// catalog is the model catalog over the embedded models, the models folder
// and the Hugging Face cache these flags name: the one the Service uses.
func (m *modelsEnv) catalog() *catalog.Catalog {
	return catalog.New(catalog.Config{Embedded: embeddedModels(), ModelsDir: m.modelsDir, HFCache: m.hfCache})
}

// modelRef is one model of the catalog and an ONNX file inside it ("" =
// not chosen yet).
type modelRef struct {
	Name   string `json:"name"`
	Source string `json:"source"` // embedded, models-dir, hf-cache, path
	Dir    string `json:"dir"`    // the folder; inside the embedded file system for an embedded model
	ONNX   string `json:"onnx"`   // relative to Dir
	embed  bool
	model  catalog.Model // zero for a modelRef made by hand (a folder on disk)
}

func refOf(m catalog.Model, file string) modelRef {
	name := m.Name
	if m.Source == catalog.SourceHFCache {
		name = m.Ref
	}
	return modelRef{Name: name, Source: string(m.Source), Dir: m.Root(), ONNX: file, embed: m.Embedded(), model: m}
}

func (r modelRef) src() engine.ModelSource {
	if r.model.Root() != "" {
		return catalog.Choice{Model: r.model, Variant: catalog.Variant{File: r.ONNX}}.Source()
	}
	return engine.ModelSource{Name: r.Name, Dir: r.Dir, ONNXFile: r.ONNX}
}

func (r modelRef) readONNX() ([]byte, error) {
	if r.model.Root() != "" {
		return r.model.ReadFile(r.ONNX)
	}
	return os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(r.ONNX)))
}

// variants lists the ONNX files of the model (the default first).
func (r modelRef) variants() []string {
	var out []string
	for _, v := range r.model.Variants {
		out = append(out, v.File)
	}
	return out
}

// discover returns every model variant of the catalog: embedded folders,
// sub-folders of the models dir, and Hugging Face cache snapshots. A folder
// with no ONNX file is reported in errs.
func (m *modelsEnv) discover() ([]modelRef, []error) {
	list, errs := m.catalog().List()
	var out []modelRef
	for _, mod := range list {
		if len(mod.Variants) == 0 {
			errs = append(errs, fmt.Errorf("%s: %s", mod.Dir, mod.Error))
			continue
		}
		for _, v := range mod.Variants {
			out = append(out, refOf(mod, v.File))
		}
	}
	return out, errs
}

// errNoModel is returned when a MODEL argument matches nothing.
var errNoModel = catalog.ErrNotFound

// resolve turns a MODEL argument (a catalog reference, with an optional
// #FILE) into its model; ONNX is the #FILE, else "".
func (m *modelsEnv) resolve(arg string) (modelRef, error) {
	cat := m.catalog()
	if strings.Contains(arg, "#") {
		if ch, err := cat.Resolve(arg, ""); err == nil {
			return refOf(ch.Model, ch.Variant.File), nil
		} else if _, err2 := cat.Model(arg); err2 != nil {
			return modelRef{}, err
		}
	}
	mod, err := cat.Model(arg)
	if err != nil {
		return modelRef{}, err
	}
	return refOf(mod, ""), nil
}

// ModelDetails is what list and info print for one model variant.
type ModelDetails struct {
	engine.ModelInfo
	Source      string            `json:"source"`
	ONNXFile    string            `json:"onnx_file"`
	Opset       int64             `json:"opset,omitempty"`
	IRVersion   int64             `json:"ir_version,omitempty"`
	Producer    string            `json:"producer,omitempty"`
	QuantScheme string            `json:"quant_scheme,omitempty"`
	QuantTarget quantize.Target   `json:"quant_target,omitempty"` // the CPU kind an INT8 file was made for, when recorded
	Weights     *quantize.Weights `json:"int_weights,omitempty"`  // integer weights of an INT8 file
	Ops         map[string]int    `json:"ops,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Error       string            `json:"error,omitempty"`
}

// details inspects one variant through the engine (validation included) and
// the ONNX protobuf (opset, ops, quantization).
func details(r modelRef, provider string) ModelDetails {
	d := ModelDetails{Source: r.Source, ONNXFile: r.ONNX}
	d.Name, d.Dir = r.Name, r.Dir
	if r.embed {
		d.Dir = app.EmbeddedPrefix + r.Dir
	}
	info, err := engine.InspectModel(r.src())
	if err != nil {
		d.Error = err.Error()
	} else {
		d.ModelInfo = info
		d.Name, d.Source, d.ONNXFile = r.Name, r.Source, r.ONNX
		if d.ONNXFile == "" {
			d.ONNXFile = "model.onnx"
		}
	}
	d.Provider = provider
	if b, err := r.readONNX(); err == nil {
		if qi, err := quantize.Inspect(b); err == nil {
			d.Opset, d.IRVersion, d.Producer, d.Ops, d.Metadata = qi.Opset, qi.IRVersion, qi.Producer, qi.Ops, qi.Metadata
			d.QuantScheme, d.QuantTarget = qi.QuantScheme, qi.Target
			d.Quantized = d.Quantized || qi.Quantized
			if qi.Weights.Tensors > 0 {
				w := qi.Weights
				d.Weights = &w
			}
		} else if d.Error == "" {
			d.Error = err.Error()
		}
	}
	return d
}

// providerFor says which execution provider a model would run on: cuda only
// when asked for and the CUDA libraries are all present.
func providerFor(want string) (string, string) {
	if want != "cuda" {
		return "cpu", ""
	}
	if err := cudalibs.Find(cudalibs.DefaultConfig()).Err(); err != nil {
		return "cpu", err.Error()
	}
	return "cuda", ""
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func printJSON(std Stdio, v any) error {
	enc := json.NewEncoder(std.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
