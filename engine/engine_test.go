package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/cudalibs"
)

func fixture(name string) engine.ModelSource {
	return engine.ModelSource{Name: name, Dir: filepath.Join("testdata", name)}
}

// newEngine starts an engine with both fixture models loaded.
func newEngine(t testing.TB, cfg engine.Config) *engine.Engine {
	t.Helper()
	e, err := engine.New(cfg, nil)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx := context.Background()
	if _, err := e.LoadModel(ctx, engine.TaskSentiment, fixture("sentiment")); err != nil {
		t.Fatalf("load sentiment: %v", err)
	}
	if _, err := e.LoadModel(ctx, engine.TaskEntities, fixture("ner")); err != nil {
		t.Fatalf("load ner: %v", err)
	}
	return e
}

func TestSentiment(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	ctx := context.Background()
	f := func(text, want string) {
		t.Helper()
		s, err := e.Sentiment(ctx, text, engine.Options{NoCache: true})
		if err != nil {
			t.Fatalf("Sentiment(%q): %v", text, err)
		}
		if s.Label != want {
			t.Errorf("Sentiment(%q) = %s (%.3f), want %s", text, s.Label, s.Score, want)
		}
		if len(s.Scores) != 2 || s.Scores[0].Label != "NEGATIVE" || s.Scores[1].Label != "POSITIVE" {
			t.Fatalf("scores %+v, want NEGATIVE, POSITIVE in id2label order", s.Scores)
		}
		if sum := s.Scores[0].Score + s.Scores[1].Score; math.Abs(sum-1) > 1e-6 {
			t.Errorf("scores sum to %v", sum)
		}
		if s.Score != max(s.Scores[0].Score, s.Scores[1].Score) {
			t.Errorf("score %v is not the best label's", s.Score)
		}
		if !strings.HasPrefix(s.Model, "sentiment@") || s.Cached {
			t.Errorf("model %q cached %v", s.Model, s.Cached)
		}
		if s.Timings.Inference <= 0 || s.Timings.Tokenize <= 0 {
			t.Errorf("timings not recorded: %+v", s.Timings)
		}
	}
	f("This movie was good!", "POSITIVE")
	f("I LOVE this film", "POSITIVE")
	f("the food was awful and the service terrible", "NEGATIVE")
	f("boring.", "NEGATIVE")

	// mean pooling: one positive word in a long neutral text still wins,
	// with a lower score than when alone.
	alone, _ := e.Sentiment(ctx, "great", engine.Options{})
	diluted, _ := e.Sentiment(ctx, "great , the movie was a film", engine.Options{})
	if alone.Label != "POSITIVE" || diluted.Label != "POSITIVE" || diluted.Score >= alone.Score {
		t.Errorf("alone %v %.3f, diluted %v %.3f", alone.Label, alone.Score, diluted.Label, diluted.Score)
	}
}

func TestSentimentBatchMatchesSingle(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	ctx := context.Background()
	texts := []string{"good", "bad bad", "the movie was great and the food was wonderful", "sad", "it is a film , not boring"}
	batch, err := e.SentimentBatch(ctx, texts, engine.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		one, err := e.Sentiment(ctx, text, engine.Options{NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		if batch[i].Label != one.Label || math.Abs(batch[i].Score-one.Score) > 1e-5 {
			t.Errorf("%q: batch %s %.6f, single %s %.6f (padding changed the result)", text, batch[i].Label, batch[i].Score, one.Label, one.Score)
		}
	}
	// One bad text fails the whole call before anything runs.
	_, err = e.SentimentBatch(ctx, []string{"good", "  "}, engine.Options{})
	if !errors.Is(err, engine.ErrEmptyText) {
		t.Errorf("batch with an empty text: %v, want ErrEmptyText", err)
	}
}

type recorder struct {
	mu       sync.Mutex
	requests []error
	batches  []engine.BatchStats
	cached   int
}

func (r *recorder) ObserveRequest(task engine.Task, t engine.Timings, cached bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, err)
	if cached {
		r.cached++
	}
}

func (r *recorder) ObserveBatch(b engine.BatchStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
}

func TestBadInput(t *testing.T) {
	rec := &recorder{}
	e := newEngine(t, engine.Config{MaxTextBytes: 64, Observer: rec})
	ctx := context.Background()
	cases := []struct {
		text string
		want error
	}{
		{"", engine.ErrEmptyText},
		{" \t\n\u00a0\u3000", engine.ErrEmptyText},
		{"good \xff\xfe", engine.ErrInvalidUTF8},
		{strings.Repeat("good ", 13), engine.ErrTextTooLong},
	}
	for _, c := range cases {
		if _, err := e.Sentiment(ctx, c.text, engine.Options{}); !errors.Is(err, c.want) {
			t.Errorf("Sentiment(%q) = %v, want %v", c.text, err, c.want)
		}
		if _, err := e.Entities(ctx, c.text, engine.Options{}); !errors.Is(err, c.want) {
			t.Errorf("Entities(%q) = %v, want %v", c.text, err, c.want)
		}
		if _, err := e.SentimentBatch(ctx, []string{"good", c.text}, engine.Options{}); !errors.Is(err, c.want) {
			t.Errorf("SentimentBatch(good, %q) = %v, want %v", c.text, err, c.want)
		}
		if _, err := e.EntitiesBatch(ctx, []string{"Alice", c.text}, engine.Options{}); !errors.Is(err, c.want) {
			t.Errorf("EntitiesBatch(Alice, %q) = %v, want %v", c.text, err, c.want)
		}
	}
	if _, err := e.Entities(ctx, "Alice", engine.Options{Aggregation: "median"}); err == nil {
		t.Error("unknown aggregation accepted")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.batches) != 0 {
		t.Errorf("bad input reached the model: %d batches", len(rec.batches))
	}
	if st := e.Stats(); st.CacheSize != 0 {
		t.Errorf("bad input was cached: %+v", st)
	}
}

func TestEntitiesSimple(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	got, err := e.Entities(context.Background(), "Alice Smith went to Paris with Bob, and Acme Corp Inc.", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Entity{
		{Label: "PER", Text: "Alice Smith", Start: 0, End: 11},
		{Label: "LOC", Text: "Paris", Start: 20, End: 25},
		{Label: "PER", Text: "Bob", Start: 31, End: 34},
		{Label: "ORG", Text: "Acme Corp Inc", Start: 40, End: 53},
	}
	assertEntities(t, got.Entities, want)
	for _, en := range got.Entities {
		if en.Score < 0.9 || en.Score > 1 {
			t.Errorf("%q score %v", en.Text, en.Score)
		}
	}
}

func assertEntities(t *testing.T, got, want []engine.Entity) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entities %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Label != w.Label || g.Text != w.Text || g.Start != w.Start || g.End != w.End {
			t.Errorf("entity %d = %s %q [%d,%d), want %s %q [%d,%d)", i, g.Label, g.Text, g.Start, g.End, w.Label, w.Text, w.Start, w.End)
		}
	}
}

// TestAggregation follows transformers' semantics on "Washington", which
// the fixture tokenizes as Wash (B-LOC, logit 6) ##ing (B-PER, 5) ##ton
// (B-PER, 5).
func TestAggregation(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	text := "I visited Washington today"
	wash := func(label, text string, start, end int) engine.Entity {
		return engine.Entity{Label: label, Text: text, Start: start, End: end}
	}
	cases := map[string][]engine.Entity{
		engine.AggNone:    {wash("B-LOC", "Wash", 10, 14), wash("B-PER", "ing", 14, 17), wash("B-PER", "ton", 17, 20)},
		engine.AggSimple:  {wash("LOC", "Wash", 10, 14), wash("PER", "ing", 14, 17), wash("PER", "ton", 17, 20)},
		engine.AggFirst:   {wash("LOC", "Washington", 10, 20)},
		engine.AggMax:     {wash("LOC", "Washington", 10, 20)},
		engine.AggAverage: {wash("PER", "Washington", 10, 20)},
	}
	p6 := math.Exp(6) / (math.Exp(6) + 6)
	p5 := math.Exp(5) / (math.Exp(5) + 6)
	wantScore := map[string]float64{
		engine.AggFirst:   p6,
		engine.AggMax:     p6,
		engine.AggAverage: (1/(math.Exp(6)+6) + 2*p5) / 3,
	}
	for agg, want := range cases {
		got, err := e.Entities(context.Background(), text, engine.Options{Aggregation: agg})
		if err != nil {
			t.Fatalf("%s: %v", agg, err)
		}
		t.Run(agg, func(t *testing.T) { assertEntities(t, got.Entities, want) })
		if w, ok := wantScore[agg]; ok && math.Abs(got.Entities[0].Score-w) > 1e-5 {
			t.Errorf("%s: score %v, want %v", agg, got.Entities[0].Score, w)
		}
	}
}

func TestEntitiesUnicodeOffsets(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	text := "😀 Alice met 👩‍👩‍👧 in 東京 and Maria Jones in Berlin! 🇩🇪"
	got, err := e.Entities(context.Background(), text, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runes := []rune(text)
	idx := func(s string) int { return len([]rune(text[:strings.Index(text, s)])) }
	want := []engine.Entity{
		{Label: "PER", Text: "Alice", Start: idx("Alice"), End: idx("Alice") + 5},
		{Label: "LOC", Text: "東京", Start: idx("東京"), End: idx("東京") + 2},
		{Label: "PER", Text: "Maria Jones", Start: idx("Maria"), End: idx("Maria") + 11},
		{Label: "LOC", Text: "Berlin", Start: idx("Berlin"), End: idx("Berlin") + 6},
	}
	assertEntities(t, got.Entities, want)
	for _, en := range got.Entities {
		if string(runes[en.Start:en.End]) != en.Text {
			t.Errorf("text[%d:%d] = %q, entity text %q", en.Start, en.End, string(runes[en.Start:en.End]), en.Text)
		}
	}
}

// TestEntitiesLongText puts entities at every position relative to the
// 16-token windows of the fixture model: each must come out exactly once
// and whole.
func TestEntitiesLongText(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	var b strings.Builder
	var want []engine.Entity
	runeLen := 0
	write := func(s string) {
		b.WriteString(s)
		runeLen += len([]rune(s))
	}
	for i := 0; i < 40; i++ {
		for j := 0; j < i%7; j++ {
			write("the city ")
		}
		start := runeLen
		switch i % 3 {
		case 0:
			write("Alice Smith")
			want = append(want, engine.Entity{Label: "PER", Text: "Alice Smith", Start: start, End: runeLen})
		case 1:
			write("Acme Corp Inc")
			want = append(want, engine.Entity{Label: "ORG", Text: "Acme Corp Inc", Start: start, End: runeLen})
		case 2:
			write("東京")
			want = append(want, engine.Entity{Label: "LOC", Text: "東京", Start: start, End: runeLen})
		}
		write(" is very happy . ")
	}
	for _, stride := range []int{0, 2, 6} {
		if err := e.SetTuning(engine.Tuning{Stride: stride, CacheEntries: -1}); err != nil {
			t.Fatal(err)
		}
		got, err := e.Entities(context.Background(), b.String(), engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("stride", stride), func(t *testing.T) { assertEntities(t, got.Entities, want) })
	}
}

func TestCache(t *testing.T) {
	rec := &recorder{}
	e := newEngine(t, engine.Config{Observer: rec})
	ctx := context.Background()
	first, err := e.Sentiment(ctx, "good film", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Sentiment(ctx, "good film", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || !second.Cached || second.Label != first.Label || second.Score != first.Score {
		t.Errorf("first %+v second %+v", first, second)
	}
	// Entities with another aggregation are a different key.
	e1, _ := e.Entities(ctx, "I visited Washington", engine.Options{Aggregation: engine.AggFirst})
	e2, _ := e.Entities(ctx, "I visited Washington", engine.Options{Aggregation: engine.AggAverage})
	e3, _ := e.Entities(ctx, "I visited Washington", engine.Options{Aggregation: engine.AggAverage})
	if e1.Cached || e2.Cached || !e3.Cached || e2.Entities[0].Label != "PER" {
		t.Errorf("aggregation keys: %v %v %v", e1.Cached, e2.Cached, e3.Cached)
	}
	// NoCache bypasses it.
	nc, _ := e.Sentiment(ctx, "good film", engine.Options{NoCache: true})
	if nc.Cached {
		t.Error("NoCache result came from the cache")
	}
	st := e.Stats()
	if st.CacheHits != 2 || st.CacheMisses != 3 || st.CacheSize != 3 {
		t.Errorf("stats %+v, want 2 hits, 3 misses, 3 entries", st)
	}
	// Mutating a returned result does not corrupt the cache.
	second.Scores[0].Label = "changed"
	third, _ := e.Sentiment(ctx, "good film", engine.Options{})
	if third.Scores[0].Label != "NEGATIVE" {
		t.Error("cached result shares memory with a returned one")
	}
	// The bound holds, and disabling the cache empties it.
	if err := e.SetTuning(engine.Tuning{CacheEntries: 2}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"good a", "good b", "good c"} {
		e.Sentiment(ctx, s, engine.Options{})
	}
	if n := e.Stats().CacheSize; n != 2 {
		t.Errorf("cache size %d, want 2", n)
	}
	e.SetTuning(engine.Tuning{CacheEntries: -1})
	if n := e.Stats().CacheSize; n != 0 {
		t.Errorf("disabled cache holds %d", n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.cached != 3 {
		t.Errorf("observer saw %d cached requests, want 3", rec.cached)
	}
}

func TestConcurrentRequestsShareBatches(t *testing.T) {
	rec := &recorder{}
	e := newEngine(t, engine.Config{Observer: rec, Tuning: engine.Tuning{MaxDelay: 20 * time.Millisecond, CacheEntries: -1}})
	ctx := context.Background()
	var wg sync.WaitGroup
	var bad atomic.Int32
	const n = 64
	for i := range n {
		wg.Go(func() {
			text, want := fmt.Sprintf("good film number %d", i), "POSITIVE"
			if i%2 == 1 {
				text, want = strings.Repeat("the movie ", i%9)+"was awful", "NEGATIVE"
			}
			s, err := e.Sentiment(ctx, text, engine.Options{})
			if err != nil || s.Label != want {
				bad.Add(1)
				t.Errorf("%q: %v %v", text, s.Label, err)
			}
			if _, err := e.Entities(ctx, "Alice Smith in Paris "+strings.Repeat("the city ", i%13), engine.Options{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	seqs, maxSize := 0, 0
	for _, b := range rec.batches {
		seqs += b.Size
		maxSize = max(maxSize, b.Size)
		if b.PaddedTokens < b.Tokens {
			t.Errorf("batch %+v: padded < real tokens", b)
		}
	}
	if seqs < 2*n {
		t.Errorf("batches carried %d sequences, want ≥ %d", seqs, 2*n)
	}
	if maxSize < 2 {
		t.Errorf("no batch held more than one request (max %d)", maxSize)
	}
}

func TestLoadModelReplacesUnderLoad(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := e.Sentiment(ctx, "great", engine.Options{NoCache: true}); err != nil && ctx.Err() == nil {
					t.Errorf("during reload: %v", err)
					return
				}
			}
		})
	}
	for range 3 {
		if _, err := e.LoadModel(context.Background(), engine.TaskSentiment, fixture("sentiment")); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
}

func TestNotReady(t *testing.T) {
	e, err := engine.New(engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Ready(engine.TaskSentiment) {
		t.Error("ready without a model")
	}
	if _, err := e.Sentiment(context.Background(), "good", engine.Options{}); !errors.Is(err, engine.ErrNotReady) {
		t.Errorf("got %v, want ErrNotReady", err)
	}
	if _, err := e.EntitiesBatch(context.Background(), []string{"Alice"}, engine.Options{}); !errors.Is(err, engine.ErrNotReady) {
		t.Errorf("EntitiesBatch: got %v, want ErrNotReady", err)
	}
}

func TestBadModels(t *testing.T) {
	e, err := engine.New(engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cases := []struct {
		dir  string
		task engine.Task
		want string
	}{
		{"bad_no_tokenizer", engine.TaskSentiment, "tokenizer.json: missing"},
		{"bad_no_model", engine.TaskSentiment, "no ONNX file"},
		{"bad_not_onnx", engine.TaskSentiment, "not a loadable ONNX model"},
		{"bad_rank", engine.TaskSentiment, "has rank 1"},
		{"bad_labels", engine.TaskSentiment, "3 labels but output \"logits\" has 2"},
		{"bad_input", engine.TaskSentiment, "input \"input_ids\" is missing"},
		{"bad_config", engine.TaskSentiment, "id2label is missing"},
		{"ner", engine.TaskSentiment, "rank 3, want 2"},
		{"sentiment", engine.TaskEntities, "rank 2, want 3"},
		{"does_not_exist", engine.TaskSentiment, "no such file"},
	}
	for _, c := range cases {
		_, err := e.LoadModel(context.Background(), c.task, fixture(c.dir))
		if !errors.Is(err, engine.ErrBadModel) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadModel mentioning %q", c.dir, err, c.want)
		}
		if e.Ready(c.task) {
			t.Errorf("%s: a bad model became active", c.dir)
		}
	}
}

func TestInspectModel(t *testing.T) {
	info, err := engine.InspectModel(fixture("ner"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Task != engine.TaskEntities || len(info.Labels) != 7 || info.Labels[1] != "B-PER" || info.MaxLength != 16 ||
		info.Quantized || len(info.Hash) != 64 || info.SizeBytes == 0 || info.ID != "ner@"+info.Hash[:12] {
		t.Errorf("info %+v", info)
	}
	if len(info.Inputs) != 2 || info.Inputs[0].Name != "input_ids" || info.Inputs[0].Type != "int64" ||
		len(info.Outputs) != 1 || fmt.Sprint(info.Outputs[0].Shape) != "[-1 -1 7]" {
		t.Errorf("io %+v %+v", info.Inputs, info.Outputs)
	}
	// An _int8 file name marks a quantized model.
	dir := t.TempDir()
	for _, f := range []string{"tokenizer.json", "config.json"} {
		copyFile(t, filepath.Join("testdata", "sentiment", f), filepath.Join(dir, f))
	}
	copyFile(t, filepath.Join("testdata", "sentiment", "model.onnx"), filepath.Join(dir, "model_int8.onnx"))
	q, err := engine.InspectModel(engine.ModelSource{Dir: dir, ONNXFile: "model_int8.onnx"})
	if err != nil || !q.Quantized {
		t.Errorf("int8 file: %+v, %v", q, err)
	}
	if _, err := engine.InspectModel(engine.ModelSource{Dir: dir}); !errors.Is(err, engine.ErrBadModel) {
		t.Errorf("folder without model.onnx: %v", err)
	}
	// A model inside an fs.FS.
	fsInfo, err := engine.InspectModel(engine.ModelSource{Name: "embedded-ner", FS: os.DirFS("testdata"), Dir: "ner"})
	if err != nil || fsInfo.Dir != "embedded:embedded-ner" || fsInfo.Hash != info.Hash {
		t.Errorf("fs.FS: %+v, %v", fsInfo, err)
	}
}

func TestDetectTask(t *testing.T) {
	f := func(config string, want engine.Task) {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := engine.DetectTask(engine.ModelSource{Dir: dir}); err != nil || got != want {
			t.Errorf("%s: DetectTask = %q, %v; want %q", config, got, err, want)
		}
	}
	f(`{"architectures": ["BertForTokenClassification"], "id2label": {"0": "NEGATIVE"}}`, engine.TaskEntities)
	f(`{"architectures": ["RobertaForSequenceClassification"], "id2label": {"0": "O", "1": "B-PER"}}`, engine.TaskSentiment)
	f(`{"architectures": ["Custom"], "id2label": {"0": "O", "1": "B-PER", "2": "I-PER"}}`, engine.TaskEntities)
	f(`{"id2label": {"0": "O", "1": "positive"}}`, engine.TaskSentiment)
	f(`{"model_type": "bert"}`, "")

	// The fixtures (architecture "Fixture": decided by their labels), on
	// disk and inside an fs.FS, agree with the task their logits give.
	for _, name := range []string{"sentiment", "ner"} {
		info, err := engine.InspectModel(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []engine.ModelSource{fixture(name), {FS: os.DirFS("testdata"), Dir: name}} {
			if got, err := engine.DetectTask(src); err != nil || got != info.Task {
				t.Errorf("%s %+v: DetectTask = %q, %v; logits say %q", name, src, got, err, info.Task)
			}
		}
	}

	dir := t.TempDir()
	if _, err := engine.DetectTask(engine.ModelSource{Dir: dir}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no config.json: %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.DetectTask(engine.ModelSource{Dir: dir}); !errors.Is(err, engine.ErrBadModel) {
		t.Errorf("config.json not JSON: %v, want ErrBadModel", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFromFS(t *testing.T) {
	e, err := engine.New(engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	info, err := e.LoadModel(context.Background(), "", engine.ModelSource{Name: "sst", FS: os.DirFS("testdata"), Dir: "sentiment"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Task != engine.TaskSentiment || info.Dir != "embedded:sst" || info.Provider != "cpu" {
		t.Errorf("info %+v", info)
	}
	s, err := e.Sentiment(context.Background(), "wonderful", engine.Options{})
	if err != nil || s.Label != "POSITIVE" {
		t.Errorf("%+v %v", s, err)
	}
	if ms := e.Models(); len(ms) != 1 || ms[0].ID != info.ID {
		t.Errorf("Models() = %+v", ms)
	}
}

func TestOptimizedModelCache(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 2; round++ {
		e, err := engine.New(engine.Config{OptimizedModelDir: dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.LoadModel(context.Background(), engine.TaskEntities, fixture("ner")); err != nil {
			t.Fatal(err)
		}
		got, err := e.Entities(context.Background(), "Alice Smith visited Paris", engine.Options{})
		if err != nil || len(got.Entities) != 2 {
			t.Errorf("round %d: %+v %v", round, got, err)
		}
		e.Close()
		files, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
		if len(files) != 1 || !strings.Contains(files[0], "-ort1.") || !strings.HasSuffix(files[0], "-cpu.onnx") {
			t.Errorf("round %d: cache files %v", round, files)
		}
	}
}

func TestRuntimeAndProviders(t *testing.T) {
	e, err := engine.New(engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := e.Runtime()
	e.Close()
	if rt.ORTVersion != "1.24.1" || rt.Provider != "cpu" || len(rt.Providers) == 0 || rt.Providers[0] != "cpu" || !filepath.IsAbs(rt.LibPath) {
		t.Errorf("runtime %+v", rt)
	}
	// The CPU build of ONNX Runtime has no CUDA provider: cudalibs says so,
	// naming the setup command.
	if _, err := engine.New(engine.Config{Provider: "cuda"}, nil); !errors.Is(err, engine.ErrProviderLoad) ||
		!errors.Is(err, cudalibs.ErrProviderMissing) || !strings.Contains(err.Error(), "make setup-gpu") {
		t.Errorf("cuda without fallback: %v, want ErrProviderLoad wrapping cudalibs.ErrProviderMissing", err)
	}
	fb, err := engine.New(engine.Config{Provider: "cuda", AllowCPUFallback: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	if rt := fb.Runtime(); rt.Provider != "cpu" || !strings.Contains(rt.Note, "CUDA unavailable, using CPU") ||
		!strings.Contains(rt.Note, cudalibs.ProviderFile) || strings.Contains(rt.Note, "\n") {
		t.Errorf("fallback runtime %+v", rt)
	}
	info, err := fb.LoadModel(context.Background(), engine.TaskSentiment, fixture("sentiment"))
	if err != nil || info.Provider != "cpu" {
		t.Errorf("fallback load: %+v %v", info, err)
	}
	if _, err := engine.New(engine.Config{Provider: "tpu"}, nil); err == nil {
		t.Error("unknown provider accepted")
	}
}

func TestFindORTLibrary(t *testing.T) {
	lib := os.Getenv("NLPSCOPE_ORT_LIB")
	if lib == "" {
		t.Fatal("NLPSCOPE_ORT_LIB must point at libonnxruntime.so.1 for the engine tests (make setup)")
	}
	got, err := engine.FindORTLibrary("")
	if err != nil || got != lib {
		t.Errorf("from env: %q %v", got, err)
	}
	// The flag wins over the environment.
	got, err = engine.FindORTLibrary(lib)
	if err != nil || got != lib {
		t.Errorf("flag: %q %v", got, err)
	}
	if _, err := engine.FindORTLibrary("/nonexistent/libonnxruntime.so.1"); !errors.Is(err, engine.ErrORTNotFound) {
		t.Errorf("missing flag path: %v", err)
	}
	t.Setenv("NLPSCOPE_ORT_LIB", "")
	t.Setenv("ONNXRUNTIME_SHARED_LIBRARY_PATH", lib)
	if got, err := engine.FindORTLibrary(""); err != nil || got != lib {
		t.Errorf("ONNXRUNTIME_SHARED_LIBRARY_PATH: %q %v", got, err)
	}
	// third_party/onnxruntime relative to the working directory.
	t.Setenv("ONNXRUNTIME_SHARED_LIBRARY_PATH", "")
	t.Setenv("LD_LIBRARY_PATH", "")
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := engine.FindORTLibrary(""); !errors.Is(err, engine.ErrORTNotFound) || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("nothing installed: %v, want ErrORTNotFound naming make setup", err)
	}
	os.MkdirAll(filepath.Join(dir, "third_party", "onnxruntime"), 0o755)
	copyFile(t, lib, filepath.Join(dir, "third_party", "onnxruntime", "libonnxruntime.so.1"))
	got, err = engine.FindORTLibrary("")
	if want := filepath.Join(dir, "third_party", "onnxruntime", "libonnxruntime.so.1"); err != nil || got != want {
		t.Errorf("third_party: %q %v, want %q", got, err, want)
	}
}

func TestSetTuning(t *testing.T) {
	e, err := engine.New(engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	def := e.Tuning()
	if def.MaxBatchSize != 32 || def.MaxDelay != 2*time.Millisecond || def.TokenBudget != 16384 || def.CacheEntries != 10000 {
		t.Errorf("defaults %+v", def)
	}
	want := engine.Tuning{MaxBatchSize: 8, MaxDelay: time.Millisecond, TokenBudget: 999, CacheEntries: 5, Stride: 3}
	if err := e.SetTuning(want); err != nil {
		t.Fatal(err)
	}
	if got := e.Tuning(); got != want {
		t.Errorf("got %+v want %+v", got, want)
	}
	if err := e.SetTuning(engine.Tuning{MaxBatchSize: -1}); err == nil {
		t.Error("negative batch size accepted")
	}
	if got := e.Tuning(); got != want {
		t.Error("a rejected tuning changed the settings")
	}
}

func TestOverloadAndCancel(t *testing.T) {
	e := newEngine(t, engine.Config{QueueSize: 2, Tuning: engine.Tuning{CacheEntries: -1}})
	ctx := context.Background()
	// A text of many windows cannot fit a queue of two: fail fast, typed.
	long := strings.Repeat("Alice Smith went to Paris . ", 40)
	if _, err := e.Entities(ctx, long, engine.Options{}); !errors.Is(err, engine.ErrOverloaded) {
		t.Fatalf("long text on a tiny queue: %v, want ErrOverloaded", err)
	}
	// The engine recovers: the windows the failed call left queued are
	// skipped (their caller is gone), after which a request fits again.
	// Until the batcher has skipped them, fail-fast is the right answer, so
	// retry on ErrOverloaded, the only acceptable error; no clock involved.
	for {
		_, err := e.Entities(ctx, "Alice", engine.Options{})
		if err == nil {
			break
		}
		if !errors.Is(err, engine.ErrOverloaded) {
			t.Fatalf("after overload: %v", err)
		}
		runtime.Gosched()
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Sentiment(cancelled, "good", engine.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestSentimentCacheIgnoresAggregation(t *testing.T) {
	e := newEngine(t, engine.Config{})
	ctx := context.Background()
	e.Sentiment(ctx, "good", engine.Options{Aggregation: engine.AggFirst})
	s, err := e.Sentiment(ctx, "good", engine.Options{Aggregation: engine.AggMax})
	if err != nil || !s.Cached {
		t.Errorf("sentiment keyed on an entity option: cached=%v err=%v", s.Cached, err)
	}
}

func TestExternalDataModel(t *testing.T) {
	e, err := engine.New(engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	info, err := e.LoadModel(context.Background(), engine.TaskSentiment, fixture("external"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := engine.InspectModel(fixture("sentiment"))
	if err != nil {
		t.Fatal(err)
	}
	var files int64
	for _, f := range []string{"model.onnx", "model.onnx_data"} {
		st, err := os.Stat(filepath.Join("testdata", "external", f))
		if err != nil {
			t.Fatal(err)
		}
		files += st.Size()
	}
	if info.Hash == plain.Hash || info.SizeBytes != files {
		t.Errorf("external weights not in hash/size: %+v (files %d bytes)", info, files)
	}
	s, err := e.Sentiment(context.Background(), "wonderful film", engine.Options{})
	if err != nil || s.Label != "POSITIVE" {
		t.Errorf("%+v %v", s, err)
	}
	// Without its data file the model is refused, naming the file.
	dir := t.TempDir()
	for _, f := range []string{"model.onnx", "tokenizer.json", "config.json"} {
		copyFile(t, filepath.Join("testdata", "external", f), filepath.Join(dir, f))
	}
	if _, err := engine.InspectModel(engine.ModelSource{Dir: dir}); !errors.Is(err, engine.ErrBadModel) || !strings.Contains(err.Error(), "model.onnx_data") {
		t.Errorf("missing data file: %v", err)
	}
}

func TestBatchLargerThanQueue(t *testing.T) {
	e := newEngine(t, engine.Config{QueueSize: 8, Tuning: engine.Tuning{CacheEntries: -1}})
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = "good film"
		if i%3 == 0 {
			texts[i] = "awful film"
		}
	}
	out, err := e.SentimentBatch(context.Background(), texts, engine.Options{})
	if err != nil {
		t.Fatalf("100 texts through a queue of 8: %v", err)
	}
	for i, s := range out {
		want := "POSITIVE"
		if i%3 == 0 {
			want = "NEGATIVE"
		}
		if s.Label != want {
			t.Errorf("text %d: %s", i, s.Label)
		}
	}
}

// With a bulk call's sequences queued (an import or a load test), an
// interactive request queued after them runs first: it returns while the
// bulk call is still running and waited less than its last sequences.
// Ordering, not wall-clock bounds.
func TestInteractiveAheadOfBulk(t *testing.T) {
	e := newEngine(t, engine.Config{IntraOpThreads: 1, MaxQueueWait: -1, Tuning: engine.Tuning{CacheEntries: -1, MaxBatchSize: 8}})
	texts := make([]string, 3000)
	for i := range texts {
		texts[i] = fmt.Sprintf("the film %d was good and the actors were great", i)
	}
	type bulkResult struct {
		res []engine.Sentiment
		err error
	}
	done := make(chan bulkResult, 1)
	go func() {
		res, err := e.SentimentBatch(context.Background(), texts, engine.Options{Bulk: true})
		done <- bulkResult{res, err}
	}()
	for e.Stats().QueueDepth[engine.TaskSentiment] < 512 {
		select {
		case r := <-done:
			t.Fatalf("bulk call ended before its queue was seen: %v", r.err)
		default:
		}
		runtime.Gosched()
	}
	s, err := e.Sentiment(context.Background(), "good", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		t.Fatalf("the bulk call (%v) finished before the interactive request queued after it", r.err)
	default:
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	var last time.Duration
	for _, b := range r.res {
		last = max(last, b.Timings.QueueWait)
	}
	t.Logf("interactive queue wait %v, bulk's longest %v", s.Timings.QueueWait, last)
	if s.Timings.QueueWait >= last {
		t.Errorf("interactive queue wait %v is not below the bulk call's longest %v", s.Timings.QueueWait, last)
	}
}
