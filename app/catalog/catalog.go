// Package catalog finds the models nlpscope can load, in one place for every
// shell: the models embedded in the binary, the folders of the models
// directory, the Hugging Face cache that `nlpscope models pull` fills, and
// folders named explicitly. Each model is a folder in Hugging Face layout
// whose ONNX files are its variants: model.onnx, model_int8.onnx (what
// `nlpscope models quantize` writes), onnx/model_quantized.onnx as in
// Xenova-style repos, model_fp16.onnx, …
//
// A model is named by a reference (Resolve):
//
//	./dir, /abs/dir       a folder
//	embedded:NAME         a model inside the binary
//	NAME                  a folder of the models directory, else an embedded model
//	ORG/NAME[@REVISION]   a snapshot in the Hugging Face cache (revision: branch, tag or commit; default main)
//
// and any of them followed by #FILE picks the ONNX file FILE of the folder
// (sentiment#model_int8.onnx, acme/bert@main#onnx/model_quantized.onnx).
//
// The catalog only reads: it validates names and files, not whether ONNX
// Runtime can run a model (engine.InspectModel does that).
package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/hub"
	"github.com/nlpscope/nlpscope/engine/quantize"
)

// Source says where a model was found.
type Source string

// Where models are found.
const (
	SourceEmbedded  Source = "embedded"   // inside the binary
	SourceModelsDir Source = "models-dir" // a sub-folder of Config.ModelsDir
	SourceHFCache   Source = "hf-cache"   // a snapshot in the Hugging Face cache
	SourcePath      Source = "path"       // a folder named by its path
)

// Values lists every Source.
func (Source) Values() []Source {
	return []Source{SourceEmbedded, SourceModelsDir, SourceHFCache, SourcePath}
}

// EmbeddedPrefix marks a model inside the binary: "embedded:<name>".
const EmbeddedPrefix = "embedded:"

// Errors of Resolve; both mean the caller named something wrong.
var (
	ErrNotFound = errors.New("no such model")
	ErrBadRef   = errors.New("bad model reference")
)

// Config says where to look. Empty fields are not searched.
type Config struct {
	Embedded  fs.FS    // the embedded models, one folder per model
	ModelsDir string   // each sub-folder (not starting with ".") is a model
	HFCache   string   // Hugging Face hub cache (hub.DefaultCacheDir)
	Folders   []string // references listed too (e.g. --model-sentiment DIR), when they resolve
}

// Catalog finds models. It is safe for concurrent use; it remembers what
// it read of each ONNX file (keyed by path, size and modification time), so
// listing again is cheap.
type Catalog struct {
	cfg  Config
	host quantize.Host

	mu      sync.Mutex
	scanned map[string]scan
}

// scan is what one ONNX file said about itself.
type scan struct {
	info quantize.Info
	err  error
}

// New returns a catalog over cfg's locations.
func New(cfg Config) *Catalog {
	return &Catalog{cfg: cfg, host: quantize.DetectHost(), scanned: map[string]scan{}}
}

// Config returns the locations the catalog searches.
func (c *Catalog) Config() Config { return c.cfg }

// Model is one model folder and its ONNX variants.
type Model struct {
	// Ref names the model to Resolve, --model-sentiment and the API:
	// embedded:NAME, the folder's path, or ORG/NAME@REVISION.
	Ref      string      `json:"ref"`
	Name     string      `json:"name"` // folder name, or ORG/NAME
	Source   Source      `json:"source"`
	Dir      string      `json:"dir"`                // the folder; "embedded:<name>" for an embedded model
	Revision string      `json:"revision,omitempty"` // hf-cache: the branches and tags pointing at Commit, comma-separated
	Commit   string      `json:"commit,omitempty"`   // hf-cache: the snapshot's commit
	Task     engine.Task `json:"task,omitempty"`     // from config.json, when it says
	Variants []Variant   `json:"variants"`           // the default first
	Error    string      `json:"error,omitempty"`    // why the folder is not a usable model

	fsys fs.FS  // the embedded models; nil for a folder on disk
	root string // the folder in fsys, or on disk
}

// Variant is one ONNX file of a model folder.
type Variant struct {
	// Name is short and follows the file name, as transformers.js names
	// its dtypes: model.onnx is "fp32", model_X.onnx is "X" (int8,
	// quantized, fp16, …), any other file its name without .onnx; a file
	// in onnx/ whose name a root file already has is "onnx/NAME".
	Name      string          `json:"name"`
	File      string          `json:"file"` // path inside the folder, with /
	Default   bool            `json:"default"`
	SizeBytes int64           `json:"size_bytes"` // the file and its external data (FILE_data, FILE.data)
	Precision string          `json:"precision"`  // of its weights: fp32, fp16, int8 or uint8
	Quantized bool            `json:"quantized"`
	Scheme    string          `json:"scheme,omitempty"` // quantization scheme, from the file's metadata
	Target    quantize.Target `json:"target,omitempty"` // the CPU kind it was quantized for, when recorded
	// Warning says why the variant's scores drift on this CPU (an INT8 file
	// whose int8 weights clip without VNNI: quantize.HostWarning).
	Warning string `json:"warning,omitempty"`
	Error   string `json:"error,omitempty"` // not a readable ONNX file
}

// Choice is a model and the variant to load.
type Choice struct {
	Model   Model
	Variant Variant
}

// Source is what the engine loads.
func (ch Choice) Source() engine.ModelSource {
	return engine.ModelSource{Name: ch.Model.Name, Dir: ch.Model.root, FS: ch.Model.fsys, ONNXFile: ch.Variant.File}
}

// Ref names the choice: the model's reference, and #FILE unless the
// variant is the default.
func (ch Choice) Ref() string {
	if ch.Variant.Default {
		return ch.Model.Ref
	}
	return ch.Model.Ref + "#" + ch.Variant.File
}

// ReadONNX returns the variant's ONNX file.
func (ch Choice) ReadONNX() ([]byte, error) { return ch.Model.ReadFile(ch.Variant.File) }

// Embedded reports whether the model is inside the binary (it cannot be
// written to).
func (m Model) Embedded() bool { return m.fsys != nil }

// Root is the model's folder: on disk, or inside the embedded file system
// for an embedded model.
func (m Model) Root() string { return m.root }

// ReadFile reads a file of the model's folder (name with /).
func (m Model) ReadFile(name string) ([]byte, error) {
	if m.fsys != nil {
		return fs.ReadFile(m.fsys, path.Join(m.root, name))
	}
	return os.ReadFile(filepath.Join(m.root, filepath.FromSlash(name)))
}

func (m Model) stat(name string) (fs.FileInfo, error) {
	if m.fsys != nil {
		return fs.Stat(m.fsys, path.Join(m.root, name))
	}
	return os.Stat(filepath.Join(m.root, filepath.FromSlash(name)))
}

func (m Model) readDir(name string) ([]fs.DirEntry, error) {
	if m.fsys != nil {
		return fs.ReadDir(m.fsys, path.Join(m.root, name))
	}
	return os.ReadDir(filepath.Join(m.root, filepath.FromSlash(name)))
}

// Variant returns the variant named name (a Name or a File); "" is the
// default.
func (m Model) Variant(name string) (Variant, error) {
	if len(m.Variants) == 0 {
		return Variant{}, fmt.Errorf("%w: %s: %s", ErrNotFound, m.Ref, m.Error)
	}
	if name == "" {
		return m.Variants[0], nil
	}
	for _, v := range m.Variants {
		if v.Name == name || v.File == name {
			return v, nil
		}
	}
	return Variant{}, fmt.Errorf("%w: %s has no variant %q (it has %s)", ErrNotFound, m.Ref, name, m.variantList())
}

func (m Model) variantList() string {
	var s []string
	for _, v := range m.Variants {
		s = append(s, v.Name+" ("+v.File+")")
	}
	return strings.Join(s, ", ")
}

// List returns every model: the embedded ones, the models directory's
// folders, the Hugging Face cache's snapshots, then the Config.Folders not
// already listed. A model folder that is broken is listed with its Error;
// errs are locations that could not be read at all.
func (c *Catalog) List() (models []Model, errs []error) {
	if c.cfg.Embedded != nil {
		entries, err := fs.ReadDir(c.cfg.Embedded, ".")
		if err != nil {
			errs = append(errs, fmt.Errorf("embedded models: %w", err))
		}
		for _, e := range entries {
			if e.IsDir() {
				models = append(models, c.embedded(e.Name()))
			}
		}
	}
	if c.cfg.ModelsDir != "" {
		entries, err := os.ReadDir(c.cfg.ModelsDir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("models folder: %w", err))
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			dir := filepath.Join(c.cfg.ModelsDir, e.Name())
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				models = append(models, c.folder(SourceModelsDir, e.Name(), dir))
			}
		}
	}
	if c.cfg.HFCache != "" {
		cached, err := hub.ListCache(c.cfg.HFCache)
		if err != nil {
			errs = append(errs, err)
		}
		for _, cm := range cached {
			models = append(models, c.snapshot(cm))
		}
	}
	for _, ref := range c.cfg.Folders {
		if ref == "" {
			continue
		}
		m, err := c.Model(modelPart(ref))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !hasModel(models, m) {
			models = append(models, m)
		}
	}
	return models, errs
}

func hasModel(ms []Model, m Model) bool {
	for _, x := range ms {
		if x.Dir == m.Dir && x.Source == m.Source || samePath(x, m) {
			return true
		}
	}
	return false
}

// samePath reports whether two models on disk are the same folder.
func samePath(a, b Model) bool {
	if a.fsys != nil || b.fsys != nil {
		return a.fsys != nil && b.fsys != nil && a.root == b.root
	}
	pa, errA := filepath.Abs(a.root)
	pb, errB := filepath.Abs(b.root)
	return errA == nil && errB == nil && pa == pb
}

// modelPart is ref without its #FILE.
func modelPart(ref string) string {
	m, _ := splitFile(ref)
	return m
}

// splitFile splits "MODEL#FILE". A folder whose name holds "#" is taken
// whole.
func splitFile(ref string) (model, file string) {
	i := strings.LastIndex(ref, "#")
	if i < 0 {
		return ref, ""
	}
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return ref, ""
	}
	return ref[:i], ref[i+1:]
}

// Resolve finds the model and variant ref names (see the package comment).
// variant, when not "", picks a variant by Name or File; ref's #FILE does
// the same, and the two must not disagree. Errors wrap ErrNotFound or
// ErrBadRef and say what exists.
func (c *Catalog) Resolve(ref, variant string) (Choice, error) {
	mref, file := splitFile(strings.TrimSpace(ref))
	m, err := c.Model(mref)
	if err != nil {
		return Choice{}, err
	}
	if file != "" {
		if err := checkFile(file); err != nil {
			return Choice{}, err
		}
		v, err := c.file(m, file)
		if err != nil {
			return Choice{}, err
		}
		if variant != "" && variant != v.Name && variant != v.File {
			return Choice{}, fmt.Errorf("%w: %s names file %s but the variant asked for is %q", ErrBadRef, ref, file, variant)
		}
		return Choice{Model: m, Variant: v}, nil
	}
	v, err := m.Variant(variant)
	if err != nil {
		return Choice{}, err
	}
	return Choice{Model: m, Variant: v}, nil
}

// checkFile accepts a relative path to an .onnx file inside a folder.
func checkFile(file string) error {
	clean := path.Clean(file)
	if file == "" || clean != file || path.IsAbs(file) || clean == ".." || strings.HasPrefix(clean, "../") ||
		strings.Contains(file, `\`) || !strings.HasSuffix(file, ".onnx") {
		return fmt.Errorf("%w: ONNX file %q: want a relative path ending in .onnx inside the model folder, such as model_int8.onnx or onnx/model_quantized.onnx", ErrBadRef, file)
	}
	return nil
}

// file returns the variant of m in file, listed or not (a file deeper than
// onnx/).
func (c *Catalog) file(m Model, file string) (Variant, error) {
	for _, v := range m.Variants {
		if v.File == file {
			return v, nil
		}
	}
	st, err := m.stat(file)
	if err != nil || st.IsDir() {
		return Variant{}, fmt.Errorf("%w: %s has no file %s (its variants: %s)", ErrNotFound, m.Ref, file, m.variantList())
	}
	v := c.variant(m, file, st)
	v.Name = file
	return v, nil
}

// Model finds the model a reference without #FILE names.
func (c *Catalog) Model(ref string) (Model, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Model{}, fmt.Errorf("%w: no model named", ErrBadRef)
	}
	isDir := func(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }
	bare := !strings.ContainsAny(ref, `/\`) && ref != "." && ref != ".."
	if (!bare || ref == "." || ref == "..") && isDir(ref) {
		// A path wins, also over an ORG/NAME of the same spelling.
		return c.Folder(ref)
	}
	if name, ok := strings.CutPrefix(ref, EmbeddedPrefix); ok {
		if !c.hasEmbedded(name) {
			return Model{}, fmt.Errorf("%w: no embedded model %q%s", ErrNotFound, name, c.embeddedList())
		}
		return c.embedded(name), nil
	}
	if bare {
		// A folder of the models dir shadows the embedded model of the
		// same name (quantizing an embedded model makes such a copy).
		if c.cfg.ModelsDir != "" {
			if dir := filepath.Join(c.cfg.ModelsDir, ref); isDir(dir) {
				return c.folder(SourceModelsDir, ref, dir), nil
			}
		}
		if c.hasEmbedded(ref) {
			return c.embedded(ref), nil
		}
	}
	if repo, rev, err := hub.ParseRef(ref); err == nil && strings.Contains(repo, "/") {
		if c.cfg.HFCache == "" {
			return Model{}, fmt.Errorf("%w: %s: no Hugging Face cache configured", ErrNotFound, ref)
		}
		cm, err := hub.Resolve(c.cfg.HFCache, repo, rev)
		if err != nil {
			return Model{}, fmt.Errorf("%w: %s: %v (try `nlpscope models pull %s`)", ErrNotFound, ref, err, ref)
		}
		m := c.snapshot(cm)
		m.Ref = repo + "@" + rev
		return m, nil
	}
	if isDir(ref) {
		return c.Folder(ref)
	}
	where := "a folder, an embedded model"
	if c.cfg.ModelsDir != "" {
		where += ", a folder in " + c.cfg.ModelsDir
	}
	return Model{}, fmt.Errorf("%w: %q is not %s, or a cached ORG/NAME", ErrNotFound, ref, where)
}

func (c *Catalog) hasEmbedded(name string) bool {
	if c.cfg.Embedded == nil || name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return false
	}
	st, err := fs.Stat(c.cfg.Embedded, name)
	return err == nil && st.IsDir()
}

func (c *Catalog) embeddedList() string {
	if c.cfg.Embedded == nil {
		return " (this build embeds no models)"
	}
	entries, _ := fs.ReadDir(c.cfg.Embedded, ".")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return " (embedded: " + strings.Join(names, ", ") + ")"
}

// Folder reads the model in folder dir (a path).
func (c *Catalog) Folder(dir string) (Model, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Model{}, fmt.Errorf("%w: model folder %s: %v", ErrNotFound, dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return Model{}, fmt.Errorf("%w: %s is not a folder", ErrBadRef, dir)
	}
	clean := filepath.Clean(dir)
	name := filepath.Base(clean)
	if abs, err := filepath.Abs(clean); err == nil {
		name = filepath.Base(abs)
	}
	return c.folder(SourcePath, name, clean), nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (c *Catalog) embedded(name string) Model {
	m := Model{Ref: EmbeddedPrefix + name, Name: name, Source: SourceEmbedded, Dir: EmbeddedPrefix + name, fsys: c.cfg.Embedded, root: name}
	c.fill(&m)
	return m
}

func (c *Catalog) folder(src Source, name, dir string) Model {
	m := Model{Ref: dir, Name: name, Source: src, Dir: dir, root: dir}
	c.fill(&m)
	return m
}

func (c *Catalog) snapshot(cm hub.CachedModel) Model {
	refs := append([]string(nil), cm.Refs...)
	sort.SliceStable(refs, func(i, j int) bool { return refs[i] == "main" && refs[j] != "main" })
	m := Model{Name: cm.Repo, Source: SourceHFCache, Dir: cm.Dir, Commit: cm.Commit, Revision: strings.Join(refs, ","), root: cm.Dir}
	m.Ref = cm.Repo + "@" + cm.Commit
	if len(refs) > 0 {
		m.Ref = cm.Repo + "@" + refs[0]
	}
	c.fill(&m)
	return m
}

// fill reads a model folder's config.json, tokenizer.json and ONNX files.
func (c *Catalog) fill(m *Model) {
	var problems []string
	if _, err := m.stat("config.json"); err != nil {
		problems = append(problems, "config.json: "+missing(err))
	} else if t, err := engine.DetectTask(engine.ModelSource{Dir: m.root, FS: m.fsys}); err == nil {
		m.Task = t
	} else {
		problems = append(problems, "config.json: not JSON")
	}
	if _, err := m.stat("tokenizer.json"); err != nil {
		problems = append(problems, "tokenizer.json: "+missing(err))
	}
	m.Variants = c.variants(*m)
	if len(m.Variants) == 0 {
		problems = append(problems, "no ONNX file (looked in the folder and in onnx/)")
	}
	m.Error = strings.Join(problems, "; ")
}

func missing(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	return unwrapPath(err).Error()
}

// defaultFiles are the files the engine takes when none is named, in order.
var defaultFiles = []string{"model.onnx", "onnx/model.onnx"}

// variants lists the .onnx files in m's folder and its onnx/ sub-folder,
// the default first.
func (c *Catalog) variants(m Model) []Variant {
	var out []Variant
	names := map[string]bool{}
	for _, sub := range []string{"", "onnx"} {
		entries, _ := m.readDir(sub)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".onnx") {
				continue
			}
			file := path.Join(sub, e.Name())
			st, err := m.stat(file) // follows the cache's symlinks
			if err != nil || st.IsDir() {
				continue
			}
			v := c.variant(m, file, st)
			if names[v.Name] {
				v.Name = path.Join(sub, v.Name)
			}
			names[v.Name] = true
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return out
	}
	def := -1
	for _, f := range defaultFiles {
		for i, v := range out {
			if def < 0 && v.File == f {
				def = i
			}
		}
	}
	for i, v := range out {
		if def < 0 && !v.Quantized && v.Error == "" {
			def = i
		}
	}
	if def < 0 {
		def = 0
	}
	out[def].Default = true
	sort.SliceStable(out, func(i, j int) bool { return out[i].Default && !out[j].Default })
	return out
}

// variantName names file as transformers.js names dtypes (see Variant.Name).
func variantName(file string) string {
	stem := strings.TrimSuffix(path.Base(file), ".onnx")
	switch {
	case stem == "model":
		return "fp32"
	case strings.HasPrefix(stem, "model_") && len(stem) > len("model_"):
		return stem[len("model_"):]
	}
	return stem
}

// variant describes one ONNX file from its protobuf (remembered by path,
// size and modification time).
func (c *Catalog) variant(m Model, file string, st fs.FileInfo) Variant {
	v := Variant{Name: variantName(file), File: file, SizeBytes: st.Size(), Precision: "fp32"}
	for _, ext := range []string{"_data", ".data"} {
		if xs, err := m.stat(file + ext); err == nil && !xs.IsDir() {
			v.SizeBytes += xs.Size()
		}
	}
	lower := strings.ToLower(path.Base(file))
	if strings.Contains(lower, "fp16") || strings.Contains(lower, "f16") {
		v.Precision = "fp16"
	}
	key := fmt.Sprintf("%s|%s|%d|%d", m.Dir, file, st.Size(), st.ModTime().UnixNano())
	if m.fsys == nil {
		key = fmt.Sprintf("%s|%d|%d", filepath.Join(m.root, filepath.FromSlash(file)), st.Size(), st.ModTime().UnixNano())
	}
	c.mu.Lock()
	s, ok := c.scanned[key]
	c.mu.Unlock()
	if !ok {
		b, err := m.ReadFile(file)
		if err == nil {
			s.info, s.err = quantize.Inspect(b)
		} else {
			s.err = err
		}
		c.mu.Lock()
		c.scanned[key] = s
		c.mu.Unlock()
	}
	if s.err != nil {
		v.Error = "not a readable ONNX file: " + s.err.Error()
		return v
	}
	info := s.info
	if info.Quantized {
		v.Quantized, v.Scheme, v.Target = true, info.QuantScheme, info.Target
		v.Precision = "int8"
		if info.Weights.Tensors > 0 && info.Weights.Unsigned {
			v.Precision = "uint8"
		}
		v.Warning = quantize.HostWarning(info, c.host)
	}
	return v
}

// DefaultModelsDir is $NLPSCOPE_MODELS_DIR, else
// $XDG_DATA_HOME/nlpscope/models (~/.local/share/nlpscope/models): where
// `nlpscope models quantize` puts copies of embedded models, and the folder
// every command searches unless told otherwise.
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

// DefaultHFCache is the Hugging Face hub cache of this user
// ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub).
func DefaultHFCache() string { return hub.DefaultCacheDir() }

// Offers reports whether m is one of the models List returns: a model
// found through a reference that is not listed (any other folder) is not.
func (c *Catalog) Offers(m Model) bool {
	list, _ := c.List()
	return hasModel(list, m)
}
