package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/engine/tokenize"
	"github.com/nlpscope/nlpscope/profiler"
)

// Config is one run of the suite. Zero values take the defaults noted.
type Config struct {
	Quick     bool            // short run (about 5 minutes): fewer and shorter slices, default-model targets only
	ModelsDir string          // the DistilBERT-shaped benchmark models (make bench-models)
	Out       string          // report folder; it must exist
	Peer      bool            // compare with transformers.js
	PeerDir   string          // folder holding driver.mjs and node_modules
	Sugarme   bool            // run the sugarme/tokenizer comparison
	Root      string          // source tree (for the sugarme comparison module); "" = "."
	ORTLib    string          // ONNX Runtime shared library; "" = engine lookup order
	Provider  string          // execution provider of every session, ours and raw ORT's: "cpu" or "cuda"
	Threads   int             // intra-op threads of every session; 0 = number of CPUs
	Slice     time.Duration   // one slice of a comparison; 0 = 1s quick, 3s full
	Pairs     int             // alternating pairs per comparison; 0 = 2 quick, 5 full
	Only      map[string]bool // steps to run (efficiency, batching, peer, …); nil = all

	Log      *slog.Logger // the engine's messages; nil = discarded
	Progress io.Writer    // progress lines ("bench: …"); nil = none
}

// benchRun holds one `nlpscope bench` run's settings and its report.
type benchRun struct {
	log        *slog.Logger
	progressTo io.Writer // nil = quiet
	report     *Report
	root       string // source tree (for the sugarme module); "." by default
	out        string
	peerDir    string
	ortLib     string
	provider   string
	threads    int

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
	if b.progressTo != nil {
		fmt.Fprintf(b.progressTo, "bench: "+format+"\n", a...)
	}
}

func (b *benchRun) note(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.report.Notes = append(b.report.Notes, msg)
	b.progress("%s", msg)
}

// Run measures every section and returns the report; a section that cannot
// run is noted in the report and the others go on. Only a cancelled context
// (or an ONNX Runtime that does not start) stops the run.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	b := &benchRun{log: cfg.Log, progressTo: cfg.Progress, root: cfg.Root, out: cfg.Out, peerDir: cfg.PeerDir, ortLib: cfg.ORTLib,
		provider: cfg.Provider, threads: cfg.Threads, only: cfg.Only,
		report: &Report{Mode: "full", StartedAt: time.Now()}}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.root == "" {
		b.root = "."
	}
	if b.provider == "" {
		b.provider = "cpu"
	}
	if b.threads <= 0 {
		b.threads = runtime.NumCPU()
	}
	b.slice, b.pairs, b.opDur, b.minCalls, b.usersDur, b.disagreeN, b.coldRuns = 3*time.Second, 5, 4*time.Second, 20, 15*time.Second, 400, 5
	b.concurrencies = []int{1, 16, 64, 256}
	b.memLoad = 30 * time.Second
	if cfg.Quick {
		b.report.Mode, b.quick, b.memLoad = "quick", true, 5*time.Second
		b.slice, b.pairs, b.opDur, b.minCalls, b.usersDur, b.disagreeN, b.coldRuns = time.Second, 2, time.Second, 5, 4*time.Second, 100, 3
	}
	if cfg.Slice > 0 {
		b.slice = cfg.Slice
	}
	if cfg.Pairs > 0 {
		b.pairs = cfg.Pairs
	}
	b.report.SliceMs, b.report.Pairs = b.slice.Milliseconds(), b.pairs
	if err := b.run(ctx, cfg.ModelsDir, cfg.Peer, cfg.Sugarme, cfg.Quick); err != nil {
		return nil, err
	}
	return b.report, nil
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
	r.Env = Env{Hardware: profiler.Fingerprint(ctx), ORTVersion: rt.ORTVersion, ORTLib: rt.LibPath, Provider: rt.Provider,
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
		{"capacity", "capacity at p99<50ms (default models)", true, func() error { return b.capacity(ctx) }},
		{"slo", "SLO mode under a step load (default sentiment model)", true, func() error { return b.sloSection(ctx) }},
		{"overload", "overload: 1,000 users and a 10× burst against nlpscope serve", true, func() error { return b.overload(ctx) }},
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
	if app.EmbeddedModels() == nil {
		return nil, errors.New("no benchmark models and no embedded models")
	}
	data, err := iofs.ReadFile(app.EmbeddedModels(), path.Join(app.DefaultModelName(engine.TaskSentiment), "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	return tokenize.FromJSON(data)
}

// Write saves the report as Markdown and JSON under the folder out and,
// when update is set, replaces that Markdown file with it. It returns the
// files written: the report's Markdown and JSON first.
func (r *Report) Write(out, update string) ([]string, error) {
	var md bytes.Buffer
	r.writeMarkdown(&md)
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	stamp := r.StartedAt.UTC().Format("20060102-150405")
	base := filepath.Join(out, fmt.Sprintf("bench-%s-%s", r.Mode, stamp))
	paths := []string{base + ".md", base + ".json"}
	files := map[string][]byte{
		base + ".md": md.Bytes(), base + ".json": js,
		filepath.Join(out, "latest-"+r.Mode+".md"): md.Bytes(), filepath.Join(out, "latest-"+r.Mode+".json"): js,
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

// fileExists reports whether p is a file (not a folder).
func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
