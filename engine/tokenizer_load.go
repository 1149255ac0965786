package engine

import (
	"fmt"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// hfTokenizer adapts engine/tokenize (Hugging Face tokenizer.json, pure Go)
// to the pipelines. It tokenizes the whole text without special tokens and
// cuts the windows itself, adding the post-processor's special tokens around
// each, as Hugging Face does for overflowing single sequences.
type hfTokenizer struct {
	t          *tokenize.Tokenizer
	head, tail []int64 // special tokens before and after the sequence
	headTypes  []int64
	tailTypes  []int64
	seqType    int64
	prefix     string
	unk        int64
	pad        int64
}

var _ tokenizer = (*hfTokenizer)(nil)

// loadTokenizer reads a tokenizer.json.
func loadTokenizer(data []byte) (tokenizer, error) {
	t, err := tokenize.FromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: tokenizer.json: %v", ErrBadModel, err)
	}
	h := &hfTokenizer{t: t, prefix: t.ContinuingSubwordPrefix(), unk: -1}
	if id, ok := t.UnkID(); ok {
		h.unk = id
	}
	if id, ok := t.PadID(); ok {
		h.pad = id
	}
	// Learn the special tokens around a single sequence from a probe.
	probe, err := t.EncodeWithOptions("a", tokenize.EncodeOptions{
		AddSpecialTokens: true, Truncation: &tokenize.Truncation{}, Padding: &tokenize.Padding{Disabled: true},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: tokenizer.json: %v", ErrBadModel, err)
	}
	first, last := -1, -1
	for i, s := range probe.SpecialTokensMask {
		if s == 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil, fmt.Errorf("%w: tokenizer.json: the text \"a\" produced no tokens", ErrBadModel)
	}
	h.head, h.headTypes = probe.IDs[:first], probe.TypeIDs[:first]
	h.tail, h.tailTypes = probe.IDs[last+1:], probe.TypeIDs[last+1:]
	h.seqType = probe.TypeIDs[first]
	return h, nil
}

func (h *hfTokenizer) token(id int64) string {
	s, _ := h.t.IDToToken(id)
	return s
}
func (h *hfTokenizer) subwordPrefix() string { return h.prefix }
func (h *hfTokenizer) unkID() int64          { return h.unk }
func (h *hfTokenizer) padID() int64          { return h.pad }

func (h *hfTokenizer) encode(text string, maxLen, stride int) ([]encoding, error) {
	e, err := h.t.EncodeWithOptions(text, tokenize.EncodeOptions{
		AddSpecialTokens: false, Truncation: &tokenize.Truncation{}, Padding: &tokenize.Padding{Disabled: true},
	})
	if err != nil {
		return nil, err
	}
	nSpecial := len(h.head) + len(h.tail)
	size := len(e.IDs)
	if maxLen > 0 {
		size = maxLen - nSpecial
		if size < 1 {
			return nil, fmt.Errorf("model window of %d tokens leaves no room next to %d special tokens", maxLen, nSpecial)
		}
	}
	bounds := windowBounds(len(e.IDs), size, stride)
	out := make([]encoding, len(bounds))
	for w, b := range bounds {
		n := b[1] - b[0] + nSpecial
		c := encoding{
			ids: make([]int64, 0, n), typeIDs: make([]int64, 0, n), mask: make([]int64, n),
			offsets: make([]span, 0, n), special: make([]bool, 0, n),
		}
		c.ids = append(c.ids, h.head...)
		c.typeIDs = append(c.typeIDs, h.headTypes...)
		for range h.head {
			c.offsets = append(c.offsets, span{})
			c.special = append(c.special, true)
		}
		for i := b[0]; i < b[1]; i++ {
			c.ids = append(c.ids, e.IDs[i])
			c.typeIDs = append(c.typeIDs, h.seqType)
			c.offsets = append(c.offsets, span{e.Offsets[i].Start, e.Offsets[i].End})
			c.special = append(c.special, e.SpecialTokensMask[i] != 0)
		}
		c.ids = append(c.ids, h.tail...)
		c.typeIDs = append(c.typeIDs, h.tailTypes...)
		for range h.tail {
			c.offsets = append(c.offsets, span{})
			c.special = append(c.special, true)
		}
		for i := range c.mask {
			c.mask[i] = 1
		}
		out[w] = c
	}
	return out, nil
}
