package gold_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app/gold"
)

// tagged builds documents from IOB2 tag sequences over tokens w0 w1 …, the
// way seqeval's examples are written.
func tagged(t *testing.T, seqs ...[]string) []gold.Doc {
	t.Helper()
	var b strings.Builder
	for _, tags := range seqs {
		for i, tag := range tags {
			fmt.Fprintf(&b, "w%d %s\n", i, tag)
		}
		b.WriteString("\n")
	}
	docs, err := gold.ReadAll(strings.NewReader(b.String()), gold.CoNLL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func checkScores(t *testing.T, what string, got gold.Scores, p, r, f float64, support int) {
	t.Helper()
	if !near(got.Precision, p) || !near(got.Recall, r) || !near(got.F1, f) || got.Support != support {
		t.Errorf("%s: P=%v R=%v F1=%v support=%d; want %v %v %v %d", what, got.Precision, got.Recall, got.F1, got.Support, p, r, f, support)
	}
}

func seqeval(t *testing.T, truth, pred [][]string) *gold.EntityReport {
	t.Helper()
	rep, err := gold.Evaluate(tagged(t, truth...), tagged(t, pred...))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entities == nil {
		t.Fatal("no entity report")
	}
	return rep.Entities
}

// The example of seqeval's README: f1_score = 0.5, and its
// classification_report (MISC 0/0/0 support 1, PER 1/1/1 support 1, micro
// 0.5, macro 0.5).
func TestSeqevalReadmeExample(t *testing.T) {
	er := seqeval(t,
		[][]string{{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}},
		[][]string{{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}})
	checkScores(t, "micro", er.Micro, 0.5, 0.5, 0.5, 2)
	checkScores(t, "macro", er.Macro, 0.5, 0.5, 0.5, 2)
	if len(er.Labels) != 2 {
		t.Fatalf("labels %+v", er.Labels)
	}
	checkScores(t, "MISC", er.Labels[0], 0, 0, 0, 1)
	checkScores(t, "PER", er.Labels[1], 1, 1, 1, 1)
}

// seqeval's edge cases: a boundary error is a false positive and a false
// negative; a wrong type too (and both labels enter the macro average);
// an I- after O starts an entity (default mode); nothing predicted is 0,
// not a division by zero.
func TestSeqevalEdgeCases(t *testing.T) {
	er := seqeval(t, [][]string{{"B-PER", "I-PER", "O"}}, [][]string{{"B-PER", "O", "O"}})
	checkScores(t, "boundary", er.Micro, 0, 0, 0, 1)
	if er.Micro.Predicted != 1 || er.Micro.Correct != 0 {
		t.Errorf("boundary: %+v, want 1 predicted, 0 correct", er.Micro)
	}

	er = seqeval(t, [][]string{{"B-LOC", "O"}}, [][]string{{"B-ORG", "O"}})
	checkScores(t, "type micro", er.Micro, 0, 0, 0, 1)
	checkScores(t, "type macro", er.Macro, 0, 0, 0, 1)
	if len(er.Labels) != 2 || er.Labels[0].Label != "LOC" || er.Labels[1].Label != "ORG" || er.Labels[1].Predicted != 1 {
		t.Errorf("type labels %+v", er.Labels)
	}

	// I-PER after O: seqeval's default mode reads an entity, so this matches B-PER.
	er = seqeval(t, [][]string{{"B-PER", "O"}}, [][]string{{"I-PER", "O"}})
	checkScores(t, "lenient I-", er.Micro, 1, 1, 1, 1)

	er = seqeval(t, [][]string{{"B-PER", "O"}}, [][]string{{"O", "O"}})
	checkScores(t, "nothing predicted", er.Micro, 0, 0, 0, 1)

	// Hand count: gold PER, LOC, LOC; predicted PER (right), LOC (right), ORG (spurious).
	// TP 2 of 3 predicted, 2 of 3 gold: micro 2/3. PER 1/1/1, LOC P 1 R 1/2 F 2/3, ORG 0.
	// Macro P (1+1+0)/3, R (1+0.5+0)/3, F (1+2/3+0)/3.
	er = seqeval(t,
		[][]string{{"B-PER", "O", "B-LOC", "O", "B-LOC", "I-LOC"}},
		[][]string{{"B-PER", "O", "B-LOC", "O", "O", "B-ORG"}})
	checkScores(t, "mixed micro", er.Micro, 2.0/3, 2.0/3, 2.0/3, 3)
	checkScores(t, "mixed macro", er.Macro, 2.0/3, 0.5, 5.0/9, 3)
	checkScores(t, "mixed LOC", er.Labels[0], 1, 0.5, 2.0/3, 2)
}

// Sentiment by hand: gold P P N N U, predicted P N N N P.
func TestScoreSentiment(t *testing.T) {
	r := gold.ScoreSentiment([]string{"P", "P", "N", "N", "U"}, []string{"P", "N", "N", "N", "P"})
	if r.Docs != 5 || r.Correct != 3 || !near(r.Accuracy, 0.6) {
		t.Errorf("accuracy %+v", r)
	}
	want := gold.Confusion{Labels: []string{"N", "P", "U"}, Counts: [][]int{{2, 0, 0}, {1, 1, 0}, {0, 1, 0}}}
	if !reflect.DeepEqual(r.Confusion, want) {
		t.Errorf("confusion %+v, want %+v", r.Confusion, want)
	}
	// Recall N 1, P 1/2, U 0 → 0.5. Precision N 2/3, P 1/2, U 0; F1 N 0.8, P 0.5, U 0.
	if !near(r.MacroRecall, 0.5) || !near(r.MacroF1, 1.3/3) {
		t.Errorf("macro recall %v, macro F1 %v", r.MacroRecall, r.MacroF1)
	}
	checkScores(t, "N", r.Labels[0], 2.0/3, 1, 0.8, 2)
	checkScores(t, "U", r.Labels[2], 0, 0, 0, 1)
}

// Evaluate on real texts: labels compare case-insensitively, predicted
// spans inside a token are widened, and the disagreements name what
// differs with code-point spans.
func TestEvaluateDisagreements(t *testing.T) {
	g := []gold.Doc{
		{ID: "10", Text: "😀 Bob met Ann in Rome", Sentiment: "positive", Entities: []gold.Span{{Start: 2, End: 5, Label: "PER"}, {Start: 10, End: 13, Label: "PER"}}},
		{ID: "11", Text: "Terrible day", Sentiment: "negative"},
		{ID: "12", Text: "Visit Paris", Sentiment: "positive", Entities: []gold.Span{{Start: 6, End: 11, Label: "LOC"}}},
	}
	p := []gold.Doc{
		{Text: g[0].Text, Sentiment: "POSITIVE", Entities: []gold.Span{{Start: 2, End: 4, Label: "per"}, {Start: 17, End: 21, Label: "LOC", Score: 0.7}}},
		{Text: g[1].Text, Sentiment: "POSITIVE", Entities: []gold.Span{{Start: 0, End: 8, Label: "ORG"}}},
		{Text: g[2].Text, Sentiment: "POSITIVE", Entities: []gold.Span{{Start: 6, End: 11, Label: "LOC"}}},
	}
	rep, err := gold.Evaluate(g, p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sentiment.Docs != 3 || rep.Sentiment.Correct != 2 {
		t.Errorf("sentiment %+v", rep.Sentiment)
	}
	// Doc 11 has no entity labels: its ORG prediction is not scored.
	if rep.Entities.Docs != 2 {
		t.Errorf("entity docs %d, want 2", rep.Entities.Docs)
	}
	checkScores(t, "micro", rep.Entities.Micro, 2.0/3, 2.0/3, 2.0/3, 3)
	want := []gold.Disagreement{
		{Doc: 1, ID: "10", Text: g[0].Text, Missed: []gold.Span{{Start: 10, End: 13, Label: "PER"}}, Spurious: []gold.Span{{Start: 17, End: 21, Label: "LOC", Score: 0.7}}},
		{Doc: 2, ID: "11", Text: g[1].Text, GoldSentiment: "NEGATIVE", PredSentiment: "POSITIVE", Missed: []gold.Span{}, Spurious: []gold.Span{}},
	}
	if !reflect.DeepEqual(rep.Disagreements, want) {
		t.Errorf("disagreements\n got %+v\nwant %+v", rep.Disagreements, want)
	}
	if _, err := gold.Evaluate(g, p[:2]); err == nil {
		t.Error("lengths differ: no error")
	}
}

// DropConflicts keeps the first (longest) of overlapping predictions and,
// on tokens, the first of those that share a token.
func TestDropConflicts(t *testing.T) {
	d := gold.Doc{Text: "New York Parisian", Entities: []gold.Span{
		{Start: 4, End: 8, Label: "LOC"}, {Start: 0, End: 8, Label: "LOC"}, {Start: 9, End: 12, Label: "A"}, {Start: 13, End: 17, Label: "B"}}}
	got, n := gold.DropConflicts(d, false)
	if n != 1 || !reflect.DeepEqual(got.Entities, []gold.Span{{Start: 0, End: 8, Label: "LOC"}, {Start: 9, End: 12, Label: "A"}, {Start: 13, End: 17, Label: "B"}}) {
		t.Errorf("spans: %d dropped, %+v", n, got.Entities)
	}
	got, n = gold.DropConflicts(d, true)
	if n != 2 || !reflect.DeepEqual(got.Entities, []gold.Span{{Start: 0, End: 8, Label: "LOC"}, {Start: 9, End: 12, Label: "A"}}) {
		t.Errorf("tokens: %d dropped, %+v", n, got.Entities)
	}
	if d.Entities[0].Start != 4 {
		t.Error("the input was changed")
	}
}
