package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
	"github.com/nlpscope/nlpscope/storage/storagebench"
)

// Report is everything `nlpscope bench` measured; it is written as
// JSON next to its Markdown rendering.
type Report struct {
	Mode      string        `json:"mode"` // "quick" or "full"
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	SliceMs   int64         `json:"slice_ms"`
	Pairs     int           `json:"pairs"`
	Env       Env           `json:"env"`
	Key       KeyRatios     `json:"key"`

	Targets    []TargetSet      `json:"targets"`
	Efficiency []Comparison     `json:"efficiency"`
	Batching   []Comparison     `json:"batching"`
	Peer       PeerSection      `json:"peer"`
	Resources  Resources        `json:"resources"`
	Storage    StorageBench     `json:"storage"`
	Capacity   []CapacityRow    `json:"capacity,omitempty"`
	Overload   *OverloadSection `json:"overload,omitempty"`
	SLO        *SLOSection      `json:"slo,omitempty"`
	Notes      []string         `json:"notes,omitempty"` // what could not be measured, and why
}

// KeyRatios are the headline numbers of `bench --quick --json`; null when
// not measured.
type KeyRatios struct {
	EngineVsRaw              *float64 `json:"engine_vs_raw"` // worst over concurrencies
	EngineVsRaw1Client       *float64 `json:"engine_vs_raw_1client"`
	LengthBatchingVsPadded   *float64 `json:"length_batching_vs_padded"`
	DefaultModelBatchingGain *float64 `json:"default_model_batching_gain"`
	// Batching efficiency: the engine's batching gain at 64 clients (on vs
	// off) over raw ORT's batch 32 vs batch 1 on the same model (goal ≥ 0.9).
	BatchingEfficiencySentiment *float64 `json:"batching_efficiency_sentiment"`
	BatchingEfficiencyEntities  *float64 `json:"batching_efficiency_entities"`
	PeerRatioFP32            *float64 `json:"peer_ratio_fp32"`
	PeerRatioFP32_1Client    *float64 `json:"peer_ratio_fp32_1client"` // full run only
	PeerRatioINT8            *float64 `json:"peer_ratio_int8"`
	TokenizerTokensPerS      *float64 `json:"tokenizer_tokens_per_s"`
	StorageAnalysesPerS      *float64 `json:"storage_analyses_per_s"` // batch-512, sentiment+entities
	// Capacity searches (`loadtest --find-max`): the highest open-loop rate
	// in requests/s each default model holds p99 < 50 ms at.
	CapacityP99_50msSentiment *float64 `json:"capacity_p99_50ms_sentiment"`
	CapacityP99_50msEntities  *float64 `json:"capacity_p99_50ms_entities"`
	// OverloadShedP99Ms is the p99 latency of the 429 answers to a 10×
	// burst against `nlpscope serve` (goal ≤ 50 ms).
	OverloadShedP99Ms *float64 `json:"overload_shed_p99_ms"`
	// SLO mode under a step load (50 → 400 → 100 req/s, target 50 ms): the
	// worst step's p99 of answered requests, and the answered requests
	// against the fixed default tuning's.
	SLOStepP99Ms             *float64 `json:"slo_step_p99_ms"`
	SLOStepThroughputVsFixed *float64 `json:"slo_step_throughput_vs_fixed"`
}

// Env describes the machine and software a report was measured on.
type Env struct {
	Hardware    profiler.Hardware `json:"hardware"`
	ORTVersion  string            `json:"ort_version"`
	ORTLib      string            `json:"ort_lib"`
	Provider    string            `json:"provider"`
	Threads     int               `json:"intra_op_threads"`
	GitCommit   string            `json:"git_commit"`
	Date        string            `json:"date"`
	LoadAvg     string            `json:"load_avg_start"`
	LoadAvgEnd  string            `json:"load_avg_end"`
	BenchModels string            `json:"bench_models_dir,omitempty"`
}

// TargetSet is the DESIGN.md targets table for one set of models.
type TargetSet struct {
	Name       string          `json:"name"`
	Sentiment  string          `json:"sentiment_model"`
	Entities   string          `json:"entities_model"`
	Ops        []TargetRow     `json:"ops"`
	Throughput []ThroughputRow `json:"throughput"`
	Error      string          `json:"error,omitempty"`
}

// TargetRow is one latency target: milliseconds, judged on p95.
type TargetRow struct {
	Op         string  `json:"op"`
	Target     float64 `json:"target_ms"`
	Acceptable float64 `json:"acceptable_ms"`
	Max        float64 `json:"max_ms"`
	N          int     `json:"n"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	P99        float64 `json:"p99_ms"`
	Verdict    string  `json:"verdict"` // target, acceptable, max, fail
	Error      string  `json:"error,omitempty"`
}

// ThroughputRow is one throughput target (requests or texts per second), or
// the concurrent-users run.
type ThroughputRow struct {
	Name    string  `json:"name"`
	Target  float64 `json:"target"`
	Minimum float64 `json:"minimum"`
	Unit    string  `json:"unit"`
	Value   float64 `json:"value"`
	P50     float64 `json:"p50_ms,omitempty"`
	P95     float64 `json:"p95_ms,omitempty"`
	P99     float64 `json:"p99_ms,omitempty"`
	Errors  uint64  `json:"errors,omitempty"`
	Verdict string  `json:"verdict"` // target, minimum, fail
	Note    string  `json:"note,omitempty"`
}

// PeerSection compares nlpscope with transformers.js.
type PeerSection struct {
	Available    bool         `json:"available"`
	Why          string       `json:"why,omitempty"` // when not available
	Version      string       `json:"version,omitempty"`
	ORTNode      string       `json:"onnxruntime_node,omitempty"`
	Comparisons  []Comparison `json:"comparisons,omitempty"`
	Disagreement *float64     `json:"int8_label_disagreement,omitempty"` // our INT8 vs the peer's fp32 labels, 0..1
	DisagreeN    int          `json:"int8_label_texts,omitempty"`
}

// Resources holds the tokenizer, cache, storage, memory and start-up
// measurements.
type Resources struct {
	Tokenizer     []Comparison `json:"tokenizer,omitempty"`
	TokensPerS    float64      `json:"tokens_per_s"`     // one goroutine, wall clock
	TokensPerCPUS float64      `json:"tokens_per_cpu_s"` // per CPU-second of the process
	CacheHitP50   float64      `json:"cache_hit_p50_us"` // microseconds
	CacheHitP99   float64      `json:"cache_hit_p99_us"`
	StoredPerS    float64      `json:"stored_results_per_s"` // SQLite, committed
	StoredCached  float64      `json:"stored_results_per_s_cached"`
	IdleRSS       uint64       `json:"idle_rss_bytes"`
	LoadedRSS     uint64       `json:"rss_after_load_bytes"`
	LoadedRSS2    uint64       `json:"rss_after_second_load_bytes"`
	LoadFor       string       `json:"load_for"`
	ColdStartMs   float64      `json:"cold_start_ms"`
	ColdStartRuns []float64    `json:"cold_start_runs_ms,omitempty"`
}

// StorageBench is the SQLite storage section (storage/storagebench): writes
// into new databases, then search and export on a database of SearchDocs
// documents.
type StorageBench struct {
	Store        []storagebench.StoreResult    `json:"store,omitempty"`
	SearchDocs   int                           `json:"search_docs,omitempty"`
	SearchIndex  storage.IndexSizes            `json:"search_indexes"`          // of the search database
	BuildSeconds float64                       `json:"build_seconds,omitempty"` // writing the search database
	Search       []storagebench.SearchResult   `json:"search,omitempty"`
	Insights     []storagebench.InsightsResult `json:"insights,omitempty"`
	Export       []storagebench.ExportResult   `json:"export,omitempty"`
}

func f64(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func fmtRatio(c Comparison) string {
	if math.IsNaN(c.Ratio) {
		return "–"
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", c.Ratio, c.Min, c.Max)
}

func fmtPtr(p *float64, format string) string {
	if p == nil {
		return "not measured"
	}
	return fmt.Sprintf(format, *p)
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// mib1 is a size in MiB with one decimal.
func mib1(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func passMark(c Comparison) string {
	switch {
	case c.Pass == nil:
		return ""
	case *c.Pass:
		return "✅ pass"
	default:
		return "❌ fail"
	}
}

var verdictMark = map[string]string{
	"target": "✅ target", "acceptable": "🟡 acceptable", "max": "🟠 within max",
	"minimum": "🟡 minimum", "fail": "❌ fail", "": "–",
}

// writeMarkdown renders the report.
func (r *Report) writeMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# nlpscope benchmark report (%s)\n\n", r.Mode)
	p("%s, %s on %s. Every ratio below comes from alternating slices of the two contenders in the same process (A, B, A, B, …; %d pairs of %d ms after one warm-up slice each): median ratio, then the range over the pairs in parentheses.\n\n",
		r.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), r.Duration.Round(time.Second), r.Env.Hardware.CPUModel, r.Pairs, r.SliceMs)

	p("## Key ratios\n\n| ratio | measured | goal |\n|---|---|---|\n")
	p("| engine vs raw ORT (worst over 1/16/64/256 clients) | %s | ≥ 0.95 |\n", fmtPtr(r.Key.EngineVsRaw, "%.2f×"))
	p("| engine vs raw ORT, 1 client | %s | ≥ 0.95 |\n", fmtPtr(r.Key.EngineVsRaw1Client, "%.2f×"))
	p("| length-aware batching vs raw padded batches of 32 | %s | ≥ 1.3 |\n", fmtPtr(r.Key.LengthBatchingVsPadded, "%.2f×"))
	p("| default sentiment model: batching on vs off, 64 clients | %s | – |\n", fmtPtr(r.Key.DefaultModelBatchingGain, "%.2f×"))
	p("| batching efficiency, sentiment (engine gain / raw batch-32 gain) | %s | ≥ 0.9 |\n", fmtPtr(r.Key.BatchingEfficiencySentiment, "%.2f"))
	p("| batching efficiency, entities (engine gain / raw batch-32 gain) | %s | ≥ 0.9 |\n", fmtPtr(r.Key.BatchingEfficiencyEntities, "%.2f"))
	p("| vs transformers.js, fp32, 64 concurrent | %s | ≥ 1.1 |\n", fmtPtr(r.Key.PeerRatioFP32, "%.2f×"))
	p("| vs transformers.js, fp32, 1 client (full run) | %s | ≥ 1.1 |\n", fmtPtr(r.Key.PeerRatioFP32_1Client, "%.2f×"))
	p("| our INT8 vs transformers.js fp32, 64 concurrent | %s | ≥ 2 |\n", fmtPtr(r.Key.PeerRatioINT8, "%.2f×"))
	p("| tokenizer tokens/s (one goroutine) | %s | ≥ 2,000,000/core |\n", fmtPtr(r.Key.TokenizerTokensPerS, "%.0f"))
	p("| SQLite persisted analyses/s (batches of 512, sentiment + entities) | %s | ≥ 50,000 |\n", fmtPtr(r.Key.StorageAnalysesPerS, "%.0f"))
	p("| capacity at p99 < 50 ms, default sentiment model (req/s) | %s | – |\n", fmtPtr(r.Key.CapacityP99_50msSentiment, "%.0f"))
	p("| capacity at p99 < 50 ms, default entities model (req/s) | %s | – |\n", fmtPtr(r.Key.CapacityP99_50msEntities, "%.0f"))
	p("| SLO mode, step load 50 → 400 → 100 req/s: worst step p99 (ms) | %s | ≤ 50 |\n", fmtPtr(r.Key.SLOStepP99Ms, "%.1f"))
	p("| SLO mode: answered requests vs the fixed default tuning | %s | – |\n\n", fmtPtr(r.Key.SLOStepThroughputVsFixed, "%.2f×"))

	p("## 1. Latency and throughput targets (DESIGN.md)\n\n")
	p("Latency is measured over HTTP against an in-process `serve` on loopback, one call at a time, and judged on p95. Throughput is in process. Concurrent users: a closed-loop load test with 1000 users (profiler load generator), in process and over HTTP.\n\n")
	for _, ts := range r.Targets {
		p("### %s\n\nsentiment model `%s`, entities model `%s`\n\n", ts.Name, ts.Sentiment, ts.Entities)
		if ts.Error != "" {
			p("Not measured: %s\n\n", ts.Error)
			continue
		}
		p("| operation | target | acceptable | max | n | p50 | p95 | p99 | verdict |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, o := range ts.Ops {
			if o.Error != "" {
				p("| %s | %g | %g | %g | – | – | – | – | ❌ %s |\n", o.Op, o.Target, o.Acceptable, o.Max, o.Error)
				continue
			}
			p("| %s | %g ms | %g ms | %g ms | %d | %.1f ms | %.1f ms | %.1f ms | %s |\n", o.Op, o.Target, o.Acceptable, o.Max, o.N, o.P50, o.P95, o.P99, verdictMark[o.Verdict])
		}
		p("\n| throughput | target | minimum | measured | p50 | p95 | p99 | verdict | note |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, t := range ts.Throughput {
			p("| %s | %g %s | %g %s | %.1f %s | %.0f ms | %.0f ms | %.0f ms | %s | %s |\n", t.Name, t.Target, t.Unit, t.Minimum, t.Unit, t.Value, t.Unit, t.P50, t.P95, t.P99, verdictMark[t.Verdict], t.Note)
		}
		p("\n")
	}

	table := func(cs []Comparison) {
		p("| comparison | A | B | A/B | A rate | B rate | A p50/p99 | B p50/p99 | goal | |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range cs {
			goal := ""
			if c.Goal > 0 {
				goal = fmt.Sprintf("≥ %g", c.Goal)
			}
			lat := func(p50, p99 float64) string {
				if p50 == 0 {
					return "–"
				}
				return fmt.Sprintf("%.1f / %.1f ms", p50, p99)
			}
			p("| %s | %s | %s | %s | %.1f %s | %.1f %s | %s | %s | %s | %s |\n", c.Name, c.A, c.B, fmtRatio(c), c.RateA, c.Unit, c.RateB, c.Unit, lat(c.P50A, c.P99A), lat(c.P50B, c.P99B), goal, passMark(c))
		}
		for _, c := range cs {
			if c.Note != "" {
				p("\n- %s: %s", c.Name, c.Note)
			}
		}
		p("\n\n")
	}
	p("## 2. Engine efficiency: nlpscope end to end vs raw ONNX Runtime\n\n")
	p("A: concurrent single-text clients through the engine (tokenize, queue, batch, infer, post-process; cache off). B: the best raw ORT configuration on pre-tokenized, pre-allocated tensors (same model file, threads and graph optimizations), running back to back.\n\n")
	table(r.Efficiency)
	p("## 3. Batching\n\n")
	table(r.Batching)
	p("## 4. Peer: transformers.js\n\n")
	if !r.Peer.Available {
		p("**The peer was not measured: %s**\n\n", r.Peer.Why)
	} else {
		p("`@huggingface/transformers` %s on `onnxruntime-node` %s (its own bundled ONNX Runtime), local files only (`env.allowRemoteModels = false`), same model folder, same texts, same intra-op threads, driven over stdin/stdout by `bench/peer/driver.mjs`; the peer times its own calls inside Node.\n\n", r.Peer.Version, r.Peer.ORTNode)
		table(r.Peer.Comparisons)
		if r.Peer.Disagreement != nil {
			p("Label disagreement of our INT8 model with the peer's fp32 on %d texts: %.2f %% (goal ≤ 1 %%).\n\n", r.Peer.DisagreeN, 100**r.Peer.Disagreement)
		}
	}
	p("## 5. Tokenizer, cache, storage, memory, start-up\n\n")
	rs := r.Resources
	if len(rs.Tokenizer) > 0 {
		table(rs.Tokenizer)
	}
	p("| measure | value |\n|---|---|\n")
	p("| tokenizer (bert-base-uncased WordPiece, sentences), one goroutine | %.0f tokens/s, %.0f tokens/CPU-s |\n", rs.TokensPerS, rs.TokensPerCPUS)
	p("| cache hit latency p50 / p99 | %.1f / %.1f µs |\n", rs.CacheHitP50, rs.CacheHitP99)
	p("| SQLite persisted results/s (default models, 16 clients, every text new) | %.0f |\n", rs.StoredPerS)
	p("| SQLite persisted results/s (cache hits: storage-bound) | %.0f |\n", rs.StoredCached)
	p("| `nlpscope serve` RSS, idle (embedded models loaded, ready) | %s |\n", mib(rs.IdleRSS))
	p("| `nlpscope serve` RSS after load (%s) | %s |\n", orDash(rs.LoadFor), mib(rs.LoadedRSS))
	p("| `nlpscope serve` RSS after the same load again (growth check) | %s |\n", mib(rs.LoadedRSS2))
	p("| cold start to first result (`nlpscope analyze`, new process, embedded models) | %.0f ms (median of %d) |\n\n", rs.ColdStartMs, len(rs.ColdStartRuns))

	r.Storage.writeMarkdown(p)
	r.writeCapacity(w)
	r.writeOverload(w)
	r.writeSLO(w)

	p("## 7. Environment\n\n| | |\n|---|---|\n")
	h := r.Env.Hardware
	p("| CPU | %s (%d logical / %d physical cores) |\n", h.CPUModel, h.LogicalCores, h.PhysicalCores)
	p("| memory | %s |\n", mib(h.MemoryTotalBytes))
	p("| OS | %s %s %s %s |\n", h.OS, h.Platform, h.Kernel, h.Arch)
	p("| Go | %s |\n", h.GoVersion)
	p("| ONNX Runtime | %s (%s), provider %s, %d intra-op threads |\n", r.Env.ORTVersion, r.Env.ORTLib, r.Env.Provider, r.Env.Threads)
	gpu := h.GPUNote
	if len(h.GPUs) > 0 {
		gpu = h.GPUs[0].Name
	}
	p("| GPU | %s |\n", orDash(gpu))
	p("| git commit | %s |\n", orDash(r.Env.GitCommit))
	p("| date | %s |\n", r.Env.Date)
	p("| load average (start → end) | %s → %s |\n", r.Env.LoadAvg, r.Env.LoadAvgEnd)
	if len(r.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", strings.TrimSpace(n))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func (s StorageBench) writeMarkdown(p func(string, ...any)) {
	p("## 6. Storage (SQLite)\n\n")
	if len(s.Store) == 0 && len(s.Search) == 0 {
		p("Not measured (see the notes).\n\n")
		return
	}
	p("Synthetic results like nlpscope's (12–31 words, full sha256 model hashes, 0–2 entities), written through `storage` into a new database each (WAL, synchronous=NORMAL, group commit), results built before the clock starts; committed rows only. The same cases run as Go benchmarks: `go test ./storage/ -run '^$' -bench .`.\n\n")
	if len(s.Store) > 0 {
		p("| way of writing | documents | docs/s | analyses/s | CPU µs/doc | word index | trigram index (documents) | goal |\n|---|---|---|---|---|---|---|---|\n")
		var batch, perRow float64
		for _, r := range s.Store {
			goal := ""
			switch r.Name {
			case storagebench.StoreBatchBoth:
				mark := "❌ fail"
				if r.AnalysesPerS >= 50000 {
					mark = "✅ pass"
				}
				goal = "≥ 50,000 analyses/s " + mark
			case storagebench.StoreBatchSentiment:
				batch = r.DocsPerS
			case storagebench.StoreTxPerRow:
				perRow = r.DocsPerS
			}
			p("| %s | %d | %.0f | %.0f | %.1f | %s | %s (%d) | %s |\n", r.Name, r.Docs, r.DocsPerS, r.AnalysesPerS, r.CPUPerDocUS,
				mib1(r.Indexes.WordBytes), mib1(r.Indexes.TrigramBytes), r.Indexes.TrigramDocs, goal)
		}
		if batch > 0 && perRow > 0 {
			p("\nBatches of 512 vs one transaction per row: %.1f× the documents per second.\n", batch/perRow)
		}
		var mixed, all, dups storagebench.StoreResult
		for _, r := range s.Store {
			switch r.Name {
			case storagebench.StoreBatchBoth:
				mixed = r
			case storagebench.StoreBatchAllMixed:
				all = r
			case storagebench.StoreBatchDuplicates:
				dups = r
			}
		}
		if mixed.Docs > 0 && dups.Docs > 0 {
			p("\nDuplicates (the same 512 texts stored again and again: %d results became %d documents with a seen count): %.1f CPU µs/doc, vs %.1f for new texts.\n",
				dups.Docs, dups.Stored, dups.CPUPerDocUS, mixed.CPUPerDocUS)
		}
		if mixed.Docs > 0 && all.Docs > 0 {
			p("\nTrigram index (substring search for emoji and CJK; it holds only texts that have them): with %.0f %% of such texts, %.1f CPU µs/doc; with all texts, %.1f CPU µs/doc (%.2f× the CPU per document).\n",
				storagebench.MixedShare*100, mixed.CPUPerDocUS, all.CPUPerDocUS, all.CPUPerDocUS/mixed.CPUPerDocUS)
		}
		p("\n")
	}
	if len(s.Search) > 0 {
		p("Search on %d stored documents (written in %.0f s; word index %s, trigram index %s for %d documents with emoji or CJK), one page of 50 hits per query:\n\n",
			s.SearchDocs, s.BuildSeconds, mib1(s.SearchIndex.WordBytes), mib1(s.SearchIndex.TrigramBytes), s.SearchIndex.TrigramDocs)
		p("| search | n | p50 | p99 |\n|---|---|---|---|\n")
		for _, r := range s.Search {
			p("| %s | %d | %.2f ms | %.2f ms |\n", r.Name, r.N, r.P50, r.P99)
		}
		p("\n")
	}
	if len(s.Insights) > 0 {
		p("Insights on the same documents, every panel of a selection (distribution, timeline, top entities, co-occurrence) in one read transaction:\n\n")
		p("| selection | documents | n | p50 | p95 | CPU per call | goal |\n|---|---|---|---|---|---|---|\n")
		for _, r := range s.Insights {
			mark := "❌ fail"
			if r.P95 <= 300 {
				mark = "✅ pass"
			}
			p("| %s | %d | %d | %.1f ms | %.1f ms | %.1f ms | p95 ≤ 300 ms for all four panels together (the issue asks it per panel) %s |\n", r.Name, r.Docs, r.N, r.P50, r.P95, r.CPUMs, mark)
		}
		p("\n")
	}
	if len(s.Export) > 0 {
		p("| export of every document (streaming) | rows | rows/s | MB/s |\n|---|---|---|---|\n")
		for _, r := range s.Export {
			p("| %s | %d | %.0f | %.1f |\n", r.Format, r.Rows, r.RowsPerS, r.MBPerS)
		}
		p("\n")
	}
}
