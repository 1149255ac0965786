package cli_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/gold"
	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/storage"
)

// nlpscope evaluate on hand-labelled files, against counts made by hand
// from what the fixture models say (Alice/Bob/Maria PER, Paris/London/Berlin
// LOC; good/great POSITIVE, bad/awful NEGATIVE).
func TestCmdEvaluate(t *testing.T) {
	dir := t.TempDir()
	conll := filepath.Join(dir, "gold.conll")
	// Gold: Alice PER, Paris LOC; Bob PER, Maria LOC (the model: PER), London unlabelled (the model: LOC).
	os.WriteFile(conll, []byte("Alice B-PER\nwent O\nto O\nParis B-LOC\n\nBob B-PER\nmet O\nMaria B-LOC\nin O\nLondon O\n\n"), 0o644)
	code, out, errOut := runCLI(t, "", append([]string{"evaluate", "--gold", conll, "--json"}, fixtureFlags...)...)
	if code != cli.ExitOK {
		t.Fatalf("evaluate: %d %s", code, errOut)
	}
	var ev app.Evaluation
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev.Runs) != 1 {
		t.Fatalf("evaluate --json: %v\n%s", err, out)
	}
	r := ev.Runs[0].Report
	if r.Sentiment != nil || r.Entities == nil {
		t.Fatalf("report %+v", r)
	}
	// TP Alice, Paris, Bob = 3; predicted 5 (+ Maria PER, London LOC); gold 4 (+ Maria LOC).
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	m := r.Entities.Micro
	if m.Correct != 3 || m.Predicted != 5 || m.Support != 4 || !near(m.Precision, 0.6) || !near(m.Recall, 0.75) || !near(m.F1, 2.0/3) {
		t.Errorf("micro %+v", m)
	}
	// LOC 1/2/2: 0.5 0.5 0.5; PER 2/3/2: 2/3 1 0.8; macro F1 0.65.
	if l := r.Entities.Labels; len(l) != 2 || l[0].Label != "LOC" || !near(l[0].F1, 0.5) || !near(l[1].F1, 0.8) || !near(r.Entities.Macro.F1, 0.65) {
		t.Errorf("labels %+v, macro %+v", l, r.Entities.Macro)
	}
	if len(r.Disagreements) != 1 || r.Disagreements[0].Doc != 2 || len(r.Disagreements[0].Missed) != 1 || len(r.Disagreements[0].Spurious) != 2 {
		t.Errorf("disagreements %+v", r.Disagreements)
	}

	// Sentiment CSV, two sides of a comparison (here the same model twice,
	// named differently): the table shows both columns and the matrix.
	csvPath := filepath.Join(dir, "gold.csv")
	os.WriteFile(csvPath, []byte("text,label\nthis is good,POSITIVE\nawful stuff,NEGATIVE\ngreat day,positive\na good day,NEGATIVE\n"), 0o644)
	code, out, errOut = runCLI(t, "", append([]string{"evaluate", "--gold", csvPath, "--compare", "sentiment=" + fixtureSentiment, "default"}, fixtureFlags...)...)
	if code != cli.ExitOK {
		t.Fatalf("evaluate --compare: %d %s", code, errOut)
	}
	for _, want := range []string{"sentiment=" + fixtureSentiment, "default", "accuracy", "0.750", "macro F1", "0.733",
		"confusion matrix, default", "#4 \"a good day\"", "gold NEGATIVE, predicted POSITIVE"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !hasRow(out, "accuracy", "0.750", "0.750") {
		t.Errorf("accuracy row:\n%s", out)
	}

	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"text": "New York", "spans": [{"start": 0, "end": 8, "label": "LOC"}, {"start": 4, "end": 8, "label": "LOC"}]}`+"\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"evaluate"}, "--gold FILE is required"},
		{[]string{"evaluate", "--gold", bad}, `entities overlap: LOC [0,8) "New York" and LOC [4,8) "York"`},
		{[]string{"evaluate", "--gold", conll, "--format", "xml"}, "want conll, spacy"},
		{[]string{"evaluate", "--gold", conll, "--compare", "int8"}, "two sides"},
		{[]string{"evaluate", "--gold", conll, "--compare", "a=b", "c"}, "unknown key"},
	} {
		code, _, errOut := runCLI(t, "", c.args...)
		if code != cli.ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %d %q, want usage error with %q", c.args, code, errOut, c.want)
		}
	}
}

// nlpscope db export writes the selected documents' predictions in a
// training format, and the file reads back as what was stored.
func TestCmdDBExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := storage.Open(context.Background(), storage.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stored := []storage.Result{
		{Text: "Alice 😀 in 東京", Analyses: []storage.Analysis{
			{Task: "sentiment", ModelID: "s@1", ModelHash: "1", Label: "POSITIVE", Score: 0.9},
			{Task: "entities", ModelID: "n@2", ModelHash: "2", Entities: []storage.Entity{{Label: "PER", Text: "Alice", Start: 0, End: 5, Score: 0.8}, {Label: "LOC", Text: "東京", Start: 11, End: 13, Score: 0.7}}}}},
		{Text: "bad day", Analyses: []storage.Analysis{{Task: "sentiment", ModelID: "s@1", ModelHash: "1", Label: "NEGATIVE", Score: 0.6}}},
	}
	for _, r := range stored {
		if _, err := db.Store(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, errOut := runDB(t, "export", "--db", path, "--format", "conll")
	if want := "Alice B-PER\n😀 O\nin O\n東 B-LOC\n京 I-LOC\n\nbad O\nday O\n\n"; code != cli.ExitOK || out != want {
		t.Errorf("db export conll: %d %q %s, want %q", code, out, errOut, want)
	}
	file := filepath.Join(t.TempDir(), "tasks.json")
	code, _, errOut = runDB(t, "export", "--db", path, "--format", "labelstudio", "--sentiment", "positive", "-o", file)
	if code != cli.ExitOK || !strings.Contains(errOut, "wrote 1 documents") {
		t.Fatalf("db export -o: %d %s", code, errOut)
	}
	f, _ := os.Open(file)
	docs, err := gold.ReadAll(f, gold.LabelStudio, 0)
	f.Close()
	want := gold.Doc{ID: "1", Text: "Alice 😀 in 東京", Sentiment: "POSITIVE", SentimentScore: 0.9, Model: "s@1 n@2",
		Entities: []gold.Span{{Start: 0, End: 5, Label: "PER", Score: 0.8}, {Start: 11, End: 13, Label: "LOC", Score: 0.7}}}
	if err != nil || len(docs) != 1 || docs[0].Text != want.Text || docs[0].Model != want.Model || len(docs[0].Entities) != 2 || docs[0].Entities[1] != want.Entities[1] {
		t.Errorf("labelstudio export reads back as %+v, %v; want %+v", docs, err, want)
	}
	if code, _, errOut := runDB(t, "export", "--db", path, "--format", "xml"); code != cli.ExitUsage || !strings.Contains(errOut, "labelstudio") {
		t.Errorf("bad format: %d %s", code, errOut)
	}
}

// fp32 vs INT8 side by side on the analyst's own texts: the embedded
// sentiment model quantized as a user does it (models quantize), then
// evaluate --compare fp32 int8 runs each variant on the same held-out
// texts and reports both.
func TestCmdEvaluateCompareVariants(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sentiment")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "models", "sentiment"))); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "models", "quantize", dir, "--no-compare", "--embeddings"); code != cli.ExitOK {
		t.Fatalf("models quantize: %d %s", code, errOut)
	}
	heldout := filepath.Join("..", "models", "testdata", "sentiment_heldout.jsonl")
	code, out, errOut := runCLI(t, "", "evaluate", "--gold", heldout, "--model-sentiment", dir, "--threads", "1", "--compare", "fp32", "int8", "--json")
	if code != cli.ExitOK {
		t.Fatalf("evaluate --compare fp32 int8: %d %s", code, errOut)
	}
	var ev app.Evaluation
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev.Runs) != 2 {
		t.Fatalf("%v\n%s", err, out)
	}
	a, b := ev.Runs[0], ev.Runs[1]
	if a.Name != "fp32" || b.Name != "int8" || a.Models["sentiment"] == b.Models["sentiment"] || a.Models["sentiment"] == "" {
		t.Errorf("runs %s %v, %s %v: want fp32 and int8 with different model ids", a.Name, a.Models, b.Name, b.Models)
	}
	for _, r := range ev.Runs {
		s := r.Report.Sentiment
		if ev.Docs != 200 || s == nil || s.Docs != 200 || s.Accuracy < 0.5 {
			t.Errorf("%s: %+v", r.Name, s)
		}
	}
	t.Logf("held-out sentiment accuracy: fp32 %.3f, int8 %.3f", a.Report.Sentiment.Accuracy, b.Report.Sentiment.Accuracy)
}
