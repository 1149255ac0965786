package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/nlpscope/nlpscope/bench"
)

// cmdBench runs the benchmark suite (package bench) and writes the report.
func cmdBench(ctx context.Context, std Stdio, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	quick := fs.Bool("quick", false, "short run (about 5 minutes): fewer and shorter slices, default-model targets only")
	asJSON := fs.Bool("json", false, "print the key ratios as JSON on stdout")
	out := fs.String("out", filepath.Join("bench", "out"), "report `dir`")
	modelsDir := fs.String("models-dir", filepath.Join(".cache", "bench-models"), "`dir` of the benchmark models (make bench-models)")
	peerOn := fs.Bool("peer", true, "compare with transformers.js (bench/peer)")
	noPeer := fs.Bool("no-peer", false, "skip the transformers.js comparison")
	peerDir := fs.String("peer-dir", filepath.Join("bench", "peer"), "`dir` holding driver.mjs and node_modules")
	update := fs.String("update", "", "Markdown `file` to replace with the report (default: BENCHMARKS.md for a full run, none for --quick; none = do not update)")
	threads := fs.Int("threads", 0, "intra-op threads for every session, ours and the peers' (0 = number of CPUs)")
	ortLib := fs.String("ort-lib", "", "ONNX Runtime shared library `path`")
	provider := fs.String("provider", "cpu", "execution provider for every session, ours and raw ORT's: cpu or cuda (the peer stays on CPU)")
	slice := fs.Duration("slice", 0, "length of one slice in a comparison (0 = 1s quick, 3s full)")
	pairs := fs.Int("pairs", 0, "alternating pairs per comparison (0 = 2 quick, 5 full)")
	sugar := fs.Bool("sugarme", false, "with --quick: also run the sugarme/tokenizer comparison (always in a full run)")
	root := fs.String("root", ".", "source tree `dir` (for the sugarme comparison module)")
	verbose := fs.Bool("v", false, "log the engine's messages")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `file` (for tuning)")
	only := fs.String("only", "", "run only these comma-separated steps: efficiency, batching, peer, tokenizer, sugarme, targets, capacity, overload, storage, sqlite, coldstart, memory (for tuning)")
	fs.Usage = func() {
		fmt.Fprintln(std.Err, "usage: nlpscope bench [--quick] [--json] [--out DIR] [--models-dir DIR] [--peer|--no-peer] [flags]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	cfg := bench.Config{Quick: *quick, ModelsDir: *modelsDir, Out: *out, Peer: *peerOn && !*noPeer, PeerDir: *peerDir,
		Sugarme: !*quick || *sugar, Root: *root, ORTLib: *ortLib, Threads: *threads, Slice: *slice, Pairs: *pairs,
		Log: slog.New(slog.DiscardHandler), Progress: std.Err}
	if *verbose {
		cfg.Log = newLogger(std, true)
	}
	switch *provider {
	case "cpu", "cuda":
		cfg.Provider = *provider
	default:
		return usagef("provider %q: want cpu or cuda", *provider)
	}
	switch {
	case *update == "" && !*quick:
		*update = "BENCHMARKS.md"
	case *update == "none":
		*update = ""
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *only != "" {
		cfg.Only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			cfg.Only[strings.TrimSpace(s)] = true
		}
	}
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	paths, err := report.Write(*out, *update)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			bench.KeyRatios
			Mode   string   `json:"mode"`
			Report []string `json:"report_files"`
		}{report.Key, report.Mode, paths})
	}
	fmt.Fprintf(std.Out, "report: %s\n", paths[0])
	return nil
}
