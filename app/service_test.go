package app_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// Fixture models of the engine (engine/testdata/gen_fixtures.py): sentiment
// knows good/great/… as POSITIVE and bad/awful/… as NEGATIVE; NER tags
// Alice/Bob/Maria as PER and Paris/London/Berlin as LOC.
var (
	fixtureSentiment = filepath.Join("..", "engine", "testdata", "sentiment")
	fixtureNER       = filepath.Join("..", "engine", "testdata", "ner")
)

// testConfig is a Service config on the fixture models and a temp database.
func testConfig(t *testing.T) app.Config {
	t.Helper()
	return app.Config{
		DBPath:         filepath.Join(t.TempDir(), "nlpscope.db"),
		ModelSentiment: fixtureSentiment,
		ModelEntities:  fixtureNER,
		IntraOpThreads: 1,
	}
}

// newService starts a Service with the real engine and waits for its models.
func newService(t *testing.T, cfg app.Config) *app.Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := svc.WaitLoaded(ctx); err != nil {
		t.Fatalf("WaitLoaded: %v", err)
	}
	return svc
}

func TestMain(m *testing.M) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		if p, err := filepath.Abs(filepath.Join("..", "third_party", "onnxruntime", "libonnxruntime.so.1")); err == nil {
			os.Setenv("NLPSCOPE_ORT_LIB", p)
		}
	}
	if os.Getenv(importChildEnv) != "" { // the process TestImportResumeAfterKill kills
		os.Exit(importChild())
	}
	os.Exit(m.Run())
}

func TestServiceAnalyzeStoresAndReuses(t *testing.T) {
	svc := newService(t, testConfig(t))
	if h := svc.Health(); h.Status != "ok" || !h.Storage {
		t.Fatalf("health = %+v", h)
	}
	ctx := context.Background()
	res, err := svc.Analyze(ctx, app.AnalyzeRequest{Texts: []string{"the movie was great", "Alice went to Paris and it was awful"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 2 {
		t.Fatalf("%d results", len(res.Results))
	}
	a, b := res.Results[0], res.Results[1]
	if a.ID == 0 || b.ID == 0 || a.ID == b.ID {
		t.Fatalf("ids %d %d: want two stored documents", a.ID, b.ID)
	}
	if a.Sentiment.Label != "POSITIVE" || b.Sentiment.Label != "NEGATIVE" {
		t.Errorf("labels %q %q", a.Sentiment.Label, b.Sentiment.Label)
	}
	if len(a.Sentiment.Scores) != 2 {
		t.Errorf("scores %v: want both labels", a.Sentiment.Scores)
	}
	var labels []string
	for _, e := range b.Entities {
		labels = append(labels, e.Label+":"+e.Text)
	}
	if len(labels) != 2 || labels[0] != "PER:Alice" || labels[1] != "LOC:Paris" {
		t.Errorf("entities %v, want PER:Alice LOC:Paris", labels)
	}

	// The stored document reads back with the same analyses.
	doc, err := svc.Document(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Text != b.Text || doc.Sentiment.Label != "NEGATIVE" || len(doc.Entities) != 2 || doc.Meta.Entities == nil || !doc.Meta.Sentiment.Cached {
		t.Errorf("Document = %+v", doc)
	}

	// Same text again with the in-memory cache off: the second level
	// (storage) answers.
	if _, err := svc.SetSettings(app.Settings{MaxBatchSize: 8, MaxDelayUS: 1000, TokenBudget: 4096, CacheEntries: -1}); err != nil {
		t.Fatal(err)
	}
	again, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: "the movie was great", Tasks: []engine.Task{engine.TaskSentiment}})
	if err != nil {
		t.Fatal(err)
	}
	// Its sentiment matches the stored document's (same model and options):
	// it is one more sighting of that document, not a copy.
	if r := again.Results[0]; !r.Meta.Sentiment.Cached || r.Sentiment.Label != "POSITIVE" || r.ID != a.ID || !r.Duplicate || r.Seen != 2 || r.Entities != nil || r.Meta.Entities != nil {
		t.Errorf("repeat = %+v (meta %+v): want a cached sentiment only, counted on document %d (seen 2)", r, r.Meta, a.ID)
	}
	page, err := svc.Search(ctx, app.SearchQuery{Q: "Paris"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != b.ID || page.Items[0].Snippet == "" {
		t.Errorf("search Paris = %+v", page)
	}

	// A batch that mixes stored and new texts: one lookup per task answers
	// the stored ones, each at its own position; the new one is computed.
	mixed, err := svc.Analyze(ctx, app.AnalyzeRequest{Texts: []string{"a brand new sentence about Berlin",
		"Alice went to Paris and it was awful", "the movie was great"}})
	if err != nil {
		t.Fatal(err)
	}
	m0, m1, m2 := mixed.Results[0], mixed.Results[1], mixed.Results[2]
	if m0.Meta.Sentiment.Cached || m0.Meta.Entities.Cached {
		t.Errorf("new text marked cached: %+v %+v", m0.Meta.Sentiment, m0.Meta.Entities)
	}
	if !m1.Meta.Sentiment.Cached || !m1.Meta.Entities.Cached || m1.Sentiment.Label != "NEGATIVE" || len(m1.Entities) != 2 ||
		m1.Entities[0].Text != "Alice" || m1.Entities[1].Text != "Paris" {
		t.Errorf("stored text = %+v %+v, want cached NEGATIVE with Alice and Paris", m1.Sentiment, m1.Entities)
	}
	if !m2.Meta.Sentiment.Cached || m2.Sentiment.Label != "POSITIVE" || !m2.Meta.Entities.Cached || m2.Entities == nil {
		t.Errorf("stored text = %+v %+v, want cached POSITIVE and cached entities", m2.Sentiment, m2.Meta)
	}
}

func TestServiceBadInputChangesNothing(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	for _, tc := range []struct {
		req  app.AnalyzeRequest
		want error
	}{
		{app.AnalyzeRequest{Text: "   "}, engine.ErrEmptyText},
		{app.AnalyzeRequest{Texts: []string{"good", "bad \xff"}}, engine.ErrInvalidUTF8},
		{app.AnalyzeRequest{Text: "good", Tasks: []engine.Task{"summarize"}}, app.ErrBadRequest},
		{app.AnalyzeRequest{Text: "good", Aggregation: "median"}, app.ErrBadRequest},
		{app.AnalyzeRequest{Text: "good", Texts: []string{"bad"}}, app.ErrBadRequest},
		{app.AnalyzeRequest{Text: "good", Model: "nope"}, app.ErrUnknownModel},
	} {
		if _, err := svc.Analyze(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("Analyze(%+v) err = %v, want %v", tc.req, err, tc.want)
		}
	}
	page, err := svc.Search(ctx, app.SearchQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 {
		t.Errorf("%d documents stored after bad requests, want 0", len(page.Items))
	}
}

func TestServiceNotReady(t *testing.T) {
	cfg := testConfig(t)
	cfg.ModelEntities = filepath.Join(t.TempDir(), "missing")
	cfg.ModelsDir = t.TempDir()
	svc := newService(t, cfg)
	h := svc.Health()
	if h.Status != "not_ready" || h.Ready["entities"] || !h.Ready["sentiment"] || len(h.Problems) != 1 {
		t.Fatalf("health = %+v", h)
	}
	_, err := svc.Analyze(context.Background(), app.AnalyzeRequest{Text: "Alice"})
	if !errors.Is(err, engine.ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
	// A folder that was not given at start-up is refused, and changes nothing.
	if _, err := svc.SetActiveModel(context.Background(), app.SetModelRequest{Task: engine.TaskEntities, Ref: fixtureNER}); !errors.Is(err, app.ErrModelNotOffered) {
		t.Fatalf("SetActiveModel(a folder not in the catalog) = %v, want ErrModelNotOffered", err)
	}
	if h := svc.Health(); h.Ready["entities"] {
		t.Fatal("a refused model became active")
	}
	// A model that appears in the models folder after start (pulled,
	// quantized) is in the catalog at once; activating it fixes the task.
	copyDir(t, fixtureNER, filepath.Join(cfg.ModelsDir, "ner-copy"))
	if _, err := svc.SetActiveModel(context.Background(), app.SetModelRequest{Task: engine.TaskEntities, Ref: "ner-copy"}); err != nil {
		t.Fatal(err)
	}
	if h := svc.Health(); h.Status != "ok" || len(h.Problems) != 0 {
		t.Fatalf("health after SetActiveModel = %+v", h)
	}
}

func TestServiceStartImport(t *testing.T) {
	svc := newService(t, testConfig(t))
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("a.txt", "good movie, naïve\n\nbad \xff line\nAlice in Berlin\n") // UTF-8 with one broken line
	write("b.jsonl", `{"text":"great food"}`+"\n"+`{"body":"x"}`+"\n")
	write("ignored.pdf", "x")
	ctx := context.Background()
	st, err := svc.StartImport(ctx, []app.ImportFile{{Path: dir}}, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err = svc.WaitImport(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != app.StateDone || st.Total != 5 || st.Done != 3 || st.Failed != 2 || len(st.Files) != 2 {
		t.Fatalf("status = %+v", st)
	}
	got := map[string]int{}
	for _, e := range st.Errors {
		got[filepath.Base(e.Source)] = e.Line
	}
	if got["a.txt"] != 3 || got["b.jsonl"] != 2 {
		t.Errorf("errors %+v: want a.txt:3 and b.jsonl:2", st.Errors)
	}
	page, err := svc.Search(ctx, app.SearchQuery{ImportID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Errorf("import holds %d documents, want 3", len(page.Items))
	}
	if _, err := svc.StartImport(ctx, []app.ImportFile{{Path: filepath.Join(dir, "ignored.pdf")}}, app.ImportOptions{}); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("import of a .pdf: err = %v, want ErrBadRequest", err)
	}
}

// copyDir copies the files of folder src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// TestImportPreviewAndFailedMapping: the preview reads the reviews file of
// the bug report as a user would want (body, not the id column) without
// storing anything, and an import whose only file cannot be read (an
// unknown column) ends failed, not done.
func TestImportPreviewAndFailedMapping(t *testing.T) {
	svc := newService(t, testConfig(t))
	dir := t.TempDir()
	p := filepath.Join(dir, "reviews.csv")
	os.WriteFile(p, []byte("id,author,body,stars\n1,ann,The battery lasts two days.,5\n2,bob,Broke after a week.,1\n"), 0o644)
	ctx := context.Background()
	prev, err := svc.PreviewImport(ctx, []app.ImportFile{{Path: p, Name: "reviews.csv"}}, app.ImportOptions{})
	if err != nil || len(prev) != 1 || prev[0].TextColumn != "body" || prev[0].Delimiter != "," || len(prev[0].Rows) != 2 || prev[0].Error != "" {
		t.Fatalf("preview = %+v, %v", prev, err)
	}
	bad, _ := svc.PreviewImport(ctx, []app.ImportFile{{Path: p, Name: "reviews.csv"}}, app.ImportOptions{Column: "nope"})
	if len(bad) != 1 || !strings.Contains(bad[0].Error, "nope") {
		t.Errorf("preview with a bad column = %+v", bad)
	}
	if page, _ := svc.Search(ctx, app.SearchQuery{}); len(page.Items) != 0 {
		t.Errorf("a preview stored %d documents", len(page.Items))
	}
	st, err := svc.StartImport(ctx, []app.ImportFile{{Path: p, Name: "reviews.csv"}}, app.ImportOptions{Column: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = svc.WaitImport(ctx, st.ID)
	if st.State != app.StateFailed || st.Done != 0 || len(st.Errors) != 1 {
		t.Errorf("import with an unknown column = %+v, want failed", st)
	}
	st, _ = svc.StartImport(ctx, []app.ImportFile{{Path: p, Name: "reviews.csv"}}, app.ImportOptions{})
	st, _ = svc.WaitImport(ctx, st.ID)
	page, _ := svc.Search(ctx, app.SearchQuery{})
	if st.State != app.StateDone || st.Done != 2 || len(page.Items) != 2 {
		t.Fatalf("import = %+v, %d stored", st, len(page.Items))
	}
	for _, it := range page.Items {
		if it.Text != "The battery lasts two days." && it.Text != "Broke after a week." {
			t.Errorf("stored %+v: want the body texts", it)
		}
	}
}

// The waterfall's stages: an uncached result has its own queue, tokenize,
// inference, post-process and store times and no Computed; a cached one
// (memory cache, then SQLite) has only its lookup time as its own, and the
// original computation's stages, unchanged, as Computed ("computed
// earlier"); storing a cached result keeps the original timings.
func TestServiceWaterfallStages(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	req := app.AnalyzeRequest{Text: "the staff in Rome were kind", Tasks: []engine.Task{engine.TaskSentiment}}
	first, err := svc.Analyze(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	m := first.Results[0].Meta.Sentiment
	if m.Cached || m.Computed != nil || m.Timings.Inference <= 0 || m.Timings.Tokenize <= 0 || m.Timings.CacheLookup != 0 || m.Store <= 0 {
		t.Fatalf("uncached meta %+v", m)
	}
	orig := m.Timings

	check := func(what string, r app.DocumentResult) {
		t.Helper()
		m := r.Meta.Sentiment
		if !m.Cached || m.Computed == nil || *m.Computed != orig {
			t.Errorf("%s: meta %+v, computed %+v; want cached with computed = %+v", what, m, m.Computed, orig)
			return
		}
		if tm := m.Timings; tm.QueueWait != 0 || tm.Tokenize != 0 || tm.Inference != 0 || tm.Postprocess != 0 {
			t.Errorf("%s: own timings %+v: a cached result has only its lookup", what, tm)
		}
	}
	mem, err := svc.Analyze(ctx, req) // the engine's memory cache
	if err != nil {
		t.Fatal(err)
	}
	check("memory cache", mem.Results[0])

	if _, err := svc.SetSettings(app.Settings{MaxBatchSize: 8, MaxDelayUS: 1000, TokenBudget: 4096, CacheEntries: -1}); err != nil {
		t.Fatal(err)
	}
	db, err := svc.Analyze(ctx, req) // SQLite
	if err != nil {
		t.Fatal(err)
	}
	check("stored", db.Results[0])
	if db.Results[0].Meta.Sentiment.Timings.CacheLookup <= 0 {
		t.Errorf("SQLite hit without a lookup time: %+v", db.Results[0].Meta.Sentiment.Timings)
	}
	// The new document stored for the repeat keeps the original timings.
	doc, err := svc.Document(ctx, db.Results[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := doc.Meta.Sentiment.Computed; c == nil || *c != orig {
		t.Errorf("stored repeat: computed %+v, want %+v", c, orig)
	}
}

// TestServiceSentences: a text of several sentences gets each sentence's
// sentiment with code-point spans; they are stored, read back, and reused
// from the database only for the same method; a bad method stores nothing.
func TestServiceSentences(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	if _, err := svc.SetSettings(app.Settings{MaxBatchSize: 8, MaxDelayUS: 1000, TokenBudget: 4096, CacheEntries: -1}); err != nil {
		t.Fatal(err)
	}
	text := "Ünïcode first: the movie was great.  Then it was awful!"
	sentiment := []engine.Task{engine.TaskSentiment}
	res, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: text, Tasks: sentiment, SentimentMethod: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Results[0].Sentiment
	runes := []rune(text)
	if got.Method != "mean" || got.Truncated || len(got.Sentences) != 2 {
		t.Fatalf("sentiment %+v: want the mean of 2 sentences", got)
	}
	for i, want := range []string{"Ünïcode first: the movie was great.", "Then it was awful!"} {
		s := got.Sentences[i]
		if string(runes[s.Start:s.End]) != want || len(s.Scores) != 2 {
			t.Errorf("sentence %d = %d-%d %q, want %q", i, s.Start, s.End, string(runes[s.Start:s.End]), want)
		}
	}
	if got.Sentences[0].Label != "POSITIVE" || got.Sentences[1].Label != "NEGATIVE" {
		t.Errorf("sentence labels %s %s", got.Sentences[0].Label, got.Sentences[1].Label)
	}
	doc, err := svc.Document(ctx, res.Results[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc.Sentiment, got) {
		t.Errorf("stored %+v\nwant    %+v", doc.Sentiment, got)
	}
	again, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: text, Tasks: sentiment, SentimentMethod: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	if r := again.Results[0]; !r.Meta.Sentiment.Cached || !reflect.DeepEqual(r.Sentiment, got) {
		t.Errorf("repeat: cached %v %+v", r.Meta.Sentiment.Cached, r.Sentiment)
	}
	auto, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: text, Tasks: sentiment})
	if err != nil {
		t.Fatal(err)
	}
	// auto reads a text that fits whole: another method, so not the stored one.
	if a := auto.Results[0]; a.Meta.Sentiment.Cached || a.Sentiment.Method != "whole" || a.Sentiment.Sentences == nil || len(a.Sentiment.Sentences) != 0 {
		t.Errorf("auto: cached %v method %q sentences %v", a.Meta.Sentiment.Cached, a.Sentiment.Method, a.Sentiment.Sentences)
	}
	m := res.Results[0]
	// The mean is weighted by each sentence's length in code points.
	w0, w1 := float64(got.Sentences[0].End-got.Sentences[0].Start), float64(got.Sentences[1].End-got.Sentences[1].Start)
	for j, ls := range m.Sentiment.Scores {
		want := (w0*m.Sentiment.Sentences[0].Scores[j].Score + w1*m.Sentiment.Sentences[1].Scores[j].Score) / (w0 + w1)
		if math.Abs(ls.Score-want) > 1e-9 {
			t.Errorf("%s: mean %.6f, want %.6f", ls.Label, ls.Score, want)
		}
	}
	before, err := svc.Search(ctx, app.SearchQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: text, SentimentMethod: "median"}); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("method median: %v, want a bad request", err)
	}
	after, err := svc.Search(ctx, app.SearchQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("a refused request stored %d documents", len(after.Items)-len(before.Items))
	}
}

// TestServiceLatencyTarget: SLO mode is set per task through the settings,
// read back, reported in the metrics once work ran, refused when out of
// range, and turned off with 0.
func TestServiceLatencyTarget(t *testing.T) {
	cfg := testConfig(t)
	cfg.P99Targets = map[engine.Task]time.Duration{engine.TaskEntities: 80 * time.Millisecond}
	svc := newService(t, cfg)
	ctx := context.Background()
	cur := svc.Settings()
	if cur.P99TargetMS[engine.TaskEntities] != 80 || cur.P99TargetMS[engine.TaskSentiment] != 0 {
		t.Fatalf("start-up targets %v", cur.P99TargetMS)
	}
	cur.P99TargetMS = map[engine.Task]float64{engine.TaskSentiment: 50}
	got, err := svc.SetSettings(cur)
	if err != nil {
		t.Fatal(err)
	}
	if got.P99TargetMS[engine.TaskSentiment] != 50 || got.P99TargetMS[engine.TaskEntities] != 80 {
		t.Errorf("targets after setting sentiment: %v (entities keeps its own)", got.P99TargetMS)
	}
	for i := range 3 {
		if _, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: fmt.Sprintf("text number %d was great", i), NoStore: true}); err != nil {
			t.Fatal(err)
		}
	}
	slo := svc.Metrics().Engine.SLO
	if st, ok := slo[engine.TaskSentiment]; !ok || st.Target != 50*time.Millisecond || st.MaxBatch < 1 || st.Reason == "" {
		t.Errorf("metrics engine.slo = %+v", slo)
	}
	bad := cur
	bad.P99TargetMS = map[engine.Task]float64{engine.TaskSentiment: 0.5}
	if _, err := svc.SetSettings(bad); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("0.5 ms target: %v, want a bad request", err)
	}
	bad.P99TargetMS = map[engine.Task]float64{"ner2": 50}
	if _, err := svc.SetSettings(bad); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("unknown task: %v, want a bad request", err)
	}
	off := cur
	off.P99TargetMS = map[engine.Task]float64{engine.TaskSentiment: 0, engine.TaskEntities: 0}
	if got, err := svc.SetSettings(off); err != nil || len(got.P99TargetMS) != 0 || len(svc.Metrics().Engine.SLO) != 0 {
		t.Errorf("off: %v %v, slo %v", got.P99TargetMS, err, svc.Metrics().Engine.SLO)
	}
}

// TestServiceStartsNotReadyWithoutORT: without an ONNX Runtime library a
// command-line Service fails to start, while the shells' (StartNotReady)
// runs, not ready, saying what is missing, and refuses analyses.
func TestServiceStartsNotReadyWithoutORT(t *testing.T) {
	cfg := testConfig(t)
	cfg.ORTLib = filepath.Join(t.TempDir(), "missing", "libonnxruntime.so.1")
	ctx := context.Background()
	if svc, err := app.New(ctx, cfg, nil); err == nil || !errors.Is(err, engine.ErrORTNotFound) {
		if svc != nil {
			svc.Close()
		}
		t.Fatalf("New without ORT: %v, want ErrORTNotFound", err)
	}
	cfg.StartNotReady = true
	svc := newService(t, cfg)
	h := svc.Health()
	if h.Status != app.HealthNotReady || h.Ready["sentiment"] || len(h.Problems) != 1 || !strings.Contains(h.Problems[0], "ONNX Runtime library not found") || !h.Storage {
		t.Errorf("health = %+v", h)
	}
	if _, err := svc.Analyze(ctx, app.AnalyzeRequest{Text: "hello"}); !errors.Is(err, engine.ErrNotReady) {
		t.Errorf("analyze: %v, want ErrNotReady", err)
	}
	if page, err := svc.Search(ctx, app.SearchQuery{}); err != nil || len(page.Items) != 0 {
		t.Errorf("history still works: %+v %v", page, err)
	}
	if m := svc.Models(); m.Active == nil || len(m.Active) != 0 {
		t.Errorf("active models %v: want [] (never null)", m.Active)
	}
}
