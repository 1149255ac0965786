package tokenize

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// unigram is Hugging Face's Unigram model (SentencePiece): the most likely
// segmentation by the pieces' log-probabilities, unknown characters fused
// into one token, optional byte fallback.
type unigram struct {
	v            *vocabulary
	scores       []float64 // by id
	unkID        int       // -1 when none
	byteFallback bool
	minScore     float64
	trie         map[uint64]int32 // (node << 8 | byte) -> child node
	terminal     []int32          // node -> token id, -1 when no token ends there
}

const unkPenalty = 10.0

func newUnigram(pieces []unigramPiece, unkID *int, byteFallback bool) (*unigram, error) {
	m := &unigram{unkID: -1, byteFallback: byteFallback, minScore: math.Inf(1),
		trie: map[uint64]int32{}, terminal: []int32{-1}}
	if unkID != nil {
		if len(pieces) == 0 {
			return nil, fmt.Errorf("%w: Unigram: empty vocabulary", ErrInvalid)
		}
		if *unkID < 0 || *unkID >= len(pieces) {
			return nil, fmt.Errorf("%w: Unigram: unk_id %d is not in the vocabulary", ErrInvalid, *unkID)
		}
		m.unkID = *unkID
	}
	ids := make(map[string]int, len(pieces))
	m.scores = make([]float64, len(pieces))
	for id, p := range pieces {
		ids[p.token] = id // a later duplicate wins, as in Hugging Face's map
		m.scores[id] = p.score
		m.minScore = min(m.minScore, p.score)
		node := int32(0)
		for i := 0; i < len(p.token); i++ {
			k := uint64(node)<<8 | uint64(p.token[i])
			next, ok := m.trie[k]
			if !ok {
				next = int32(len(m.terminal))
				m.terminal = append(m.terminal, -1)
				m.trie[k] = next
			}
			node = next
		}
		m.terminal[node] = int32(id)
	}
	// the trie's ids follow the token map (the last duplicate)
	for id, p := range pieces {
		if ids[p.token] != id {
			continue
		}
		node := int32(0)
		for i := 0; i < len(p.token); i++ {
			node = m.trie[uint64(node)<<8|uint64(p.token[i])]
		}
		m.terminal[node] = int32(id)
	}
	m.v = newVocabulary(ids)
	return m, nil
}

type unigramPiece struct {
	token string
	score float64
}

func (m *unigram) vocab() *vocabulary { return m.v }

type bestNode struct {
	id    int
	score float64
	start int // -1: not reached
}

func (m *unigram) tokenize(sc *scratch, w []byte, out []mtok) ([]mtok, error) {
	if len(w) == 0 {
		return out, nil
	}
	unkScore := m.minScore - unkPenalty
	best := make([]bestNode, len(w)+1)
	for i := range best {
		best[i].start = -1
	}
	for start := 0; start < len(w); {
		base := best[start].score
		_, mblen := utf8.DecodeRune(w[start:])
		single := false
		node := int32(0)
		for i := start; i < len(w); i++ {
			next, ok := m.trie[uint64(node)<<8|uint64(w[i])]
			if !ok {
				break
			}
			node = next
			id := m.terminal[node]
			if id < 0 {
				continue
			}
			end := i + 1
			cand := m.scores[id] + base
			if t := &best[end]; t.start < 0 || cand > t.score {
				t.score, t.start, t.id = cand, start, int(id)
			}
			if end-start == mblen {
				single = true
			}
		}
		if !single {
			if m.unkID < 0 {
				return out, fmt.Errorf("%w: Unigram: no unk_id for an unknown character", ErrInvalid)
			}
			cand := unkScore + base
			if t := &best[start+mblen]; t.start < 0 || cand > t.score {
				t.score, t.start, t.id = cand, start, m.unkID
			}
		}
		start += mblen
	}
	// backtrack, fusing runs of unknown pieces into one
	type piece struct{ start, end int }
	rev := make([]piece, 0, 16)
	pend := piece{-1, -1}
	for end := len(w); end > 0; {
		n := best[end]
		if m.unkID >= 0 && n.id == m.unkID {
			if pend.start < 0 {
				pend = piece{n.start, end}
			} else {
				pend.start = n.start
			}
		} else {
			if pend.start >= 0 {
				rev = append(rev, pend)
				pend = piece{-1, -1}
			}
			rev = append(rev, piece{n.start, end})
		}
		end = n.start
	}
	if pend.start >= 0 {
		rev = append(rev, pend)
	}
	for i := len(rev) - 1; i >= 0; i-- {
		p := rev[i]
		s := w[p.start:p.end]
		if id, ok := m.v.lookup(s); ok {
			out = append(out, mtok{id: id, value: m.v.tok(id), start: p.start, end: p.end})
			continue
		}
		if m.byteFallback {
			all := true
			base := len(out)
			for _, c := range s {
				id, ok := m.v.lookupString(fmt.Sprintf("<0x%02X>", c))
				if !ok {
					all = false
					break
				}
				out = append(out, mtok{id: id, value: m.v.tok(id), start: p.start, end: p.end})
			}
			if all {
				continue
			}
			out = out[:base]
		}
		if m.unkID < 0 {
			return out, fmt.Errorf("%w: Unigram: no unk_id for an unknown piece", ErrInvalid)
		}
		out = append(out, mtok{id: m.unkID, value: string(s), start: p.start, end: p.end})
	}
	return out, nil
}
