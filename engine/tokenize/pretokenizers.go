package tokenize

import (
	"unicode/utf8"
)

// preTokenizer cuts a normalized piece into words, appending the non-empty
// ones to out. It may also rewrite them (ByteLevel, Metaspace).
type preTokenizer interface {
	preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error)
}

type preTokenizerSeq []preTokenizer

func (seq preTokenizerSeq) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	cur := []nstr{n}
	for _, p := range seq {
		var next []nstr
		for _, c := range cur {
			var err error
			if next, err = p.preTokenize(sc, c, next); err != nil {
				return out, err
			}
		}
		cur = next
	}
	return append(out, cur...), nil
}

// bertPreTokenizer splits on whitespace (removed) and punctuation (isolated).
type bertPreTokenizer struct{}

func (bertPreTokenizer) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	s := n.s
	start := -1
	for i := 0; i < len(s); {
		r, sz := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, sz = utf8.DecodeRune(s[i:])
		}
		if isWhitespace(r) {
			if start >= 0 {
				out = append(out, n.slice(start, i))
				start = -1
			}
		} else if isBertPunct(r) {
			if start >= 0 {
				out = append(out, n.slice(start, i))
				start = -1
			}
			out = append(out, n.slice(i, i+sz))
		} else if start < 0 {
			start = i
		}
		i += sz
	}
	if start >= 0 {
		out = append(out, n.slice(start, len(s)))
	}
	return out, nil
}

// whitespacePreTokenizer keeps the matches of \w+|[^\w\s]+.
type whitespacePreTokenizer struct{}

func (whitespacePreTokenizer) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	s := n.s
	start, cls := -1, 0
	for i := 0; i < len(s); {
		r, sz := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, sz = utf8.DecodeRune(s[i:])
		}
		c := 2
		if isWhitespace(r) {
			c = 0
		} else if isWordChar(r) {
			c = 1
		}
		if c != cls || c == 0 {
			if start >= 0 {
				out = append(out, n.slice(start, i))
				start = -1
			}
			if c != 0 {
				start = i
			}
			cls = c
		}
		i += sz
	}
	if start >= 0 {
		out = append(out, n.slice(start, len(s)))
	}
	return out, nil
}

// charSplitPreTokenizer splits on the characters pred accepts.
type charSplitPreTokenizer struct {
	pred     func(rune) bool
	behavior behavior
}

func (cs charSplitPreTokenizer) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	sc.ms = charMatches(n.s, cs.pred, sc.ms[:0])
	return splitPieces(n, sc.ms, cs.behavior, out), nil
}

// splitPreTokenizer is Hugging Face's Split.
type splitPreTokenizer struct {
	pat      pattern
	behavior behavior
}

func (sp splitPreTokenizer) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	var err error
	sc.ms, err = sp.pat.find(n.s, sc.ms[:0])
	if err != nil {
		return out, err
	}
	return splitPieces(n, sc.ms, sp.behavior, out), nil
}

// metaspacePreTokenizer replaces spaces with a marker (▁ by default),
// prepends one as the scheme says, and splits before each marker.
type metaspacePreTokenizer struct {
	replacement rune
	scheme      string // always, first, never
	split       bool
}

func (mp metaspacePreTokenizer) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	a := &sc.arena
	b := a.begin(n.orig)
	prepend := false
	if len(n.s) > 0 {
		first, _ := utf8.DecodeRune(n.s)
		switch mp.scheme {
		case "always":
			prepend = first != mp.replacement && first != ' '
		case "first":
			prepend = first != mp.replacement && first != ' ' && n.orig.Start == 0
		}
		if prepend {
			b.addRune(mp.replacement, n.align[0])
		}
	}
	for i := 0; i < len(n.s); {
		r, sz := utf8.DecodeRune(n.s[i:])
		if r == ' ' {
			b.addRune(mp.replacement, n.align[i])
		} else {
			b.copyFrom(n, i, i+sz)
		}
		i += sz
	}
	m := b.done()
	if !mp.split {
		if !m.empty() {
			out = append(out, m)
		}
		return out, nil
	}
	rep := mp.replacement
	sc.ms = charMatches(m.s, func(r rune) bool { return r == rep }, sc.ms[:0])
	return splitPieces(m, sc.ms, mergedWithNext, out), nil
}

// byteLevelPreTokenizer is GPT-2's: optional prefix space, the GPT-2 split
// regex, then every byte mapped to a printable character.
type byteLevelPreTokenizer struct {
	addPrefixSpace bool
	useRegex       bool
}

func (bl byteLevelPreTokenizer) preTokenize(sc *scratch, n nstr, out []nstr) ([]nstr, error) {
	a := &sc.arena
	if bl.addPrefixSpace && len(n.s) > 0 && n.s[0] != ' ' {
		b := a.begin(n.orig)
		b.addRune(' ', n.align[0])
		b.copyFrom(n, 0, len(n.s))
		n = b.done()
	}
	var pieces []nstr
	if bl.useRegex {
		sc.ms = gpt2Split(n.s, sc.ms[:0])
		pieces = splitPieces(n, sc.ms, isolated, nil)
	} else if !n.empty() {
		pieces = []nstr{n}
	}
	for _, p := range pieces {
		out = append(out, byteLevelMap(a, p))
	}
	return out, nil
}

// byteLevelMap maps each byte of p to its GPT-2 printable character.
func byteLevelMap(a *arena, p nstr) nstr {
	b := a.begin(p.orig)
	for i, c := range p.s {
		b.a.s = append(b.a.s, bytesChar[c]...)
		for k := 0; k < len(bytesChar[c]); k++ {
			b.a.align = append(b.a.align, p.align[i])
		}
	}
	return b.done()
}
