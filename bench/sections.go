package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	iofs "io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
	"github.com/nlpscope/nlpscope/httpapi"
	"github.com/nlpscope/nlpscope/profiler"
)

// benchModelSet is one set of models for the targets table.
type benchModelSet struct {
	name      string
	sentiment string // folder; "" = embedded default
	entities  string
}

// latencyTargets are DESIGN.md's latency targets in milliseconds.
var latencyTargets = []struct {
	op                      string
	target, acceptable, max float64
}{
	{"health check", 5, 10, 50},
	{"sentiment, single text", 15, 25, 100},
	{"sentiment, batch of 32", 150, 200, 500},
	{"entities, single text", 25, 50, 150},
	{"entities, batch of 16", 180, 250, 600},
	{"combined analysis", 40, 75, 200},
}

func verdict(v, target, acceptable, maxV float64) string {
	switch {
	case v <= target:
		return "target"
	case v <= acceptable:
		return "acceptable"
	case v <= maxV:
		return "max"
	}
	return "fail"
}

func throughputVerdict(v, target, minimum float64) string {
	switch {
	case v >= target:
		return "target"
	case v >= minimum:
		return "minimum"
	}
	return "fail"
}

// benchService starts a Service without a database and a web shell on a
// loopback port; stop cancels the server and closes the Service.
func (b *benchRun) benchService(ctx context.Context, ms benchModelSet, tuning engine.Tuning, dbPath string) (*app.Service, string, func(), error) {
	cfg := app.Config{
		NoDB: dbPath == "", DBPath: dbPath, ORTLib: b.ortLib, Provider: b.provider, IntraOpThreads: b.threads,
		ModelSentiment: ms.sentiment, ModelEntities: ms.entities, Tuning: tuning,
	}
	svc, err := app.New(ctx, cfg, b.log)
	if err != nil {
		return nil, "", nil, err
	}
	if err := svc.WaitLoaded(ctx); err != nil {
		svc.Close()
		return nil, "", nil, err
	}
	if h := svc.Health(); len(h.Problems) > 0 {
		svc.Close()
		return nil, "", nil, fmt.Errorf("models not ready: %s", strings.Join(h.Problems, "; "))
	}
	srv, err := httpapi.NewServer(httpapi.ServerConfig{Addr: "127.0.0.1:0"}, svc, b.log)
	if err != nil {
		svc.Close()
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		svc.Close()
		return nil, "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(sctx, ln) }()
	stop := func() { cancel(); <-done; svc.Close() }
	return svc, "http://" + ln.Addr().String(), stop, nil
}

// httpCall posts body (GET when empty) and fails on a non-2xx status.
func httpCall(ctx context.Context, client *http.Client, url, body string) error {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != "" {
		method, rd = http.MethodPost, strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// targets measures the DESIGN.md table for one model set.
func (b *benchRun) targets(ctx context.Context, set benchModelSet) TargetSet {
	ts := TargetSet{Name: set.name, Sentiment: orDefault(set.sentiment), Entities: orDefault(set.entities)}
	svc, base, stop, err := b.benchService(ctx, set, engine.Tuning{CacheEntries: -1}, "")
	if err != nil {
		ts.Error = err.Error()
		return ts
	}
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	texts := benchTexts(64)
	bodies := []func(i int) (string, string){
		func(int) (string, string) { return "/health", "" },
		func(i int) (string, string) {
			return "/v1/sentiment/analyze", jsonBody(map[string]any{"text": texts[i%len(texts)], "no_store": true})
		},
		func(i int) (string, string) {
			return "/v1/sentiment/batch", jsonBody(map[string]any{"texts": groupsOf(texts, 32)[i%2], "no_store": true})
		},
		func(i int) (string, string) {
			return "/v1/entities/extract", jsonBody(map[string]any{"text": texts[i%len(texts)], "no_store": true})
		},
		func(i int) (string, string) {
			return "/v1/entities/batch", jsonBody(map[string]any{"texts": groupsOf(texts, 16)[i%4], "no_store": true})
		},
		func(i int) (string, string) {
			return "/v1/analyze", jsonBody(map[string]any{"text": texts[i%len(texts)], "no_store": true})
		},
	}
	for k, lt := range latencyTargets {
		row := TargetRow{Op: lt.op, Target: lt.target, Acceptable: lt.acceptable, Max: lt.max}
		lat, err := latencies(ctx, b.opDur, b.minCalls, 6*b.opDur+20*time.Second, func(ctx context.Context, i int) error {
			path, body := bodies[k](i)
			return httpCall(ctx, client, base+path, body)
		})
		if err != nil {
			row.Error = err.Error()
		} else {
			row.N = len(lat)
			row.P50, row.P95, row.P99 = ms(percentile(lat, 50)), ms(percentile(lat, 95)), ms(percentile(lat, 99))
			row.Verdict = verdict(row.P95, lt.target, lt.acceptable, lt.max)
		}
		ts.Ops = append(ts.Ops, row)
		b.progress("targets %s: %s p95 %.1f ms", set.name, lt.op, row.P95)
	}
	// Throughput, in process.
	single := func(ctx context.Context, u, i int) error {
		_, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: texts[(u*31+i)%len(texts)], Tasks: []engine.Task{engine.TaskSentiment}, NoStore: true})
		return err
	}
	if s, err := closedLoop(ctx, 64, 2*b.opDur, 1, single); err == nil {
		ts.Throughput = append(ts.Throughput, ThroughputRow{Name: "single-text analysis (sentiment, 64 clients)", Target: 100, Minimum: 50, Unit: "req/s",
			Value: s.rate(), P50: ms(percentile(s.Lat, 50)), P95: ms(percentile(s.Lat, 95)), P99: ms(percentile(s.Lat, 99)), Verdict: throughputVerdict(s.rate(), 100, 50)})
	} else {
		ts.Throughput = append(ts.Throughput, ThroughputRow{Name: "single-text analysis", Verdict: "fail", Note: err.Error()})
	}
	groups := groupsOf(texts, 32)
	batch := func(ctx context.Context, u, i int) error {
		_, err := svc.Analyze(ctx, app.AnalyzeRequest{Texts: groups[(u+i)%len(groups)], Tasks: []engine.Task{engine.TaskSentiment}, NoStore: true})
		return err
	}
	if s, err := closedLoop(ctx, 4, 2*b.opDur, 32, batch); err == nil {
		ts.Throughput = append(ts.Throughput, ThroughputRow{Name: "batch processing (sentiment, batches of 32, 4 clients)", Target: 300, Minimum: 150, Unit: "texts/s",
			Value: s.rate(), P50: ms(percentile(s.Lat, 50)), P95: ms(percentile(s.Lat, 95)), P99: ms(percentile(s.Lat, 99)), Verdict: throughputVerdict(s.rate(), 300, 150)})
	} else {
		ts.Throughput = append(ts.Throughput, ThroughputRow{Name: "batch processing", Verdict: "fail", Note: err.Error()})
	}
	// 1000 concurrent users, in process and over HTTP.
	for _, over := range []string{"in process", "HTTP"} {
		row := ThroughputRow{Name: "1000 concurrent users (sentiment, " + over + ")", Target: 1000, Minimum: 500, Unit: "users"}
		var target profiler.Target
		if over == "HTTP" {
			ht, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: base + "/v1/sentiment/analyze", Body: `{"text":"{{text}}","no_store":true}`, Texts: texts, MaxConns: 1100})
			if err != nil {
				row.Verdict, row.Note = "fail", err.Error()
				ts.Throughput = append(ts.Throughput, row)
				continue
			}
			defer ht.Close()
			target = ht.Do
		} else {
			target = svc.InprocTarget([]engine.Task{engine.TaskSentiment}, texts, profiler.CacheBypass, new(profiler.CacheCount))
		}
		lt, err := profiler.NewLoadTest(profiler.LoadConfig{Target: over, Task: "sentiment", Users: 1000, Ramp: time.Second,
			Duration: b.usersDur, Timeout: 60 * time.Second, Grace: 2 * time.Second, NoFingerprint: true}, b.log)
		if err == nil {
			var rep profiler.Report
			rep, err = lt.Run(ctx, target)
			if err == nil {
				row.Value = float64(rep.PeakInFlight)
				row.P50, row.P95, row.P99 = ms(rep.Latency.P50), ms(rep.Latency.P95), ms(rep.Latency.P99)
				row.Errors = rep.Errors
				row.Note = fmt.Sprintf("%d ok, %d errors, %.0f req/s, peak %d in flight", rep.Succeeded, rep.Errors, rep.Throughput, rep.PeakInFlight)
				row.Verdict = "fail"
				if rep.Errors == 0 && rep.Succeeded > 0 {
					row.Verdict = throughputVerdict(float64(rep.PeakInFlight), 1000, 500)
				}
			}
		}
		if err != nil {
			row.Verdict, row.Note = "fail", err.Error()
		}
		ts.Throughput = append(ts.Throughput, row)
		b.progress("targets %s: %s: %s", set.name, row.Name, row.Note)
	}
	return ts
}

func orDefault(dir string) string {
	if dir == "" {
		return "embedded default"
	}
	return filepath.Base(dir)
}

// engineFor starts an Engine with one model loaded.
func (b *benchRun) engineFor(ctx context.Context, task engine.Task, dir string, tuning engine.Tuning) (*engine.Engine, error) {
	return b.engineThreads(ctx, task, dir, tuning, b.threads)
}

// engineThreads is engineFor with threads intra-op threads.
func (b *benchRun) engineThreads(ctx context.Context, task engine.Task, dir string, tuning engine.Tuning, threads int) (*engine.Engine, error) {
	return b.engineWith(ctx, task, dir, engine.Config{IntraOpThreads: threads, Tuning: tuning})
}

// engineWith starts an Engine from cfg (ORT library and provider from the
// run) with one model loaded.
func (b *benchRun) engineWith(ctx context.Context, task engine.Task, dir string, cfg engine.Config) (*engine.Engine, error) {
	cfg.ORTLibPath, cfg.Provider = b.ortLib, b.provider
	if cfg.MaxQueueWait == 0 {
		// Throughput sections saturate the engine on purpose: no shedding
		// (the overload section measures that).
		cfg.MaxQueueWait = -1
	}
	eng, err := engine.New(cfg, b.log)
	if err != nil {
		return nil, err
	}
	src, err := app.ModelSource(task, dir)
	if err == nil {
		_, err = eng.LoadModel(ctx, task, src)
	}
	if err != nil {
		eng.Close()
		return nil, err
	}
	return eng, nil
}

// efficiency compares the engine with raw ORT at 1, 16, 64 and 256 clients
// (section 2) and length-aware batching with naive padded batches
// (section 3a), on the DistilBERT-shaped sequence model.
func (b *benchRun) efficiency(ctx context.Context, dir string) error {
	eng, err := b.engineFor(ctx, engine.TaskSentiment, dir, engine.Tuning{CacheEntries: -1})
	if err != nil {
		return err
	}
	defer eng.Close()
	// The best raw configuration: idle threads spinning or not, then batch 1
	// or padded batches of 8 for many clients; each choice by alternating
	// slices.
	var raws [2]*rawORT
	for i, spin := range []bool{true, false} {
		r, err := newRawORT(dir, "", b.threads, 2, spin, b.provider)
		if err != nil {
			return err
		}
		defer r.close()
		raws[i] = r
	}
	texts := benchTexts(len(benchSentences))
	mixed := mixedTexts(256)
	for _, r := range raws {
		for _, p := range []struct {
			key   string
			texts []string
			batch int
		}{{"b1", texts, 1}, {"b8", benchTexts(64), 8}, {"pad32", mixed, 32}} {
			if err := r.prepare(p.key, p.texts, p.batch, 512); err != nil {
				return err
			}
		}
	}
	spinCal, err := compare(ctx, "raw ORT spinning off vs on", "spin off", "spin on", "texts/s", 1, b.slice, raws[1].run("b1"), raws[0].run("b1"))
	if err != nil {
		return err
	}
	raw, spinNote := raws[0], "idle threads spinning (ORT default)"
	if spinCal.Ratio > 1 {
		raw, spinNote = raws[1], "idle threads not spinning"
	}
	cal, err := compare(ctx, "raw ORT batch 8 vs batch 1", "raw batch 8", "raw batch 1", "texts/s", 1, b.slice, raw.run("b8"), raw.run("b1"))
	if err != nil {
		return err
	}
	best := "b1"
	if cal.Ratio > 1 {
		best = "b8"
	}
	calNote := fmt.Sprintf("raw config chosen by alternating calibration: %s (spin off/on %.2f×), batch 8/batch 1 %.2f×", spinNote, spinCal.Ratio, cal.Ratio)
	b.progress("efficiency: %s", calNote)
	worst := 0.0
	for i, c := range b.concurrencies {
		key := best
		if c < 8 {
			key = "b1"
		}
		name := fmt.Sprintf("%d clients", c)
		cmp, err := compare(ctx, name, fmt.Sprintf("nlpscope, %d clients", c), "raw ORT "+strings.Replace(key, "b", "batch ", 1), "texts/s", b.pairs, b.slice,
			engineSingle(eng, engine.TaskSentiment, c, texts), raw.run(key))
		if err != nil {
			return err
		}
		cmp = cmp.withGoal(0.95)
		if i == 0 {
			cmp.Note = calNote
		}
		b.report.Efficiency = append(b.report.Efficiency, cmp)
		if i == 0 || cmp.Ratio < worst {
			worst = cmp.Ratio
		}
		if c == 1 {
			b.report.Key.EngineVsRaw1Client = f64(cmp.Ratio)
		}
		b.progress("efficiency %s: %s", name, fmtRatio(cmp))
	}
	b.report.Key.EngineVsRaw = f64(worst)

	// Tuning data: the engine's idle ORT threads spinning (Config.Spin) or
	// not (the default), for one client, where it matters most.
	spinning, err := b.engineWith(ctx, engine.TaskSentiment, dir, engine.Config{IntraOpThreads: b.threads, Spin: true, Tuning: engine.Tuning{CacheEntries: -1}})
	if err != nil {
		return err
	}
	sc, err := compare(ctx, "engine, 1 client: Config.Spin on vs off (default)", "spin on", "spin off", "texts/s", b.pairs, b.slice,
		engineSingle(spinning, engine.TaskSentiment, 1, texts), engineSingle(eng, engine.TaskSentiment, 1, texts))
	spinning.Close()
	if err != nil {
		return err
	}
	sc.Note = "tuning data: spinning pays on an idle machine and costs on a loaded one; compare the raw calibration above"
	b.report.Efficiency = append(b.report.Efficiency, sc)
	b.progress("efficiency %s: %s", sc.Name, fmtRatio(sc))

	cmp, err := compare(ctx, "length-aware batching vs padded batches of 32 (mixed lengths, DistilBERT)", "nlpscope SentimentBatch(32)", "raw ORT padded batch 32", "texts/s", b.pairs, 2*b.slice,
		engineBatches(eng, 1, 32, mixed), raw.run("pad32"))
	if err != nil {
		return err
	}
	cmp = cmp.withGoal(1.3)
	cmp.Note = fmt.Sprintf("naive padding computes %.2f× the real tokens of these 256 texts (4–170 tokens)", raw.paddedRatio("pad32"))
	b.report.Batching = append(b.report.Batching, cmp)
	b.report.Key.LengthBatchingVsPadded = f64(cmp.Ratio)
	b.progress("batching mixed lengths: %s", fmtRatio(cmp))
	return nil
}

// defaultBatching compares batching on and off for the small default
// models at 64 clients (section 3b), and raw ORT at batch 32 vs batch 1 on
// the same model: the most that batching can give on this CPU.
func (b *benchRun) defaultBatching(ctx context.Context) error {
	texts := benchTexts(len(benchSentences))
	for _, task := range []engine.Task{engine.TaskSentiment, engine.TaskEntities} {
		on, err := b.engineFor(ctx, task, "", engine.Tuning{CacheEntries: -1})
		if err != nil {
			return err
		}
		off, err := b.engineFor(ctx, task, "", engine.Tuning{CacheEntries: -1, MaxBatchSize: 1})
		if err != nil {
			on.Close()
			return err
		}
		cmp, err := compare(ctx, fmt.Sprintf("default %s model: batching on vs off, 64 clients", task), "batching on (default tuning)", "batching off (max batch 1)", "texts/s", b.pairs, b.slice,
			engineSingle(on, task, 64, texts), engineSingle(off, task, 64, texts))
		var eff float64
		if err == nil {
			// The ceiling: raw ORT batch 32 vs batch 1 on the same model.
			var ceil Comparison
			ceil, err = b.rawBatchGain(ctx, task, texts)
			if err == nil && ceil.Ratio > 0 {
				eff = cmp.Ratio / ceil.Ratio
				cmp.Note = fmt.Sprintf("ceiling on this CPU: raw ORT, pre-tokenized, batch 32 vs batch 1 on the same model = %s (%.0f vs %.0f texts/s); efficiency %.2f", fmtRatio(ceil), ceil.RateA, ceil.RateB, eff)
			}
		}
		on.Close()
		off.Close()
		if err != nil {
			return err
		}
		b.report.Batching = append(b.report.Batching, cmp)
		if task == engine.TaskSentiment {
			b.report.Key.DefaultModelBatchingGain = f64(cmp.Ratio)
			b.report.Key.BatchingEfficiencySentiment = f64(eff)
		} else {
			b.report.Key.BatchingEfficiencyEntities = f64(eff)
		}
		b.progress("batching default %s: %s %s", task, fmtRatio(cmp), cmp.Note)
	}
	if b.threads == 1 || b.quick {
		return nil
	}
	// Tuning data: one intra-op thread against b.threads for the small
	// default model under load (batching on in both).
	one, err := b.engineThreads(ctx, engine.TaskSentiment, "", engine.Tuning{CacheEntries: -1}, 1)
	if err != nil {
		return err
	}
	defer one.Close()
	all, err := b.engineFor(ctx, engine.TaskSentiment, "", engine.Tuning{CacheEntries: -1})
	if err != nil {
		return err
	}
	defer all.Close()
	cmp, err := compare(ctx, "default sentiment model: 1 intra-op thread vs "+fmt.Sprint(b.threads)+", 64 clients", "1 thread", fmt.Sprintf("%d threads", b.threads), "texts/s", b.pairs, b.slice,
		engineSingle(one, engine.TaskSentiment, 64, texts), engineSingle(all, engine.TaskSentiment, 64, texts))
	if err != nil {
		return err
	}
	cmp.Note = "tuning data: above 1 the default models need fewer threads than cores on this machine"
	b.report.Batching = append(b.report.Batching, cmp)
	b.progress("threads default sentiment: %s", fmtRatio(cmp))
	return nil
}

// rawBatchGain writes the embedded model of task to the output folder and
// compares raw ORT at batch 32 with batch 1 on it.
func (b *benchRun) rawBatchGain(ctx context.Context, task engine.Task, texts []string) (Comparison, error) {
	dir := filepath.Join(b.out, "models", "default-"+string(task))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Comparison{}, err
	}
	for _, f := range []string{"model.onnx", "tokenizer.json", "config.json"} {
		data, err := iofs.ReadFile(app.EmbeddedModels(), path.Join(app.DefaultModelName(task), f))
		if err != nil {
			return Comparison{}, err
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			return Comparison{}, err
		}
	}
	var cfg struct {
		ID2Label map[string]string `json:"id2label"`
	}
	if data, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		json.Unmarshal(data, &cfg)
	}
	raw, err := newRawORT(dir, "", b.threads, len(cfg.ID2Label), false, b.provider)
	if err != nil {
		return Comparison{}, err
	}
	defer raw.close()
	raw.tokens = task == engine.TaskEntities
	if err := raw.prepare("b1", texts, 1, 512); err != nil {
		return Comparison{}, err
	}
	if err := raw.prepare("b32", benchTexts(128), 32, 512); err != nil {
		return Comparison{}, err
	}
	return compare(ctx, "raw ORT batch 32 vs batch 1", "raw batch 32", "raw batch 1", "texts/s", b.pairs, b.slice, raw.run("b32"), raw.run("b1"))
}

// quantizedFolder writes an INT8 copy of the model folder src into dst
// (model.onnx quantized with engine/quantize for this CPU, --target auto;
// config and tokenizer linked)
// unless it is already there and newer than src.
func quantizedFolder(src, dst string) error {
	in := filepath.Join(src, "model.onnx")
	out := filepath.Join(dst, "model.onnx")
	si, err := os.Stat(in)
	if err != nil {
		return err
	}
	if di, err := os.Stat(out); err == nil && di.ModTime().After(si.ModTime()) {
		return nil
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	q, _, err := quantize.Dynamic(data, quantize.ForTarget(quantize.TargetAuto))
	if err != nil {
		return fmt.Errorf("quantize %s: %w", in, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"config.json", "tokenizer.json"} {
		abs, _ := filepath.Abs(filepath.Join(src, f))
		os.Remove(filepath.Join(dst, f))
		if err := os.Symlink(abs, filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, q, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// cacheAndStorage measures cache-hit latency and SQLite persisted results/s
// with the default models.
func (b *benchRun) cacheAndStorage(ctx context.Context) error {
	eng, err := b.engineFor(ctx, engine.TaskSentiment, "", engine.Tuning{})
	if err != nil {
		return err
	}
	text := benchSentences[0]
	if _, err := eng.Sentiment(ctx, text, engine.Options{}); err != nil {
		eng.Close()
		return err
	}
	lat, err := latencies(ctx, b.opDur, 1000, time.Minute, func(ctx context.Context, i int) error {
		s, err := eng.Sentiment(ctx, text, engine.Options{})
		if err == nil && !s.Cached {
			err = fmt.Errorf("cache: second call of the same text was not a hit")
		}
		return err
	})
	eng.Close()
	if err != nil {
		return err
	}
	b.report.Resources.CacheHitP50 = float64(percentile(lat, 50).Nanoseconds()) / 1000
	b.report.Resources.CacheHitP99 = float64(percentile(lat, 99).Nanoseconds()) / 1000

	dir, err := os.MkdirTemp("", "nlpscope-bench-db-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	svc, _, stop, err := b.benchService(ctx, benchModelSet{}, engine.Tuning{}, filepath.Join(dir, "bench.db"))
	if err != nil {
		return err
	}
	defer stop()
	store := func(unique bool) (float64, error) {
		s, err := closedLoop(ctx, 16, 2*b.opDur, 1, func(ctx context.Context, u, i int) error {
			t := benchSentences[(u+i)%len(benchSentences)]
			if unique {
				t = fmt.Sprintf("%s (%d.%d)", t, u, i)
			}
			r, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: t, Tasks: []engine.Task{engine.TaskSentiment}, Source: "bench"})
			if err == nil && r.Results[0].ID == 0 {
				err = fmt.Errorf("result was not stored")
			}
			return err
		})
		return s.rate(), err
	}
	if b.report.Resources.StoredPerS, err = store(true); err != nil {
		return err
	}
	b.report.Resources.StoredCached, err = store(false)
	return err
}
