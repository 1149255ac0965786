package engine

import (
	"strings"
	"unicode/utf8"
)

// tokenScore is one content token of the whole text after window merging.
type tokenScore struct {
	id     int64
	off    span      // bytes
	scores []float64 // softmax over labels
}

// mergeWindows maps the content tokens of overlapping windows onto one token
// sequence. A token seen in several windows takes its logits from the window
// where it sits farthest from an edge, so every token has context on both
// sides and no entity is cut at a window boundary.
func mergeWindows(encs []encoding, logits [][]float32, labels int) []tokenScore {
	type pick struct {
		win, pos, margin int
	}
	var toks []tokenScore
	var picks []pick
	for w := range encs {
		e := &encs[w]
		first, last := -1, -1
		for i, sp := range e.special {
			if !sp {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		cursor := 0
		if w > 0 {
			// Overlap can only be with the tail of what is merged so far.
			cursor = max(0, len(toks)-e.len())
		}
		for i := first; i >= 0 && i <= last; i++ {
			if e.special[i] {
				continue
			}
			margin := min(i-first, last-i)
			found := -1
			for g := cursor; g < len(toks); g++ {
				if toks[g].off == e.offsets[i] && toks[g].id == e.ids[i] {
					found = g
					break
				}
			}
			if found < 0 {
				toks = append(toks, tokenScore{id: e.ids[i], off: e.offsets[i]})
				picks = append(picks, pick{w, i, margin})
				cursor = len(toks)
				continue
			}
			cursor = found + 1
			if margin > picks[found].margin {
				picks[found] = pick{w, i, margin}
			}
		}
	}
	for g := range toks {
		p := picks[g]
		row := logits[p.win][p.pos*labels : (p.pos+1)*labels]
		toks[g].scores = softmax(row)
	}
	return toks
}

// preEntity mirrors Hugging Face's gather_pre_entities output.
type preEntity struct {
	scores       []float64
	start, end   int // code points
	bstart, bend int // bytes
	isSubword    bool
}

// tagged is a token or word with one label.
type tagged struct {
	label        string
	score        float64
	start, end   int // code points
	bstart, bend int // bytes
}

// runeIndex converts byte offsets of text to code-point offsets.
type runeIndex struct {
	text string
	pos  []int32 // pos[byte offset] = code point offset, for rune starts
}

func newRuneIndex(text string) *runeIndex {
	ri := &runeIndex{text: text, pos: make([]int32, len(text)+1)}
	n := int32(0)
	for i := range text {
		ri.pos[i] = n
		n++
	}
	ri.pos[len(text)] = n
	// Offsets inside a multi-byte rune (never produced by a sane tokenizer)
	// map to that rune's start.
	last := int32(0)
	for i := 0; i <= len(text); i++ {
		if i == len(text) || utf8.RuneStart(text[i]) {
			last = ri.pos[i]
		} else {
			ri.pos[i] = last
		}
	}
	return ri
}

func (ri *runeIndex) at(byteOff int) int { return int(ri.pos[byteOff]) }

// gatherPreEntities follows transformers' TokenClassificationPipeline: a
// token is a subword when the tokenizer has a continuing-subword prefix and
// the token string is longer than the text it covers, otherwise (no prefix)
// when it does not follow a space; the unknown token is never a subword.
func gatherPreEntities(toks []tokenScore, tok tokenizer, text string, ri *runeIndex) []preEntity {
	out := make([]preEntity, 0, len(toks))
	prefix := tok.subwordPrefix()
	unk := tok.unkID()
	for _, t := range toks {
		// Byte-level tokens can end inside a character: widen to whole
		// characters so Text is always valid UTF-8 and matches Start/End.
		bstart, bend := snapDown(text, t.off.start), snapUp(text, t.off.end)
		start, end := ri.at(bstart), ri.at(bend)
		var isSub bool
		if prefix != "" {
			word := tok.token(t.id)
			isSub = utf8.RuneCountInString(word) != end-start
		} else {
			isSub = start > 0 && lastRuneBefore(text, bstart) != ' '
		}
		if t.id == unk {
			isSub = false
		}
		out = append(out, preEntity{scores: t.scores, start: start, end: end, bstart: bstart, bend: bend, isSubword: isSub})
	}
	return out
}

func snapDown(text string, b int) int {
	b = min(max(b, 0), len(text))
	for b > 0 && b < len(text) && !utf8.RuneStart(text[b]) {
		b--
	}
	return b
}

func snapUp(text string, b int) int {
	b = min(max(b, 0), len(text))
	for b < len(text) && !utf8.RuneStart(text[b]) {
		b++
	}
	return b
}

func lastRuneBefore(text string, byteOff int) rune {
	r, _ := utf8.DecodeLastRuneInString(text[:byteOff])
	return r
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// aggregateWords groups subword tokens into words and labels each word by
// the strategy (first, average, max).
func aggregateWords(pre []preEntity, labels []string, strategy string) []tagged {
	var words []tagged
	var group []preEntity
	flush := func() {
		if len(group) == 0 {
			return
		}
		var scores []float64
		switch strategy {
		case AggFirst:
			scores = group[0].scores
		case AggMax:
			best, bestScore := 0, -1.0
			for i, g := range group {
				if m := g.scores[argmax(g.scores)]; m > bestScore {
					best, bestScore = i, m
				}
			}
			scores = group[best].scores
		case AggAverage:
			scores = make([]float64, len(group[0].scores))
			for _, g := range group {
				for i, s := range g.scores {
					scores[i] += s
				}
			}
			for i := range scores {
				scores[i] /= float64(len(group))
			}
		}
		idx := argmax(scores)
		last := group[len(group)-1]
		words = append(words, tagged{label: labels[idx], score: scores[idx], start: group[0].start, end: last.end, bstart: group[0].bstart, bend: last.bend})
		group = group[:0]
	}
	for _, p := range pre {
		if len(group) > 0 && !p.isSubword {
			flush()
		}
		group = append(group, p)
	}
	flush()
	return words
}

// splitTag splits "B-PER" into ("B", "PER"); labels without a B-/I- prefix
// count as continuations ("I"), as in transformers.
func splitTag(label string) (bi, tag string) {
	if strings.HasPrefix(label, "B-") {
		return "B", label[2:]
	}
	if strings.HasPrefix(label, "I-") {
		return "I", label[2:]
	}
	return "I", label
}

// groupEntities merges adjacent tokens or words of the same type: a B- tag
// always starts a new entity, an I- tag continues one of its type (this reads
// IOB1, IOB2 and BIO alike). The group's score is the mean of its members'.
func groupEntities(items []tagged) []tagged {
	var out []tagged
	var group []tagged
	flush := func() {
		if len(group) == 0 {
			return
		}
		_, tag := splitTag(group[0].label)
		sum := 0.0
		for _, g := range group {
			sum += g.score
		}
		last := group[len(group)-1]
		out = append(out, tagged{label: tag, score: sum / float64(len(group)), start: group[0].start, end: last.end, bstart: group[0].bstart, bend: last.bend})
		group = group[:0]
	}
	for _, it := range items {
		if len(group) > 0 {
			bi, tag := splitTag(it.label)
			_, lastTag := splitTag(group[len(group)-1].label)
			if !(tag == lastTag && bi != "B") {
				flush()
			}
		}
		group = append(group, it)
	}
	flush()
	return out
}

// decodeEntities turns merged token scores into entity spans with
// transformers' aggregation semantics; "O" entities are dropped.
func decodeEntities(toks []tokenScore, tok tokenizer, labels []string, text string, strategy string) []Entity {
	ri := newRuneIndex(text)
	pre := gatherPreEntities(toks, tok, text, ri)
	var items []tagged
	switch strategy {
	case AggNone, AggSimple:
		items = make([]tagged, len(pre))
		for i, p := range pre {
			idx := argmax(p.scores)
			items[i] = tagged{label: labels[idx], score: p.scores[idx], start: p.start, end: p.end, bstart: p.bstart, bend: p.bend}
		}
	default:
		items = aggregateWords(pre, labels, strategy)
	}
	if strategy != AggNone {
		items = groupEntities(items)
	}
	out := make([]Entity, 0)
	for _, it := range items {
		if it.label == "O" {
			continue
		}
		out = append(out, Entity{Label: it.label, Text: text[it.bstart:it.bend], Start: it.start, End: it.end, Score: it.score})
	}
	return out
}

func validAggregation(s string) bool {
	switch s {
	case AggNone, AggSimple, AggFirst, AggAverage, AggMax:
		return true
	}
	return false
}
