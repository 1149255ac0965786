package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCUDADeps(t *testing.T) {
	lib := os.Getenv("NLPSCOPE_ORT_LIB")
	if lib == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 (make setup)")
	}
	// The CPU build has no CUDA provider next to it: the error says so.
	if _, err := cudaDeps(lib); err == nil || !strings.Contains(err.Error(), cudaProviderLib+" not found") {
		t.Errorf("CPU build: %v", err)
	}
	// A provider library whose dependencies all resolve: use the ORT library
	// itself as a stand-in ELF.
	dir := t.TempDir()
	data, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cudaProviderLib), data, 0o644); err != nil {
		t.Fatal(err)
	}
	deps, err := cudaDeps(filepath.Join(dir, "libonnxruntime.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) == 0 {
		t.Fatal("no DT_NEEDED entries read")
	}
	for name, path := range deps {
		if path == "" {
			t.Errorf("%s not found", name)
		}
	}
	if _, ok := deps["libc.so.6"]; !ok {
		t.Errorf("deps %v lack libc.so.6", deps)
	}
	missing, err := preloadCUDA(filepath.Join(dir, "libonnxruntime.so.1"))
	if err != nil || len(missing) != 0 {
		t.Errorf("preload: %v %v", missing, err)
	}
}

func TestCUDALoadOrder(t *testing.T) {
	if !(cudaLoadRank("libcudart.so.13") < cudaLoadRank("libcublasLt.so.13") &&
		cudaLoadRank("libcublasLt.so.13") < cudaLoadRank("libcublas.so.13") &&
		cudaLoadRank("libcufft.so.12") < cudaLoadRank("libcudnn.so.9")) {
		t.Error("load order")
	}
	if isCUDALib("libc.so.6") || !isCUDALib("libcudnn.so.9") || !isCUDALib("libnvrtc.so.13") {
		t.Error("isCUDALib")
	}
}
