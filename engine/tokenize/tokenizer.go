package tokenize

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// Tokenizer is a Hugging Face tokenizer read from a tokenizer.json file. It
// is safe for concurrent use.
type Tokenizer struct {
	normalizer normalizer
	preTok     preTokenizer
	model      model
	post       postProcessor
	decoder    decoder

	added      []*addedToken
	addedByID  map[int]*addedToken
	addedByTok map[string]*addedToken
	rawMatch   *addedMatcher // added tokens matched on the original text
	normMatch  *addedMatcher // added tokens matched on normalized text

	truncation *Truncation
	padding    *Padding

	pool sync.Pool
}

// maxPooledBytes bounds the text buffers kept for reuse between calls.
const maxPooledBytes = 1 << 20

// scratch holds the buffers one Encode call reuses.
type scratch struct {
	arena
	ms     []match
	wp     []byte
	spans  []addedSpan
	spans2 []addedSpan
	splits []split
	words  []nstr
	toks   []mtok
	added  []bool // per word: an added token
}

// split is a piece of the text after added-token extraction: either an
// added token (tok != nil) or normalized text.
type split struct {
	n   nstr
	tok *addedToken
}

type fileJSON struct {
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

// FromFile reads a tokenizer.json file.
func FromFile(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	t, err := FromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	return t, nil
}

// FromJSON parses the contents of a tokenizer.json file. A component this
// package does not implement gives an error wrapping ErrUnsupported that
// names it.
func FromJSON(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if isNull(f.Model) {
		return nil, fmt.Errorf("%w: no model", ErrInvalid)
	}
	t := &Tokenizer{}
	var err error
	if t.model, err = parseModel(f.Model); err != nil {
		return nil, err
	}
	if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.preTok, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if t.post, err = parsePostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	t.decoder = parseDecoder(f.Decoder)
	if t.truncation, err = parseTruncation(f.Truncation); err != nil {
		return nil, err
	}
	if t.padding, err = parsePadding(f.Padding); err != nil {
		return nil, err
	}
	if err := t.setAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	t.pool.New = func() any { return new(scratch) }
	return t, nil
}

func (t *Tokenizer) setAdded(list []addedToken) error {
	t.addedByID = map[int]*addedToken{}
	t.addedByTok = map[string]*addedToken{}
	var raw, normd []*addedToken
	var rawPats, normPats []string
	maxNew := -1
	for i := range list {
		at := list[i]
		if at.Content == "" {
			return fmt.Errorf("%w: empty added token", ErrInvalid)
		}
		// ids as Hugging Face assigns them (the ids in the file are only
		// checked there): the model's id, else the next one after the
		// model's vocabulary and the added tokens before
		if id, ok := t.model.vocab().lookupString(at.Content); ok {
			at.ID = id
		} else if prev, ok := t.addedByTok[at.Content]; ok {
			at.ID = prev.ID
		} else {
			vs := t.model.vocab().size()
			switch {
			case maxNew < 0:
				at.ID = vs
			case maxNew >= vs || vs == 0:
				at.ID = maxNew + 1
			default:
				at.ID = vs
			}
			maxNew = at.ID
		}
		p := &at
		p.text = at.Content
		t.added = append(t.added, p)
		t.addedByID[at.ID] = p
		t.addedByTok[at.Content] = p
		if at.Normalized {
			normd = append(normd, p)
			pat := at.Content
			if t.normalizer != nil {
				var a arena
				n, err := t.normalizer.normalize(&a, a.root(at.Content))
				if err != nil {
					return err
				}
				pat = string(n.s)
			}
			normPats = append(normPats, pat)
			p.text = pat
		} else {
			raw = append(raw, p)
			rawPats = append(rawPats, at.Content)
		}
	}
	t.rawMatch = newAddedMatcher(raw, rawPats)
	t.normMatch = newAddedMatcher(normd, normPats)
	return nil
}

func parseTruncation(raw json.RawMessage) (*Truncation, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c struct {
		Direction string `json:"direction"`
		MaxLength int    `json:"max_length"`
		Strategy  string `json:"strategy"`
		Stride    int    `json:"stride"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: truncation: %v", ErrInvalid, err)
	}
	tr := &Truncation{MaxLength: c.MaxLength, Stride: c.Stride, Strategy: "longest_first", Direction: strings.ToLower(c.Direction)}
	switch c.Strategy {
	case "OnlyFirst":
		tr.Strategy = "only_first"
	case "OnlySecond":
		tr.Strategy = "only_second"
	}
	return tr, nil
}

func parsePadding(raw json.RawMessage) (*Padding, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c struct {
		Strategy        json.RawMessage `json:"strategy"`
		Direction       string          `json:"direction"`
		PadToMultipleOf *int            `json:"pad_to_multiple_of"`
		PadID           int64           `json:"pad_id"`
		PadTypeID       int64           `json:"pad_type_id"`
		PadToken        string          `json:"pad_token"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: padding: %v", ErrInvalid, err)
	}
	p := &Padding{Direction: strings.ToLower(c.Direction), PadID: c.PadID, PadTypeID: c.PadTypeID, PadToken: c.PadToken}
	if c.PadToMultipleOf != nil {
		p.PadToMultipleOf = *c.PadToMultipleOf
	}
	var fixed struct {
		Fixed int `json:"Fixed"`
	}
	if json.Unmarshal(c.Strategy, &fixed) == nil && fixed.Fixed > 0 {
		p.Fixed = fixed.Fixed
	}
	return p, nil
}

// EncodeOptions override the truncation and padding of tokenizer.json for
// one call.
type EncodeOptions struct {
	AddSpecialTokens bool
	// Truncation overrides the file's truncation; nil keeps it, and a zero
	// Truncation{} turns it off.
	Truncation *Truncation
	// Padding overrides the file's padding; nil keeps it, Disabled turns it off.
	Padding *Padding
}

// Encode tokenizes text with the truncation and padding of tokenizer.json.
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) (Encoding, error) {
	return t.EncodeWithOptions(text, EncodeOptions{AddSpecialTokens: addSpecialTokens})
}

// EncodeWithOptions tokenizes text with per-call truncation and padding.
func (t *Tokenizer) EncodeWithOptions(text string, o EncodeOptions) (Encoding, error) {
	pad := t.padding
	if o.Padding != nil {
		pad = o.Padding
	}
	if pad != nil && pad.Disabled {
		pad = nil
	}
	return t.encodeSingle(text, o, pad)
}

// EncodeBatch tokenizes texts and pads them together as Hugging Face's
// encode_batch does (BatchLongest pads to the longest of the batch).
func (t *Tokenizer) EncodeBatch(texts []string, addSpecial bool) ([]Encoding, error) {
	out := make([]Encoding, len(texts))
	for i, s := range texts {
		e, err := t.encodeSingle(s, EncodeOptions{AddSpecialTokens: addSpecial}, t.padding)
		if err != nil {
			return nil, fmt.Errorf("text %d: %w", i, err)
		}
		out[i] = e
	}
	if t.padding != nil {
		padAll(out, t.padding)
	}
	return out, nil
}

// encodeSingle tokenizes, truncates, post-processes and pads one text.
func (t *Tokenizer) encodeSingle(text string, o EncodeOptions, pad *Padding) (Encoding, error) {
	if len(text) > math.MaxInt32 {
		return Encoding{}, fmt.Errorf("%w: text of %d bytes is over 2 GiB", ErrInvalid, len(text))
	}
	sc := t.pool.Get().(*scratch)
	defer func() {
		if cap(sc.arena.s) > maxPooledBytes {
			sc.arena = arena{} // do not keep a huge text's buffers around
		}
		t.pool.Put(sc)
	}()
	tr := t.truncation
	if o.Truncation != nil {
		tr = o.Truncation
		if tr.MaxLength <= 0 && tr.Stride == 0 && tr.Strategy == "" {
			tr = nil
		}
	}
	if tr != nil && tr.Strategy == "only_second" {
		return Encoding{}, fmt.Errorf("%w: truncation only_second needs a second sequence", ErrInvalid)
	}
	limit := -1
	if tr != nil {
		limit = tr.MaxLength
	}
	added := 0
	if o.AddSpecialTokens && t.post != nil {
		added = t.post.addedTokens()
	}
	// The common case (a template post-processor, no truncation needed)
	// writes the tokens once, after room left for the leading special tokens.
	tp, _ := t.post.(*templateProcessor)
	fast := t.post == nil || tp != nil
	k := 0
	if fast && tp != nil && o.AddSpecialTokens {
		k = len(tp.prefix)
	}
	est := len(text)/3 + 8 + added
	if pad != nil && pad.Fixed > est {
		est = pad.Fixed
	}
	var e Encoding
	e.realloc(est)
	for range k {
		e.push(0, 0, "", Offset{}, -1, true)
	}
	if err := t.tokenizeInto(sc, text, &e, limit, tr != nil && tr.Direction == "left"); err != nil {
		return Encoding{}, err
	}
	maxLen := -1
	if tr != nil {
		maxLen = max(tr.MaxLength-added, 0)
	}
	if fast && (maxLen < 0 || (maxLen > 0 && len(e.IDs)-k <= maxLen)) {
		if tp != nil {
			for i := k; i < len(e.TypeIDs); i++ {
				e.TypeIDs[i] = tp.seqType
			}
			if o.AddSpecialTokens {
				for i, sp := range tp.prefix {
					e.IDs[i], e.TypeIDs[i], e.Tokens[i] = sp.id, sp.typeID, sp.token
				}
				for _, sp := range tp.suffix {
					e.push(sp.id, sp.typeID, sp.token, Offset{}, -1, true)
				}
			}
		}
		return t.padded(e, pad), nil
	}
	if k > 0 {
		e = e.window(k, len(e.IDs))
	}
	if tr != nil {
		if maxLen == 0 {
			if err := e.truncate(0, tr.Stride, tr.Direction); err != nil {
				return Encoding{}, err
			}
		} else if len(e.IDs) > maxLen {
			if err := e.truncate(maxLen, tr.Stride, tr.Direction); err != nil {
				return Encoding{}, err
			}
		}
	}
	if t.post != nil {
		t.post.process(&e, text, o.AddSpecialTokens)
		if !utf8.ValidString(text) {
			return t.padded(e, pad), nil
		}
		snapOffsets(text, &e)
	}
	return t.padded(e, pad), nil
}

// snapOffsets moves offsets that fall inside a character to its start.
// Byte-level offset trimming counts characters of the byte-level alphabet
// as bytes of the text and can land inside a multi-byte character, where
// Hugging Face leaves it; its char offsets, which the goldens compare, map
// such an offset to the character holding it, so snapping keeps them equal.
func snapOffsets(text string, e *Encoding) {
	for i := range e.Overflowing {
		snapOffsets(text, &e.Overflowing[i])
	}
	for i := range e.Offsets {
		o := &e.Offsets[i]
		for o.Start > 0 && o.Start < len(text) && !utf8.RuneStart(text[o.Start]) {
			o.Start--
		}
		for o.End > 0 && o.End < len(text) && !utf8.RuneStart(text[o.End]) {
			o.End--
		}
	}
}

// padded pads one encoding as tokenizer.json's padding says.
func (t *Tokenizer) padded(e Encoding, pad *Padding) Encoding {
	if pad == nil {
		return e
	}
	encs := []Encoding{e}
	padAll(encs, pad)
	return encs[0]
}

// tokenizeInto runs added-token extraction, normalization, pre-tokenization
// and the model, appending the tokens to e.
//
// With limit >= 0 it keeps, as Hugging Face does before truncating, only the
// whole words needed to reach limit tokens: the first ones, or the last ones
// when fromEnd (their word indexes then start at 0).
func (t *Tokenizer) tokenizeInto(sc *scratch, text string, e *Encoding, limit int, fromEnd bool) error {
	base := len(e.IDs)
	if err := t.tokenizeAll(sc, text, e, limit, fromEnd); err != nil {
		return err
	}
	if limit < 0 || !fromEnd || len(e.IDs)-base <= limit {
		return nil
	}
	// keep the last words until a model word brings them to limit tokens
	// (added tokens count, but the check follows model words only)
	cut := len(e.IDs)
	for cut > base {
		w := e.WordIDs[cut-1]
		for cut > base && e.WordIDs[cut-1] == w {
			cut--
		}
		if !sc.added[w] && len(e.IDs)-cut >= limit {
			break
		}
	}
	first := e.WordIDs[cut]
	n := copy(e.IDs[base:], e.IDs[cut:])
	copy(e.TypeIDs[base:], e.TypeIDs[cut:])
	copy(e.AttentionMask[base:], e.AttentionMask[cut:])
	copy(e.SpecialTokensMask[base:], e.SpecialTokensMask[cut:])
	copy(e.Tokens[base:], e.Tokens[cut:])
	copy(e.Offsets[base:], e.Offsets[cut:])
	copy(e.WordIDs[base:], e.WordIDs[cut:])
	end := base + n
	e.IDs, e.TypeIDs, e.AttentionMask = e.IDs[:end], e.TypeIDs[:end], e.AttentionMask[:end]
	e.SpecialTokensMask, e.Tokens, e.Offsets, e.WordIDs = e.SpecialTokensMask[:end], e.Tokens[:end], e.Offsets[:end], e.WordIDs[:end]
	for i := base; i < end; i++ {
		e.WordIDs[i] -= first
	}
	return nil
}

func (t *Tokenizer) tokenizeAll(sc *scratch, text string, e *Encoding, limit int, fromEnd bool) error {
	base := len(e.IDs)
	// Hugging Face stops after the model word that brings the tokens to
	// limit; added tokens count but do not stop it.
	stop := func() bool { return limit >= 0 && !fromEnd && len(e.IDs)-base >= limit }
	sc.added = sc.added[:0]
	sc.arena.reset()
	root := sc.arena.root(text)
	splits := sc.splits[:0]
	var spans []addedSpan
	if t.rawMatch != nil {
		spans = t.rawMatch.find(root.s, sc.spans[:0])
		sc.spans = spans
	} else {
		spans = append(sc.spans[:0], addedSpan{0, len(root.s), nil})
		sc.spans = spans
	}
	for _, sp := range spans {
		if sp.start >= sp.end {
			continue
		}
		piece := root.slice(sp.start, sp.end)
		if sp.tok != nil {
			splits = append(splits, split{piece, sp.tok})
			continue
		}
		if t.normalizer != nil {
			var err error
			if piece, err = t.normalizer.normalize(&sc.arena, piece); err != nil {
				return err
			}
		}
		if t.normMatch == nil {
			if !piece.empty() {
				splits = append(splits, split{piece, nil})
			}
			continue
		}
		sc.spans2 = t.normMatch.find(piece.s, sc.spans2[:0])
		for _, sp2 := range sc.spans2 {
			if sp2.start < sp2.end {
				splits = append(splits, split{piece.slice(sp2.start, sp2.end), sp2.tok})
			}
		}
	}
	sc.splits = splits
	wi := 0
	for _, s := range splits {
		if s.tok != nil {
			e.push(int64(s.tok.ID), 0, string(s.n.s), s.n.span(0, len(s.n.s)), wi, false)
			sc.added = append(sc.added, true)
			wi++
			continue
		}
		if t.preTok == nil {
			if err := t.modelInto(sc, s.n, wi, e); err != nil {
				return err
			}
			sc.added = append(sc.added, false)
			wi++
			if stop() {
				return nil
			}
			continue
		}
		words, err := t.preTok.preTokenize(sc, s.n, sc.words[:0])
		sc.words = words
		if err != nil {
			return err
		}
		for _, w := range words {
			if err := t.modelInto(sc, w, wi, e); err != nil {
				return err
			}
			sc.added = append(sc.added, false)
			wi++
			if stop() {
				return nil
			}
		}
	}
	return nil
}

// modelInto tokenizes one word with the model and appends its tokens.
func (t *Tokenizer) modelInto(sc *scratch, w nstr, wi int, e *Encoding) error {
	toks, err := t.model.tokenize(sc, w.s, sc.toks[:0])
	sc.toks = toks
	if err != nil {
		return err
	}
	for _, tk := range toks {
		e.push(int64(tk.id), 0, tk.value, w.span(tk.start, tk.end), wi, false)
	}
	return nil
}
