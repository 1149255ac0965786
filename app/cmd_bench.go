package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/engine/tokenize"
	"github.com/nlpscope/nlpscope/profiler"
)

// benchRun holds one `nlpscope bench` run's settings and its report.
type benchRun struct {
	std      Stdio
	log      *slog.Logger
	report   *BenchReport
	quiet    bool
	root     string // source tree (for the sugarme module); "." by default
	out      string
	peerDir  string
	ortLib   string
	provider string
	threads  int

	slice         time.Duration // one contender's slice in a comparison
	pairs         int
	opDur         time.Duration // latency measurement per operation
	minCalls      int
	usersDur      time.Duration // 1000-user load tests
	concurrencies []int
	disagreeN     int
	coldRuns      int
	only          map[string]bool // steps to run; nil = all
	quick         bool
	memLoad       time.Duration // each of the two loads of the memory check
}

func (b *benchRun) progress(format string, a ...any) {
	if !b.quiet {
		fmt.Fprintf(b.std.Err, "bench: "+format+"\n", a...)
	}
}

func (b *benchRun) note(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.report.Notes = append(b.report.Notes, msg)
	b.progress("%s", msg)
}

// cmdBench runs the benchmark suite and writes the report.
func cmdBench(ctx context.Context, std Stdio, args []string) int {
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
	only := fs.String("only", "", "run only these comma-separated steps: efficiency, batching, peer, tokenizer, sugarme, targets, storage, sqlite, coldstart, memory (for tuning)")
	fs.Usage = func() {
		fmt.Fprintln(std.Err, "usage: nlpscope bench [--quick] [--json] [--out DIR] [--models-dir DIR] [--peer|--no-peer] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.Err, "nlpscope bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	b := &benchRun{std: std, log: benchLogger(std, *verbose), root: *root, out: *out, peerDir: *peerDir, ortLib: *ortLib, threads: *threads,
		report: &BenchReport{Mode: "full", StartedAt: time.Now()}}
	switch *provider {
	case "cpu", "cuda":
		b.provider = *provider
	default:
		fmt.Fprintf(std.Err, "nlpscope bench: provider %q: want cpu or cuda\n", *provider)
		return 2
	}
	if b.threads <= 0 {
		b.threads = runtime.NumCPU()
	}
	b.slice, b.pairs, b.opDur, b.minCalls, b.usersDur, b.disagreeN, b.coldRuns = 3*time.Second, 5, 4*time.Second, 20, 15*time.Second, 400, 5
	b.concurrencies = []int{1, 16, 64, 256}
	b.memLoad = 30 * time.Second
	if *quick {
		b.report.Mode, b.quick, b.memLoad = "quick", true, 5*time.Second
		b.slice, b.pairs, b.opDur, b.minCalls, b.usersDur, b.disagreeN, b.coldRuns = time.Second, 2, time.Second, 5, 4*time.Second, 100, 3
	}
	if *slice > 0 {
		b.slice = *slice
	}
	if *pairs > 0 {
		b.pairs = *pairs
	}
	switch {
	case *update == "" && !*quick:
		*update = "BENCHMARKS.md"
	case *update == "none":
		*update = ""
	}
	b.report.SliceMs, b.report.Pairs = b.slice.Milliseconds(), b.pairs
	if err := os.MkdirAll(b.out, 0o755); err != nil {
		fmt.Fprintf(std.Err, "nlpscope bench: %v\n", err)
		return 1
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(std.Err, "nlpscope bench: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(std.Err, "nlpscope bench: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *only != "" {
		b.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			b.only[strings.TrimSpace(s)] = true
		}
	}
	if err := b.run(ctx, *modelsDir, *peerOn && !*noPeer, !*quick || *sugar, *quick); err != nil {
		fmt.Fprintf(std.Err, "nlpscope bench: %v\n", err)
		return 1
	}
	paths, err := b.write(*update)
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope bench: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			KeyRatios
			Mode   string   `json:"mode"`
			Report []string `json:"report_files"`
		}{b.report.Key, b.report.Mode, paths})
	} else {
		fmt.Fprintf(std.Out, "report: %s\n", paths[0])
	}
	return 0
}

// run measures every section; a section that cannot run is noted in the
// report and the others go on. Only a cancelled context stops the run.
func (b *benchRun) run(ctx context.Context, modelsDir string, withPeer, withSugarme, quick bool) error {
	r := b.report
	// The environment, from an engine that holds ORT for the whole run.
	anchor, err := engine.New(engine.Config{ORTLibPath: b.ortLib, Provider: b.provider, IntraOpThreads: b.threads}, b.log)
	if err != nil {
		return err
	}
	defer anchor.Close()
	rt := anchor.Runtime()
	r.Env = BenchEnv{Hardware: profiler.Fingerprint(ctx), ORTVersion: rt.ORTVersion, ORTLib: rt.LibPath, Provider: rt.Provider,
		Threads: b.threads, GitCommit: gitCommit(b.root), Date: time.Now().UTC().Format(time.RFC3339), LoadAvg: loadAvg()}
	b.progress("%s mode, %d threads, ORT %s; slices of %v, %d pairs", r.Mode, b.threads, rt.ORTVersion, b.slice, b.pairs)

	section := func(name string, f func() error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		if err := f(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.note("%s: not measured: %v", name, err)
		}
		b.progress("%s done in %v", name, time.Since(t0).Round(time.Second))
		return nil
	}

	seqDir := filepath.Join(modelsDir, "distilbert-random-sequence")
	tokDir := filepath.Join(modelsDir, "distilbert-random-token")
	// The INT8 copies use this machine's scheme (--target auto): the
	// benchmark measures what a user of this CPU would run. The target is in
	// the folder name, so a report directory reused on another kind of CPU
	// does not reuse a file made for this one.
	int8Target := string(quantize.DetectHost().Target)
	int8Seq := filepath.Join(b.out, "models", "distilbert-random-sequence-int8-"+int8Target)
	int8Tok := filepath.Join(b.out, "models", "distilbert-random-token-int8-"+int8Target)
	haveBench := fileExists(filepath.Join(seqDir, "model.onnx")) && fileExists(filepath.Join(tokDir, "model.onnx"))
	haveInt8 := false
	if !haveBench {
		b.note("the DistilBERT-shaped benchmark models are missing from %s (run `make bench-models`): sections 1b, 2, 3a and 4 were not measured", modelsDir)
	} else {
		r.Env.BenchModels = modelsDir
		if err := section("INT8 quantization (engine/quantize)", func() error {
			if err := quantizedFolder(seqDir, int8Seq); err != nil {
				return err
			}
			if err := quantizedFolder(tokDir, int8Tok); err != nil {
				return err
			}
			haveInt8 = true
			return nil
		}); err != nil {
			return err
		}
	}
	steps := []struct {
		key  string
		name string
		on   bool
		f    func() error
	}{
		{"efficiency", "engine efficiency and length-aware batching", haveBench, func() error { return b.efficiency(ctx, seqDir) }},
		{"batching", "batching on vs off (default models)", true, func() error { return b.defaultBatching(ctx) }},
		{"peer", "peer (transformers.js)", haveBench && withPeer, func() error {
			q := ""
			if haveInt8 {
				q = int8Seq
			}
			return b.peerSection(ctx, seqDir, q)
		}},
		{"tokenizer", "tokenizer", true, func() error {
			tk, err := benchTokenizer(seqDir, haveBench)
			if err != nil {
				return err
			}
			b.tokenizerSpeed(ctx, tk)
			return nil
		}},
		{"sugarme", "tokenizer vs sugarme", withSugarme, func() error {
			c, err := b.sugarme(ctx)
			if err != nil {
				return err
			}
			r.Resources.Tokenizer = append(r.Resources.Tokenizer, c)
			return nil
		}},
		{"targets", "targets: default models", true, func() error {
			r.Targets = append(r.Targets, b.targets(ctx, benchModelSet{name: "(a) default models (embedded)"}))
			return nil
		}},
		{"targets", "targets: DistilBERT fp32", haveBench && !quick, func() error {
			r.Targets = append(r.Targets, b.targets(ctx, benchModelSet{name: "(b) DistilBERT-shaped, fp32", sentiment: seqDir, entities: tokDir}))
			return nil
		}},
		{"targets", "targets: DistilBERT INT8", haveInt8 && !quick, func() error {
			r.Targets = append(r.Targets, b.targets(ctx, benchModelSet{name: "(b) DistilBERT-shaped, INT8 (engine/quantize)", sentiment: int8Seq, entities: int8Tok}))
			return nil
		}},
		{"storage", "cache and storage", true, func() error { return b.cacheAndStorage(ctx) }},
		{"sqlite", "SQLite storage speed", true, func() error { return b.storageSpeed(ctx, quick) }},
		{"coldstart", "cold start", true, func() error { return b.coldStart(ctx, b.coldRuns) }},
		{"memory", "memory (nlpscope serve in a new process)", true, func() error { return b.serverMemory(ctx, b.memLoad) }},
	}
	for _, s := range steps {
		if !s.on || (b.only != nil && !b.only[s.key]) {
			continue
		}
		if err := section(s.name, s.f); err != nil {
			return err
		}
	}
	if withPeer && !r.Peer.Available && r.Peer.Why == "" {
		r.Peer.Why = "the benchmark models are missing (run `make bench-models`)"
	}
	if !withPeer {
		r.Peer.Why = "skipped (--no-peer)"
	}
	if quick {
		b.note("quick run: the DistilBERT targets tables (1b) are measured by the full run only (`make bench`)")
		if !withSugarme {
			b.note("quick run: the sugarme/tokenizer comparison runs in the full run only (or with --sugarme)")
		}
	}
	r.Env.LoadAvgEnd = loadAvg()
	r.Duration = time.Since(r.StartedAt)
	return nil
}

// benchTokenizer is bert-base-uncased from the benchmark models, or the
// default sentiment model's tokenizer when they are missing.
func benchTokenizer(seqDir string, haveBench bool) (*tokenize.Tokenizer, error) {
	if haveBench {
		return tokenize.FromFile(filepath.Join(seqDir, "tokenizer.json"))
	}
	if EmbeddedModels() == nil {
		return nil, errors.New("no benchmark models and no embedded models")
	}
	data, err := iofs.ReadFile(EmbeddedModels(), path.Join(DefaultModelName(engine.TaskSentiment), "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	return tokenize.FromJSON(data)
}

// write saves the report as Markdown and JSON under the output folder and,
// when update is set, replaces that Markdown file with it.
func (b *benchRun) write(update string) ([]string, error) {
	var md bytes.Buffer
	b.report.writeMarkdown(&md)
	js, err := json.MarshalIndent(b.report, "", "  ")
	if err != nil {
		return nil, err
	}
	stamp := b.report.StartedAt.UTC().Format("20060102-150405")
	base := filepath.Join(b.out, fmt.Sprintf("bench-%s-%s", b.report.Mode, stamp))
	paths := []string{base + ".md", base + ".json"}
	files := map[string][]byte{
		base + ".md": md.Bytes(), base + ".json": js,
		filepath.Join(b.out, "latest-"+b.report.Mode+".md"): md.Bytes(), filepath.Join(b.out, "latest-"+b.report.Mode+".json"): js,
	}
	if update != "" {
		var doc bytes.Buffer
		doc.WriteString("# Benchmarks\n\n")
		doc.WriteString("This file is written by `make bench` (`bin/nlpscope bench`): it holds the latest full report and the machine it ran on. ")
		doc.WriteString("`bin/nlpscope bench --quick --json` prints the key ratios in about five minutes. Reports (Markdown and JSON) go to `bench/out/`. ")
		doc.WriteString("The DistilBERT-shaped models come from `make bench-models` (random weights: they measure speed, not accuracy).\n\n")
		doc.Write(bytes.Replace(md.Bytes(), []byte("# nlpscope benchmark report"), []byte("## Latest report"), 1))
		files[update] = doc.Bytes()
		paths = append(paths, update)
	}
	for p, data := range files {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
