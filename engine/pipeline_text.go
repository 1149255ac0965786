package engine

import "math"

// softmax returns the probabilities of logits (numerically stable).
func softmax(logits []float32) []float64 {
	out := make([]float64, len(logits))
	softmaxInto(out, logits)
	return out
}

func softmaxInto(out []float64, logits []float32) {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, float64(v))
	}
	sum := 0.0
	for i, v := range logits {
		e := math.Exp(float64(v) - m)
		out[i] = e
		sum += e
	}
	for i := range out {
		out[i] /= sum
	}
}

// classify turns one row of sequence-classification logits into a result.
func classify(logits []float32, labels []string) Sentiment {
	probs := softmax(logits)
	s := Sentiment{Scores: make([]LabelScore, len(labels))}
	best := 0
	for i := range labels {
		p := 0.0
		if i < len(probs) {
			p = probs[i]
		}
		s.Scores[i] = LabelScore{Label: labels[i], Score: p}
		if p > s.Scores[best].Score {
			best = i
		}
	}
	s.Label, s.Score = labels[best], s.Scores[best].Score
	return s
}
