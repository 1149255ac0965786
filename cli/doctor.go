package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/nlpscope/nlpscope/app/catalog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/profiler"
)

// DoctorReport is what `nlpscope doctor` checks.
type DoctorReport struct {
	ORT    DoctorORT     `json:"ort"`
	CPU    quantize.Host `json:"cpu"` // the CPU kind INT8 schemes are judged for
	Models []DoctorModel `json:"models"`
	GPU    DoctorGPU     `json:"gpu"`
	OK     bool          `json:"ok"`
}

// DoctorORT is the ONNX Runtime part of the report.
type DoctorORT struct {
	Found     bool     `json:"found"`
	LibPath   string   `json:"lib_path,omitempty"`
	Version   string   `json:"version,omitempty"`
	Providers []string `json:"providers,omitempty"`
	Requested string   `json:"requested_provider"`
	Active    string   `json:"active_provider,omitempty"`
	Note      string   `json:"note,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// DoctorModel is one model found.
type DoctorModel struct {
	Name      string      `json:"name"`
	Source    string      `json:"source"`
	Task      engine.Task `json:"task,omitempty"`
	Labels    []string    `json:"labels,omitempty"`
	SizeBytes int64       `json:"size_bytes,omitempty"`
	Quantized bool        `json:"quantized"`
	File      string      `json:"file,omitempty"`    // the ONNX file checked, when not the folder's default
	Warning   string      `json:"warning,omitempty"` // e.g. an INT8 file that clips on this CPU
	Error     string      `json:"error,omitempty"`
}

// DoctorGPU reports NVIDIA GPU presence.
type DoctorGPU struct {
	Present  bool     `json:"present"`
	Devices  []string `json:"devices,omitempty"` // /dev/nvidia* nodes
	Names    []string `json:"names,omitempty"`   // from /proc/driver/nvidia
	NVMLPath string   `json:"nvml_path,omitempty"`
	// NVML is what the NVIDIA management library reports (driver, devices,
	// memory); its Reason says why when it cannot be read.
	NVML profiler.GPUStats `json:"nvml"`
	Note string            `json:"note,omitempty"`
}

// cmdDoctor checks ONNX Runtime, execution providers, models and the GPU.
// It exits 1 when ONNX Runtime cannot be loaded or a model is broken.
func cmdDoctor(ctx context.Context, std Stdio, args []string) error {
	fset := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fset.SetOutput(std.Err)
	ortLib := fset.String("ort-lib", "", "ONNX Runtime shared library `path`")
	provider := fset.String("provider", "cpu", "execution provider to check: cpu or cuda")
	modelsDir := fset.String("models-dir", DefaultModelsDir(), "models `dir` whose sub-folders are checked")
	hfCache := fset.String("hf-cache", catalog.DefaultHFCache(), "Hugging Face hub cache `dir` whose pulled models are checked")
	asJSON := fset.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	const usage = "usage: nlpscope doctor [--ort-lib PATH] [--provider cpu|cuda] [--models-dir DIR] [--hf-cache DIR] [--json]"
	if fset.NArg() > 0 {
		return withUsage(usage, "unexpected argument %q", fset.Arg(0))
	}
	if *provider != "cpu" && *provider != "cuda" {
		return withUsage(usage, "--provider %q: want cpu or cuda", *provider)
	}
	r := runDoctor(*ortLib, *provider, *modelsDir, *hfCache)
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printDoctor(std, r)
	}
	if !r.OK {
		return errors.New("problems found (see above)")
	}
	return nil
}

func runDoctor(ortLib, provider, modelsDir, hfCache string) DoctorReport {
	r := DoctorReport{ORT: DoctorORT{Requested: provider}, GPU: detectGPU(), CPU: quantize.DetectHost()}
	lib, err := engine.FindORTLibrary(ortLib)
	if err != nil {
		r.ORT.Error = err.Error()
		return r
	}
	r.ORT.LibPath = lib
	eng, err := engine.New(engine.Config{ORTLibPath: lib, Provider: provider, AllowCPUFallback: true, IntraOpThreads: 1}, nil)
	if err != nil {
		r.ORT.Error = err.Error()
		return r
	}
	defer eng.Close()
	rt := eng.Runtime()
	r.ORT.Found = true
	r.ORT.Version, r.ORT.Providers, r.ORT.Active, r.ORT.Note = rt.ORTVersion, rt.Providers, rt.Provider, rt.Note
	r.OK = true
	check := func(name, source string, src engine.ModelSource) {
		m := DoctorModel{Name: name, Source: source}
		info, err := engine.InspectModel(src)
		if err != nil {
			m.Error = err.Error()
			r.OK = false
		} else {
			m.Task, m.Labels, m.SizeBytes, m.Quantized, m.Warning = info.Task, info.Labels, info.SizeBytes, info.Quantized, info.Warning
		}
		m.File = src.ONNXFile
		r.Models = append(r.Models, m)
	}
	// Every variant of every model the catalog offers (what serve lists):
	// an INT8 file that clips on this CPU is a warning, a broken file or a
	// folder without one a failure.
	cat := catalog.New(catalog.Config{Embedded: app.EmbeddedModels(), ModelsDir: modelsDir, HFCache: hfCache})
	list, errs := cat.List()
	for _, err := range errs {
		r.Models = append(r.Models, DoctorModel{Name: modelsDir, Source: "catalog", Error: err.Error()})
		r.OK = false
	}
	for _, m := range list {
		source := m.Dir
		if m.Embedded() {
			source = "embedded"
		}
		if len(m.Variants) == 0 {
			r.Models = append(r.Models, DoctorModel{Name: m.Name, Source: source, Error: m.Error})
			r.OK = false
			continue
		}
		for _, v := range m.Variants {
			src := catalog.Choice{Model: m, Variant: v}.Source()
			if v.Default {
				src.ONNXFile = "" // reported as the model itself
			}
			check(m.Name, source, src)
		}
	}
	return r
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// detectGPU looks for NVIDIA device nodes, the driver's GPU list and the NVML
// library, without loading anything.
func detectGPU() DoctorGPU {
	var g DoctorGPU
	g.Devices, _ = filepath.Glob("/dev/nvidia[0-9]*")
	infos, _ := filepath.Glob("/proc/driver/nvidia/gpus/*/information")
	sort.Strings(infos)
	for _, p := range infos {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Model:"); ok {
				g.Names = append(g.Names, strings.TrimSpace(v))
			}
		}
	}
	dirs := append(filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")),
		"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64", "/usr/local/cuda/lib64")
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, n := range []string{"libnvidia-ml.so.1", "libnvidia-ml.so"} {
			if p := filepath.Join(d, n); fileExists(p) {
				g.NVMLPath = p
				break
			}
		}
		if g.NVMLPath != "" {
			break
		}
	}
	if src, err := profiler.OpenNVML(); err != nil {
		g.NVML = profiler.GPUStats{Reason: err.Error()}
	} else {
		g.NVML = profiler.ReadGPU(src)
		src.Close()
		for _, d := range g.NVML.Devices {
			if !slices.Contains(g.Names, d.Name) {
				g.Names = append(g.Names, d.Name)
			}
		}
	}
	g.Present = len(g.Devices) > 0 || len(g.Names) > 0 || g.NVML.Available
	switch {
	case !g.Present:
		g.Note = "no NVIDIA GPU found"
	case g.NVMLPath == "":
		g.Note = "GPU present but libnvidia-ml.so not found (no GPU gauges)"
	}
	return g
}

func printDoctor(std Stdio, r DoctorReport) {
	w := std.Out
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "FAIL"
	}
	fmt.Fprintf(w, "ONNX Runtime   %s\n", status(r.ORT.Found))
	if r.ORT.LibPath != "" {
		fmt.Fprintf(w, "  library      %s\n", r.ORT.LibPath)
	}
	if r.ORT.Found {
		fmt.Fprintf(w, "  version      %s\n", r.ORT.Version)
		fmt.Fprintf(w, "  providers    %s\n", strings.Join(r.ORT.Providers, ", "))
		fmt.Fprintf(w, "  active       %s (requested %s)\n", r.ORT.Active, r.ORT.Requested)
		if r.ORT.Note != "" {
			fmt.Fprintf(w, "  note         %s\n", r.ORT.Note)
		}
	}
	if r.ORT.Error != "" {
		fmt.Fprintf(w, "  error        %s\n", r.ORT.Error)
		fmt.Fprintln(w, "  fix          run `make setup`, or pass --ort-lib / set NLPSCOPE_ORT_LIB")
	}
	fmt.Fprintf(w, "CPU            %s\n", r.CPU)
	if r.CPU.Target.Saturates() {
		fmt.Fprintln(w, "  int8         no VNNI: full-range int8 weights clip here; quantize with --target auto or portable")
	} else {
		fmt.Fprintln(w, "  int8         every int8 scheme is accurate here; files for other machines: --target portable")
	}
	fmt.Fprintln(w, "Models")
	if len(r.Models) == 0 {
		if r.ORT.Found {
			fmt.Fprintln(w, "  none (this build embeds no default models; use --models-dir or --model-*)")
		} else {
			fmt.Fprintln(w, "  not checked (ONNX Runtime missing)")
		}
	}
	for _, m := range r.Models {
		if m.File != "" {
			m.Name += "/" + m.File
		}
		if m.Error != "" {
			fmt.Fprintf(w, "  %-12s FAIL  %s\n", m.Name, m.Error)
			continue
		}
		q := "fp32"
		if m.Quantized {
			q = "int8"
		}
		fmt.Fprintf(w, "  %-12s ok    %s, %s, %d labels (%s), %s, %s\n", m.Name, m.Source, m.Task, len(m.Labels),
			strings.Join(m.Labels, " "), humanBytes(m.SizeBytes), q)
		if m.Warning != "" {
			fmt.Fprintf(w, "  %-12s WARN  %s\n", "", m.Warning)
		}
	}
	fmt.Fprintf(w, "GPU            %s\n", map[bool]string{true: "present", false: "none"}[r.GPU.Present])
	for _, n := range r.GPU.Names {
		fmt.Fprintf(w, "  device       %s\n", n)
	}
	if r.GPU.NVMLPath != "" {
		fmt.Fprintf(w, "  nvml         %s\n", r.GPU.NVMLPath)
	}
	if r.GPU.NVML.Available {
		fmt.Fprintf(w, "  driver       %s\n", r.GPU.NVML.Driver)
		for _, d := range r.GPU.NVML.Devices {
			fmt.Fprintf(w, "  gpu %d        %s, %.1f GiB, %.0f%% busy\n", d.Index, d.Name, float64(d.MemoryTotalBytes)/(1<<30), d.UtilizationPercent)
		}
	} else if r.GPU.Present && r.GPU.NVML.Reason != "" {
		fmt.Fprintf(w, "  nvml         unavailable: %s\n", r.GPU.NVML.Reason)
	}
	if r.GPU.Note != "" {
		fmt.Fprintf(w, "  note         %s\n", r.GPU.Note)
	}
}
