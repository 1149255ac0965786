package tokenize

import "strings"

// Decode turns ids back into text with the tokenizer's decoder; with
// skipSpecial, special added tokens are left out. Unknown ids are skipped.
func (t *Tokenizer) Decode(ids []int64, skipSpecial bool) string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if at, ok := t.addedByID[int(id)]; ok {
			if skipSpecial && at.Special {
				continue
			}
			toks = append(toks, at.text)
			continue
		}
		if s, ok := t.model.vocab().token(int(id)); ok {
			toks = append(toks, s)
		}
	}
	return strings.Join(t.decoder.decode(toks), "")
}

// TokenToID returns the id of token (added tokens first, then the model).
func (t *Tokenizer) TokenToID(token string) (int64, bool) {
	if at, ok := t.addedByTok[token]; ok {
		return int64(at.ID), true
	}
	id, ok := t.model.vocab().lookupString(token)
	return int64(id), ok
}

// IDToToken returns the token of id (added tokens first, then the model).
func (t *Tokenizer) IDToToken(id int64) (string, bool) {
	if at, ok := t.addedByID[int(id)]; ok {
		return at.text, true
	}
	return t.model.vocab().token(int(id))
}

// VocabSize is the number of distinct tokens, added tokens included.
func (t *Tokenizer) VocabSize() int {
	n := t.model.vocab().size()
	for _, at := range t.added {
		if _, ok := t.model.vocab().lookupString(at.Content); !ok {
			n++
		}
	}
	return n
}

// Truncation returns the truncation of tokenizer.json (nil when none).
func (t *Tokenizer) Truncation() *Truncation {
	if t.truncation == nil {
		return nil
	}
	c := *t.truncation
	return &c
}

// Padding returns the padding of tokenizer.json (nil when none).
func (t *Tokenizer) Padding() *Padding {
	if t.padding == nil {
		return nil
	}
	c := *t.padding
	return &c
}

// PadID returns the padding token id: the file's padding, else the id of
// [PAD], <pad> or <PAD>; ok is false when none is known.
func (t *Tokenizer) PadID() (int64, bool) {
	if t.padding != nil {
		return t.padding.PadID, true
	}
	for _, s := range []string{"[PAD]", "<pad>", "<PAD>", "<|pad|>"} {
		if id, ok := t.TokenToID(s); ok {
			return id, true
		}
	}
	return 0, false
}

// SpecialTokensAdded is how many special tokens the post-processor adds to
// a single sequence.
func (t *Tokenizer) SpecialTokensAdded() int {
	if t.post == nil {
		return 0
	}
	return t.post.addedTokens()
}

// ContinuingSubwordPrefix is the model's continuing-subword prefix ("##"
// for WordPiece), "" when it has none.
func (t *Tokenizer) ContinuingSubwordPrefix() string {
	switch m := t.model.(type) {
	case *wordPiece:
		return m.prefix
	case *bpe:
		return m.prefix
	}
	return ""
}

// UnkID returns the unknown token's id; ok is false when the model has none.
func (t *Tokenizer) UnkID() (int64, bool) {
	switch m := t.model.(type) {
	case *wordPiece:
		return int64(m.unkID), m.unkID >= 0
	case *wordLevel:
		return int64(m.unkID), m.unkID >= 0
	case *unigram:
		return int64(m.unkID), m.unkID >= 0
	case *bpe:
		if m.hasUnk {
			id, ok := m.v.lookupString(m.unk)
			return int64(id), ok
		}
	}
	return 0, false
}
