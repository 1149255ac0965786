package tokenize

import "unicode"

// postProcessor adds special tokens (and may adjust offsets) after
// truncation, as Hugging Face's PostProcessor for a single sequence.
type postProcessor interface {
	addedTokens() int
	process(e *Encoding, addSpecial bool)
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

func (tp *templateProcessor) process(e *Encoding, addSpecial bool) {
	for i := range e.Overflowing {
		tp.process(&e.Overflowing[i], addSpecial)
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

func (sp sequenceProcessor) process(e *Encoding, addSpecial bool) {
	for _, p := range sp {
		p.process(e, addSpecial)
	}
}

// byteLevelProcessor trims the offsets of byte-level tokens so that they do
// not cover the spaces the tokens start or end with.
type byteLevelProcessor struct {
	trimOffsets, addPrefixSpace bool
}

func (byteLevelProcessor) addedTokens() int { return 0 }

func (bp byteLevelProcessor) process(e *Encoding, addSpecial bool) {
	if bp.trimOffsets {
		trimByteLevelOffsets(e, bp.addPrefixSpace)
	}
}

var byteLevelSpace = []rune(bytesChar[' '])[0]

func isBLSpace(r rune) bool { return r == byteLevelSpace || unicode.IsSpace(r) }

func trimByteLevelOffsets(e *Encoding, addPrefixSpace bool) {
	for i := range e.Overflowing {
		trimByteLevelOffsets(&e.Overflowing[i], addPrefixSpace)
	}
	for i, tok := range e.Tokens {
		rs := []rune(tok)
		lead := 0
		for lead < len(rs) && isBLSpace(rs[lead]) {
			lead++
		}
		trail := 0
		for trail < len(rs) && isBLSpace(rs[len(rs)-1-trail]) {
			trail++
		}
		o := &e.Offsets[i]
		if lead > 0 || trail > 0 {
			if lead > 0 {
				isFirst := i == 0 || o.Start == 0
				if isFirst && addPrefixSpace && lead == 1 {
					lead = 0
				}
				o.Start = min(o.Start+lead, o.End)
			}
			if trail > 0 && o.End >= trail {
				o.End = max(o.End-trail, o.Start)
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

func (rp *robertaProcessor) process(e *Encoding, addSpecial bool) {
	rp.bl.process(e, addSpecial)
	rp.template.process(e, addSpecial)
}
