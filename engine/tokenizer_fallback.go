package engine

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordPieceTokenizer is a small built-in reader of BERT-style tokenizer.json
// files (BertNormalizer or Lowercase, BertPreTokenizer or Whitespace,
// WordPiece or WordLevel, BertProcessing or TemplateProcessing with
// [CLS]/[SEP]). It is used only when engine/tokenize cannot read a file.
type wordPieceTokenizer struct {
	vocab     map[string]int64
	inv       []string
	lowercase bool
	cjk       bool
	wordLevel bool
	prefix    string
	maxChars  int
	unk       int64
	pad       int64
	head      []int64 // special tokens before the sequence
	tail      []int64 // after it
}

var _ tokenizer = (*wordPieceTokenizer)(nil)

type tokenizerFile struct {
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type                    string           `json:"type"`
		Vocab                   map[string]int64 `json:"vocab"`
		UnkToken                string           `json:"unk_token"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int              `json:"max_input_chars_per_word"`
	} `json:"model"`
}

func newWordPieceTokenizer(data []byte) (*wordPieceTokenizer, error) {
	var f tokenizerFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, errTokenizer("%v", err)
	}
	t := &wordPieceTokenizer{vocab: f.Model.Vocab, prefix: "##", maxChars: 100, unk: -1}
	switch f.Model.Type {
	case "WordPiece":
		if f.Model.ContinuingSubwordPrefix != nil {
			t.prefix = *f.Model.ContinuingSubwordPrefix
		}
		if f.Model.MaxInputCharsPerWord > 0 {
			t.maxChars = f.Model.MaxInputCharsPerWord
		}
	case "WordLevel":
		t.wordLevel = true
		t.prefix = ""
	default:
		return nil, errTokenizer("model type %q is not supported by the built-in tokenizer", f.Model.Type)
	}
	if len(t.vocab) == 0 {
		return nil, errTokenizer("empty vocabulary")
	}
	maxID := int64(0)
	for _, id := range t.vocab {
		maxID = max(maxID, id)
	}
	t.inv = make([]string, maxID+1)
	for tok, id := range t.vocab {
		if id >= 0 {
			t.inv[id] = tok
		}
	}
	if id, ok := t.vocab[f.Model.UnkToken]; ok {
		t.unk = id
	}
	for _, p := range []string{"[PAD]", "<pad>"} {
		if id, ok := t.vocab[p]; ok {
			t.pad = id
			break
		}
	}
	var norm struct {
		Type               string `json:"type"`
		Lowercase          *bool  `json:"lowercase"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
	}
	if len(f.Normalizer) > 0 && string(f.Normalizer) != "null" {
		if err := json.Unmarshal(f.Normalizer, &norm); err != nil {
			return nil, errTokenizer("normalizer: %v", err)
		}
		switch norm.Type {
		case "BertNormalizer":
			t.lowercase = norm.Lowercase == nil || *norm.Lowercase
			t.cjk = norm.HandleChineseChars == nil || *norm.HandleChineseChars
		case "Lowercase":
			t.lowercase = true
		default:
			return nil, errTokenizer("normalizer %q is not supported by the built-in tokenizer", norm.Type)
		}
	}
	var post struct {
		Type   string `json:"type"`
		Cls    []any  `json:"cls"`
		Sep    []any  `json:"sep"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
	}
	if len(f.PostProcessor) > 0 && string(f.PostProcessor) != "null" {
		if err := json.Unmarshal(f.PostProcessor, &post); err != nil {
			return nil, errTokenizer("post_processor: %v", err)
		}
		switch post.Type {
		case "BertProcessing", "RobertaProcessing":
			cls, sep := t.specialID(post.Cls), t.specialID(post.Sep)
			if cls < 0 || sep < 0 {
				return nil, errTokenizer("post_processor: cls/sep token not in vocabulary")
			}
			t.head, t.tail = []int64{cls}, []int64{sep}
		case "TemplateProcessing":
			seen := false
			for _, piece := range post.Single {
				if piece.SpecialToken == nil {
					seen = true
					continue
				}
				id, ok := t.vocab[piece.SpecialToken.ID]
				if !ok {
					return nil, errTokenizer("post_processor: %q not in vocabulary", piece.SpecialToken.ID)
				}
				if seen {
					t.tail = append(t.tail, id)
				} else {
					t.head = append(t.head, id)
				}
			}
		default:
			return nil, errTokenizer("post_processor %q is not supported by the built-in tokenizer", post.Type)
		}
	}
	return t, nil
}

func (t *wordPieceTokenizer) specialID(pair []any) int64 {
	if len(pair) == 2 {
		if f, ok := pair[1].(float64); ok {
			return int64(f)
		}
	}
	return -1
}

func (t *wordPieceTokenizer) token(id int64) string {
	if id < 0 || id >= int64(len(t.inv)) {
		return ""
	}
	return t.inv[id]
}
func (t *wordPieceTokenizer) subwordPrefix() string { return t.prefix }
func (t *wordPieceTokenizer) unkID() int64          { return t.unk }
func (t *wordPieceTokenizer) padID() int64          { return t.pad }

func isBertPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return unicode.IsPunct(r)
}

func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// words splits text into pre-tokens with their byte spans.
func (t *wordPieceTokenizer) words(text string) ([]string, []span) {
	var words []string
	var spans []span
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start >= 0 {
			words = append(words, b.String())
			spans = append(spans, span{start, end})
			b.Reset()
			start = -1
		}
	}
	for i, r := range text {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError && size == 3 {
			size = 1
		}
		switch {
		case unicode.IsSpace(r) || r == 0 || unicode.IsControl(r):
			flush(i)
		case isBertPunct(r) || (t.cjk && isCJK(r)):
			flush(i)
			words = append(words, string(t.lower(r)))
			spans = append(spans, span{i, i + size})
		default:
			if start < 0 {
				start = i
			}
			b.WriteRune(t.lower(r))
		}
	}
	flush(len(text))
	return words, spans
}

func (t *wordPieceTokenizer) lower(r rune) rune {
	if t.lowercase {
		return unicode.ToLower(r)
	}
	return r
}

func (t *wordPieceTokenizer) encode(text string, maxLen, stride int) ([]encoding, error) {
	words, spans := t.words(text)
	var ids []int64
	var offs []span
	for wi, w := range words {
		sp := spans[wi]
		if t.wordLevel {
			id, ok := t.vocab[w]
			if !ok {
				id = t.unk
			}
			ids = append(ids, id)
			offs = append(offs, sp)
			continue
		}
		runes := []rune(w)
		if len(runes) > t.maxChars {
			ids = append(ids, t.unk)
			offs = append(offs, sp)
			continue
		}
		// Byte offset of each rune of w inside the original text. Lowercasing
		// can change byte lengths, so walk the original runes in step.
		origPos := make([]int, len(runes)+1)
		p := sp.start
		for k := range runes {
			origPos[k] = p
			_, size := utf8.DecodeRuneInString(text[p:])
			p += size
		}
		origPos[len(runes)] = sp.end
		var wids []int64
		var woffs []span
		bad := false
		for s := 0; s < len(runes); {
			e := len(runes)
			found := int64(-1)
			for e > s {
				sub := string(runes[s:e])
				if s > 0 {
					sub = t.prefix + sub
				}
				if id, ok := t.vocab[sub]; ok {
					found = id
					break
				}
				e--
			}
			if found < 0 {
				bad = true
				break
			}
			wids = append(wids, found)
			woffs = append(woffs, span{origPos[s], origPos[e]})
			s = e
		}
		if bad {
			ids = append(ids, t.unk)
			offs = append(offs, sp)
			continue
		}
		ids = append(ids, wids...)
		offs = append(offs, woffs...)
	}
	nSpecial := len(t.head) + len(t.tail)
	size := len(ids)
	if maxLen > 0 {
		size = max(1, maxLen-nSpecial)
	}
	var out []encoding
	for _, w := range windowBounds(len(ids), size, stride) {
		n := w[1] - w[0] + nSpecial
		e := encoding{
			ids: make([]int64, 0, n), typeIDs: make([]int64, n), mask: make([]int64, n),
			offsets: make([]span, 0, n), special: make([]bool, 0, n),
		}
		for _, id := range t.head {
			e.ids = append(e.ids, id)
			e.offsets = append(e.offsets, span{})
			e.special = append(e.special, true)
		}
		e.ids = append(e.ids, ids[w[0]:w[1]]...)
		e.offsets = append(e.offsets, offs[w[0]:w[1]]...)
		for range w[1] - w[0] {
			e.special = append(e.special, false)
		}
		for _, id := range t.tail {
			e.ids = append(e.ids, id)
			e.offsets = append(e.offsets, span{})
			e.special = append(e.special, true)
		}
		for i := range e.mask {
			e.mask[i] = 1
		}
		out = append(out, e)
	}
	return out, nil
}
