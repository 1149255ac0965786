package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	hfhub "github.com/nlpscope/nlpscope/engine/hub"
)

// pullProgress draws a one-line download progress on a terminal, at most ten
// times a second.
type pullProgress struct {
	w    io.Writer
	last time.Time
	file string
}

func (p *pullProgress) update(pr hfhub.Progress) {
	now := time.Now()
	done := pr.Total >= 0 && pr.Done >= pr.Total
	if pr.File == p.file && !done && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.file = now, pr.File
	if pr.Total > 0 {
		width := 30
		n := int(float64(width) * float64(pr.Done) / float64(pr.Total))
		fmt.Fprintf(p.w, "\r%-28.28s [%s%s] %5.1f%% %s / %s ", pr.File, strings.Repeat("=", n), strings.Repeat(" ", width-n),
			100*float64(pr.Done)/float64(pr.Total), sizeString(pr.Done), sizeString(pr.Total))
	} else {
		fmt.Fprintf(p.w, "\r%-28.28s %s ", pr.File, sizeString(pr.Done))
	}
	if done {
		fmt.Fprintln(p.w)
	}
}

func modelsPull(ctx context.Context, std Stdio, m *modelsEnv, args []string) error {
	fset := m.flags(std)
	var files multiFlag
	fset.Var(&files, "file", "repo `path` to fetch instead of the default selection (repeatable)")
	noValidate := fset.Bool("no-validate", false, "install even if the model does not load in the engine")
	pos, err := m.parse(fset, args, 1, "usage: nlpscope models pull ORG/NAME[@REVISION] [--file PATH]... [--hf-cache DIR] [--json]")
	if err != nil {
		return err
	}
	repo, rev, err := hfhub.ParseRef(pos[0])
	if err != nil {
		return &usageError{err: err}
	}
	cfg := hfhub.Config{CacheDir: m.hfCache}
	if isTerminal(std.Err) {
		bar := &pullProgress{w: std.Err}
		cfg.OnProgress = bar.update
	}
	client, err := hfhub.New(cfg, nil)
	if err != nil {
		return err
	}
	opts := hfhub.PullOptions{}
	if len(files) > 0 {
		opts.Files = files
	}
	if !*noValidate {
		opts.Validate = func(dir string) error {
			src := engine.ModelSource{Name: repo, Dir: dir}
			for _, f := range opts.Files {
				if strings.HasSuffix(f, ".onnx") {
					src.ONNXFile = f
					break
				}
			}
			_, err := engine.InspectModel(src)
			return err
		}
	}
	snap, err := client.Pull(ctx, repo, rev, opts)
	if err != nil {
		return fmt.Errorf("%w\nnothing was installed.", err)
	}
	if m.json {
		return printJSON(std, snap)
	}
	for _, f := range snap.Files {
		state := "cached"
		if f.Downloaded {
			state = "downloaded"
		}
		sum := f.SHA256
		if sum == "" {
			sum = "git " + f.ETag
		}
		fmt.Fprintf(std.Out, "%-10s %-28s %9s  %s\n", state, f.Path, sizeString(f.Size), sum)
	}
	fmt.Fprintf(std.Out, "%s@%s (commit %s)\n%s\n", snap.Repo, snap.Revision, snap.Commit, snap.Dir)
	return nil
}

type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(s string) error { *f = append(*f, s); return nil }
