package engine

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

static void *nlpscope_dlopen_global(const char *path) {
	return dlopen(path, RTLD_NOW | RTLD_GLOBAL);
}
*/
import "C"

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"
)

// cudaProviderLib is the ONNX Runtime CUDA provider, which must sit next to
// libonnxruntime.so (ONNX Runtime loads it from there).
const cudaProviderLib = "libonnxruntime_providers_cuda.so"

// cudaDeps reports, for the CUDA provider next to ortLib, every shared
// library it needs (its ELF DT_NEEDED entries) and where it was found; an
// empty path means missing. Libraries are searched in the ORT folder,
// LD_LIBRARY_PATH, the ld.so.conf folders, the CUDA toolkit folders and the
// nvidia/*/lib folders of Python CUDA wheels.
func cudaDeps(ortLib string) (map[string]string, error) {
	provider := filepath.Join(filepath.Dir(ortLib), cudaProviderLib)
	f, err := elf.Open(provider)
	if err != nil {
		return nil, fmt.Errorf("%s not found next to %s (the CPU build of ONNX Runtime has no CUDA provider; see `make setup-gpu`)", cudaProviderLib, ortLib)
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", provider, err)
	}
	dirs := cudaSearchDirs(filepath.Dir(ortLib))
	out := map[string]string{}
	for _, lib := range needed {
		out[lib] = ""
		for _, d := range dirs {
			if p := filepath.Join(d, lib); isFile(p) {
				out[lib] = p
				break
			}
		}
	}
	return out, nil
}

func cudaSearchDirs(ortDir string) []string {
	dirs := []string{ortDir}
	dirs = append(dirs, systemLibDirs()...)
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib")
	var sites []string
	for _, pattern := range []string{
		"/usr/lib/python3*/site-packages", "/usr/lib/python3/dist-packages", "/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages", "/opt/*/.venv/lib/python3*/site-packages", "/opt/conda/lib/python3*/site-packages",
	} {
		m, _ := filepath.Glob(pattern)
		sites = append(sites, m...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		m, _ := filepath.Glob(filepath.Join(home, ".local/lib/python3*/site-packages"))
		sites = append(sites, m...)
	}
	if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
		m, _ := filepath.Glob(filepath.Join(venv, "lib/python3*/site-packages"))
		sites = append(sites, m...)
	}
	for _, s := range sites {
		m, _ := filepath.Glob(filepath.Join(s, "nvidia", "*", "lib"))
		dirs = append(dirs, m...)
	}
	return dirs
}

// preloadCUDA loads the CUDA provider's dependencies found outside the
// dynamic loader's search path (Python wheels, the toolkit folder) with
// RTLD_GLOBAL, so that ONNX Runtime's later dlopen of the provider resolves
// them by soname. It returns what is still missing.
func preloadCUDA(ortLib string) (missing []string, err error) {
	deps, err := cudaDeps(ortLib)
	if err != nil {
		return nil, err
	}
	// Load in dependency order as far as it matters: runtime first, cuDNN last.
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return cudaLoadRank(names[i]) < cudaLoadRank(names[j]) })
	for _, n := range names {
		p := deps[n]
		if p == "" {
			missing = append(missing, n)
			continue
		}
		if strings.HasPrefix(n, "libonnxruntime") || !isCUDALib(n) {
			continue
		}
		cp := C.CString(p)
		h := C.nlpscope_dlopen_global(cp)
		C.free(unsafe.Pointer(cp))
		if h == nil {
			missing = append(missing, fmt.Sprintf("%s (found at %s but it does not load: %s)", n, p, C.GoString(C.dlerror())))
		}
	}
	return missing, nil
}

func isCUDALib(n string) bool {
	for _, p := range []string{"libcu", "libnv", "libcudnn"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

func cudaLoadRank(n string) int {
	switch {
	case strings.HasPrefix(n, "libcudart"):
		return 0
	case strings.HasPrefix(n, "libcublasLt"):
		return 1
	case strings.HasPrefix(n, "libcublas"):
		return 2
	case strings.HasPrefix(n, "libcudnn"):
		return 4
	}
	return 3
}
