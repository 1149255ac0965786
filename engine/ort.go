package engine

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nlpscope/nlpscope/engine/cudalibs"
	"github.com/nlpscope/nlpscope/engine/ortlib"
)

// ortLibNames are the file names FindORTLibrary looks for in each folder.
var ortLibNames = []string{"libonnxruntime.so.1", "libonnxruntime.so"}

// FindORTLibrary resolves the ONNX Runtime shared library: flag, NLPSCOPE_ORT_LIB,
// ONNXRUNTIME_SHARED_LIBRARY_PATH, the copy embedded in the binary (package
// ortlib, extracted into the user cache folder), next to the executable, third_party/onnxruntime/
// (relative to the working directory and to the executable's parent folder),
// system library paths. A path given by flag or environment must exist; it is
// not silently replaced by a later candidate.
func FindORTLibrary(flag string) (string, error) {
	explicit := []struct{ from, path string }{
		{"--ort-lib", flag},
		{"NLPSCOPE_ORT_LIB", os.Getenv("NLPSCOPE_ORT_LIB")},
		{"ONNXRUNTIME_SHARED_LIBRARY_PATH", os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH")},
	}
	for _, c := range explicit {
		if c.path == "" {
			continue
		}
		if isFile(c.path) {
			return absPath(c.path), nil
		}
		return "", fmt.Errorf("%w: %s=%q does not exist", ErrORTNotFound, c.from, c.path)
	}
	// The copy inside the binary (make build embeds it), extracted once.
	embedded, embedErr := ortlib.Path()
	if embedErr == nil {
		return embedded, nil
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		exeDir := filepath.Dir(exe)
		dirs = append(dirs, exeDir, filepath.Join("third_party", "onnxruntime"), filepath.Join(exeDir, "..", "third_party", "onnxruntime"))
	} else {
		dirs = append(dirs, filepath.Join("third_party", "onnxruntime"))
	}
	dirs = append(dirs, systemLibDirs()...)
	for _, d := range dirs {
		for _, n := range ortLibNames {
			p := filepath.Join(d, n)
			if isFile(p) {
				return absPath(p), nil
			}
		}
	}
	if !errors.Is(embedErr, ortlib.ErrNotEmbedded) {
		return "", fmt.Errorf("%w: %v", ErrORTNotFound, embedErr)
	}
	return "", ErrORTNotFound
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// systemLibDirs lists LD_LIBRARY_PATH, the folders named by /etc/ld.so.conf
// (and its includes) and the default library folders.
func systemLibDirs() []string {
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs, ldConfDirs("/etc/ld.so.conf", 0)...)
	dirs = append(dirs, "/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib")
	return dirs
}

func ldConfDirs(file string, depth int) []string {
	if depth > 4 {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "include "):
			pattern := strings.TrimSpace(strings.TrimPrefix(line, "include "))
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(file), pattern)
			}
			matches, _ := filepath.Glob(pattern)
			for _, m := range matches {
				dirs = append(dirs, ldConfDirs(m, depth+1)...)
			}
		default:
			dirs = append(dirs, line)
		}
	}
	return dirs
}

// ortRuntime is the process-wide ONNX Runtime environment. onnxruntime_go
// keeps one global environment, so every Engine (and InspectModel) shares it
// through a reference count; the last release destroys it.
var ortRuntime struct {
	mu      sync.Mutex
	refs    int
	libPath string
	version string
}

// acquireORT initialises the environment with the library at path (or joins
// the one already initialised) and returns the library version.
func acquireORT(path string) (string, error) {
	ortRuntime.mu.Lock()
	defer ortRuntime.mu.Unlock()
	if ortRuntime.refs > 0 {
		if path != ortRuntime.libPath {
			return "", fmt.Errorf("ONNX Runtime is already loaded from %s; cannot also load %s", ortRuntime.libPath, path)
		}
		ortRuntime.refs++
		return ortRuntime.version, nil
	}
	ort.SetSharedLibraryPath(path)
	// Failures come back to us as errors; ORT need not print them too.
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return "", fmt.Errorf("%w: load %s: %v", ErrORTNotFound, path, err)
	}
	ortRuntime.refs = 1
	ortRuntime.libPath = path
	ortRuntime.version = ort.GetVersion()
	return ortRuntime.version, nil
}

// acquireAnyORT joins the environment already initialised, whatever its
// library, or initialises one from FindORTLibrary("").
func acquireAnyORT() error {
	ortRuntime.mu.Lock()
	if ortRuntime.refs > 0 {
		ortRuntime.refs++
		ortRuntime.mu.Unlock()
		return nil
	}
	ortRuntime.mu.Unlock()
	lib, err := FindORTLibrary("")
	if err != nil {
		return err
	}
	_, err = acquireORT(lib)
	return err
}

// releaseORT drops one reference; the last one destroys the environment.
func releaseORT() error {
	ortRuntime.mu.Lock()
	defer ortRuntime.mu.Unlock()
	if ortRuntime.refs == 0 {
		return errors.New("onnx runtime released more often than acquired")
	}
	ortRuntime.refs--
	if ortRuntime.refs > 0 {
		return nil
	}
	ortRuntime.libPath = ""
	if err := ort.DestroyEnvironment(); err != nil {
		return fmt.Errorf("destroy onnx runtime environment: %w", err)
	}
	return nil
}

// availableProviders lists the execution providers the library at libPath
// can offer: CPU always, CUDA and TensorRT when their provider libraries sit
// next to it (ONNX Runtime loads them from there).
func availableProviders(libPath string) []string {
	ps := []string{"cpu"}
	dir := filepath.Dir(libPath)
	if isFile(filepath.Join(dir, cudalibs.ProviderFile)) {
		ps = append(ps, "cuda")
	}
	if isFile(filepath.Join(dir, "libonnxruntime_providers_tensorrt.so")) {
		ps = append(ps, "tensorrt")
	}
	return ps
}
