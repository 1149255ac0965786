package cli

import (
	"context"
	"fmt"
	"strings"
)

func modelsList(ctx context.Context, std Stdio, m *modelsEnv, args []string) error {
	fset := m.flags(std)
	want := fset.String("provider", "cpu", "provider to report for each model: cpu or cuda")
	_, err := m.parse(fset, args, 0, "usage: nlpscope models list [--models-dir DIR] [--hf-cache DIR] [--provider cpu|cuda] [--json]")
	if err != nil {
		return err
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
	return nil
}
