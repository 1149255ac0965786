package engine

import (
	"fmt"
	"strings"

	"github.com/nlpscope/nlpscope/engine/sentence"
)

// Sentiment reads a text by sentences when it is longer than the model's
// window (auto) or when the method asks for it (mean, majority): each
// sentence is one window (a sentence longer than the window is cut into
// window-sized pieces), and all windows of all texts of a call go to the
// batcher together. With auto a text that fits is read whole, as the model
// was trained, in one window.

// ParseSentimentMethod validates a sentiment method; "" is MethodAuto.
func ParseSentimentMethod(m string) (string, error) {
	if m == "" {
		return MethodAuto, nil
	}
	for _, ok := range SentimentMethods() {
		if m == ok {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown sentiment method %q (want %s)", m, strings.Join(SentimentMethods(), ", "))
}

// sentimentWindows returns the windows sentiment reads of text, given the
// whole text's windows (stride 0). A window of the whole text comes first
// when the label is read from it; the sentence windows carry their part.
func (p *pipeline) sentimentWindows(text string, encs []encoding, method string) ([]encoding, error) {
	fits := len(encs) == 1
	first := encs[0]
	first.whole, first.truncated = true, !fits
	if method == MethodWhole {
		return []encoding{first}, nil
	}
	if fits && method == MethodAuto {
		// The interactive case (a tweet, a review): one window, as fast as
		// before sentences were read.
		return []encoding{first}, nil
	}
	sents := sentence.Split(text)
	if fits && len(sents) <= 1 {
		return []encoding{first}, nil
	}
	out := make([]encoding, 0, len(sents))
	if len(sents) <= 1 {
		// One long sentence: its pieces are the whole text's windows.
		for _, e := range encs {
			e.part, e.hasPart = e.contentSpan(), true
			out = append(out, e)
		}
		return out, nil
	}
	for _, s := range sents {
		ws, err := p.tok.encode(text[s.Start:s.End], p.maxLength, 0)
		if err != nil {
			return nil, err
		}
		for _, e := range ws {
			for k := range e.offsets {
				if !e.special[k] {
					e.offsets[k].start += s.Start
					e.offsets[k].end += s.Start
				}
			}
			e.part, e.hasPart = span{s.Start, s.End}, true
			if len(ws) > 1 {
				e.part = e.contentSpan()
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// contentSpan is the byte range of the window's non-special tokens.
func (e *encoding) contentSpan() span {
	sp, ok := span{}, false
	for k, o := range e.offsets {
		if e.special[k] || o.end <= o.start {
			continue
		}
		if !ok {
			sp, ok = o, true
		}
		sp.start, sp.end = min(sp.start, o.start), max(sp.end, o.end)
	}
	return sp
}

// readSentiment turns the results of sentimentWindows' windows into the
// text's sentiment.
func readSentiment(p *pipeline, text, method string, encs []encoding, res []seqResult) Sentiment {
	var s Sentiment
	parts := encs
	if encs[0].whole {
		s = classify(res[0].logits, p.labels)
		s.Method, s.Truncated = MethodWhole, encs[0].truncated
		parts = encs[1:]
		res = res[1:]
	}
	if len(parts) == 0 {
		return s
	}
	ri := newRuneIndex(text)
	mean := make([]float64, len(p.labels))
	votes := make([]float64, len(p.labels))
	total := 0.0
	s.Sentences = make([]SentenceScore, len(parts))
	for k, e := range parts {
		c := classify(res[k].logits, p.labels)
		start, end := ri.at(e.part.start), ri.at(e.part.end)
		s.Sentences[k] = SentenceScore{Start: start, End: end, Label: c.Label, Score: c.Score, Scores: c.Scores}
		w := float64(max(1, end-start))
		total += w
		for j, ls := range c.Scores {
			mean[j] += w * ls.Score
			if ls.Label == c.Label {
				votes[j] += w
			}
		}
	}
	if encs[0].whole {
		return s // the label is the whole text's; the sentences are detail
	}
	s.Scores = make([]LabelScore, len(p.labels))
	best, top := 0, 0
	for j, l := range p.labels {
		s.Scores[j] = LabelScore{Label: l, Score: mean[j] / total}
		if mean[j] > mean[best] {
			best = j
		}
		if votes[j] > votes[top] {
			top = j
		}
	}
	s.Method = MethodMean
	if method == MethodMajority {
		s.Method, best = MethodMajority, top
	}
	s.Label, s.Score = p.labels[best], s.Scores[best].Score
	return s
}
