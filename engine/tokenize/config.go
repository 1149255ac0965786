package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// ErrUnsupported is returned for tokenizer.json components this package does
// not implement; the message names the component.
var ErrUnsupported = errors.New("tokenize: unsupported tokenizer component")

// ErrInvalid is returned for malformed tokenizer.json files and bad options.
var ErrInvalid = errors.New("tokenize: invalid tokenizer")

func errUnkMissing(unk string) error {
	return fmt.Errorf("%w: unknown token %q is not in the vocabulary", ErrInvalid, unk)
}

type typed struct {
	Type string `json:"type"`
}

func typeOf(raw json.RawMessage) (string, error) {
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return t.Type, nil
}

// orDefault is *p, or d when the field was absent (nil).
func orDefault[T any](p *T, d T) T {
	if p == nil {
		return d
	}
	return *p
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func parseBehavior(s string) (behavior, error) {
	switch strings.ToLower(s) {
	case "removed":
		return removed, nil
	case "isolated", "":
		return isolated, nil
	case "mergedwithprevious":
		return mergedWithPrevious, nil
	case "mergedwithnext":
		return mergedWithNext, nil
	case "contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("%w: split behavior %q", ErrInvalid, s)
}

// parseSequence parses the components of a Sequence in order with parse,
// leaving out those that parse to nil (null entries, an empty Precompiled map).
func parseSequence[T any](raws []json.RawMessage, parse func(json.RawMessage) (T, error)) ([]T, error) {
	var seq []T
	for _, r := range raws {
		x, err := parse(r)
		if err != nil {
			return nil, err
		}
		if any(x) != nil {
			seq = append(seq, x)
		}
	}
	return seq, nil
}

type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

func parsePattern(p patternJSON) (pattern, error) {
	switch {
	case p.String != nil:
		return literalPattern(*p.String), nil
	case p.Regex != nil:
		return newRegexPattern(*p.Regex)
	}
	return nil, fmt.Errorf("%w: pattern has neither String nor Regex", ErrInvalid)
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "BertNormalizer":
		var c struct {
			CleanText    *bool `json:"clean_text"`
			Chinese      *bool `json:"handle_chinese_chars"`
			StripAccents *bool `json:"strip_accents"`
			Lowercase    *bool `json:"lowercase"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: BertNormalizer: %v", ErrInvalid, err)
		}
		bn := &bertNormalizer{cleanText: orDefault(c.CleanText, true), chinese: orDefault(c.Chinese, true), lowercase: orDefault(c.Lowercase, true)}
		bn.stripAccents = orDefault(c.StripAccents, bn.lowercase)
		return bn, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	case "NFC":
		return unicodeNormalizer{norm.NFC}, nil
	case "NFD":
		return unicodeNormalizer{norm.NFD}, nil
	case "NFKC":
		return unicodeNormalizer{norm.NFKC}, nil
	case "NFKD":
		return unicodeNormalizer{norm.NFKD}, nil
	case "StripAccents":
		return stripAccentsNormalizer{}, nil
	case "Nmt":
		return nmtNormalizer{}, nil
	case "Replace":
		var c struct {
			Pattern patternJSON `json:"pattern"`
			Content string      `json:"content"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Replace: %v", ErrInvalid, err)
		}
		p, err := parsePattern(c.Pattern)
		if err != nil {
			return nil, err
		}
		return &replaceNormalizer{pat: p, content: c.Content}, nil
	case "Prepend":
		var c struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Prepend: %v", ErrInvalid, err)
		}
		return prependNormalizer{c.Prepend}, nil
	case "Strip":
		var c struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Strip: %v", ErrInvalid, err)
		}
		return stripNormalizer{c.Left, c.Right}, nil
	case "Precompiled":
		var c struct {
			Charsmap *string `json:"precompiled_charsmap"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Precompiled: %v", ErrInvalid, err)
		}
		if c.Charsmap == nil || *c.Charsmap == "" {
			return nil, nil // an empty map changes nothing
		}
		return newPrecompiled(*c.Charsmap)
	case "Sequence":
		var c struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Sequence: %v", ErrInvalid, err)
		}
		seq, err := parseSequence(c.Normalizers, parseNormalizer)
		if err != nil {
			return nil, err
		}
		return normalizerSeq(seq), nil
	}
	return nil, fmt.Errorf("%w: normalizer %q", ErrUnsupported, typ)
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "BertPreTokenizer":
		return bertPreTokenizer{}, nil
	case "Whitespace":
		return whitespacePreTokenizer{}, nil
	case "WhitespaceSplit":
		return charSplitPreTokenizer{pred: isWhitespace, behavior: removed}, nil
	case "Punctuation":
		var c struct {
			Behavior string `json:"behavior"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Punctuation: %v", ErrInvalid, err)
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, err
		}
		return charSplitPreTokenizer{pred: isBertPunct, behavior: b}, nil
	case "Digits":
		var c struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Digits: %v", ErrInvalid, err)
		}
		b := contiguous
		if c.Individual {
			b = isolated
		}
		return charSplitPreTokenizer{pred: isNumeric, behavior: b}, nil
	case "CharDelimiterSplit":
		var c struct {
			Delimiter string `json:"delimiter"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || len([]rune(c.Delimiter)) != 1 {
			return nil, fmt.Errorf("%w: CharDelimiterSplit: bad delimiter", ErrInvalid)
		}
		d := []rune(c.Delimiter)[0]
		return charSplitPreTokenizer{pred: func(r rune) bool { return r == d }, behavior: removed}, nil
	case "ByteLevel":
		c := struct {
			AddPrefixSpace bool  `json:"add_prefix_space"`
			UseRegex       *bool `json:"use_regex"`
		}{}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: ByteLevel: %v", ErrInvalid, err)
		}
		return byteLevelPreTokenizer{addPrefixSpace: c.AddPrefixSpace, useRegex: orDefault(c.UseRegex, true)}, nil
	case "Split":
		var c struct {
			Pattern  patternJSON `json:"pattern"`
			Behavior string      `json:"behavior"`
			Invert   bool        `json:"invert"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Split: %v", ErrInvalid, err)
		}
		p, err := parsePattern(c.Pattern)
		if err != nil {
			return nil, err
		}
		if c.Pattern.Regex != nil {
			switch *c.Pattern.Regex {
			case gpt2Regex:
				p = gpt2Pattern{}
			case llama3Regex:
				p = llama3Pattern{}
			}
		}
		if c.Invert {
			p = invertPattern{p}
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, err
		}
		return splitPreTokenizer{pat: p, behavior: b}, nil
	case "Metaspace":
		var c struct {
			Replacement    string `json:"replacement"`
			PrependScheme  string `json:"prepend_scheme"`
			AddPrefixSpace *bool  `json:"add_prefix_space"`
			Split          *bool  `json:"split"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Metaspace: %v", ErrInvalid, err)
		}
		rs := []rune(c.Replacement)
		if len(rs) != 1 {
			return nil, fmt.Errorf("%w: Metaspace replacement %q", ErrInvalid, c.Replacement)
		}
		scheme := strings.ToLower(c.PrependScheme)
		if scheme == "" {
			scheme = "always"
			if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
				scheme = "never"
			}
		}
		return metaspacePreTokenizer{replacement: rs[0], scheme: scheme, split: orDefault(c.Split, true)}, nil
	case "Sequence":
		var c struct {
			PreTokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Sequence: %v", ErrInvalid, err)
		}
		seq, err := parseSequence(c.PreTokenizers, parsePreTokenizer)
		if err != nil {
			return nil, err
		}
		return preTokenizerSeq(seq), nil
	}
	return nil, fmt.Errorf("%w: pre-tokenizer %q", ErrUnsupported, typ)
}

// gpt2Regex is GPT-2's split pattern, matched without a regex engine.
const gpt2Regex = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

type gpt2Pattern struct{}

func (gpt2Pattern) find(s []byte, out []match) ([]match, error) { return gpt2Split(s, out), nil }

type modelJSON struct {
	Type                    string          `json:"type"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	MaxInputCharsPerWord    *int            `json:"max_input_chars_per_word"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Dropout                 *float64        `json:"dropout"`
}

func parseModel(raw json.RawMessage) (model, error) {
	var c modelJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: model: %v", ErrInvalid, err)
	}
	typ := c.Type
	if typ == "" { // untagged as Hugging Face allows: infer from the fields
		switch {
		case strings.HasPrefix(strings.TrimSpace(string(c.Vocab)), "["):
			typ = "Unigram"
		case !isNull(c.Merges):
			typ = "BPE"
		case c.MaxInputCharsPerWord != nil || c.ContinuingSubwordPrefix != nil:
			typ = "WordPiece"
		default:
			typ = "WordLevel"
		}
	}
	switch typ {
	case "WordPiece", "WordLevel", "BPE":
	case "Unigram":
		return parseUnigram(raw)
	default:
		return nil, fmt.Errorf("%w: model %q", ErrUnsupported, typ)
	}
	var vm map[string]int
	if err := json.Unmarshal(c.Vocab, &vm); err != nil {
		return nil, fmt.Errorf("%w: %s vocab: %v", ErrInvalid, typ, err)
	}
	v := newVocabulary(vm)
	switch typ {
	case "WordPiece":
		wp := &wordPiece{v: v, unk: orDefault(c.UnkToken, "[UNK]"), prefix: orDefault(c.ContinuingSubwordPrefix, "##"),
			maxChars: orDefault(c.MaxInputCharsPerWord, 100)}
		wp.unkID = lookupOr(vm, wp.unk, -1)
		return wp, nil
	case "WordLevel":
		wl := &wordLevel{v: v, unk: orDefault(c.UnkToken, "<unk>")}
		wl.unkID = lookupOr(vm, wl.unk, -1)
		return wl, nil
	}
	if c.Dropout != nil && *c.Dropout > 0 {
		return nil, fmt.Errorf("%w: BPE dropout", ErrUnsupported)
	}
	m := &bpe{v: v, prefix: orDefault(c.ContinuingSubwordPrefix, ""), suffix: orDefault(c.EndOfWordSuffix, ""),
		fuseUnk: c.FuseUnk, byteFallback: c.ByteFallback, ignoreMerges: c.IgnoreMerges}
	if c.UnkToken != nil {
		m.unk, m.hasUnk = *c.UnkToken, true
	}
	var pairs [][2]string
	if !isNull(c.Merges) {
		var asStrings []string
		if err := json.Unmarshal(c.Merges, &asStrings); err == nil {
			pairs = make([][2]string, len(asStrings))
			for i, s := range asStrings {
				a, b, ok := strings.Cut(s, " ")
				if !ok {
					return nil, fmt.Errorf("%w: BPE merge %d %q is not two tokens", ErrInvalid, i, s)
				}
				pairs[i] = [2]string{a, b}
			}
		} else if err := json.Unmarshal(c.Merges, &pairs); err != nil {
			return nil, fmt.Errorf("%w: BPE merges: %v", ErrInvalid, err)
		}
	}
	m.merges = make(map[pairKey]mergeInfo, len(pairs))
	for rank, p := range pairs {
		a, okA := vm[p[0]]
		b, okB := vm[p[1]]
		if !okA || !okB {
			return nil, fmt.Errorf("%w: BPE merge %q %q: token not in vocabulary", ErrInvalid, p[0], p[1])
		}
		nt := p[0] + p[1][min(len(m.prefix), len(p[1])):]
		nid, ok := vm[nt]
		if !ok {
			return nil, fmt.Errorf("%w: BPE merge result %q not in vocabulary", ErrInvalid, nt)
		}
		k := pairKey{int32(a), int32(b)}
		if _, dup := m.merges[k]; !dup {
			m.merges[k] = mergeInfo{rank: int32(rank), newID: int32(nid)}
		}
	}
	return m, nil
}

func parseUnigram(raw json.RawMessage) (model, error) {
	var c struct {
		UnkID        *int              `json:"unk_id"`
		Vocab        []json.RawMessage `json:"vocab"`
		ByteFallback bool              `json:"byte_fallback"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%w: Unigram: %v", ErrInvalid, err)
	}
	pieces := make([]unigramPiece, len(c.Vocab))
	for i, r := range c.Vocab {
		var pair []json.RawMessage
		if err := json.Unmarshal(r, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("%w: Unigram vocab entry %d is not [token, score]", ErrInvalid, i)
		}
		if err := json.Unmarshal(pair[0], &pieces[i].token); err != nil {
			return nil, fmt.Errorf("%w: Unigram vocab entry %d: %v", ErrInvalid, i, err)
		}
		if err := json.Unmarshal(pair[1], &pieces[i].score); err != nil {
			return nil, fmt.Errorf("%w: Unigram vocab entry %d: %v", ErrInvalid, i, err)
		}
	}
	return newUnigram(pieces, c.UnkID, c.ByteFallback)
}

func lookupOr(m map[string]int, k string, d int) int {
	if v, ok := m[k]; ok {
		return v
	}
	return d
}

type tokID struct {
	tok string
	id  int64
}

func (t *tokID) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("%w: expected [token, id]", ErrInvalid)
	}
	if err := json.Unmarshal(pair[0], &t.tok); err != nil {
		return err
	}
	return json.Unmarshal(pair[1], &t.id)
}

// byteLevelJSON holds the options of the ByteLevel post-processor, which
// RobertaProcessing has too; both default to true.
type byteLevelJSON struct {
	TrimOffsets    *bool `json:"trim_offsets"`
	AddPrefixSpace *bool `json:"add_prefix_space"`
}

func (c byteLevelJSON) processor() byteLevelProcessor {
	return byteLevelProcessor{trimOffsets: orDefault(c.TrimOffsets, true), addPrefixSpace: orDefault(c.AddPrefixSpace, true)}
}

func parsePostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	clsSep := func(cls, sep tokID) templateProcessor {
		return templateProcessor{
			prefix: []specialTok{{id: cls.id, token: cls.tok}},
			suffix: []specialTok{{id: sep.id, token: sep.tok}},
		}
	}
	switch typ {
	case "BertProcessing":
		var c struct {
			Sep tokID `json:"sep"`
			Cls tokID `json:"cls"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: BertProcessing: %v", ErrInvalid, err)
		}
		tp := clsSep(c.Cls, c.Sep)
		return &tp, nil
	case "RobertaProcessing":
		var c struct {
			Sep tokID `json:"sep"`
			Cls tokID `json:"cls"`
			byteLevelJSON
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: RobertaProcessing: %v", ErrInvalid, err)
		}
		return &robertaProcessor{bl: c.processor(), template: clsSep(c.Cls, c.Sep)}, nil
	case "ByteLevel":
		var c byteLevelJSON
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: ByteLevel: %v", ErrInvalid, err)
		}
		return c.processor(), nil
	case "TemplateProcessing":
		var c struct {
			Single []struct {
				SpecialToken *struct {
					ID     string `json:"id"`
					TypeID int64  `json:"type_id"`
				} `json:"SpecialToken"`
				Sequence *struct {
					ID     string `json:"id"`
					TypeID int64  `json:"type_id"`
				} `json:"Sequence"`
			} `json:"single"`
			Special map[string]struct {
				ID     string   `json:"id"`
				IDs    []int64  `json:"ids"`
				Tokens []string `json:"tokens"`
			} `json:"special_tokens"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: TemplateProcessing: %v", ErrInvalid, err)
		}
		special := map[string]specialSeq{}
		for name, s := range c.Special {
			if len(s.IDs) != len(s.Tokens) {
				return nil, fmt.Errorf("%w: TemplateProcessing special token %q: ids and tokens differ in length", ErrInvalid, name)
			}
			special[s.ID] = specialSeq{ids: s.IDs, tokens: s.Tokens}
		}
		tp := &templateProcessor{}
		seqs := 0
		for _, p := range c.Single {
			switch {
			case p.SpecialToken != nil:
				sp, ok := special[p.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("%w: TemplateProcessing: missing special token %q", ErrInvalid, p.SpecialToken.ID)
				}
				for k, id := range sp.ids {
					st := specialTok{id: id, typeID: p.SpecialToken.TypeID, token: sp.tokens[k]}
					if seqs == 0 {
						tp.prefix = append(tp.prefix, st)
					} else {
						tp.suffix = append(tp.suffix, st)
					}
				}
			case p.Sequence != nil:
				seqs++
				tp.seqType = p.Sequence.TypeID
			}
		}
		if seqs != 1 {
			return nil, fmt.Errorf("%w: TemplateProcessing single template with %d sequences", ErrUnsupported, seqs)
		}
		return tp, nil
	case "Sequence":
		var c struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: Sequence: %v", ErrInvalid, err)
		}
		seq, err := parseSequence(c.Processors, parsePostProcessor)
		if err != nil {
			return nil, err
		}
		return sequenceProcessor(seq), nil
	}
	return nil, fmt.Errorf("%w: post-processor %q", ErrUnsupported, typ)
}
