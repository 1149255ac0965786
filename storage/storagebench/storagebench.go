// Package storagebench measures nlpscope's SQLite storage: persisted
// analyses per second (group commit, batches, one transaction per row),
// search latency on a large database and export throughput. `nlpscope
// bench` reports its numbers; storage's Go benchmarks share its synthetic
// data and search cases.
package storagebench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

// Words is a synthetic vocabulary drawn with a Zipf distribution, so a few
// words are in most documents and most words are rare.
var Words = func() []string {
	syl := []string{"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "de", "go"}
	var w []string
	for i := range 5000 {
		s := ""
		for n := i; ; n /= len(syl) {
			s += syl[n%len(syl)]
			if n < len(syl) {
				break
			}
		}
		w = append(w, s)
	}
	return w
}()

var names = []string{"Alice", "Berlin", "Paris", "Acme", "Bob", "Tokyo", "Carol", "Nile"}

// Real model hashes are hex sha256 strings; rows carry them in full.
const (
	sentimentHash = "5e1f0d3c2b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	entitiesHash  = "0a1b2c3d4e5f60718293a4b5c6d7e8f99f8e7d6c5b4a39281706f5e4d3c2b1a0"
)

// Emoji and CJK are what some texts end with (NewGenMixed), so that the
// trigram index (storage/migrations/*_trigram.sql) holds some documents.
var (
	Emoji = []string{"😍", "👍", "🔥", "❤️", "😂", "🙏"}
	CJK   = []string{"東京タワー", "大阪の旅行", "北京", "서울에서 만나요", "กรุงเทพ", "新しいカメラ"}
)

// MixedShare is the share of NewGen's texts that end with an emoji or CJK
// text (half each).
const MixedShare = 0.06

// NewGen returns a deterministic generator of results that look like
// nlpscope's: 12–31 words, a sentiment analysis and, when asked, an entities
// analysis with 0–2 entities; MixedShare of the texts end with an emoji or
// a CJK phrase.
func NewGen(seed uint64) func(withEntities bool) storage.Result {
	return NewGenMixed(seed, MixedShare)
}

// NewGenMixed is NewGen with share (0..1) of the texts ending with an emoji
// or a CJK phrase. The words are the same for every share: the endings come
// from a random stream of their own.
func NewGenMixed(seed uint64, share float64) func(withEntities bool) storage.Result {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	mix := rand.New(rand.NewPCG(seed^0x5bd1e995, seed+1))
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(Words)-1))
	return func(withEntities bool) storage.Result {
		n := 12 + rng.IntN(20)
		words := make([]string, n)
		for i := range words {
			words[i] = Words[zipf.Uint64()]
		}
		var ents []storage.Entity
		if withEntities {
			named := map[int]bool{}
			for k := rng.IntN(3); k > 0; k-- {
				pos := rng.IntN(n)
				words[pos] = names[rng.IntN(len(names))]
				named[pos] = true
			}
			start := 0 // words are ASCII: bytes = code points
			for i, w := range words {
				if named[i] {
					ents = append(ents, storage.Entity{Label: []string{"PER", "LOC", "ORG"}[rng.IntN(3)], Text: w, Start: start, End: start + len(w), Score: 0.9})
				}
				start += len(w) + 1
			}
		}
		label := []string{"POSITIVE", "NEGATIVE"}[rng.IntN(2)]
		text := strings.Join(words, " ")
		if x := mix.Float64(); x < share/2 {
			text += " " + Emoji[mix.IntN(len(Emoji))]
		} else if x < share {
			text += " " + CJK[mix.IntN(len(CJK))]
		}
		r := storage.Result{Text: text, Source: fmt.Sprintf("/corpus/file%d.txt", rng.IntN(20)), Line: rng.IntN(10000) + 1,
			Analyses: []storage.Analysis{{Task: storage.TaskSentiment, ModelID: "sentiment@" + sentimentHash[:12], ModelHash: sentimentHash,
				Label: label, Score: 0.93, Scores: []storage.LabelScore{{Label: label, Score: 0.93}, {Label: "OTHER", Score: 0.07}},
				Timings: storage.Timings{QueueWait: 100 * time.Microsecond, Tokenize: 20 * time.Microsecond, Inference: 3 * time.Millisecond, Postprocess: 5 * time.Microsecond}}}}
		if withEntities {
			r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "ner@" + entitiesHash[:12], ModelHash: entitiesHash,
				Options: "aggregation=simple", Entities: ents,
				Timings: storage.Timings{QueueWait: 100 * time.Microsecond, Tokenize: 20 * time.Microsecond, Inference: 4 * time.Millisecond, Postprocess: 9 * time.Microsecond}})
		}
		return r
	}
}

// ProcessCPU is the CPU time this process has used (user + system). On a
// shared machine it is a steadier measure than wall time.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// StoreResult is one way of writing: documents and analyses committed per
// second (wall clock) and the process CPU time per document.
type StoreResult struct {
	Name         string  `json:"name"`
	Docs         int     `json:"docs"`
	Analyses     int     `json:"analyses"`
	Seconds      float64 `json:"seconds"`
	DocsPerS     float64 `json:"docs_per_s"`
	AnalysesPerS float64 `json:"analyses_per_s"`
	CPUPerDocUS  float64 `json:"cpu_us_per_doc"`
	// Stored is how many documents the database holds after the writes
	// (fewer than Docs when texts repeat: duplicates are counted, not copied).
	Stored int64 `json:"stored"`
	// The full-text indexes after the writes.
	Indexes storage.IndexSizes `json:"indexes"`
}

// Store case names.
const (
	StoreBatchBoth      = "batch-512/sentiment+entities"
	StoreBatchSentiment = "batch-512/sentiment"
	StoreCallers        = "group-commit/64-callers"
	StoreTxPerRow       = "tx-per-row"
	// Every text with an emoji or CJK: each document enters the trigram
	// index as well (the worst case of its insert cost).
	StoreBatchAllMixed = "batch-512/sentiment+entities/all-emoji-cjk"
	// The same 512 texts again and again: every result after the first
	// batch is a duplicate of a stored document.
	StoreBatchDuplicates = "batch-512/sentiment+entities/duplicates"
)

// StoreCase is one way of writing.
type StoreCase struct {
	Name string
	// Both: each result carries a sentiment and an entities analysis
	// (otherwise a sentiment analysis only).
	Both bool
	mode int // 0 StoreBatch of 512, 1 64 concurrent callers of Store, 2 one transaction per result
	// Scale is the share of the documents this case writes (tx-per-row is slow).
	Scale float64
	// Mixed is the share of texts with emoji or CJK (0: MixedShare).
	Mixed float64
	// Repeat stores the same 512 texts over and over; otherwise every
	// stored text is distinct (a number is appended to the generated ones).
	Repeat bool
	config func(*storage.Config)
}

// StoreCases: StoreBatch of 512 results with both analyses (MixedShare and
// all texts with emoji or CJK) and with a sentiment analysis only (a bulk
// import), 64 concurrent callers of Store
// with one result each (group commit shares their transactions), and one
// transaction per result (GroupCommitSize 1).
func StoreCases() []StoreCase {
	return []StoreCase{
		{Name: StoreBatchBoth, Both: true, Scale: 1},
		{Name: StoreBatchAllMixed, Both: true, Scale: 1, Mixed: 1},
		{Name: StoreBatchSentiment, Scale: 1},
		{Name: StoreBatchDuplicates, Both: true, Scale: 1, Repeat: true},
		{Name: StoreCallers, mode: 1, Scale: 1},
		{Name: StoreTxPerRow, mode: 2, Scale: 0.1, config: func(c *storage.Config) { c.GroupCommitSize = 1 }},
	}
}

// Store runs every StoreCase with docs documents (scaled) into a new
// database in dir each.
func Store(ctx context.Context, dir string, docs int) ([]StoreResult, error) {
	var out []StoreResult
	for _, c := range StoreCases() {
		r, err := c.Run(ctx, dir, max(int(float64(docs)*c.Scale), 1))
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Run writes docs documents the case's way into a new database in dir, and
// removes it afterwards.
func (c StoreCase) Run(ctx context.Context, dir string, docs int) (StoreResult, error) {
	cfg := storage.Config{Path: filepath.Join(dir, "store-"+strings.NewReplacer("/", "-", "+", "-").Replace(c.Name)+".db")}
	if c.config != nil {
		c.config(&cfg)
	}
	defer func() {
		for _, p := range []string{cfg.Path, cfg.Path + "-wal", cfg.Path + "-shm"} {
			os.Remove(p)
		}
	}()
	return c.store(ctx, cfg, docs)
}

func (c StoreCase) store(ctx context.Context, cfg storage.Config, docs int) (StoreResult, error) {
	db, err := storage.Open(ctx, cfg, nil)
	if err != nil {
		return StoreResult{}, err
	}
	defer db.Close()
	// The results are made before the clock starts: only storing is timed.
	share := c.Mixed
	if share == 0 {
		share = MixedShare
	}
	gen := NewGenMixed(2, share)
	pre := make([]storage.Result, min(docs, 4096))
	analyses := 0
	for i := range pre {
		pre[i] = gen(c.Both)
	}
	for i := range docs {
		analyses += len(pre[i%len(pre)].Analyses)
	}
	// result i: a generated one, its text made distinct unless c.Repeat.
	result := func(i int) storage.Result {
		if c.Repeat {
			return pre[i%min(len(pre), 512)]
		}
		r := pre[i%len(pre)]
		r.Text += " n" + strconv.Itoa(i)
		return r
	}
	batch := make([]storage.Result, min(512, len(pre)))
	cpu0, t0 := ProcessCPU(), time.Now()
	switch c.mode {
	case 0:
		for done := 0; done < docs; {
			n := min(len(batch), docs-done)
			for j := range n {
				batch[j] = result(done + j)
			}
			if _, err := db.StoreBatch(ctx, batch[:n]); err != nil {
				return StoreResult{}, err
			}
			done += n
		}
	case 1:
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(docs) {
						return
					}
					if _, err := db.Store(ctx, result(int(i))); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return StoreResult{}, err
		}
	case 2:
		for i := range docs {
			if _, err := db.Store(ctx, result(i)); err != nil {
				return StoreResult{}, err
			}
		}
	}
	s := time.Since(t0).Seconds()
	cpu := ProcessCPU() - cpu0
	idx, err := db.IndexSizes(ctx)
	if err != nil {
		return StoreResult{}, err
	}
	st, err := db.Stats(ctx)
	if err != nil {
		return StoreResult{}, err
	}
	return StoreResult{Name: c.Name, Docs: docs, Analyses: analyses, Seconds: s, DocsPerS: float64(docs) / s,
		AnalysesPerS: float64(analyses) / s, CPUPerDocUS: float64(cpu.Microseconds()) / float64(docs), Stored: st.Documents, Indexes: idx}, nil
}

// BuildDB returns the database at path holding docs synthetic documents
// (with both analyses), building it when the file is missing or holds
// another number. built is how long building took (0 when reused).
func BuildDB(ctx context.Context, path string, docs int) (db *storage.DB, built time.Duration, err error) {
	if _, err := os.Stat(path); err == nil {
		db, err := storage.Open(ctx, storage.Config{Path: path}, nil)
		if err == nil {
			if s, err := db.Stats(ctx); err == nil && s.Documents == int64(docs) {
				return db, 0, nil
			}
			db.Close()
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
	start := time.Now()
	db, err = storage.Open(ctx, storage.Config{Path: path}, nil)
	if err != nil {
		return nil, 0, err
	}
	gen := NewGen(7)
	batch := make([]storage.Result, 0, 2000)
	for i := range docs {
		batch = append(batch, gen(true))
		if len(batch) == cap(batch) || i == docs-1 {
			if _, err := db.StoreBatch(ctx, batch); err != nil {
				db.Close()
				return nil, 0, err
			}
			batch = batch[:0]
		}
	}
	return db, time.Since(start), nil
}

// SearchCase is one kind of search; Deep cases start half-way down the
// result list (keyset paging must keep them as fast as the first page).
type SearchCase struct {
	Name  string
	Query storage.Query
	Deep  bool
	// MayBeEmpty: the query can legitimately find nothing.
	MayBeEmpty bool
}

// SearchCases are the searches measured on the benchmark database.
func SearchCases() []SearchCase {
	common, rare := Words[2], Words[1500]
	return []SearchCase{
		{Name: "recent", Query: storage.Query{}},
		{Name: "common-word", Query: storage.Query{Text: common}},
		{Name: "rare-word", Query: storage.Query{Text: rare}, MayBeEmpty: true},
		{Name: "prefix", Query: storage.Query{Text: Words[200][:3] + "*"}},
		{Name: "two-words-prefix", Query: storage.Query{Text: common + " " + Words[300][:3] + "*"}},
		{Name: "or", Query: storage.Query{Text: rare + " OR " + Words[1200] + " OR " + Words[900]}},
		{Name: "word-not", Query: storage.Query{Text: common + " -" + Words[3]}},
		{Name: "phrase", Query: storage.Query{Text: `"` + Words[2] + " " + Words[3] + `"`}},
		{Name: "emoji/1-char-scan", Query: storage.Query{Text: Emoji[0]}},
		{Name: "cjk/2-chars-scan", Query: storage.Query{Text: CJK[2]}},
		{Name: "cjk/trigram", Query: storage.Query{Text: CJK[0]}},
		{Name: "word+emoji", Query: storage.Query{Text: common + " " + Emoji[1]}},
		{Name: "emoji+total", Query: storage.Query{Text: Emoji[0], WithTotal: true}},
		{Name: "sentiment", Query: storage.Query{Sentiment: "NEGATIVE"}},
		{Name: "entity", Query: storage.Query{EntityLabel: "LOC", EntityText: "paris"}},
		{Name: "word+filters", Query: storage.Query{Text: common, Sentiment: "POSITIVE", EntityText: "Alice"}},
		{Name: "common-word+total", Query: storage.Query{Text: common, WithTotal: true}},
		{Name: "deep-page/common-word", Query: storage.Query{Text: common}, Deep: true},
		{Name: "deep-page/recent", Query: storage.Query{}, Deep: true},
	}
}

// Prepare returns the query to time: for a Deep case, with the cursor of the
// page half-way down its results.
func (c SearchCase) Prepare(ctx context.Context, db *storage.DB) (storage.Query, error) {
	q := c.Query
	if !c.Deep {
		return q, nil
	}
	q.WithTotal, q.TotalLimit = true, 1<<31-1 // the exact count: half-way down
	p, err := db.Search(ctx, q)
	if err != nil {
		return q, err
	}
	q.Limit, q.WithTotal, q.TotalLimit = 1000, false, 0
	for seen := int64(0); seen < p.Total/2; {
		pp, err := db.Search(ctx, q)
		if err != nil {
			return q, err
		}
		seen += int64(len(pp.Hits))
		if pp.Next == "" {
			break
		}
		q.Cursor = pp.Next
	}
	q.Limit = c.Query.Limit
	return q, nil
}

// SearchResult is the latency of one search case, in milliseconds.
type SearchResult struct {
	Name string  `json:"name"`
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
}

// Search times n searches of each case (one page of 50 hits each).
func Search(ctx context.Context, db *storage.DB, n int) ([]SearchResult, error) {
	var out []SearchResult
	for _, c := range SearchCases() {
		q, err := c.Prepare(ctx, db)
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.Name, err)
		}
		lat := make([]time.Duration, 0, n)
		for range n {
			t0 := time.Now()
			p, err := db.Search(ctx, q)
			if err != nil {
				return out, fmt.Errorf("%s: %w", c.Name, err)
			}
			lat = append(lat, time.Since(t0))
			if len(p.Hits) == 0 && !c.MayBeEmpty {
				return out, fmt.Errorf("%s: no hits", c.Name)
			}
		}
		out = append(out, SearchResult{Name: c.Name, N: n, P50: Percentile(lat, 0.50), P99: Percentile(lat, 0.99)})
	}
	return out, nil
}

// Percentile is the p-quantile (0..1) of lat in milliseconds; it sorts lat.
func Percentile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
}

// ExportResult is the throughput of exporting the whole database.
type ExportResult struct {
	Format   string  `json:"format"`
	Rows     int64   `json:"rows"`
	RowsPerS float64 `json:"rows_per_s"`
	MBPerS   float64 `json:"mb_per_s"`
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// Export streams every document of db once per format to a counting writer.
func Export(ctx context.Context, db *storage.DB) ([]ExportResult, error) {
	var out []ExportResult
	for _, f := range []string{storage.FormatCSV, storage.FormatJSONL} {
		var w countWriter
		t0 := time.Now()
		n, err := db.Export(ctx, io.Writer(&w), f, storage.Query{})
		if err != nil {
			return out, fmt.Errorf("export %s: %w", f, err)
		}
		s := time.Since(t0).Seconds()
		out = append(out, ExportResult{Format: f, Rows: n, RowsPerS: float64(n) / s, MBPerS: float64(w.n) / s / 1e6})
	}
	return out, nil
}

// InsightsCase is one Insights selection measured on the benchmark
// database (every panel of it: one db.Insights call).
type InsightsCase struct {
	Name  string
	Query storage.InsightsQuery
}

// InsightsCases are the selections measured: everything, a common word,
// a sentiment label and an entity.
func InsightsCases() []InsightsCase {
	return []InsightsCase{
		{Name: "all", Query: storage.InsightsQuery{}},
		{Name: "common-word", Query: storage.InsightsQuery{Query: storage.Query{Text: Words[2]}}},
		{Name: "sentiment", Query: storage.InsightsQuery{Query: storage.Query{Sentiment: "NEGATIVE"}}},
		{Name: "entity", Query: storage.InsightsQuery{Query: storage.Query{Entities: []storage.EntityMatch{{Label: "LOC", Key: "paris"}}}}},
	}
}

// InsightsResult is the latency of one Insights selection, in
// milliseconds, and how many documents it selected.
type InsightsResult struct {
	Name string  `json:"name"`
	Docs int64   `json:"docs"`
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	// CPUMs is the process CPU time per call: on a shared machine a
	// steadier measure than wall time.
	CPUMs float64 `json:"cpu_ms"`
}

// Insights times n Insights calls of each case.
func Insights(ctx context.Context, db *storage.DB, n int) ([]InsightsResult, error) {
	var out []InsightsResult
	for _, c := range InsightsCases() {
		lat := make([]time.Duration, 0, n)
		var docs int64
		cpu0 := ProcessCPU()
		for range n {
			t0 := time.Now()
			in, err := db.Insights(ctx, c.Query)
			if err != nil {
				return out, fmt.Errorf("insights %s: %w", c.Name, err)
			}
			lat = append(lat, time.Since(t0))
			docs = in.Documents
		}
		if docs == 0 {
			return out, fmt.Errorf("insights %s: no documents selected", c.Name)
		}
		cpu := float64((ProcessCPU() - cpu0).Microseconds()) / 1000 / float64(n)
		out = append(out, InsightsResult{Name: c.Name, Docs: docs, N: n, P50: Percentile(lat, 0.50), P95: Percentile(lat, 0.95), CPUMs: cpu})
	}
	return out, nil
}
