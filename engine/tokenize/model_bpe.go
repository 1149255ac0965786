package tokenize

import (
	"container/heap"
	"fmt"
	"sync"
	"unicode/utf8"
)

type pairKey struct{ a, b int32 }

type mergeInfo struct {
	rank  int32
	newID int32
}

// bpe is Hugging Face's BPE model (byte-level or not).
type bpe struct {
	v            *vocabulary
	merges       map[pairKey]mergeInfo
	unk          string
	hasUnk       bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool

	cache  sync.Map // word -> []mtok (capped)
	cached int64
	mu     sync.Mutex
}

// The BPE cache keeps up to bpeCacheMax words of at most bpeCacheWordBytes.
const (
	bpeCacheMax       = 10000
	bpeCacheWordBytes = 256
)

func (m *bpe) vocab() *vocabulary { return m.v }

type symbol struct {
	id         int32
	prev, next int32
	start, len int32
}

type mergeItem struct {
	pos   int32
	rank  int32
	newID int32
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any     { o := *h; x := o[len(o)-1]; *h = o[:len(o)-1]; return x }

func (m *bpe) tokenize(sc *scratch, w []byte, out []mtok) ([]mtok, error) {
	if len(w) == 0 {
		return out, nil
	}
	if m.ignoreMerges {
		if id, ok := m.v.lookup(w); ok {
			return append(out, mtok{id: id, value: m.v.tok(id), start: 0, end: len(w)}), nil
		}
	}
	if c, ok := m.cache.Load(string(w)); ok {
		return append(out, c.([]mtok)...), nil
	}
	syms, err := m.mergeWord(w)
	if err != nil {
		return out, err
	}
	base := len(out)
	for _, s := range syms {
		if s.len == 0 {
			continue
		}
		out = append(out, mtok{id: int(s.id), value: m.v.tok(int(s.id)), start: int(s.start), end: int(s.start + s.len)})
	}
	m.mu.Lock()
	if m.cached < bpeCacheMax && len(w) <= bpeCacheWordBytes {
		m.cached++
		cp := append([]mtok(nil), out[base:]...)
		m.cache.Store(string(w), cp)
	}
	m.mu.Unlock()
	return out, nil
}

// mergeWord splits w into characters and applies the merges by rank.
func (m *bpe) mergeWord(w []byte) ([]symbol, error) {
	syms := make([]symbol, 0, len(w))
	add := func(id int, start, n int) {
		syms = append(syms, symbol{id: int32(id), start: int32(start), len: int32(n)})
	}
	unkID, unkStart, unkLen := -1, 0, 0
	haveUnk := false
	var buf []byte
	for i := 0; i < len(w); {
		_, sz := utf8.DecodeRune(w[i:])
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, m.prefix...)
		}
		buf = append(buf, w[i:i+sz]...)
		if i+sz == len(w) {
			buf = append(buf, m.suffix...)
		}
		if id, ok := m.v.lookup(buf); ok {
			if haveUnk {
				add(unkID, unkStart, unkLen)
				haveUnk = false
			}
			add(id, i, sz)
			i += sz
			continue
		}
		if m.byteFallback {
			ids := make([]int, 0, len(buf))
			okAll := true
			for _, c := range buf {
				id, ok := m.v.lookupString(fmt.Sprintf("<0x%02X>", c))
				if !ok {
					okAll = false
					break
				}
				ids = append(ids, id)
			}
			if okAll {
				for k, id := range ids {
					add(id, i+k, 1)
				}
				i += sz
				continue
			}
		}
		if m.hasUnk {
			uid, ok := m.v.lookupString(m.unk)
			if !ok {
				return nil, errUnkMissing(m.unk)
			}
			switch {
			case haveUnk && m.fuseUnk:
				unkLen += sz
			case haveUnk:
				add(unkID, unkStart, unkLen)
				unkID, unkStart, unkLen = uid, i, sz
			default:
				unkID, unkStart, unkLen, haveUnk = uid, i, sz, true
			}
		}
		i += sz
	}
	if haveUnk {
		add(unkID, unkStart, unkLen)
	}
	for k := range syms {
		syms[k].prev = int32(k - 1)
		syms[k].next = int32(k + 1)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	h := make(mergeHeap, 0, len(syms))
	for k := 0; k+1 < len(syms); k++ {
		if mi, ok := m.merges[pairKey{syms[k].id, syms[k+1].id}]; ok {
			h = append(h, mergeItem{pos: int32(k), rank: mi.rank, newID: mi.newID})
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		top := heap.Pop(&h).(mergeItem)
		cur := &syms[top.pos]
		if cur.len == 0 || cur.next == -1 {
			continue
		}
		nextPos := cur.next
		right := syms[nextPos]
		mi, ok := m.merges[pairKey{cur.id, right.id}]
		if !ok || mi.newID != top.newID {
			continue
		}
		cur.id = top.newID
		cur.len += right.len
		cur.next = right.next
		syms[nextPos].len = 0
		if right.next >= 0 && int(right.next) < len(syms) {
			syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			p := syms[cur.prev]
			if mi, ok := m.merges[pairKey{p.id, cur.id}]; ok {
				heap.Push(&h, mergeItem{pos: cur.prev, rank: mi.rank, newID: mi.newID})
			}
		}
		if cur.next >= 0 && int(cur.next) < len(syms) {
			n := syms[cur.next]
			if mi, ok := m.merges[pairKey{cur.id, n.id}]; ok {
				heap.Push(&h, mergeItem{pos: top.pos, rank: mi.rank, newID: mi.newID})
			}
		}
	}
	return syms, nil
}
