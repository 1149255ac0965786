package tokenize

import (
	"sort"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a piece of text, keeping the alignment to the original.
type normalizer interface {
	normalize(a *arena, n nstr) (nstr, error)
}

type normalizerSeq []normalizer

func (s normalizerSeq) normalize(a *arena, n nstr) (nstr, error) {
	for _, x := range s {
		var err error
		if n, err = x.normalize(a, n); err != nil {
			return n, err
		}
	}
	return n, nil
}

// bertNormalizer is Hugging Face's BertNormalizer, applied in one pass.
type bertNormalizer struct {
	cleanText, chinese, stripAccents, lowercase bool
}

func (bn *bertNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	b := a.begin(n.orig)
	var dec []byte
	s := n.s
	for i := 0; i < len(s); {
		r, sz := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, sz = utf8.DecodeRune(s[i:])
		}
		al := n.align[i]
		i += sz
		if r < utf8.RuneSelf { // ASCII fast path
			if bn.cleanText {
				if isBertRemoved(r) {
					continue
				}
				if r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
					r = ' '
				}
			}
			if bn.lowercase && r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			a.s = append(a.s, byte(r))
			a.align = append(a.align, al)
			continue
		}
		if bn.cleanText {
			if r == 0xFFFD || isBertRemoved(r) {
				continue
			}
			if isWhitespace(r) {
				r = ' '
			}
		}
		if bn.chinese && isChineseChar(r) {
			b.addRune(' ', al)
			b.addRune(r, al)
			b.addRune(' ', al)
			continue
		}
		if bn.stripAccents && r >= 0xC0 {
			dec = norm.NFD.AppendString(dec[:0], string(r))
			for k := 0; k < len(dec); {
				d, dsz := utf8.DecodeRune(dec[k:])
				k += dsz
				if isMn(d) {
					continue
				}
				bn.emit(&b, d, al)
			}
			continue
		}
		if bn.stripAccents && isMn(r) {
			continue
		}
		bn.emit(&b, r, al)
	}
	return b.done(), nil
}

func (bn *bertNormalizer) emit(b *builder, r rune, al aspan) {
	if !bn.lowercase {
		b.addRune(r, al)
		return
	}
	before := len(b.a.s)
	b.a.s = appendLower(b.a.s, r)
	for i := before; i < len(b.a.s); i++ {
		b.a.align = append(b.a.align, al)
	}
}

type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	b := a.begin(n.orig)
	for i := 0; i < len(n.s); {
		r, sz := utf8.DecodeRune(n.s[i:])
		al := n.align[i]
		i += sz
		before := len(a.s)
		a.s = appendLower(a.s, r)
		for k := before; k < len(a.s); k++ {
			a.align = append(a.align, al)
		}
	}
	return b.done(), nil
}

type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	b := a.begin(n.orig)
	for i := 0; i < len(n.s); {
		r, sz := utf8.DecodeRune(n.s[i:])
		if !isCombiningMark(r) {
			b.copyFrom(n, i, i+sz)
		}
		i += sz
	}
	return b.done(), nil
}

// unicodeNormalizer applies NFC, NFD, NFKC or NFKD and tracks alignments
// as Hugging Face's alignment-aware normalization does: every character is
// decomposed on its own (the first resulting character replaces it, the
// others count as inserted), combining marks are put in canonical order,
// and for NFC/NFKC composed characters absorb the ones they merge with.
type unicodeNormalizer struct{ form norm.Form }

type charChange struct {
	r  rune
	ch int
}

func (un unicodeNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	if un.form.IsNormal(n.s) {
		return n, nil
	}
	dec := norm.NFD
	if un.form == norm.NFKC || un.form == norm.NFKD {
		dec = norm.NFKD
	}
	seq := make([]charChange, 0, len(n.s))
	var buf []byte
	for i := 0; i < len(n.s); {
		r, sz := utf8.DecodeRune(n.s[i:])
		i += sz
		if r < utf8.RuneSelf {
			seq = append(seq, charChange{r, 0})
			continue
		}
		buf = dec.AppendString(buf[:0], string(r))
		first := true
		for k := 0; k < len(buf); {
			d, dsz := utf8.DecodeRune(buf[k:])
			k += dsz
			c := charChange{d, 1}
			if first {
				c.ch, first = 0, false
			}
			seq = append(seq, c)
		}
	}
	// canonical ordering: stable sort of each run of non-starters by class
	for i := 0; i < len(seq); {
		if ccc(seq[i].r) == 0 {
			i++
			continue
		}
		j := i
		for j < len(seq) && ccc(seq[j].r) != 0 {
			j++
		}
		run := seq[i:j]
		sort.SliceStable(run, func(x, y int) bool { return ccc(run[x].r) < ccc(run[y].r) })
		i = j
	}
	if un.form == norm.NFC || un.form == norm.NFKC {
		seq = composeSeq(seq)
	}
	changes := make([]change, len(seq))
	for i, c := range seq {
		changes[i] = change{c.r, c.ch}
	}
	return a.transformRange(n, 0, len(n.s), changes, 0), nil
}

func ccc(r rune) uint8 {
	if r < 0x300 {
		return 0
	}
	return norm.NFD.PropertiesString(string(r)).CCC()
}

// composeSeq applies canonical composition to a decomposed, ordered
// sequence; a composed character's change absorbs the merged one's.
func composeSeq(seq []charChange) []charChange {
	out := seq[:0]
	starter := -1
	lastCC := uint8(0)
	for _, c := range seq {
		cc := ccc(c.r)
		if starter >= 0 {
			adjacent := len(out)-1 == starter
			if adjacent || (lastCC != 0 && lastCC < cc) {
				if p, ok := composePair(out[starter].r, c.r); ok {
					out[starter].r = p
					out[starter].ch += c.ch - 1
					continue
				}
			}
		}
		if cc == 0 {
			starter = len(out)
		}
		out = append(out, c)
		lastCC = cc
	}
	return out
}

// composePair returns the primary composite of a and b, if any.
func composePair(a, b rune) (rune, bool) {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		return 0, false
	}
	var in, out [16]byte
	src := utf8.AppendRune(utf8.AppendRune(in[:0], a), b)
	s := norm.NFC.Append(out[:0], src...)
	r, sz := utf8.DecodeRune(s)
	if sz == len(s) && r != a {
		return r, true
	}
	return 0, false
}

// replaceNormalizer replaces every match of a pattern with content.
type replaceNormalizer struct {
	pat     pattern
	content string
}

func (rn *replaceNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	ms, err := rn.pat.find(n.s, nil)
	if err != nil {
		return n, err
	}
	b := a.begin(n.orig)
	for _, m := range ms {
		if !m.isMatch {
			b.copyFrom(n, m.start, m.end)
			continue
		}
		var al aspan
		if m.end < 1 {
			al = aspan{int32(n.orig.Start), int32(n.orig.Start)}
		} else {
			al = n.align[m.end-1]
		}
		for _, r := range rn.content {
			b.addRune(r, al)
		}
	}
	return b.done(), nil
}

type prependNormalizer struct{ prefix string }

func (pn prependNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	if len(n.s) == 0 {
		return n, nil
	}
	b := a.begin(n.orig)
	for _, r := range pn.prefix {
		b.addRune(r, n.align[0])
	}
	b.copyFrom(n, 0, len(n.s))
	return b.done(), nil
}

type stripNormalizer struct{ left, right bool }

func (sn stripNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	i, j := 0, len(n.s)
	if sn.left {
		for i < j {
			r, sz := utf8.DecodeRune(n.s[i:])
			if !isWhitespace(r) {
				break
			}
			i += sz
		}
	}
	if sn.right {
		for j > i {
			r, sz := utf8.DecodeLastRune(n.s[i:j])
			if !isWhitespace(r) {
				break
			}
			j -= sz
		}
	}
	return nstr{s: n.s[i:j:j], align: n.align[i:j:j], orig: n.orig}, nil
}

// nmtNormalizer is Hugging Face's Nmt normalizer: it drops control
// characters and turns other invisible or separator characters into spaces.
type nmtNormalizer struct{}

func (nmtNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	b := a.begin(n.orig)
	for i := 0; i < len(n.s); {
		r, sz := utf8.DecodeRune(n.s[i:])
		al := n.align[i]
		i += sz
		switch {
		case (r >= 0x1 && r <= 0x8) || r == 0xB || (r >= 0xE && r <= 0x1F) || r == 0x7F || r == 0x8F || r == 0x9F:
			continue
		case r == 0x9 || r == 0xA || r == 0xC || r == 0xD || r == 0x1680 || (r >= 0x200B && r <= 0x200F) ||
			r == 0x2028 || r == 0x2029 || r == 0x2581 || r == 0xFEFF || r == 0xFFFD:
			b.addRune(' ', al)
		default:
			b.copyFrom(n, i-sz, i)
		}
	}
	return b.done(), nil
}
