package gold

import (
	"fmt"
	"slices"
	"strings"
)

// Scores are precision, recall and F1 of one label, or an average of them.
// Support is the number of gold items, Predicted of predicted ones, Correct
// of those that match exactly. A ratio whose denominator is 0 is 0 (as
// seqeval and scikit-learn with zero_division=0).
type Scores struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
	Predicted int     `json:"predicted"`
	Correct   int     `json:"correct"`
}

func scores(label string, correct, predicted, support int) Scores {
	s := Scores{Label: label, Support: support, Predicted: predicted, Correct: correct}
	if predicted > 0 {
		s.Precision = float64(correct) / float64(predicted)
	}
	if support > 0 {
		s.Recall = float64(correct) / float64(support)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}

// macro averages precision, recall and F1 of per separately, as
// seqeval's and scikit-learn's "macro avg" rows do.
func macro(per []Scores) Scores {
	m := Scores{Label: "macro"}
	for _, s := range per {
		m.Precision += s.Precision
		m.Recall += s.Recall
		m.F1 += s.F1
		m.Support += s.Support
		m.Predicted += s.Predicted
		m.Correct += s.Correct
	}
	if n := float64(len(per)); n > 0 {
		m.Precision, m.Recall, m.F1 = m.Precision/n, m.Recall/n, m.F1/n
	}
	return m
}

// EntityReport scores entities as seqeval does on IOB2 tags of the same
// tokens (mode default; the tags of non-overlapping spans are always valid
// IOB2, so strict mode agrees): an entity is (label, first token, last
// token), and a predicted one counts only when gold has exactly it. A
// boundary error or a wrong label is therefore one false positive and one
// false negative. Labels holds every label of gold or predictions, sorted;
// Macro averages over them.
type EntityReport struct {
	Docs   int      `json:"docs"`
	Labels []Scores `json:"labels"`
	Micro  Scores   `json:"micro"`
	Macro  Scores   `json:"macro"`
}

// SentimentReport scores document labels. Accuracy is Correct / Docs;
// MacroRecall is the mean recall over the labels that occur in gold
// (scikit-learn's balanced accuracy); MacroF1 the mean F1 over every label
// of gold or predictions. Confusion[i][j] counts documents with gold label
// Labels[i] predicted as Labels[j].
type SentimentReport struct {
	Docs        int       `json:"docs"`
	Correct     int       `json:"correct"`
	Accuracy    float64   `json:"accuracy"`
	MacroRecall float64   `json:"macro_recall"`
	MacroF1     float64   `json:"macro_f1"`
	Labels      []Scores  `json:"labels"`
	Confusion   Confusion `json:"confusion"`
}

// Confusion is a confusion matrix: rows gold, columns predicted.
type Confusion struct {
	Labels []string `json:"labels"`
	Counts [][]int  `json:"counts"`
}

// Disagreement is one document where the prediction differs from gold:
// Doc is its 1-based place in the gold set. Missed are gold entities not
// predicted exactly, Spurious predicted ones not in gold (both widened to
// whole tokens, as scored).
type Disagreement struct {
	Doc           int    `json:"doc"`
	ID            string `json:"id,omitempty"`
	Text          string `json:"text"`
	GoldSentiment string `json:"gold_sentiment,omitempty"`
	PredSentiment string `json:"pred_sentiment,omitempty"`
	Missed        []Span `json:"missed"`
	Spurious      []Span `json:"spurious"`
}

// Report is the evaluation of predictions against a gold set. Sentiment is
// there when some gold document has a sentiment label, Entities when some
// has its entities labelled (Doc.Entities not nil); each is scored over
// those documents only.
type Report struct {
	Docs          int              `json:"docs"`
	Sentiment     *SentimentReport `json:"sentiment,omitempty"`
	Entities      *EntityReport    `json:"entities,omitempty"`
	Disagreements []Disagreement   `json:"disagreements"`
}

// normLabel is how labels are compared: case-insensitively ("positive" =
// "POSITIVE"), reported in upper case.
func normLabel(l string) string { return strings.ToUpper(strings.TrimSpace(l)) }

// Evaluate scores pred against gold, document by document (pred[i] is the
// prediction for gold[i]'s text). Entities are put on the tokens of
// Tokenize(gold text): gold spans must fit them (Snap); predicted spans are
// widened the same way. It fails when the lengths differ or a gold document
// cannot be put on tokens.
func Evaluate(gold, pred []Doc) (Report, error) {
	if len(gold) != len(pred) {
		return Report{}, fmt.Errorf("evaluate: %d gold documents, %d predictions", len(gold), len(pred))
	}
	rep := Report{Docs: len(gold), Disagreements: []Disagreement{}}
	type count struct{ correct, predicted, support int }
	ents := map[string]*count{}
	entCount := func(l string) *count {
		c := ents[l]
		if c == nil {
			c = &count{}
			ents[l] = c
		}
		return c
	}
	entDocs := 0
	var sg, sp []string
	for i := range gold {
		g, p := gold[i], pred[i]
		if err := Check(i+1, &g); err != nil {
			return Report{}, err
		}
		dis := Disagreement{Doc: i + 1, ID: g.ID, Text: g.Text, Missed: []Span{}, Spurious: []Span{}}
		differs := false
		if g.Sentiment != "" && p.Sentiment != "" {
			gl, pl := normLabel(g.Sentiment), normLabel(p.Sentiment)
			sg, sp = append(sg, gl), append(sp, pl)
			if gl != pl {
				dis.GoldSentiment, dis.PredSentiment, differs = gl, pl, true
			}
		}
		if g.Entities != nil {
			entDocs++
			toks, gs, err := Snap(i+1, g)
			if err != nil {
				return Report{}, err
			}
			want := map[tokenSpan]bool{}
			for _, s := range gs {
				s.Label = normLabel(s.Label)
				want[s] = true
				entCount(s.Label).support++
			}
			got := map[tokenSpan]bool{}
			for _, s := range p.Entities {
				f, l, ok := snap(toks, s)
				if !ok {
					continue
				}
				ts := tokenSpan{First: f, Last: l, Label: normLabel(s.Label)}
				if got[ts] {
					continue // two predictions widened onto the same tokens count once
				}
				got[ts] = true
				c := entCount(ts.Label)
				c.predicted++
				if want[ts] {
					c.correct++
				} else {
					dis.Spurious = append(dis.Spurious, Span{Start: toks[f].Start, End: toks[l].End, Label: ts.Label, Score: s.Score})
				}
			}
			for _, s := range gs {
				s.Label = normLabel(s.Label)
				if !got[s] {
					dis.Missed = append(dis.Missed, Span{Start: toks[s.First].Start, End: toks[s.Last].End, Label: s.Label})
				}
			}
			slices.SortFunc(dis.Spurious, func(a, b Span) int { return a.Start - b.Start })
			differs = differs || len(dis.Missed) > 0 || len(dis.Spurious) > 0
		}
		if differs {
			rep.Disagreements = append(rep.Disagreements, dis)
		}
	}
	if entDocs > 0 {
		er := &EntityReport{Docs: entDocs, Labels: []Scores{}}
		labels := make([]string, 0, len(ents))
		for l := range ents {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		var tc, tp, ts int
		for _, l := range labels {
			c := ents[l]
			er.Labels = append(er.Labels, scores(l, c.correct, c.predicted, c.support))
			tc, tp, ts = tc+c.correct, tp+c.predicted, ts+c.support
		}
		er.Micro = scores("micro", tc, tp, ts)
		er.Macro = macro(er.Labels)
		rep.Entities = er
	}
	if len(sg) > 0 {
		rep.Sentiment = ScoreSentiment(sg, sp)
	}
	return rep, nil
}

// ScoreSentiment scores predicted document labels against gold ones
// (same length; labels compared as given).
func ScoreSentiment(gold, pred []string) *SentimentReport {
	set := map[string]bool{}
	inGold := map[string]bool{}
	for i := range gold {
		set[gold[i]], set[pred[i]], inGold[gold[i]] = true, true, true
	}
	labels := make([]string, 0, len(set))
	for l := range set {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	r := &SentimentReport{Docs: len(gold), Labels: []Scores{}, Confusion: Confusion{Labels: labels, Counts: make([][]int, len(labels))}}
	for i := range labels {
		r.Confusion.Counts[i] = make([]int, len(labels))
	}
	for i := range gold {
		r.Confusion.Counts[idx[gold[i]]][idx[pred[i]]]++
		if gold[i] == pred[i] {
			r.Correct++
		}
	}
	if r.Docs > 0 {
		r.Accuracy = float64(r.Correct) / float64(r.Docs)
	}
	nGold := 0
	for i, l := range labels {
		support, predicted := 0, 0
		for j := range labels {
			support += r.Confusion.Counts[i][j]
			predicted += r.Confusion.Counts[j][i]
		}
		s := scores(l, r.Confusion.Counts[i][i], predicted, support)
		r.Labels = append(r.Labels, s)
		if inGold[l] {
			r.MacroRecall += s.Recall
			nGold++
		}
	}
	if nGold > 0 {
		r.MacroRecall /= float64(nGold)
	}
	r.MacroF1 = macro(r.Labels).F1
	return r
}
