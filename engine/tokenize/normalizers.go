package tokenize

import (
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

func (bn *bertNormalizer) emit(b *builder, r rune, al Offset) {
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

// unicodeNormalizer applies NFC, NFD, NFKC or NFKD. Each normalization
// segment's output characters take the alignment of the input character at
// the same position (the last one when the output is longer), which is what
// Hugging Face's alignment-tracking normalization gives for compositions and
// decompositions.
type unicodeNormalizer struct{ form norm.Form }

func (un unicodeNormalizer) normalize(a *arena, n nstr) (nstr, error) {
	if un.form.IsNormal(n.s) {
		return n, nil
	}
	b := a.begin(n.orig)
	var it norm.Iter
	it.Init(un.form, n.s)
	var starts []int
	var seg []byte
	for !it.Done() {
		// a decomposition may come in several pieces before the input
		// position moves on: gather them into one segment
		from := it.Pos()
		seg = seg[:0]
		for {
			seg = append(seg, it.Next()...)
			if it.Pos() > from || it.Done() {
				break
			}
		}
		to := it.Pos()
		starts = starts[:0]
		for i := from; i < to; {
			starts = append(starts, i)
			_, sz := utf8.DecodeRune(n.s[i:])
			i += sz
		}
		// Output characters found unchanged in the input keep their own
		// alignment; others (compositions, decompositions) take the next
		// input character not consumed yet.
		p := 0
		for j := 0; j < len(seg); {
			r, sz := utf8.DecodeRune(seg[j:])
			j += sz
			idx := -1
			for k := p; k < len(starts); k++ {
				if c, _ := utf8.DecodeRune(n.s[starts[k]:]); c == r {
					idx = k
					break
				}
			}
			if idx < 0 {
				idx = min(p, len(starts)-1)
			}
			var al Offset
			if idx >= 0 {
				al = n.align[starts[idx]]
				p = idx + 1
			} else if from > 0 {
				al = n.align[from-1]
			}
			b.addRune(r, al)
		}
	}
	return b.done(), nil
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
		var al Offset
		if m.end < 1 {
			al = Offset{n.orig.Start, n.orig.Start}
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
