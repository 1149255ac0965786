package cudalibs_test

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nlpscope/nlpscope/engine/cudalibs"
)

var (
	soOnce sync.Once
	soPath string
	soErr  error
)

// realSO builds (once) a real x86-64 ELF shared object with the C compiler
// that cgo uses, and copies it to dir/name.
func realSO(t *testing.T, dir, name string) string {
	t.Helper()
	soOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "cudalibs-so")
		if err != nil {
			soErr = err
			return
		}
		src := filepath.Join(tmp, "x.c")
		os.WriteFile(src, []byte("int nlpscope_fake_cuda(void) { return 42; }\n"), 0o644)
		soPath = filepath.Join(tmp, "libfake.so")
		cc := os.Getenv("CC")
		if cc == "" {
			cc = "gcc"
		}
		out, err := exec.Command(cc, "-shared", "-fPIC", "-o", soPath, src).CombinedOutput()
		if err != nil {
			soErr = errors.New(string(out) + err.Error())
		}
	})
	if soErr != nil {
		t.Fatalf("building a shared object: %v", soErr)
	}
	b, err := os.ReadFile(soPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// elfHeader writes a bare 64-byte ELF header of the given class and machine.
func elfHeader(t *testing.T, dir, name string, class byte, machine uint16) string {
	t.Helper()
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = class, 1, 1           // class, little-endian, version
	binary.LittleEndian.PutUint16(h[16:], 3) // ET_DYN
	binary.LittleEndian.PutUint16(h[18:], machine)
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, name)
	os.WriteFile(p, h, 0o644)
	return p
}

func TestFindInWheelsAndSystem(t *testing.T) {
	root := t.TempDir()
	site := filepath.Join(root, "venv", "lib", "python3.12", "site-packages")
	sys := filepath.Join(root, "usr", "lib", "x86_64-linux-gnu")
	ld := filepath.Join(root, "ld")
	realSO(t, sys, "libcuda.so.1")
	for _, n := range []string{"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10"} {
		realSO(t, filepath.Join(site, "nvidia", "cu13", "lib"), n)
	}
	realSO(t, filepath.Join(site, "nvidia", "cudnn", "lib"), "libcudnn.so.9")
	// An older runtime earlier on LD_LIBRARY_PATH wins for its own soname only.
	ldRT := realSO(t, ld, "libcudart.so.13")

	rep := cudalibs.Find(cudalibs.Config{LDLibraryPath: []string{ld}, SitePackages: []string{site}, SystemDirs: []string{sys}})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	got := map[string]cudalibs.Found{}
	for _, f := range rep.Found {
		got[f.Soname] = f
	}
	if got["libcudart.so.13"].Path != ldRT || got["libcudart.so.13"].Source != "LD_LIBRARY_PATH" {
		t.Errorf("cudart = %+v", got["libcudart.so.13"])
	}
	if f := got["libcudnn.so.9"]; f.Source != "python wheel" || !strings.Contains(f.Path, "nvidia/cudnn/lib") {
		t.Errorf("cudnn = %+v", f)
	}
	if f := got["libcuda.so.1"]; f.Source != "system" {
		t.Errorf("driver = %+v", f)
	}
	want := strings.Join([]string{sys, ld, filepath.Join(site, "nvidia", "cu13", "lib"), filepath.Join(site, "nvidia", "cudnn", "lib")}, ":")
	if rep.LibraryPath() != want {
		t.Errorf("LibraryPath = %q\nwant %q", rep.LibraryPath(), want)
	}
}

func TestFindReportsExactlyWhatIsMissing(t *testing.T) {
	root := t.TempDir()
	ld := filepath.Join(root, "ld")
	realSO(t, ld, "libcuda.so.1")
	realSO(t, ld, "libcudart.so.13")
	realSO(t, ld, "libcublasLt.so.13")
	realSO(t, ld, "libcurand.so.10")
	os.WriteFile(filepath.Join(ld, "libcublas.so.13"), []byte("not a library"), 0o644)
	arm := elfHeader(t, filepath.Join(root, "arm"), "libcudnn.so.9", 2, 183) // EM_AARCH64

	rep := cudalibs.Find(cudalibs.Config{LDLibraryPath: []string{ld, filepath.Join(root, "arm")}})
	err := rep.Err()
	if !errors.Is(err, cudalibs.ErrMissing) || rep.OK() {
		t.Fatalf("err = %v", err)
	}
	if len(rep.Missing) != 2 || rep.Missing[0].Soname != "libcublas.so.13" || rep.Missing[1].Soname != "libcudnn.so.9" {
		t.Errorf("missing = %+v", rep.Missing)
	}
	msg := err.Error()
	for _, want := range []string{
		"cuBLAS 13 (libcublas.so.13) not found, " + filepath.Join(ld, "libcublas.so.13") + " rejected: not an ELF file",
		"cuDNN 9 (libcudnn.so.9) not found, " + arm + " rejected: built for EM_AARCH64, not x86-64",
		"pip install nvidia-cudnn-cu13",
		"pip install nvidia-cublas",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "cuRAND") || strings.Contains(msg, "runtime (") {
		t.Errorf("error names a library that was found:\n%s", msg)
	}
	if err := cudalibs.Preload(rep); !errors.Is(err, cudalibs.ErrMissing) {
		t.Errorf("Preload with missing libraries: %v", err)
	}

	// Nothing at all: every library is named.
	rep = cudalibs.Find(cudalibs.Config{SystemDirs: []string{filepath.Join(root, "empty")}})
	if len(rep.Missing) != len(cudalibs.Required) || !strings.Contains(rep.Err().Error(), "NVIDIA driver (libcuda.so.1) not found") {
		t.Errorf("empty: %v", rep.Err())
	}
	// A 32-bit ELF is rejected too.
	elfHeader(t, filepath.Join(root, "i386"), "libcuda.so.1", 1, 3)
	rep = cudalibs.Find(cudalibs.Config{SystemDirs: []string{filepath.Join(root, "i386")}, Libraries: cudalibs.Required[:1]})
	if len(rep.Unusable) != 1 || rep.Unusable[0].Reason != "not a 64-bit library" {
		t.Errorf("32-bit: %+v", rep.Unusable)
	}
}

func TestPreloadLoadsIntoTheProcess(t *testing.T) {
	dir := t.TempDir()
	var libs []cudalibs.Library
	for _, n := range []string{"libcudart.so.13", "libcudnn.so.9"} {
		realSO(t, dir, n)
		libs = append(libs, cudalibs.Library{Component: n, Soname: n})
	}
	rep := cudalibs.Find(cudalibs.Config{EnvDirs: []string{dir}, Libraries: libs})
	if err := cudalibs.Preload(rep); err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"libcudart.so.13", "libcudnn.so.9"} {
		if !strings.Contains(string(maps), filepath.Join(dir, n)) {
			t.Errorf("%s not mapped after Preload", n)
		}
	}
}

func TestCheckProvider(t *testing.T) {
	dir := t.TempDir()
	lib := realSO(t, dir, "libonnxruntime.so.1")
	err := cudalibs.CheckProvider(lib)
	if !errors.Is(err, cudalibs.ErrProviderMissing) ||
		!strings.Contains(err.Error(), "libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so") ||
		!strings.Contains(err.Error(), "make setup-gpu") {
		t.Errorf("err = %v", err)
	}
	for _, f := range cudalibs.ProviderFiles {
		realSO(t, dir, f)
	}
	if err := cudalibs.CheckProvider(lib); err != nil {
		t.Error(err)
	}
}

func TestDefaultConfigReadsTheEnvironment(t *testing.T) {
	root := t.TempDir()
	venv := filepath.Join(root, "venv")
	wheel := filepath.Join(venv, "lib", "python3.11", "site-packages", "nvidia", "cublas", "lib")
	os.MkdirAll(wheel, 0o755)
	conf := filepath.Join(root, "ld.so.conf")
	os.MkdirAll(filepath.Join(root, "ld.so.conf.d"), 0o755)
	os.WriteFile(conf, []byte("# comment\ninclude ld.so.conf.d/*.conf\n/opt/a\n"), 0o644)
	os.WriteFile(filepath.Join(root, "ld.so.conf.d", "cuda.conf"), []byte("/usr/local/cuda-13.0/targets/x86_64-linux/lib\n"), 0o644)

	t.Setenv("NLPSCOPE_CUDA_LIB_DIRS", "/x/one:/x/two")
	t.Setenv("LD_LIBRARY_PATH", "/y")
	t.Setenv("VIRTUAL_ENV", venv)
	t.Setenv("CUDA_HOME", "/opt/cuda")
	c := cudalibs.DefaultConfig()
	c.SystemDirs = cudalibs.SystemDirs(conf)
	dirs := c.Dirs()
	src := map[string]string{}
	var order []string
	for _, d := range dirs {
		src[d.Path] = d.Source
		order = append(order, d.Path)
	}
	for p, want := range map[string]string{
		"/x/one": "NLPSCOPE_CUDA_LIB_DIRS", "/x/two": "NLPSCOPE_CUDA_LIB_DIRS", "/y": "LD_LIBRARY_PATH",
		"/opt/cuda/lib64": "CUDA_HOME", wheel: "python wheel",
		"/usr/local/cuda-13.0/targets/x86_64-linux/lib": "system", "/opt/a": "system",
	} {
		if src[p] != want {
			t.Errorf("%s: source %q, want %q (dirs %v)", p, src[p], want, order)
		}
	}
	if order[0] != "/x/one" || order[2] != "/y" {
		t.Errorf("search order = %v", order)
	}
}

// TestThisMachine runs the real discovery on this machine. With
// NLPSCOPE_REQUIRE_CUDA=1 (bench/gpu.sh sets it on a GPU machine) every
// library must be found and must load; without it, a machine with no NVIDIA
// device node must report the driver missing, naming it.
func TestThisMachine(t *testing.T) {
	rep := cudalibs.Find(cudalibs.DefaultConfig())
	for _, f := range rep.Found {
		t.Logf("found %-18s %-22s %s (%s)", f.Component, f.Soname, f.Path, f.Source)
	}
	if os.Getenv("NLPSCOPE_REQUIRE_CUDA") == "1" {
		if err := rep.Err(); err != nil {
			t.Fatal(err)
		}
		if err := cudalibs.Preload(rep); err != nil {
			t.Fatal(err)
		}
		t.Logf("LD_LIBRARY_PATH=%s", rep.LibraryPath())
		return
	}
	if _, err := os.Stat("/dev/nvidia0"); err == nil {
		t.Logf("an NVIDIA device is present; set NLPSCOPE_REQUIRE_CUDA=1 to require the libraries: %v", rep.Err())
		return
	}
	driverFound := false
	for _, f := range rep.Found {
		driverFound = driverFound || f.Soname == "libcuda.so.1"
	}
	if err := rep.Err(); !driverFound && (err == nil || !strings.Contains(err.Error(), "NVIDIA driver (libcuda.so.1) not found")) {
		t.Errorf("no GPU here, yet: %v", err)
	}
}

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	lib := realSO(t, filepath.Join(dir, "ort"), "libonnxruntime.so.1")
	libs := filepath.Join(dir, "cuda")
	for _, l := range cudalibs.Required {
		if l.Soname != "libcudnn.so.9" {
			realSO(t, libs, l.Soname)
		}
	}
	cfg := cudalibs.Config{EnvDirs: []string{libs}}
	_, err := cudalibs.Prepare(lib, cfg)
	if !errors.Is(err, cudalibs.ErrProviderMissing) || !errors.Is(err, cudalibs.ErrMissing) || !strings.Contains(err.Error(), "cuDNN 9") {
		t.Errorf("both missing: %v", err)
	}
	for _, f := range cudalibs.ProviderFiles {
		realSO(t, filepath.Join(dir, "ort"), f)
	}
	realSO(t, libs, "libcudnn.so.9")
	rep, err := cudalibs.Prepare(lib, cfg)
	if err != nil || !rep.OK() || rep.LibraryPath() != libs {
		t.Errorf("complete: %v %+v", err, rep)
	}
}

// linkedSO builds dir/name as a shared object whose DT_NEEDED entries are
// needs (each built as a stub with that soname, in a temporary folder).
func linkedSO(t *testing.T, dir, name string, needs ...string) string {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	stubs := t.TempDir()
	src := filepath.Join(stubs, "x.c")
	if err := os.WriteFile(src, []byte("int nlpscope_stub(void) { return 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-shared", "-fPIC", "-o", filepath.Join(dir, name), src, "-Wl,--no-as-needed"}
	for _, n := range needs {
		out, err := exec.Command(cc, "-shared", "-fPIC", "-Wl,-soname,"+n, "-o", filepath.Join(stubs, n), src).CombinedOutput()
		if err != nil {
			t.Fatalf("stub %s: %v\n%s", n, err, out)
		}
		args = append(args, filepath.Join(stubs, n))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("link %s: %v\n%s", name, err, out)
	}
	return filepath.Join(dir, name)
}

// The provider's own DT_NEEDED entries are checked too, and the ONNX
// Runtime folder is searched first.
func TestPrepareChecksWhatTheProviderNeeds(t *testing.T) {
	dir := t.TempDir()
	ortDir := filepath.Join(dir, "ort")
	lib := realSO(t, ortDir, "libonnxruntime.so.1")
	realSO(t, ortDir, "libonnxruntime_providers_shared.so")
	linkedSO(t, ortDir, cudalibs.ProviderFile, "libcudart.so.13", "libcuextra.so.7", "libm.so.6")

	needs := cudalibs.ProviderNeeds(lib, cudalibs.Required)
	if len(needs) != 1 || needs[0].Soname != "libcuextra.so.7" {
		t.Fatalf("ProviderNeeds = %+v, want only libcuextra.so.7 (libcudart is Required, libm is no CUDA library)", needs)
	}
	if got := cudalibs.ProviderNeeds(filepath.Join(dir, "none", "libonnxruntime.so.1"), nil); got != nil {
		t.Errorf("no provider: %+v", got)
	}

	libs := filepath.Join(dir, "cuda")
	for _, l := range cudalibs.Required {
		realSO(t, libs, l.Soname)
	}
	cfg := cudalibs.Config{EnvDirs: []string{libs}}
	if _, err := cudalibs.Prepare(lib, cfg); !errors.Is(err, cudalibs.ErrMissing) || errors.Is(err, cudalibs.ErrProviderMissing) ||
		!strings.Contains(err.Error(), "libcuextra.so.7 (libcuextra.so.7) not found") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("provider dependency missing: %v", err)
	}
	extra := realSO(t, ortDir, "libcuextra.so.7")
	rep, err := cudalibs.Prepare(lib, cfg)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]cudalibs.Found{}
	for _, f := range rep.Found {
		found[f.Soname] = f
	}
	if f := found["libcuextra.so.7"]; f.Path != extra || f.Source != "ONNX Runtime folder" {
		t.Errorf("libcuextra = %+v", f)
	}
	if f := found["libcudnn.so.9"]; f.Source != "NLPSCOPE_CUDA_LIB_DIRS" {
		t.Errorf("libcudnn = %+v", f)
	}
}
