package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
)

// QuantizedFile is the file `models quantize` writes next to the fp32 model.
const QuantizedFile = "model_int8.onnx"

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

func modelsQuantize(ctx context.Context, std Stdio, m *modelsEnv, args []string) (err error) {
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
	const usage = "usage: nlpscope models quantize MODEL [--target auto|avx2|avx512|vnni|arm64|portable] [--per-channel] [--asymmetric] [--reduce-range] [--unsigned] [--fused] [--embeddings] [--conv] [--out NAME.onnx] [--no-compare] [--texts FILE | --eval JSONL] [--json]"
	pos, err := m.parse(fset, args, 1, usage)
	if err != nil {
		return err
	}
	if strings.ContainsAny(*out, `/\`) || !strings.HasSuffix(*out, ".onnx") {
		return withUsage(usage, "--out %q: want a file name ending in .onnx", *out)
	}
	target, err := quantize.ParseTarget(*targetFlag)
	if err != nil {
		return &usageError{err: err}
	}
	o = schemeFor(target, o, fset)
	ref, err := m.resolve(pos[0])
	if err != nil {
		return err
	}
	fp32, err := engine.InspectModel(ref.src())
	if err != nil {
		return err
	}
	if ref.ONNX == "" {
		// The model's default variant (model.onnx, else onnx/model.onnx, …).
		ref.ONNX = "model.onnx"
		if v := ref.variants(); len(v) > 0 {
			ref.ONNX = v[0]
		}
	}
	in, err := ref.readONNX()
	if err != nil {
		return err
	}
	qb, rep, err := quantize.Dynamic(in, o)
	if err != nil {
		return fmt.Errorf("%s: %w", ref.Name, err)
	}
	if ref.embed {
		// The binary cannot change: the quantized model goes into a copy of
		// the folder under the models dir.
		copyRef, created, err := copyEmbedded(ref, m.modelsDir)
		if err != nil {
			return err
		}
		ref = copyRef
		if created {
			defer func() {
				if err != nil {
					os.RemoveAll(ref.Dir)
				}
			}()
		}
	}
	outRel := filepath.ToSlash(filepath.Join(filepath.Dir(ref.ONNX), *out))
	outPath := filepath.Join(ref.Dir, filepath.FromSlash(outRel))
	if err := writeAtomic(outPath, qb); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(outPath)
		}
	}()
	qref := ref
	qref.ONNX = outRel
	// The quantized model must load and run, not only parse.
	if err := smokeRun(ctx, qref, fp32.Task); err != nil {
		return fmt.Errorf("the quantized model does not run (removed): %w", err)
	}
	host := quantize.DetectHost()
	res := QuantizeResult{Model: ref.Name, Output: outPath, Report: rep, Host: host,
		Warning: quantize.HostWarning(quantize.Info{Quantized: true, Target: rep.Target, Weights: rep.Weights}, host)}
	if !*noCompare {
		cr, err := compareModels(ctx, ref, qref, fp32.Task, "cpu", "cpu", cmpFlags)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		res.Compare = &cr
	}
	rec := QuantizationRecord{File: outRel, Source: ref.ONNX, Scheme: rep.Scheme, Target: rep.Target,
		Weights: rep.Weights, QuantizedOn: host, Created: time.Now().UTC().Format(time.RFC3339)}
	if res.Record, err = writeQuantizationRecord(ref.Dir, rec); err != nil {
		return err
	}
	if m.json {
		return printJSON(std, res)
	}
	fmt.Fprintf(std.Out, "%s: %s -> %s\n", ref.Name, ref.ONNX, outPath)
	fmt.Fprintf(std.Out, "target %s: scheme %s (%d-bit weights); %d weights quantized, %d nodes left fp32\n", targetName(rep.Target), rep.Scheme, rep.Weights.Bits(), len(rep.Quantized), len(rep.Skipped))
	fmt.Fprintf(std.Out, "this CPU: %s; recorded in %s\n", host, res.Record)
	fmt.Fprintf(std.Out, "use it: nlpscope serve --model-%s %s\n", fp32.Task, useRef(ref, outRel))
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
	return nil
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

// useRef is how --model-<task> names the quantized file: the catalog
// reference of the folder plus --variant, or #FILE.
func useRef(ref modelRef, file string) string {
	name := ref.Dir
	if ref.Source == "models-dir" {
		name = ref.Name
	}
	if strings.ContainsAny(name, " '\"") {
		name = "'" + name + "'"
	}
	if path.Dir(file) == "." && strings.HasPrefix(file, "model_") {
		return name + " --variant " + strings.TrimSuffix(strings.TrimPrefix(file, "model_"), ".onnx")
	}
	return name + "#" + file
}
