package app_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/gold"
	"github.com/nlpscope/nlpscope/engine"
)

var goldTexts = []string{
	"Alice loved Paris 😍 and the great food",
	"Bob found Berlin awful, said Maria",
	"東京タワー was great, Tesla agreed",
	"a bad day in London with John Smith",
	"plain words only",
	"Angela Merkel met Emmanuel Macron in Paris 👨‍👩‍👧",
}

// analyzed stores goldTexts and returns the predictions as the test reads
// them from the analysis results, in order.
func analyzed(t *testing.T, svc *app.Service) []gold.Doc {
	t.Helper()
	res, err := svc.Analyze(context.Background(), app.AnalyzeRequest{Texts: goldTexts})
	if err != nil {
		t.Fatal(err)
	}
	var out []gold.Doc
	ents := 0
	for _, r := range res.Results {
		d := gold.Doc{ID: strconv.FormatInt(r.ID, 10), Text: r.Text, Sentiment: r.Sentiment.Label, Entities: []gold.Span{}}
		for _, e := range r.Entities {
			d.Entities = append(d.Entities, gold.Span{Start: e.Start, End: e.End, Label: e.Label})
		}
		ents += len(d.Entities)
		out = append(out, d)
	}
	if ents == 0 {
		t.Fatal("the model found no entities: the test would prove nothing")
	}
	return out
}

// Every training format exported from History reads back as the stored
// predictions: same texts, sentiment and code-point spans (CoNLL: the same
// entities widened to whole tokens).
func TestExportTrainingFormats(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	want := analyzed(t, svc)
	for _, f := range gold.Formats {
		var buf bytes.Buffer
		if err := svc.ExportResultsWith(ctx, &buf, string(f), app.SearchQuery{}, app.ExportOptions{Comments: true}); err != nil {
			t.Fatalf("export %s: %v", f, err)
		}
		got, err := gold.ReadAll(bytes.NewReader(buf.Bytes()), f, 0)
		if err != nil {
			t.Fatalf("read back %s: %v\n%s", f, err, buf.Bytes())
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d documents, want %d", f, len(got), len(want))
		}
		for i, g := range got {
			w := want[i]
			if g.Text != w.Text || g.Sentiment != w.Sentiment {
				t.Errorf("%s doc %d: %q %q, want %q %q", f, i, g.Text, g.Sentiment, w.Text, w.Sentiment)
			}
			if f == gold.SentimentCSV || f == gold.SentimentJSONL {
				continue
			}
			if f != gold.CoNLL && g.ID != w.ID {
				t.Errorf("%s doc %d: id %q, want %q", f, i, g.ID, w.ID)
			}
			we, _ := gold.DropConflicts(w, f == gold.CoNLL)
			if len(g.Entities) != len(we.Entities) {
				t.Errorf("%s doc %d: entities %+v, want %+v", f, i, g.Entities, we.Entities)
				continue
			}
			for j, e := range g.Entities {
				p := we.Entities[j]
				exact := e.Start == p.Start && e.End == p.End
				covers := e.Start <= p.Start && e.End >= p.End
				if e.Label != p.Label || (f != gold.CoNLL && !exact) || !covers {
					t.Errorf("%s doc %d entity %d: %+v, want %+v", f, i, j, e, p)
				}
			}
		}
	}
	if err := svc.ExportResults(ctx, &bytes.Buffer{}, "xml", app.SearchQuery{}); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("export xml: %v, want a bad request", err)
	}
}

// Evaluating the model on its own exported predictions scores 1; each
// change made to that gold set moves the counts by exactly what it changed.
func TestEvaluateOnExportedGold(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	preds := analyzed(t, svc)
	var buf bytes.Buffer
	if err := svc.ExportResults(ctx, &buf, string(gold.LabelStudio), app.SearchQuery{}); err != nil {
		t.Fatal(err)
	}
	docs, err := app.ReadGold(&buf, "tasks.json", "")
	if err != nil {
		t.Fatal(err)
	}
	base, err := svc.Evaluate(ctx, app.EvaluateRequest{Docs: docs})
	if err != nil {
		t.Fatal(err)
	}
	rep := base.Report
	if rep.Docs != len(goldTexts) || rep.Sentiment == nil || rep.Entities == nil {
		t.Fatalf("report %+v", rep)
	}
	if rep.Sentiment.Accuracy != 1 || rep.Entities.Micro.F1 != 1 || len(rep.Disagreements) != 0 {
		t.Errorf("own predictions: accuracy %v, entity F1 %v, %d disagreements; want 1, 1, 0",
			rep.Sentiment.Accuracy, rep.Entities.Micro.F1, len(rep.Disagreements))
	}
	if base.Models["sentiment"] == "" || base.Models["entities"] == "" {
		t.Errorf("models %v", base.Models)
	}
	// Evaluations at the same time (and beside other work) give the same report.
	var wg sync.WaitGroup
	reports := make([]gold.Report, 4)
	for i := range reports {
		wg.Go(func() {
			run, err := svc.Evaluate(ctx, app.EvaluateRequest{Docs: docs})
			if err != nil {
				t.Error(err)
			}
			reports[i] = run.Report
		})
	}
	wg.Wait()
	for i, r := range reports {
		if !reflect.DeepEqual(r, rep) {
			t.Errorf("concurrent evaluation %d: %+v, want %+v", i, r, rep)
		}
	}

	// Change the gold: flip one sentiment, drop one entity, add one on a
	// token the model left alone.
	changed := make([]gold.Doc, len(preds))
	copy(changed, preds)
	flip := "NEGATIVE"
	if changed[0].Sentiment == flip {
		flip = "POSITIVE"
	}
	changed[0].Sentiment = flip
	dropAt := -1
	for i, d := range changed {
		if len(d.Entities) > 0 {
			dropAt = i
			changed[i].Entities = append([]gold.Span{}, d.Entities[1:]...)
			break
		}
	}
	// "plain words only" has no entity (checked below): label "plain" as ORG.
	if len(preds[4].Entities) != 0 {
		t.Fatalf("fixture: the model found entities in %q", preds[4].Text)
	}
	changed[4].Entities = []gold.Span{{Start: 0, End: 5, Label: "ORG"}}
	run, err := svc.Evaluate(ctx, app.EvaluateRequest{Docs: changed})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Report
	if r.Sentiment.Correct != rep.Sentiment.Correct-1 {
		t.Errorf("sentiment correct %d, want %d", r.Sentiment.Correct, rep.Sentiment.Correct-1)
	}
	m, bm := r.Entities.Micro, rep.Entities.Micro
	if m.Correct != bm.Correct-1 || m.Predicted != bm.Predicted || m.Support != bm.Support {
		t.Errorf("entities %+v, want correct %d, predicted %d, support %d", m, bm.Correct-1, bm.Predicted, bm.Support)
	}
	wantF1 := 2 * float64(m.Correct) / float64(m.Predicted+m.Support)
	if math.Abs(m.F1-wantF1) > 1e-12 {
		t.Errorf("micro F1 %v, want %v", m.F1, wantF1)
	}
	wantDis := map[int]bool{1: true, dropAt + 1: true, 5: true}
	if len(r.Disagreements) != len(wantDis) {
		t.Errorf("disagreements %+v, want documents %v", r.Disagreements, wantDis)
	}
	for _, d := range r.Disagreements {
		if !wantDis[d.Doc] {
			t.Errorf("disagreement on document %d", d.Doc)
		}
	}

	bad := []struct {
		name string
		docs []gold.Doc
	}{
		{"none", nil},
		{"no labels", []gold.Doc{{Text: "x"}}},
		{"overlap", []gold.Doc{{Text: "New York", Entities: []gold.Span{{Start: 0, End: 8, Label: "LOC"}, {Start: 4, End: 8, Label: "LOC"}}}}},
	}
	for _, c := range bad {
		if _, err := svc.Evaluate(ctx, app.EvaluateRequest{Docs: c.docs}); !errors.Is(err, app.ErrBadRequest) {
			t.Errorf("%s: %v, want a bad request", c.name, err)
		}
	}
}

// On the default models' held-out samples, Evaluate agrees with a naive
// count made here from the analysis results: exact code-point spans for
// entities (every gold span there lies on token boundaries, so the token
// grid changes nothing), equal labels for sentiment.
func TestEvaluateHeldOutMatchesNaiveCount(t *testing.T) {
	cfg := testConfig(t)
	cfg.ModelSentiment, cfg.ModelEntities, cfg.NoDB = "", "", true // the embedded defaults
	svc := newService(t, cfg)
	ctx := context.Background()
	for _, c := range []struct{ file, task string }{
		{"ner_heldout.jsonl", "entities"},
		{"sentiment_heldout.jsonl", "sentiment"},
	} {
		f, err := os.Open(filepath.Join("..", "models", "testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		docs, err := app.ReadGold(f, c.file, "")
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		run, err := svc.Evaluate(ctx, app.EvaluateRequest{Docs: docs, Aggregation: "first"})
		if err != nil {
			t.Fatal(err)
		}
		texts := make([]string, len(docs))
		for i, d := range docs {
			texts[i] = d.Text
		}
		var results []app.DocumentResult
		for at := 0; at < len(texts); at += 100 {
			res, err := svc.Analyze(ctx, app.AnalyzeRequest{Texts: texts[at:min(at+100, len(texts))], Aggregation: "first", Tasks: []engine.Task{engine.Task(c.task)}})
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, res.Results...)
		}
		r := run.Report
		if c.task == "entities" {
			type key struct {
				label      string
				start, end int
			}
			tp, np, ng := 0, 0, 0
			for i, d := range docs {
				want := map[key]bool{}
				for _, s := range d.Entities {
					want[key{s.Label, s.Start, s.End}] = true
				}
				ng += len(want)
				for _, e := range results[i].Entities {
					np++
					if want[key{e.Label, e.Start, e.End}] {
						tp++
					}
				}
			}
			m := r.Entities.Micro
			t.Logf("held-out entities: P %.3f R %.3f F1 %.3f (%d gold, %d predicted)", m.Precision, m.Recall, m.F1, m.Support, m.Predicted)
			if r.Sentiment != nil || m.Correct != tp || m.Predicted != np || m.Support != ng || tp == 0 {
				t.Errorf("micro %+v, naive count: %d correct of %d predicted, %d gold", m, tp, np, ng)
			}
			continue
		}
		ok := 0
		for i, d := range docs {
			if strings.EqualFold(results[i].Sentiment.Label, d.Sentiment) {
				ok++
			}
		}
		t.Logf("held-out sentiment: accuracy %.3f, macro recall %.3f (%d documents)", r.Sentiment.Accuracy, r.Sentiment.MacroRecall, r.Sentiment.Docs)
		if r.Entities != nil || r.Sentiment.Correct != ok || r.Sentiment.Docs != len(docs) || ok == 0 {
			t.Errorf("sentiment %+v, naive count %d of %d", r.Sentiment, ok, len(docs))
		}
	}
}
