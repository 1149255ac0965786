package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
)

func modelsInfo(ctx context.Context, std Stdio, m *modelsEnv, args []string) error {
	fset := m.flags(std)
	onnxFile := fset.String("onnx", "", "ONNX `file` inside the folder (default: every .onnx file)")
	want := fset.String("provider", "cpu", "provider to report: cpu or cuda")
	pos, err := m.parse(fset, args, 1, "usage: nlpscope models info MODEL[#FILE] [--onnx FILE] [--provider cpu|cuda] [--json]")
	if err != nil {
		return err
	}
	ref, err := m.resolve(pos[0])
	if err != nil {
		return err
	}
	files := []string{*onnxFile}
	switch {
	case ref.ONNX != "" && *onnxFile != "" && ref.ONNX != *onnxFile:
		return withUsage("usage: nlpscope models info MODEL[#FILE] [--onnx FILE]", "%s names %s, --onnx %s", pos[0], ref.ONNX, *onnxFile)
	case ref.ONNX != "":
		files = []string{ref.ONNX}
	case *onnxFile == "":
		if files = ref.variants(); len(files) == 0 {
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
		if err := printJSON(std, out); err != nil {
			return err
		}
	} else {
		for _, d := range out {
			printDetails(std.Out, d, note)
		}
	}
	if failed {
		return errors.New("an ONNX file does not load (see its error in the report)")
	}
	return nil
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
