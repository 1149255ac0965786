package tokenize

import (
	"unicode"
	"unicode/utf8"
)

// postProcessor adds special tokens (and may adjust offsets) after
// truncation, as Hugging Face's PostProcessor for a single sequence.
type postProcessor interface {
	addedTokens() int
	process(e *Encoding, text string, addSpecial bool)
}

type specialSeq struct {
	ids    []int64
	tokens []string
}

// specialTok is a special token a template adds.
type specialTok struct {
	id     int64
	typeID int64
	token  string
}

// templateProcessor is TemplateProcessing for a single sequence: special
// tokens before and after the sequence, whose tokens get seqType.
type templateProcessor struct {
	prefix, suffix []specialTok
	seqType        int64
}

func (tp *templateProcessor) addedTokens() int { return len(tp.prefix) + len(tp.suffix) }

func (tp *templateProcessor) process(e *Encoding, text string, addSpecial bool) {
	for i := range e.Overflowing {
		tp.process(&e.Overflowing[i], text, addSpecial)
	}
	for i := range e.TypeIDs {
		e.TypeIDs[i] = tp.seqType
	}
	if !addSpecial {
		return
	}
	if k := len(tp.prefix); k > 0 {
		n := len(e.IDs)
		e.grow(k + len(tp.suffix))
		for range k {
			e.push(0, 0, "", Offset{}, 0, false)
		}
		copy(e.IDs[k:], e.IDs[:n])
		copy(e.TypeIDs[k:], e.TypeIDs[:n])
		copy(e.AttentionMask[k:], e.AttentionMask[:n])
		copy(e.SpecialTokensMask[k:], e.SpecialTokensMask[:n])
		copy(e.Tokens[k:], e.Tokens[:n])
		copy(e.Offsets[k:], e.Offsets[:n])
		copy(e.WordIDs[k:], e.WordIDs[:n])
		for i, sp := range tp.prefix {
			e.IDs[i], e.TypeIDs[i], e.AttentionMask[i], e.SpecialTokensMask[i] = sp.id, sp.typeID, 1, 1
			e.Tokens[i], e.Offsets[i], e.WordIDs[i] = sp.token, Offset{}, -1
		}
	}
	for _, sp := range tp.suffix {
		e.push(sp.id, sp.typeID, sp.token, Offset{}, -1, true)
	}
}

type sequenceProcessor []postProcessor

func (sp sequenceProcessor) addedTokens() int {
	n := 0
	for _, p := range sp {
		n += p.addedTokens()
	}
	return n
}

func (sp sequenceProcessor) process(e *Encoding, text string, addSpecial bool) {
	for _, p := range sp {
		p.process(e, text, addSpecial)
	}
}

// byteLevelProcessor trims the offsets of byte-level tokens so that they do
// not cover the spaces the tokens start or end with.
type byteLevelProcessor struct {
	trimOffsets, addPrefixSpace bool
}

func (byteLevelProcessor) addedTokens() int { return 0 }

func (bp byteLevelProcessor) process(e *Encoding, text string, addSpecial bool) {
	if bp.trimOffsets {
		trimByteLevelOffsets(e, text, bp.addPrefixSpace)
	}
}

var byteLevelSpace = []rune(bytesChar[' '])[0]

func isBLSpace(r rune) bool { return r == byteLevelSpace || unicode.IsSpace(r) }

// trimByteLevelOffsets narrows each token's offsets by the spaces the token
// starts or ends with. Hugging Face counts those spaces in characters of the
// text (its bindings trim char offsets), so the offsets move by whole
// characters and stay on character boundaries.
func trimByteLevelOffsets(e *Encoding, text string, addPrefixSpace bool) {
	for i := range e.Overflowing {
		trimByteLevelOffsets(&e.Overflowing[i], text, addPrefixSpace)
	}
	for i, tok := range e.Tokens {
		lead, trail := 0, 0
		for _, r := range tok {
			if !isBLSpace(r) {
				break
			}
			lead++
		}
		for k := len(tok); k > 0; {
			r, sz := utf8.DecodeLastRuneInString(tok[:k])
			if !isBLSpace(r) {
				break
			}
			trail++
			k -= sz
		}
		if lead == 0 && trail == 0 {
			continue
		}
		o := &e.Offsets[i]
		if lead > 0 {
			if (i == 0 || o.Start == 0) && addPrefixSpace && lead == 1 {
				lead = 0
			}
			for ; lead > 0 && o.Start < o.End; lead-- {
				_, sz := utf8.DecodeRuneInString(text[o.Start:])
				o.Start = min(o.Start+sz, o.End)
			}
		}
		if trail > 0 && runesBefore(text, o.End, trail) >= trail {
			for ; trail > 0 && o.End > o.Start; trail-- {
				_, sz := utf8.DecodeLastRuneInString(text[:o.End])
				o.End = max(o.End-sz, o.Start)
			}
		}
	}
}

// robertaProcessor is RobertaProcessing: offsets trimmed as ByteLevel does,
// then <s> … </s>.
type robertaProcessor struct {
	bl       byteLevelProcessor
	template templateProcessor
}

func (rp *robertaProcessor) addedTokens() int { return 2 }

func (rp *robertaProcessor) process(e *Encoding, text string, addSpecial bool) {
	rp.bl.process(e, text, addSpecial)
	rp.template.process(e, text, addSpecial)
}

// runesBefore counts the characters before byte end, up to limit.
func runesBefore(text string, end, limit int) int {
	n := 0
	for end > 0 && n < limit {
		_, sz := utf8.DecodeLastRuneInString(text[:end])
		end -= sz
		n++
	}
	return n
}
