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

// templatePiece is one element of a TemplateProcessing template.
type templatePiece struct {
	special string // special token name, "" for the sequence
	typeID  int64
}

type templateProcessor struct {
	single  []templatePiece
	special map[string]specialSeq
}

func (tp *templateProcessor) addedTokens() int {
	n := 0
	for _, p := range tp.single {
		if p.special != "" {
			n += len(tp.special[p.special].ids)
		}
	}
	return n
}

func (tp *templateProcessor) process(e *Encoding, addSpecial bool) {
	for i := range e.Overflowing {
		tp.process(&e.Overflowing[i], addSpecial)
	}
	n := 0
	if addSpecial {
		n = tp.addedTokens()
	}
	out := Encoding{Overflowing: e.Overflowing}
	out.grow(len(e.IDs) + n)
	for _, p := range tp.single {
		if p.special == "" {
			for i := range e.IDs {
				out.push(e.IDs[i], p.typeID, e.Tokens[i], e.Offsets[i], e.WordIDs[i], e.SpecialTokensMask[i] != 0)
				out.AttentionMask[len(out.AttentionMask)-1] = e.AttentionMask[i]
			}
			continue
		}
		if !addSpecial {
			continue
		}
		sp := tp.special[p.special]
		for k, id := range sp.ids {
			out.push(id, p.typeID, sp.tokens[k], Offset{}, -1, true)
		}
	}
	*e = out
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
