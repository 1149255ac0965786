package tokenize

import (
	"hash/maphash"
	"sort"
)

// vocabulary maps tokens to ids and back. It holds no Go pointers besides
// one string, so the garbage collector never scans its entries (vocabularies
// reach 100k+ tokens).
type vocabulary struct {
	blob    string   // every token, concatenated
	entries []vEntry // one per token
	table   []int32  // open addressing: index into entries, -1 when empty
	mask    uint64
	byID    []int32 // id -> index into entries, -1 when no token has the id
	seed    maphash.Seed
	maxLen  int // longest token in bytes
}

type vEntry struct {
	off, n uint32
	id     int32
}

func newVocabulary(m map[string]int) *vocabulary {
	type kv struct {
		k  string
		id int
	}
	list := make([]kv, 0, len(m))
	maxID := -1
	for k, id := range m {
		list = append(list, kv{k, id})
		maxID = max(maxID, id)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].id != list[j].id {
			return list[i].id < list[j].id
		}
		return list[i].k < list[j].k
	})
	v := &vocabulary{seed: maphash.MakeSeed()}
	size := 0
	for _, e := range list {
		size += len(e.k)
	}
	blob := make([]byte, 0, size)
	v.entries = make([]vEntry, len(list))
	v.byID = make([]int32, maxID+1)
	for i := range v.byID {
		v.byID[i] = -1
	}
	for i, e := range list {
		v.entries[i] = vEntry{off: uint32(len(blob)), n: uint32(len(e.k)), id: int32(e.id)}
		blob = append(blob, e.k...)
		v.maxLen = max(v.maxLen, len(e.k))
		if e.id >= 0 {
			v.byID[e.id] = int32(i)
		}
	}
	v.blob = string(blob)
	n := 16
	for n < 2*len(list) {
		n <<= 1
	}
	v.table = make([]int32, n)
	for i := range v.table {
		v.table[i] = -1
	}
	v.mask = uint64(n - 1)
	for i := range v.entries {
		e := v.entries[i]
		h := maphash.String(v.seed, v.blob[e.off:e.off+e.n]) & v.mask
		for v.table[h] >= 0 {
			h = (h + 1) & v.mask
		}
		v.table[h] = int32(i)
	}
	return v
}

// lookup returns the id of the token spelled by b.
func (v *vocabulary) lookup(b []byte) (int, bool) {
	h := maphash.Bytes(v.seed, b) & v.mask
	for {
		i := v.table[h]
		if i < 0 {
			return 0, false
		}
		e := &v.entries[i]
		if int(e.n) == len(b) && v.blob[e.off:e.off+e.n] == string(b) {
			return int(e.id), true
		}
		h = (h + 1) & v.mask
	}
}

// lookupString returns the id of token s.
func (v *vocabulary) lookupString(s string) (int, bool) {
	h := maphash.String(v.seed, s) & v.mask
	for {
		i := v.table[h]
		if i < 0 {
			return 0, false
		}
		e := &v.entries[i]
		if int(e.n) == len(s) && v.blob[e.off:e.off+e.n] == s {
			return int(e.id), true
		}
		h = (h + 1) & v.mask
	}
}

// tok returns the token of a known id (no allocation).
func (v *vocabulary) tok(id int) string {
	e := &v.entries[v.byID[id]]
	return v.blob[e.off : e.off+e.n]
}

// token returns the token of id.
func (v *vocabulary) token(id int) (string, bool) {
	if id < 0 || id >= len(v.byID) || v.byID[id] < 0 {
		return "", false
	}
	return v.tok(id), true
}

// size is the number of tokens in the vocabulary.
func (v *vocabulary) size() int { return len(v.entries) }
