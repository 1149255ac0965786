package tokenize

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// precompiledNormalizer is SentencePiece's precompiled character map (the
// "Precompiled" normalizer of XLM-R, T5, ALBERT, mBART, … exports): a
// darts-clone double-array trie of byte strings and the strings they map to.
// It follows Hugging Face's rules, quirks included: a whole grapheme
// shorter than 6 bytes is looked up first and replaced by the mapping of its
// shortest matching prefix; otherwise each character is looked up alone.
type precompiledNormalizer struct {
	trie []uint32
	norm []byte
}

func newPrecompiled(b64 string) (*precompiledNormalizer, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: Precompiled: precompiled_charsmap: %v", ErrInvalid, err)
	}
	if len(raw) < 4 {
		return nil, fmt.Errorf("%w: Precompiled: charsmap too short", ErrInvalid)
	}
	size := int(binary.LittleEndian.Uint32(raw))
	if size%4 != 0 || 4+size > len(raw) || size == 0 {
		return nil, fmt.Errorf("%w: Precompiled: bad trie size %d", ErrInvalid, size)
	}
	p := &precompiledNormalizer{trie: make([]uint32, size/4), norm: raw[4+size:]}
	for i := range p.trie {
		p.trie[i] = binary.LittleEndian.Uint32(raw[4+4*i:])
	}
	return p, nil
}

func unitOffset(u uint32) int   { return int((u >> 10) << ((u & (1 << 9)) >> 6)) }
func unitLabel(u uint32) uint32 { return u & ((1 << 31) | 0xFF) }
func unitHasLeaf(u uint32) bool { return (u>>8)&1 == 1 }
func unitValue(u uint32) int    { return int(u & ((1 << 31) - 1)) }

// transform returns the mapping of the shortest prefix of chunk in the map.
func (p *precompiledNormalizer) transform(chunk []byte) ([]byte, bool) {
	pos := unitOffset(p.trie[0])
	for _, c := range chunk {
		if c == 0 {
			break
		}
		pos ^= int(c)
		if pos < 0 || pos >= len(p.trie) {
			return nil, false
		}
		u := p.trie[pos]
		if unitLabel(u) != uint32(c) {
			return nil, false
		}
		pos ^= unitOffset(u)
		if unitHasLeaf(u) {
			if pos >= len(p.trie) {
				return nil, false
			}
			start := unitValue(p.trie[pos])
			if start > len(p.norm) {
				return nil, false
			}
			end := start
			for end < len(p.norm) && p.norm[end] != 0 {
				end++
			}
			return p.norm[start:end], true
		}
	}
	return nil, false
}

func (p *precompiledNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	var changes []change
	modified := false
	// push appends the replacement of oldCount characters as Hugging Face
	// does: the last extra characters count as inserted; fewer characters
	// make the change before absorb the removed ones.
	push := func(norm []byte, oldCount int) {
		modified = true
		base := len(changes)
		for _, r := range string(norm) {
			changes = append(changes, change{r, 0})
		}
		diff := (len(changes) - base) - oldCount
		switch {
		case diff > 0:
			for i := len(changes) - 1; i >= len(changes)-diff; i-- {
				changes[i].n = 1
			}
		case diff < 0 && len(changes) > 0:
			changes[len(changes)-1].n += diff
		}
	}
	rest := n.s
	state := -1
	for len(rest) > 0 {
		var g []byte
		g, rest, _, state = uniseg.Step(rest, state)
		if len(g) < 6 {
			if norm, ok := p.transform(g); ok {
				push(norm, utf8.RuneCount(g))
				continue
			}
		}
		for i := 0; i < len(g); {
			r, sz := utf8.DecodeRune(g[i:])
			if norm, ok := p.transform(g[i : i+sz]); ok {
				push(norm, 1)
			} else {
				changes = append(changes, change{r, 0})
			}
			i += sz
		}
	}
	if !modified {
		return n, nil
	}
	return a.transformRange(n, 0, len(n.s), changes, 0), nil
}
