// Package cudalibs finds the CUDA libraries that ONNX Runtime's CUDA
// execution provider needs (the NVIDIA driver, the CUDA runtime, cuBLAS,
// cuRAND and cuDNN), in the places users have them: NLPSCOPE_CUDA_LIB_DIRS,
// LD_LIBRARY_PATH, $CUDA_HOME, the nvidia/*/lib folders of Python CUDA wheels
// in site-packages, and the system library folders. It reports exactly which
// library is missing and how to get it, and can preload what it found so
// that the provider loads without LD_LIBRARY_PATH.
//
// The engine calls Prepare when --provider cuda is asked for, before
// SessionOptions.AppendExecutionProviderCUDA:
//
//	rep, err := cudalibs.Prepare(ortLibPath, cudalibs.DefaultConfig())
//	if err != nil { ... fail naming err, or fall back to CPU when allowed ... }
//
// `nlpscope doctor --provider cuda` reports that error as the reason CUDA
// fell back to CPU; `nlpscope models list --provider cuda` calls Find.
package cudalibs

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Errors callers branch on with errors.Is.
var (
	ErrMissing         = errors.New("CUDA libraries missing")
	ErrProviderMissing = errors.New("ONNX Runtime CUDA provider missing (run `make setup-gpu`)")
)

// Library is one shared library the CUDA provider needs.
type Library struct {
	Component string `json:"component"` // e.g. "cuBLAS 13"
	Soname    string `json:"soname"`    // e.g. "libcublas.so.13"
	Hint      string `json:"hint"`      // how to get it
}

// Required lists what ONNX Runtime 1.29's CUDA provider (built for CUDA 13
// and cuDNN 9) loads, in load order: the provider's DT_NEEDED entries plus
// cuDNN, which it opens at run time.
var Required = []Library{
	{"NVIDIA driver", "libcuda.so.1", "install the NVIDIA driver (nvidia-smi must work)"},
	{"CUDA 13 runtime", "libcudart.so.13", "pip install nvidia-cuda-runtime (CUDA 13), or install the CUDA 13 toolkit"},
	{"cuBLAS 13", "libcublasLt.so.13", "pip install nvidia-cublas (CUDA 13), or install the CUDA 13 toolkit"},
	{"cuBLAS 13", "libcublas.so.13", "pip install nvidia-cublas (CUDA 13), or install the CUDA 13 toolkit"},
	{"cuRAND 10", "libcurand.so.10", "pip install nvidia-curand (CUDA 13), or install the CUDA 13 toolkit"},
	{"cuDNN 9", "libcudnn.so.9", "pip install nvidia-cudnn-cu13, or install cuDNN 9 for CUDA 13"},
}

// SearchDir is one folder searched, and why it was.
type SearchDir struct {
	Path   string `json:"path"`
	Source string `json:"source"` // env, LD_LIBRARY_PATH, CUDA_HOME, python wheel, system
}

// Config says where to look. DefaultConfig fills it from the environment;
// tests build their own.
type Config struct {
	ORTDir        string    // the ONNX Runtime library's folder, searched first; Prepare sets it
	EnvDirs       []string  // NLPSCOPE_CUDA_LIB_DIRS
	LDLibraryPath []string  // LD_LIBRARY_PATH
	CUDAHome      []string  // $CUDA_HOME, $CUDA_PATH, /usr/local/cuda
	SitePackages  []string  // Python site-packages folders; their nvidia/*/lib{,64} are searched
	SystemDirs    []string  // ld.so.conf folders and the usual library folders
	Libraries     []Library // nil = Required
}

// DefaultConfig reads the environment and the file system for the places to
// search. It does not run any program.
func DefaultConfig() Config {
	var c Config
	c.EnvDirs = splitList(os.Getenv("NLPSCOPE_CUDA_LIB_DIRS"))
	c.LDLibraryPath = splitList(os.Getenv("LD_LIBRARY_PATH"))
	for _, v := range []string{os.Getenv("CUDA_HOME"), os.Getenv("CUDA_PATH"), "/usr/local/cuda"} {
		if v != "" {
			c.CUDAHome = append(c.CUDAHome, v)
		}
	}
	c.SitePackages = sitePackages()
	c.SystemDirs = SystemDirs("/etc/ld.so.conf")
	return c
}

func splitList(s string) []string {
	var out []string
	for _, p := range filepath.SplitList(s) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sitePackages guesses Python's site-packages folders: the active virtual
// or conda environment, the prefix of each python3 on PATH, the user site,
// and the system ones.
func sitePackages() []string {
	var prefixes []string
	for _, v := range []string{os.Getenv("VIRTUAL_ENV"), os.Getenv("CONDA_PREFIX")} {
		if v != "" {
			prefixes = append(prefixes, v)
		}
	}
	// Virtual environments of services installed under /opt, and conda.
	venvs, _ := filepath.Glob("/opt/*/.venv")
	prefixes = append(prefixes, venvs...)
	prefixes = append(prefixes, "/opt/conda")
	for _, dir := range splitList(os.Getenv("PATH")) {
		for _, py := range []string{"python3", "python"} {
			p := filepath.Join(dir, py)
			if _, err := os.Stat(p); err == nil {
				prefixes = append(prefixes, filepath.Dir(filepath.Clean(dir)))
				if real, err := filepath.EvalSymlinks(p); err == nil {
					prefixes = append(prefixes, filepath.Dir(filepath.Dir(real)))
				}
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		prefixes = append(prefixes, filepath.Join(home, ".local"))
	}
	prefixes = append(prefixes, "/usr/local", "/usr")
	var out []string
	for _, p := range prefixes {
		for _, pat := range []string{"lib/python3*/site-packages", "lib/python3*/dist-packages", "lib64/python3*/site-packages"} {
			m, _ := filepath.Glob(filepath.Join(p, pat))
			out = append(out, m...)
		}
	}
	for _, p := range splitList(os.Getenv("PYTHONPATH")) {
		out = append(out, p)
	}
	return dedupe(out)
}

// SystemDirs reads ld.so.conf (following include lines) and appends the
// usual library folders.
func SystemDirs(conf string) []string {
	var out []string
	var read func(file string, depth int)
	read = func(file string, depth int) {
		b, err := os.ReadFile(file)
		if err != nil || depth > 4 {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" {
				continue
			}
			if pat, ok := strings.CutPrefix(line, "include "); ok {
				pat = strings.TrimSpace(pat)
				if !filepath.IsAbs(pat) {
					pat = filepath.Join(filepath.Dir(file), pat)
				}
				m, _ := filepath.Glob(pat)
				sort.Strings(m)
				for _, f := range m {
					read(f, depth+1)
				}
				continue
			}
			if filepath.IsAbs(line) {
				out = append(out, line)
			}
		}
	}
	read(conf, 0)
	out = append(out,
		"/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", // NVIDIA container runtime
		"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/wsl/lib",
		"/usr/lib64", "/lib64", "/usr/lib", "/lib")
	return dedupe(out)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range in {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Dirs returns the folders Find searches, in order.
func (c Config) Dirs() []SearchDir {
	var out []SearchDir
	add := func(src string, dirs ...string) {
		for _, d := range dirs {
			out = append(out, SearchDir{Path: filepath.Clean(d), Source: src})
		}
	}
	if c.ORTDir != "" {
		add("ONNX Runtime folder", c.ORTDir)
	}
	add("NLPSCOPE_CUDA_LIB_DIRS", c.EnvDirs...)
	add("LD_LIBRARY_PATH", c.LDLibraryPath...)
	for _, h := range c.CUDAHome {
		add("CUDA_HOME", filepath.Join(h, "lib64"), filepath.Join(h, "lib"), filepath.Join(h, "targets", "x86_64-linux", "lib"))
	}
	for _, sp := range c.SitePackages {
		for _, pat := range []string{"nvidia/*/lib", "nvidia/*/lib64", "nvidia/*/*/lib"} {
			m, _ := filepath.Glob(filepath.Join(sp, pat))
			sort.Strings(m)
			add("python wheel", m...)
		}
	}
	add("system", c.SystemDirs...)
	seen := map[string]bool{}
	uniq := out[:0]
	for _, d := range out {
		if !seen[d.Path] {
			seen[d.Path] = true
			uniq = append(uniq, d)
		}
	}
	return uniq
}

// Found is a library located on disk.
type Found struct {
	Library
	Path   string `json:"path"`
	Source string `json:"source"`
}

// Problem is a file that has the right name but cannot be used.
type Problem struct {
	Library
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Report is the outcome of Find.
type Report struct {
	Found    []Found     `json:"found"`
	Missing  []Library   `json:"missing"`
	Unusable []Problem   `json:"unusable,omitempty"`
	Searched []SearchDir `json:"searched"`
}

// OK reports whether every library was found.
func (r Report) OK() bool { return len(r.Missing) == 0 }

// Err is nil when every library was found; otherwise it wraps ErrMissing and
// names each missing library, why a same-named file was rejected, and how to
// get it.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	var b strings.Builder
	for i, l := range r.Missing {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s) not found", l.Component, l.Soname)
		for _, p := range r.Unusable {
			if p.Soname == l.Soname {
				fmt.Fprintf(&b, ", %s rejected: %s", p.Path, p.Reason)
			}
		}
		fmt.Fprintf(&b, " — %s", l.Hint)
	}
	fmt.Fprintf(&b, " (searched %d folders: the ONNX Runtime folder, NLPSCOPE_CUDA_LIB_DIRS, LD_LIBRARY_PATH, CUDA_HOME, Python nvidia/*/lib wheels, system)", len(r.Searched))
	return fmt.Errorf("%w: %s", ErrMissing, b.String())
}

// LibraryPath returns the folders of the found libraries, joined for
// LD_LIBRARY_PATH, in search order.
func (r Report) LibraryPath() string {
	var dirs []string
	for _, f := range r.Found {
		dirs = append(dirs, filepath.Dir(f.Path))
	}
	return strings.Join(dedupe(dirs), string(filepath.ListSeparator))
}

// Find looks for every library of cfg.Libraries in cfg.Dirs(), first match
// wins. A file of the right name that is not a 64-bit x86-64 ELF shared
// object is recorded as unusable and the search goes on.
func Find(cfg Config) Report {
	libs := cfg.Libraries
	if libs == nil {
		libs = Required
	}
	rep := Report{Searched: cfg.Dirs()}
	for _, l := range libs {
		found := false
		for _, d := range rep.Searched {
			p := filepath.Join(d.Path, l.Soname)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			if reason := checkELF(p); reason != "" {
				rep.Unusable = append(rep.Unusable, Problem{Library: l, Path: p, Reason: reason})
				continue
			}
			rep.Found = append(rep.Found, Found{Library: l, Path: p, Source: d.Source})
			found = true
			break
		}
		if !found {
			rep.Missing = append(rep.Missing, l)
		}
	}
	return rep
}

// checkELF returns why p is not a loadable x86-64 shared object, or "".
func checkELF(p string) string {
	f, err := elf.Open(p)
	if err != nil {
		return "not an ELF file"
	}
	defer f.Close()
	switch {
	case f.Class != elf.ELFCLASS64:
		return "not a 64-bit library"
	case f.Machine != elf.EM_X86_64:
		return fmt.Sprintf("built for %s, not x86-64", f.Machine)
	case f.Type != elf.ET_DYN:
		return "not a shared object"
	}
	return ""
}

// ProviderFile is ONNX Runtime's CUDA execution provider library.
const ProviderFile = "libonnxruntime_providers_cuda.so"

// ProviderFiles are the files ONNX Runtime loads from its own folder to run
// the CUDA execution provider.
var ProviderFiles = []string{"libonnxruntime_providers_shared.so", ProviderFile}

// CheckProvider checks that the CUDA provider libraries sit next to the ONNX
// Runtime library at ortLib (ORT loads them from there).
func CheckProvider(ortLib string) error {
	dir := filepath.Dir(ortLib)
	var missing []string
	for _, f := range ProviderFiles {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, f)
		} else if reason := checkELF(p); reason != "" {
			missing = append(missing, f+" ("+reason+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s not in %s; the CPU-only ONNX Runtime cannot run CUDA: use the one `make setup-gpu` places in third_party/onnxruntime-gpu/",
			ErrProviderMissing, strings.Join(missing, ", "), dir)
	}
	return nil
}

// ProviderNeeds returns the CUDA libraries (libcu*, libnv*) that the CUDA
// provider next to ortLib names as its dependencies (its ELF DT_NEEDED
// entries) and that libs does not list, so that a provider built against
// another CUDA release is still checked library by library. It returns nil
// when the provider cannot be read (CheckProvider says why).
func ProviderNeeds(ortLib string, libs []Library) []Library {
	f, err := elf.Open(filepath.Join(filepath.Dir(ortLib), ProviderFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil
	}
	known := map[string]bool{}
	for _, l := range libs {
		known[l.Soname] = true
	}
	var out []Library
	for _, n := range needed {
		if known[n] || !(strings.HasPrefix(n, "libcu") || strings.HasPrefix(n, "libnv")) {
			continue
		}
		known[n] = true
		out = append(out, Library{Component: n, Soname: n,
			Hint: "the CUDA provider needs it: install the matching CUDA toolkit or nvidia-* Python wheel"})
	}
	return out
}

// Prepare is what the engine calls before appending the CUDA execution
// provider for the ONNX Runtime library at ortLib: it checks that the
// provider libraries sit next to it, finds the CUDA libraries with cfg (the
// Required ones, or cfg.Libraries, plus whatever else the provider names
// in ProviderNeeds; ortLib's folder is searched first), and preloads them.
// The error names everything that is missing at once (it wraps
// ErrProviderMissing and/or ErrMissing); the report says what was found and
// where.
func Prepare(ortLib string, cfg Config) (Report, error) {
	if cfg.ORTDir == "" {
		cfg.ORTDir = filepath.Dir(ortLib)
	}
	if cfg.Libraries == nil {
		cfg.Libraries = Required
	}
	cfg.Libraries = append(slices.Clip(cfg.Libraries), ProviderNeeds(ortLib, cfg.Libraries)...)
	rep := Find(cfg)
	// One line, as doctor prints it, wrapping both sentinels.
	switch provErr, libErr := CheckProvider(ortLib), rep.Err(); {
	case provErr != nil && libErr != nil:
		return rep, fmt.Errorf("%w; %w", provErr, libErr)
	case provErr != nil:
		return rep, provErr
	case libErr != nil:
		return rep, libErr
	}
	return rep, Preload(rep)
}
