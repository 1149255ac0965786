package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/cudalibs"
	hfhub "github.com/nlpscope/nlpscope/engine/hub"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/models"
)

// QuantizedFile is the file `models quantize` writes next to the fp32 model.
const QuantizedFile = "model_int8.onnx"

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
func cmdModels(ctx context.Context, std Stdio, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(std.Out, modelsUsage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	sub := map[string]func(context.Context, Stdio, *modelsEnv, []string) int{
		"list": modelsList, "ls": modelsList, "info": modelsInfo, "pull": modelsPull,
		"rm": modelsRemove, "quantize": modelsQuantize, "compare": modelsCompare,
	}[args[0]]
	if sub == nil {
		fmt.Fprintf(std.Err, "nlpscope models: unknown command %q\n\n%s\n", args[0], modelsUsage)
		return ExitUsage
	}
	return sub(ctx, std, &modelsEnv{name: args[0]}, args[1:])
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

// parse parses flags and positional arguments in any order.
func (m *modelsEnv) parse(std Stdio, fset *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, false
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
	return pos, true
}

// DefaultModelsDir is $NLPSCOPE_MODELS_DIR, else $XDG_DATA_HOME/nlpscope/models
// (~/.local/share/nlpscope/models).
func DefaultModelsDir() string {
	if d := os.Getenv("NLPSCOPE_MODELS_DIR"); d != "" {
		return d
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "nlpscope", "models")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "nlpscope", "models")
}

// embeddedModels is the default models' file system.
func embeddedModels() fs.FS {
	if app.EmbeddedModels() != nil {
		return app.EmbeddedModels()
	}
	return models.FS
}

// modelRef is one model found: a folder (or embedded folder) and an ONNX
// file inside it.
type modelRef struct {
	Name   string `json:"name"`
	Source string `json:"source"` // embedded, models-dir, hf-cache, path
	Dir    string `json:"dir"`
	ONNX   string `json:"onnx"` // relative to Dir
	embed  bool
}

func (r modelRef) src() engine.ModelSource {
	if r.embed {
		return engine.ModelSource{Name: r.Name, Dir: r.Dir, FS: embeddedModels(), ONNXFile: r.ONNX}
	}
	return engine.ModelSource{Name: r.Name, Dir: r.Dir, ONNXFile: r.ONNX}
}

func (r modelRef) readONNX() ([]byte, error) {
	if r.embed {
		return fs.ReadFile(embeddedModels(), r.Dir+"/"+r.ONNX)
	}
	return os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(r.ONNX)))
}

// onnxFilesIn lists the .onnx files of a folder (root and onnx/).
func onnxFilesIn(fsys fs.FS, dir string) []string {
	var out []string
	for _, sub := range []string{"", "onnx"} {
		p := dir
		if sub != "" {
			p = dir + "/" + sub
		}
		entries, err := fs.ReadDir(fsys, p)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".onnx") {
				if sub != "" {
					out = append(out, sub+"/"+e.Name())
				} else {
					out = append(out, e.Name())
				}
			}
		}
	}
	return out
}

// discover returns every model variant: embedded folders, sub-folders of the
// models dir, and Hugging Face cache snapshots with an ONNX file.
func (m *modelsEnv) discover() ([]modelRef, []error) {
	var out []modelRef
	var errs []error
	emb := embeddedModels()
	if entries, err := fs.ReadDir(emb, "."); err == nil {
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			for _, f := range onnxFilesIn(emb, e.Name()) {
				out = append(out, modelRef{Name: e.Name(), Source: "embedded", Dir: e.Name(), ONNX: f, embed: true})
			}
		}
	}
	if entries, err := os.ReadDir(m.modelsDir); err == nil {
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			dir := filepath.Join(m.modelsDir, e.Name())
			files := onnxFilesIn(os.DirFS(dir), ".")
			if len(files) == 0 {
				errs = append(errs, fmt.Errorf("%s: no ONNX file", dir))
			}
			for _, f := range files {
				out = append(out, modelRef{Name: e.Name(), Source: "models-dir", Dir: dir, ONNX: f})
			}
		}
	} else if !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	cached, err := hfhub.ListCache(m.hfCache)
	if err != nil {
		errs = append(errs, err)
	}
	for _, c := range cached {
		name := c.Repo + "@" + c.Commit[:min(len(c.Commit), 12)]
		if len(c.Refs) > 0 {
			name = c.Repo + "@" + strings.Join(c.Refs, ",")
		}
		for _, f := range c.ONNX {
			out = append(out, modelRef{Name: name, Source: "hf-cache", Dir: c.Dir, ONNX: f})
		}
	}
	return out, errs
}

// errNoModel is returned when a MODEL argument matches nothing.
var errNoModel = errors.New("no such model")

// resolve turns a MODEL argument into the model's folder, preferring an
// explicit path, then embedded names, the models dir and the HF cache.
func (m *modelsEnv) resolve(arg string) (modelRef, error) {
	if st, err := os.Stat(arg); err == nil && st.IsDir() && (strings.ContainsRune(arg, os.PathSeparator) || arg == "." || arg == "..") {
		return modelRef{Name: filepath.Base(filepath.Clean(arg)), Source: "path", Dir: arg}, nil
	}
	if name, ok := strings.CutPrefix(arg, app.EmbeddedPrefix); ok {
		if _, err := fs.Stat(embeddedModels(), name); err != nil || strings.Contains(name, "/") {
			return modelRef{}, fmt.Errorf("%w: no embedded model %q", errNoModel, name)
		}
		return modelRef{Name: name, Source: "embedded", Dir: name, embed: true}, nil
	}
	// A folder of the models dir shadows the embedded model of the same name
	// (quantizing an embedded model makes such a copy).
	if dir := filepath.Join(m.modelsDir, arg); !strings.ContainsAny(arg, `/\`) && arg != "." && arg != ".." {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return modelRef{Name: arg, Source: "models-dir", Dir: dir}, nil
		}
	}
	if _, err := fs.Stat(embeddedModels(), arg); err == nil && !strings.Contains(arg, "/") {
		return modelRef{Name: arg, Source: "embedded", Dir: arg, embed: true}, nil
	}
	if repo, rev, err := hfhub.ParseRef(arg); err == nil && strings.Contains(repo, "/") {
		cm, err := hfhub.Resolve(m.hfCache, repo, rev)
		if err != nil {
			return modelRef{}, fmt.Errorf("%w: %s: %v (try `nlpscope models pull %s`)", errNoModel, arg, err, arg)
		}
		return modelRef{Name: repo + "@" + rev, Source: "hf-cache", Dir: cm.Dir}, nil
	}
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return modelRef{Name: filepath.Base(filepath.Clean(arg)), Source: "path", Dir: arg}, nil
	}
	return modelRef{}, fmt.Errorf("%w: %q is not a folder, an embedded model, a folder in %s, or a cached ORG/NAME", errNoModel, arg, m.modelsDir)
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
		d.Source, d.ONNXFile = r.Source, r.ONNX
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

func modelsList(ctx context.Context, std Stdio, m *modelsEnv, args []string) int {
	fset := m.flags(std)
	want := fset.String("provider", "cpu", "provider to report for each model: cpu or cuda")
	pos, ok := m.parse(std, fset, args)
	if !ok || len(pos) != 0 {
		fmt.Fprintln(std.Err, "usage: nlpscope models list [--models-dir DIR] [--hf-cache DIR] [--provider cpu|cuda] [--json]")
		return ExitUsage
	}
	refs, errs := m.discover()
	provider, note := providerFor(*want)
	out := make([]ModelDetails, 0, len(refs))
	for _, r := range refs {
		out = append(out, details(r, provider))
	}
	if m.json {
		return printJSON(std, struct {
			ModelsDir string         `json:"models_dir"`
			HFCache   string         `json:"hf_cache"`
			Models    []ModelDetails `json:"models"`
			Note      string         `json:"note,omitempty"`
		}{m.modelsDir, m.hfCache, out, note})
	}
	var warned []string
	fmt.Fprintf(std.Out, "%-34s %-10s %-9s %-16s %9s %5s %-6s %s\n", "NAME", "SOURCE", "TASK", "FILE", "SIZE", "OPSET", "QUANT", "LABELS")
	for _, d := range out {
		q := "fp32"
		if d.Quantized {
			q = "int8"
		}
		if d.Error != "" {
			fmt.Fprintf(std.Out, "%-34s %-10s BROKEN    %-16s %s\n", d.Name, d.Source, d.ONNXFile, d.Error)
			continue
		}
		if d.Warning != "" {
			q += "!"
		}
		fmt.Fprintf(std.Out, "%-34s %-10s %-9s %-16s %9s %5d %-6s %s\n", d.Name, d.Source, d.Task, d.ONNXFile,
			sizeString(d.SizeBytes), d.Opset, q, strings.Join(d.Labels, ","))
		if d.Warning != "" {
			warned = append(warned, d.Name+" "+d.ONNXFile+": "+d.Warning)
		}
	}
	fmt.Fprintf(std.Out, "\nmodels folder: %s\nHugging Face cache: %s\nprovider: %s\n", m.modelsDir, m.hfCache, provider)
	if note != "" {
		fmt.Fprintf(std.Out, "cuda unavailable: %s\n", note)
	}
	for _, w := range warned {
		fmt.Fprintf(std.Out, "warning (int8!): %s\n", w)
	}
	for _, e := range errs {
		fmt.Fprintf(std.Err, "warning: %v\n", e)
	}
	return ExitOK
}

func modelsInfo(ctx context.Context, std Stdio, m *modelsEnv, args []string) int {
	fset := m.flags(std)
	onnxFile := fset.String("onnx", "", "ONNX `file` inside the folder (default: every .onnx file)")
	want := fset.String("provider", "cpu", "provider to report: cpu or cuda")
	pos, ok := m.parse(std, fset, args)
	if !ok || len(pos) != 1 {
		fmt.Fprintln(std.Err, "usage: nlpscope models info MODEL [--onnx FILE] [--provider cpu|cuda] [--json]")
		return ExitUsage
	}
	ref, err := m.resolve(pos[0])
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models info: %v\n", err)
		return ExitFailure
	}
	files := []string{*onnxFile}
	if *onnxFile == "" {
		fsys, dir := os.DirFS(ref.Dir), "."
		if ref.embed {
			fsys, dir = embeddedModels(), ref.Dir
		}
		if files = onnxFilesIn(fsys, dir); len(files) == 0 {
			files = []string{""}
		}
	}
	provider, note := providerFor(*want)
	var out []ModelDetails
	failed := false
	for _, f := range files {
		r := ref
		r.ONNX = f
		d := details(r, provider)
		failed = failed || d.Error != ""
		out = append(out, d)
	}
	if m.json {
		printJSON(std, out)
	} else {
		for _, d := range out {
			printDetails(std.Out, d, note)
		}
	}
	if failed {
		return ExitFailure
	}
	return ExitOK
}

func printDetails(w io.Writer, d ModelDetails, note string) {
	fmt.Fprintf(w, "%s (%s)\n", d.Name, d.Source)
	fmt.Fprintf(w, "  folder     %s\n  onnx       %s\n", d.Dir, d.ONNXFile)
	if d.Error != "" {
		fmt.Fprintf(w, "  ERROR      %s\n\n", d.Error)
		return
	}
	fmt.Fprintf(w, "  task       %s\n  labels     %s\n", d.Task, strings.Join(d.Labels, ", "))
	fmt.Fprintf(w, "  size       %s (%d bytes)\n  sha256     %s\n", sizeString(d.SizeBytes), d.SizeBytes, d.Hash)
	fmt.Fprintf(w, "  opset      %d (IR %d, producer %s)\n", d.Opset, d.IRVersion, d.Producer)
	q := "no (fp32)"
	if d.Quantized {
		q = "yes"
		if d.QuantScheme != "" {
			q += ": " + d.QuantScheme
		}
	}
	if d.Weights != nil {
		kind := "int8"
		if d.Weights.Unsigned {
			kind = "uint8"
		}
		q += fmt.Sprintf("; %d %s weight tensors, %d-bit", d.Weights.Tensors, kind, d.Weights.Bits())
	}
	if d.QuantTarget != "" {
		q += "; made for " + string(d.QuantTarget)
	}
	fmt.Fprintf(w, "  quantized  %s\n  this CPU   %s\n", q, quantize.DetectHost())
	if d.Warning != "" {
		fmt.Fprintf(w, "  WARNING    %s\n", d.Warning)
	}
	fmt.Fprintf(w, "  max length %d tokens\n  provider   %s\n", d.MaxLength, d.Provider)
	if note != "" {
		fmt.Fprintf(w, "             (cuda unavailable: %s)\n", note)
	}
	for _, io := range []struct {
		name string
		ts   []engine.TensorInfo
	}{{"inputs", d.Inputs}, {"outputs", d.Outputs}} {
		for i, t := range io.ts {
			label := ""
			if i == 0 {
				label = io.name
			}
			fmt.Fprintf(w, "  %-10s %s %s %v\n", label, t.Name, t.Type, t.Shape)
		}
	}
	ops := make([]string, 0, len(d.Ops))
	for op, n := range d.Ops {
		ops = append(ops, fmt.Sprintf("%s×%d", op, n))
	}
	sort.Strings(ops)
	fmt.Fprintf(w, "  operators  %s\n\n", strings.Join(ops, " "))
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

func printJSON(std Stdio, v any) int {
	enc := json.NewEncoder(std.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(std.Err, "nlpscope models: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// pullProgress draws a one-line download progress on a terminal, at most ten
// times a second.
type pullProgress struct {
	w    io.Writer
	last time.Time
	file string
}

func (p *pullProgress) update(pr hfhub.Progress) {
	now := time.Now()
	done := pr.Total >= 0 && pr.Done >= pr.Total
	if pr.File == p.file && !done && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.file = now, pr.File
	if pr.Total > 0 {
		width := 30
		n := int(float64(width) * float64(pr.Done) / float64(pr.Total))
		fmt.Fprintf(p.w, "\r%-28.28s [%s%s] %5.1f%% %s / %s ", pr.File, strings.Repeat("=", n), strings.Repeat(" ", width-n),
			100*float64(pr.Done)/float64(pr.Total), sizeString(pr.Done), sizeString(pr.Total))
	} else {
		fmt.Fprintf(p.w, "\r%-28.28s %s ", pr.File, sizeString(pr.Done))
	}
	if done {
		fmt.Fprintln(p.w)
	}
}

func modelsPull(ctx context.Context, std Stdio, m *modelsEnv, args []string) int {
	fset := m.flags(std)
	var files multiFlag
	fset.Var(&files, "file", "repo `path` to fetch instead of the default selection (repeatable)")
	noValidate := fset.Bool("no-validate", false, "install even if the model does not load in the engine")
	pos, ok := m.parse(std, fset, args)
	if !ok || len(pos) != 1 {
		fmt.Fprintln(std.Err, "usage: nlpscope models pull ORG/NAME[@REVISION] [--file PATH]... [--hf-cache DIR] [--json]")
		return ExitUsage
	}
	repo, rev, err := hfhub.ParseRef(pos[0])
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models pull: %v\n", err)
		return ExitUsage
	}
	cfg := hfhub.Config{CacheDir: m.hfCache}
	if isTerminal(std.Err) {
		bar := &pullProgress{w: std.Err}
		cfg.OnProgress = bar.update
	}
	client, err := hfhub.New(cfg, nil)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models pull: %v\n", err)
		return ExitFailure
	}
	opts := hfhub.PullOptions{}
	if len(files) > 0 {
		opts.Files = files
	}
	if !*noValidate {
		opts.Validate = func(dir string) error {
			src := engine.ModelSource{Name: repo, Dir: dir}
			for _, f := range opts.Files {
				if strings.HasSuffix(f, ".onnx") {
					src.ONNXFile = f
					break
				}
			}
			_, err := engine.InspectModel(src)
			return err
		}
	}
	snap, err := client.Pull(ctx, repo, rev, opts)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models pull: %v\nnothing was installed.\n", err)
		return ExitFailure
	}
	if m.json {
		return printJSON(std, snap)
	}
	for _, f := range snap.Files {
		state := "cached"
		if f.Downloaded {
			state = "downloaded"
		}
		sum := f.SHA256
		if sum == "" {
			sum = "git " + f.ETag
		}
		fmt.Fprintf(std.Out, "%-10s %-28s %9s  %s\n", state, f.Path, sizeString(f.Size), sum)
	}
	fmt.Fprintf(std.Out, "%s@%s (commit %s)\n%s\n", snap.Repo, snap.Revision, snap.Commit, snap.Dir)
	return ExitOK
}

type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(s string) error { *f = append(*f, s); return nil }

func modelsRemove(ctx context.Context, std Stdio, m *modelsEnv, args []string) int {
	fset := m.flags(std)
	pos, ok := m.parse(std, fset, args)
	if !ok || len(pos) != 1 {
		fmt.Fprintln(std.Err, "usage: nlpscope models rm MODEL   (a folder name under the models dir, or ORG/NAME in the Hugging Face cache)")
		return ExitUsage
	}
	arg := pos[0]
	if _, err := fs.Stat(embeddedModels(), strings.TrimPrefix(arg, app.EmbeddedPrefix)); err == nil && !strings.Contains(arg, "/") {
		if _, err := os.Stat(filepath.Join(m.modelsDir, arg)); err != nil {
			fmt.Fprintf(std.Err, "nlpscope models rm: %s is embedded in the binary and cannot be removed\n", arg)
			return ExitFailure
		}
	}
	if !strings.ContainsAny(arg, `/\`) && arg != "." && arg != ".." {
		dir := filepath.Join(m.modelsDir, arg)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			trash := filepath.Join(m.modelsDir, ".trash-"+arg)
			os.RemoveAll(trash)
			if err := os.Rename(dir, trash); err != nil {
				fmt.Fprintf(std.Err, "nlpscope models rm: %v\n", err)
				return ExitFailure
			}
			os.RemoveAll(trash)
			fmt.Fprintf(std.Out, "removed %s\n", dir)
			return ExitOK
		}
	}
	repo, _, err := hfhub.ParseRef(arg)
	if err == nil {
		err = hfhub.RemoveRepo(m.hfCache, repo)
	}
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models rm: %s: %v\n", arg, err)
		return ExitFailure
	}
	fmt.Fprintf(std.Out, "removed %s from %s\n", repo, m.hfCache)
	return ExitOK
}

// QuantizeResult is what `models quantize` reports.
type QuantizeResult struct {
	Model   string          `json:"model"`
	Output  string          `json:"output"`
	Record  string          `json:"record"` // the quantization.json that describes Output
	Report  quantize.Report `json:"report"`
	Host    quantize.Host   `json:"host"`              // the CPU it was quantized (and compared) on
	Warning string          `json:"warning,omitempty"` // the scheme clips on this CPU
	Compare *CompareReport  `json:"compare,omitempty"`
}

// QuantizationFile is written beside the files `models quantize` makes: one
// QuantizationRecord per output file, keyed by its path in the folder.
const QuantizationFile = "quantization.json"

// QuantizationRecord says how one INT8 file was made.
type QuantizationRecord struct {
	File        string           `json:"file"`   // path inside the model folder
	Source      string           `json:"source"` // the fp32 file it was made from
	Scheme      string           `json:"scheme"`
	Target      quantize.Target  `json:"target"` // the CPU kind the scheme was chosen for
	Weights     quantize.Weights `json:"weights"`
	QuantizedOn quantize.Host    `json:"quantized_on"`
	Created     string           `json:"created"` // RFC 3339, UTC
}

// writeQuantizationRecord adds rec to dir/quantization.json (replacing an
// older record of the same file) and returns the file's path.
func writeQuantizationRecord(dir string, rec QuantizationRecord) (string, error) {
	p := filepath.Join(dir, QuantizationFile)
	recs := map[string]QuantizationRecord{}
	if b, err := os.ReadFile(p); err == nil {
		if err := json.Unmarshal(b, &recs); err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	recs[rec.File] = rec
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return "", err
	}
	return p, writeAtomic(p, append(b, '\n'))
}

// targetName is a target for people: "custom" when flags chose the scheme.
func targetName(t quantize.Target) string {
	if t == "" {
		return "custom (scheme flags)"
	}
	return string(t)
}

// schemeFor returns the options of target, or, when the user set any of the
// scheme flags (--per-channel, --asymmetric, --reduce-range, --unsigned),
// exactly the scheme those flags give; the other options come from flags as
// set. A flag-made scheme keeps the target's name only when it cannot clip
// on that target's CPUs.
func schemeFor(target quantize.Target, flags quantize.Options, fset *flag.FlagSet) quantize.Options {
	o := quantize.ForTarget(target)
	custom := false
	fset.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "per-channel", "asymmetric", "reduce-range", "unsigned":
			custom = true
		}
	})
	if custom {
		t := o.Target
		o = flags
		o.Target = t
	}
	o.Fused, o.Embeddings, o.Conv = flags.Fused, flags.Embeddings, flags.Conv
	o.MinElements, o.MinColumns = flags.MinElements, flags.MinColumns
	if o.Target.Saturates() && !o.ReduceRange && !o.Unsigned {
		// Flags made a scheme that clips on the target's CPUs: it is not
		// that target's scheme any more, and must not be recorded as one.
		o.Target = ""
	}
	return o
}

func modelsQuantize(ctx context.Context, std Stdio, m *modelsEnv, args []string) (code int) {
	fset := m.flags(std)
	var o quantize.Options
	targetFlag := fset.String("target", string(quantize.TargetPortable), "CPU `kind` the scheme is chosen for: auto (this machine: "+string(quantize.DetectHost().Target)+"), avx2, avx512, vnni, arm64 or portable (accurate on every x86 and arm64 CPU; the default, since model files get copied)")
	fset.BoolVar(&o.PerChannel, "per-channel", false, "one scale per output column instead of per tensor (overrides --target)")
	fset.BoolVar(&o.Asymmetric, "asymmetric", false, "asymmetric weights (with a zero point) (overrides --target)")
	fset.BoolVar(&o.ReduceRange, "reduce-range", false, "7-bit weights: no clipping on x86 CPUs without VNNI (overrides --target)")
	fset.BoolVar(&o.Unsigned, "unsigned", false, "uint8 weights (u8×u8 kernels: no clipping on any CPU, slower on VNNI) (overrides --target)")
	fset.BoolVar(&o.Fused, "fused", false, "write com.microsoft DynamicQuantizeMatMul nodes")
	fset.BoolVar(&o.Embeddings, "embeddings", false, "also quantize Gather embedding tables (per-row int8: much smaller, no faster)")
	fset.BoolVar(&o.Conv, "conv", false, "also quantize Conv weights (ConvInteger: smaller, but slower on ONNX Runtime's CPU)")
	fset.IntVar(&o.MinElements, "min-elements", 0, "weights with fewer values stay fp32 (0 = 1024)")
	fset.IntVar(&o.MinColumns, "min-columns", 0, "weights with fewer output columns stay fp32 (0 = 8)")
	out := fset.String("out", QuantizedFile, "output file `name`, written next to the fp32 model")
	noCompare := fset.Bool("no-compare", false, "skip the fp32 vs int8 comparison")
	cmpFlags := compareFlags(fset)
	pos, ok := m.parse(std, fset, args)
	if !ok || len(pos) != 1 || strings.ContainsAny(*out, `/\`) || !strings.HasSuffix(*out, ".onnx") {
		fmt.Fprintln(std.Err, "usage: nlpscope models quantize MODEL [--target auto|avx2|avx512|vnni|arm64|portable] [--per-channel] [--asymmetric] [--reduce-range] [--unsigned] [--fused] [--embeddings] [--conv] [--out NAME.onnx] [--no-compare] [--texts FILE | --eval JSONL] [--json]")
		return ExitUsage
	}
	target, err := quantize.ParseTarget(*targetFlag)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
		return ExitUsage
	}
	o = schemeFor(target, o, fset)
	ref, err := m.resolve(pos[0])
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
		return ExitFailure
	}
	fp32, err := engine.InspectModel(ref.src())
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
		return ExitFailure
	}
	if ref.ONNX == "" {
		ref.ONNX = "model.onnx"
		if !ref.embed {
			if _, err := os.Stat(filepath.Join(ref.Dir, "model.onnx")); err != nil {
				ref.ONNX = "onnx/model.onnx"
			}
		}
	}
	in, err := ref.readONNX()
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
		return ExitFailure
	}
	qb, rep, err := quantize.Dynamic(in, o)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %s: %v\n", ref.Name, err)
		return ExitFailure
	}
	if ref.embed {
		// The binary cannot change: the quantized model goes into a copy of
		// the folder under the models dir.
		copyRef, created, err := copyEmbedded(ref, m.modelsDir)
		if err != nil {
			fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
			return ExitFailure
		}
		ref = copyRef
		if created {
			defer func() {
				if code != ExitOK {
					os.RemoveAll(ref.Dir)
				}
			}()
		}
	}
	outRel := filepath.ToSlash(filepath.Join(filepath.Dir(ref.ONNX), *out))
	outPath := filepath.Join(ref.Dir, filepath.FromSlash(outRel))
	if err := writeAtomic(outPath, qb); err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
		return ExitFailure
	}
	defer func() {
		if code != ExitOK {
			os.Remove(outPath)
		}
	}()
	qref := ref
	qref.ONNX = outRel
	// The quantized model must load and run, not only parse.
	if err := smokeRun(ctx, qref, fp32.Task); err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: the quantized model does not run (removed): %v\n", err)
		return ExitFailure
	}
	host := quantize.DetectHost()
	res := QuantizeResult{Model: ref.Name, Output: outPath, Report: rep, Host: host,
		Warning: quantize.HostWarning(quantize.Info{Quantized: true, Target: rep.Target, Weights: rep.Weights}, host)}
	if !*noCompare {
		cr, err := compareModels(ctx, ref, qref, fp32.Task, "cpu", "cpu", cmpFlags)
		if err != nil {
			fmt.Fprintf(std.Err, "nlpscope models quantize: compare: %v\n", err)
			return ExitFailure
		}
		res.Compare = &cr
	}
	rec := QuantizationRecord{File: outRel, Source: ref.ONNX, Scheme: rep.Scheme, Target: rep.Target,
		Weights: rep.Weights, QuantizedOn: host, Created: time.Now().UTC().Format(time.RFC3339)}
	if res.Record, err = writeQuantizationRecord(ref.Dir, rec); err != nil {
		fmt.Fprintf(std.Err, "nlpscope models quantize: %v\n", err)
		return ExitFailure
	}
	if m.json {
		return printJSON(std, res)
	}
	fmt.Fprintf(std.Out, "%s: %s -> %s\n", ref.Name, ref.ONNX, outPath)
	fmt.Fprintf(std.Out, "target %s: scheme %s (%d-bit weights); %d weights quantized, %d nodes left fp32\n", targetName(rep.Target), rep.Scheme, rep.Weights.Bits(), len(rep.Quantized), len(rep.Skipped))
	fmt.Fprintf(std.Out, "this CPU: %s; recorded in %s\n", host, res.Record)
	if res.Warning != "" {
		fmt.Fprintf(std.Out, "warning: %s\n", res.Warning)
	}
	fmt.Fprintf(std.Out, "size %s -> %s (%.1f%%)\n", sizeString(rep.InputBytes), sizeString(rep.OutputBytes), 100*float64(rep.OutputBytes)/float64(rep.InputBytes))
	for _, s := range rep.Skipped {
		fmt.Fprintf(std.Out, "  fp32: %s %s: %s\n", s.Op, s.Node, s.Reason)
	}
	if res.Compare != nil {
		printCompare(std.Out, *res.Compare)
	}
	return ExitOK
}

// copyEmbedded copies an embedded model folder to modelsDir/<name>, or
// reuses a copy already there; created reports whether it made one. The
// copy appears complete or not at all.
func copyEmbedded(ref modelRef, modelsDir string) (modelRef, bool, error) {
	dst := filepath.Join(modelsDir, ref.Name)
	out := modelRef{Name: ref.Name, Source: "models-dir", Dir: dst, ONNX: ref.ONNX}
	if _, err := os.Stat(filepath.Join(dst, ref.ONNX)); err == nil {
		return out, false, nil
	}
	emb := embeddedModels()
	entries, err := fs.ReadDir(emb, ref.Dir)
	if err != nil {
		return modelRef{}, false, err
	}
	if err := os.MkdirAll(modelsDir, 0o755); err != nil {
		return modelRef{}, false, err
	}
	tmp, err := os.MkdirTemp(modelsDir, ".copy-"+ref.Name+"-*")
	if err != nil {
		return modelRef{}, false, err
	}
	defer os.RemoveAll(tmp)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(emb, ref.Dir+"/"+e.Name())
		if err != nil {
			return modelRef{}, false, err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return modelRef{}, false, err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return modelRef{}, false, fmt.Errorf("copy embedded %s: %w", ref.Name, err)
	}
	return out, true, nil
}

func writeAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// compareOpts tune a comparison.
type compareOpts struct {
	texts  *string
	eval   *string
	rounds *int
}

func compareFlags(fset *flag.FlagSet) compareOpts {
	return compareOpts{
		texts:  fset.String("texts", "", "`file` of texts, one per line, for the comparison (default: a built-in sample)"),
		eval:   fset.String("eval", "", "labelled JSONL `file` ({\"text\", \"label\"} or {\"text\", \"entities\"}): compare on it and report accuracy / entity F1"),
		rounds: fset.Int("rounds", 10, "timed rounds per batch size"),
	}
}

// evalExample is one labelled text of an --eval file (the models/testdata
// held-out format).
type evalExample struct {
	Text     string          `json:"text"`
	Label    string          `json:"label"`
	Entities []engine.Entity `json:"entities"`
}

func loadEval(path string) ([]evalExample, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []evalExample
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ex evalExample
		if err := json.Unmarshal([]byte(line), &ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		if strings.TrimSpace(ex.Text) == "" {
			return nil, fmt.Errorf("%s:%d: no text", path, i+1)
		}
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no examples", path)
	}
	return out, nil
}

// score is label accuracy (sentiment) or exact-span entity micro F1 (NER).
func score(task engine.Task, v *variantRun, gold []evalExample) float64 {
	if task != engine.TaskEntities {
		ok := 0
		for i, ex := range gold {
			if strings.EqualFold(v.sentiment[i].Label, ex.Label) {
				ok++
			}
		}
		return float64(ok) / float64(len(gold))
	}
	tp, fp, fn := 0, 0, 0
	for i, ex := range gold {
		want := map[string]bool{}
		for _, e := range ex.Entities {
			want[entityKey(e)] = true
		}
		for _, e := range v.entities[i].Entities {
			if want[entityKey(e)] {
				tp++
				delete(want, entityKey(e))
			} else {
				fp++
			}
		}
		fn += len(want)
	}
	if tp == 0 {
		return 0
	}
	p, r := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
	return 2 * p * r / (p + r)
}

// VariantStats is one side of a comparison.
type VariantStats struct {
	ONNXFile  string        `json:"onnx_file"`
	Provider  string        `json:"provider"`
	SizeBytes int64         `json:"size_bytes"`
	Batch1    time.Duration `json:"batch1_ns"`  // median latency of one text
	Batch32   time.Duration `json:"batch32_ns"` // median latency of 32 texts in one call
	TextsPerS float64       `json:"batch32_texts_per_s"`
	Note      string        `json:"note,omitempty"`
}

// Difference is one text whose result changed.
type Difference struct {
	Text string `json:"text"`
	A    string `json:"a"`
	B    string `json:"b"`
}

// CompareReport compares two variants of one model on the same texts.
type CompareReport struct {
	Model        string       `json:"model"`
	Task         engine.Task  `json:"task"`
	Texts        int          `json:"texts"`
	A            VariantStats `json:"a"`
	B            VariantStats `json:"b"`
	Agree        int          `json:"agree"`            // same label (sentiment) or same entity spans (entities)
	Agreement    float64      `json:"agreement"`        // Agree / Texts
	MaxScoreDiff float64      `json:"max_score_diff"`   // largest |score_a - score_b| over labels (or matched entities)
	Metric       string       `json:"metric,omitempty"` // with --eval: "accuracy" or "entity_f1"
	ScoreA       float64      `json:"score_a,omitempty"`
	ScoreB       float64      `json:"score_b,omitempty"`
	Differences  []Difference `json:"differences,omitempty"`
	// For an fp32 → INT8 comparison: the CPU it ran on, the largest score
	// change the INT8 file's scheme should give when nothing clips
	// (quantize.ExpectedMaxScoreDiff), and Drift, a sentence, when
	// MaxScoreDiff is beyond it.
	Host                 quantize.Host `json:"host"`
	ExpectedMaxScoreDiff float64       `json:"expected_max_score_diff,omitempty"`
	Drift                string        `json:"drift,omitempty"`
}

// sampleTexts are used when no --texts file is given: short and long,
// positive, negative and neutral, with people, places and organisations.
var sampleTexts = []string{
	"I absolutely loved this film, the acting was superb.",
	"This is the worst service I have ever experienced.",
	"The package arrived on Tuesday.",
	"Angela Merkel met Emmanuel Macron in Paris to discuss the European Union budget.",
	"The new phone from Apple is fast, but the battery life is disappointing.",
	"Barack Obama was born in Honolulu, Hawaii.",
	"Terrible food, rude staff, and we waited an hour. Never again.",
	"What a wonderful surprise, thank you so much!",
	"The meeting has been moved to 3 pm in the main conference room.",
	"Microsoft announced a partnership with OpenAI in Seattle.",
	"I'm not sure how I feel about the ending.",
	"The hotel in Rome was clean, quiet and close to the Colosseum.",
	"Shares of Tesla fell sharply after Elon Musk sold part of his stake.",
	"Absolutely dreadful. I want my money back.",
	"The report was published by the World Health Organization in Geneva.",
	"It works as described.",
	"Lionel Messi scored twice as Barcelona beat Real Madrid.",
	"Our flight from London to New York was delayed by six hours and nobody told us why.",
	"Best purchase of the year, highly recommended to everyone.",
	"The river Thames flows through Oxford and London.",
	"Customer support at Amazon resolved my issue within minutes, great job.",
	"The weather in Berlin is cloudy today.",
	"I hated every minute of it.",
	"Marie Curie worked at the University of Paris.",
	"The software update broke everything and the company refuses to help.",
	"A solid, reliable laptop for the price.",
	"Toyota will open a new factory in Kentucky next year.",
	"Meh. It was fine, nothing special.",
	"The United Nations held an emergency session in New York after the earthquake in Turkey.",
	"Fantastic concert, the band played for three hours!",
	"The instructions are confusing and the parts do not fit.",
	"Jeff Bezos founded Amazon in a garage in Bellevue, Washington.",
}

func loadTexts(path string) ([]string, error) {
	if path == "" {
		return sampleTexts, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no texts", path)
	}
	return out, nil
}

func modelsCompare(ctx context.Context, std Stdio, m *modelsEnv, args []string) int {
	fset := m.flags(std)
	a := fset.String("a", "", "first ONNX `file` in the folder (default model.onnx)")
	b := fset.String("b", "", "second ONNX `file` (default model_int8.onnx, or the first file when --provider-b differs)")
	pa := fset.String("provider-a", "cpu", "provider of the first: cpu or cuda")
	pb := fset.String("provider-b", "cpu", "provider of the second: cpu or cuda")
	cmpFlags := compareFlags(fset)
	pos, ok := m.parse(std, fset, args)
	if !ok || len(pos) != 1 {
		fmt.Fprintln(std.Err, "usage: nlpscope models compare MODEL [--a FILE] [--b FILE] [--provider-a cpu|cuda] [--provider-b cpu|cuda] [--texts FILE | --eval JSONL] [--rounds N] [--json]")
		return ExitUsage
	}
	ref, err := m.resolve(pos[0])
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models compare: %v\n", err)
		return ExitFailure
	}
	ra, rb := ref, ref
	ra.ONNX = *a
	rb.ONNX = *b
	if *b == "" {
		if *pa == *pb {
			rb.ONNX = QuantizedFile
		} else {
			rb.ONNX = *a
		}
	}
	info, err := engine.InspectModel(ra.src())
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models compare: %v\n", err)
		return ExitFailure
	}
	cr, err := compareModels(ctx, ra, rb, info.Task, *pa, *pb, cmpFlags)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope models compare: %v\n", err)
		return ExitFailure
	}
	if m.json {
		return printJSON(std, cr)
	}
	printCompare(std.Out, cr)
	return ExitOK
}

func printCompare(w io.Writer, c CompareReport) {
	what := "same label"
	if c.Task == engine.TaskEntities {
		what = "same entities"
	}
	fmt.Fprintf(w, "\n%s (%s), %d texts\n", c.Model, c.Task, c.Texts)
	fmt.Fprintf(w, "  %-22s %-5s %10s %12s %12s %12s\n", "variant", "prov", "size", "batch 1", "batch 32", "texts/s@32")
	for _, v := range []VariantStats{c.A, c.B} {
		fmt.Fprintf(w, "  %-22s %-5s %10s %12s %12s %12.0f\n", v.ONNXFile, v.Provider, sizeString(v.SizeBytes),
			v.Batch1.Round(time.Microsecond), v.Batch32.Round(time.Microsecond), v.TextsPerS)
		if v.Note != "" {
			fmt.Fprintf(w, "    note: %s\n", v.Note)
		}
	}
	fmt.Fprintf(w, "  agreement: %d/%d %s (%.1f%%), max score difference %.4f\n", c.Agree, c.Texts, what, 100*c.Agreement, c.MaxScoreDiff)
	if c.ExpectedMaxScoreDiff > 0 {
		verdict := "within"
		if c.Drift != "" {
			verdict = "BEYOND"
		}
		fmt.Fprintf(w, "  score drift: %s what the scheme should give (≤ %.2f) on this CPU, %s\n", verdict, c.ExpectedMaxScoreDiff, c.Host)
	}
	if c.Drift != "" {
		fmt.Fprintf(w, "  warning: %s\n", c.Drift)
	}
	if c.Metric != "" {
		fmt.Fprintf(w, "  %s on the labelled texts: a %.4f, b %.4f\n", c.Metric, c.ScoreA, c.ScoreB)
	}
	for _, d := range c.Differences {
		fmt.Fprintf(w, "  differs: %q\n    a: %s\n    b: %s\n", d.Text, d.A, d.B)
	}
}

// smokeRun loads a model into a fresh engine and analyses one text.
func smokeRun(ctx context.Context, r modelRef, task engine.Task) error {
	v, err := newVariant(ctx, r, task, "cpu")
	if err != nil {
		return err
	}
	defer v.e.Close()
	return v.run(ctx, sampleTexts[:1])
}

// variantRun is one variant's engine and what it computed.
type variantRun struct {
	e         *engine.Engine
	task      engine.Task
	stats     VariantStats
	sentiment []engine.Sentiment
	entities  []engine.Entities
	d1, d32   []time.Duration
}

func newVariant(ctx context.Context, r modelRef, task engine.Task, provider string) (*variantRun, error) {
	e, err := engine.New(engine.Config{
		Provider: provider,
		Tuning:   engine.Tuning{CacheEntries: -1, MaxBatchSize: 32, MaxDelay: time.Millisecond},
	}, nil)
	if err != nil {
		return nil, err
	}
	info, err := e.LoadModel(ctx, task, r.src())
	if err != nil {
		e.Close()
		return nil, err
	}
	rt := e.Runtime()
	return &variantRun{e: e, task: task, stats: VariantStats{
		ONNXFile: onnxName(r.ONNX), Provider: rt.Provider, SizeBytes: info.SizeBytes, Note: rt.Note,
	}}, nil
}

// run computes texts in one call and keeps the results.
func (v *variantRun) run(ctx context.Context, texts []string) error {
	opts := engine.Options{NoCache: true}
	var err error
	if v.task == engine.TaskEntities {
		v.entities, err = v.e.EntitiesBatch(ctx, texts, opts)
	} else {
		v.sentiment, err = v.e.SentimentBatch(ctx, texts, opts)
	}
	return err
}

// runEach computes every text in a call of its own and keeps the results.
func (v *variantRun) runEach(ctx context.Context, texts []string) error {
	sent, ents := make([]engine.Sentiment, 0, len(texts)), make([]engine.Entities, 0, len(texts))
	for _, t := range texts {
		if err := v.run(ctx, []string{t}); err != nil {
			return err
		}
		if v.task == engine.TaskEntities {
			ents = append(ents, v.entities[0])
		} else {
			sent = append(sent, v.sentiment[0])
		}
	}
	v.sentiment, v.entities = sent, ents
	return nil
}

func (v *variantRun) timed(ctx context.Context, texts []string, into *[]time.Duration) error {
	start := time.Now()
	if err := v.run(ctx, texts); err != nil {
		return err
	}
	*into = append(*into, time.Since(start))
	return nil
}

// measure times both variants in alternation (so that machine noise and
// warm-up hit both alike): per round, single texts, then a batch of 32.
func measure(ctx context.Context, vs []*variantRun, texts []string, rounds int) error {
	b32 := make([]string, 32)
	for i := range b32 {
		b32[i] = texts[i%len(texts)]
	}
	for _, v := range vs { // warm-up
		if err := v.run(ctx, b32); err != nil {
			return err
		}
	}
	for i := 0; i < rounds; i++ {
		for _, t := range texts[:min(len(texts), 8)] {
			for _, v := range vs {
				if err := v.timed(ctx, []string{t}, &v.d1); err != nil {
					return err
				}
			}
		}
		for _, v := range vs {
			if err := v.timed(ctx, b32, &v.d32); err != nil {
				return err
			}
		}
	}
	for _, v := range vs {
		v.stats.Batch1, v.stats.Batch32 = median(v.d1), median(v.d32)
		if v.stats.Batch32 > 0 {
			v.stats.TextsPerS = 32 / v.stats.Batch32.Seconds()
		}
		// The results compared are those of each text on its own: dynamic
		// quantization takes its activation range from the whole batch
		// tensor, so results computed in batches would depend on which
		// texts the batcher happened to put together, and a comparison
		// would change from run to run.
		if err := v.runEach(ctx, texts); err != nil {
			return err
		}
	}
	return nil
}

func onnxName(f string) string {
	if f == "" {
		return "model.onnx"
	}
	return f
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// compareModels runs both variants on the same texts and compares results.
func compareModels(ctx context.Context, a, b modelRef, task engine.Task, pa, pb string, o compareOpts) (_ CompareReport, err error) {
	var gold []evalExample
	var texts []string
	if *o.eval != "" {
		if gold, err = loadEval(*o.eval); err != nil {
			return CompareReport{}, err
		}
		for _, ex := range gold {
			texts = append(texts, ex.Text)
		}
	} else if texts, err = loadTexts(*o.texts); err != nil {
		return CompareReport{}, err
	}
	rounds := max(*o.rounds, 1)
	ra, err := newVariant(ctx, a, task, pa)
	if err != nil {
		return CompareReport{}, fmt.Errorf("%s on %s: %w", onnxName(a.ONNX), pa, err)
	}
	defer ra.e.Close()
	rb, err := newVariant(ctx, b, task, pb)
	if err != nil {
		return CompareReport{}, fmt.Errorf("%s on %s: %w", onnxName(b.ONNX), pb, err)
	}
	defer rb.e.Close()
	if err := measure(ctx, []*variantRun{ra, rb}, texts, rounds); err != nil {
		return CompareReport{}, err
	}
	c := CompareReport{Model: a.Name, Task: task, Texts: len(texts), A: ra.stats, B: rb.stats}
	for i, t := range texts {
		same, diff, da, db := false, 0.0, "", ""
		if task == engine.TaskEntities {
			same, diff, da, db = compareEntities(ra.entities[i].Entities, rb.entities[i].Entities)
		} else {
			sa, sb := ra.sentiment[i], rb.sentiment[i]
			same = sa.Label == sb.Label
			for j := range sa.Scores {
				if j < len(sb.Scores) {
					diff = max(diff, abs(sa.Scores[j].Score-sb.Scores[j].Score))
				}
			}
			da, db = fmt.Sprintf("%s %.3f", sa.Label, sa.Score), fmt.Sprintf("%s %.3f", sb.Label, sb.Score)
		}
		c.MaxScoreDiff = max(c.MaxScoreDiff, diff)
		if same {
			c.Agree++
		} else if len(c.Differences) < 10 {
			c.Differences = append(c.Differences, Difference{Text: t, A: da, B: db})
		}
	}
	c.Agreement = float64(c.Agree) / float64(c.Texts)
	c.Host = quantize.DetectHost()
	c.ExpectedMaxScoreDiff, c.Drift = expectedDrift(a, b, c.MaxScoreDiff, c.Host)
	if gold != nil {
		c.Metric = "accuracy"
		if task == engine.TaskEntities {
			c.Metric = "entity_f1"
		}
		c.ScoreA, c.ScoreB = score(task, ra, gold), score(task, rb, gold)
	}
	return c, nil
}

// expectedDrift returns, when b is an INT8 file and a is not, the largest
// score change b's scheme should give, and a sentence when maxDiff is beyond
// it (naming clipping when the CPU explains it).
func expectedDrift(a, b modelRef, maxDiff float64, host quantize.Host) (float64, string) {
	ab, errA := a.readONNX()
	bb, errB := b.readONNX()
	if errA != nil || errB != nil {
		return 0, ""
	}
	ia, errA := quantize.Inspect(ab)
	ib, errB := quantize.Inspect(bb)
	if errA != nil || errB != nil || ia.Quantized || !ib.Quantized || ib.Weights.Tensors == 0 {
		return 0, ""
	}
	want := quantize.ExpectedMaxScoreDiff(ib.Weights)
	if maxDiff <= want {
		return want, ""
	}
	why := "the model may not suit dynamic quantization: keep sensitive layers in fp32 (--min-columns, --min-elements) or compare on more texts"
	if w := quantize.HostWarning(ib, host); w != "" {
		why = w
	}
	return want, fmt.Sprintf("max score difference %.4f is beyond what %d-bit weights should give (≤ %.2f): %s", maxDiff, ib.Weights.Bits(), want, why)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func entityKey(e engine.Entity) string { return fmt.Sprintf("%s[%d:%d]", e.Label, e.Start, e.End) }

func compareEntities(a, b []engine.Entity) (same bool, maxDiff float64, da, db string) {
	keys := func(es []engine.Entity) []string {
		var out []string
		for _, e := range es {
			out = append(out, entityKey(e)+"="+e.Text)
		}
		return out
	}
	ka, kb := keys(a), keys(b)
	same = slices.Equal(ka, kb)
	scores := map[string]float64{}
	for _, e := range a {
		scores[entityKey(e)] = e.Score
	}
	for _, e := range b {
		if s, ok := scores[entityKey(e)]; ok {
			maxDiff = max(maxDiff, abs(s-e.Score))
		}
	}
	return same, maxDiff, strings.Join(ka, " "), strings.Join(kb, " ")
}
