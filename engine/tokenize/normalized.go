package tokenize

import "unicode/utf8"

// nstr is a piece of normalized text. For every byte of s, align holds the
// byte range of the original text that produced it (always a whole original
// character, as in Hugging Face's NormalizedString). orig is the original
// range the piece was cut from. nstr values are immutable once built: every
// transformation writes a new one into the arena.
// aspan is an alignment: a byte range of the original text (32-bit to
// halve the memory of the per-byte alignment arrays).
type aspan struct{ start, end int32 }

type nstr struct {
	s     []byte
	align []aspan
	orig  Offset
}

func (n nstr) empty() bool { return len(n.s) == 0 }

// slice returns the normalized byte range [a, b) of n.
func (n nstr) slice(a, b int) nstr {
	if a >= b {
		return nstr{orig: Offset{n.orig.Start, n.orig.Start}}
	}
	return nstr{s: n.s[a:b:b], align: n.align[a:b:b], orig: Offset{int(n.align[a].start), int(n.align[b-1].end)}}
}

// span maps the normalized byte range [a, b) of n to the original text.
func (n nstr) span(a, b int) Offset {
	if a >= b {
		return Offset{n.orig.Start + a, n.orig.Start + b}
	}
	return Offset{int(n.align[a].start), int(n.align[b-1].end)}
}

// arena owns the bytes and alignments of the pieces built while encoding one
// text. Appending never mutates earlier content, so pieces stay valid when
// the backing arrays grow.
type arena struct {
	s     []byte
	align []aspan
}

func (a *arena) reset() {
	a.s = a.s[:0]
	a.align = a.align[:0]
}

// builder appends a new piece to the arena.
type builder struct {
	a     *arena
	start int
	orig  Offset
}

func (a *arena) begin(orig Offset) builder {
	return builder{a: a, start: len(a.s), orig: orig}
}

func (b *builder) addRune(r rune, al aspan) {
	before := len(b.a.s)
	b.a.s = appendRune(b.a.s, r)
	for i := before; i < len(b.a.s); i++ {
		b.a.align = append(b.a.align, al)
	}
}

// copyFrom appends the normalized bytes [i, j) of n with their alignments.
func (b *builder) copyFrom(n nstr, i, j int) {
	b.a.s = append(b.a.s, n.s[i:j]...)
	b.a.align = append(b.a.align, n.align[i:j]...)
}

func (b *builder) done() nstr {
	end := len(b.a.s)
	return nstr{s: b.a.s[b.start:end:end], align: b.a.align[b.start:end:end], orig: b.orig}
}

// root builds the piece for the whole original text. Invalid UTF-8 bytes
// read as U+FFFD, each aligned to its one original byte.
func (a *arena) root(text string) nstr {
	b := a.begin(Offset{0, len(text)})
	valid := utf8.ValidString(text)
	if valid {
		a.s = append(a.s, text...)
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if !valid {
				a.s = append(a.s, c)
			}
			a.align = append(a.align, aspan{int32(i), int32(i + 1)})
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && sz == 1 {
			a.s = append(a.s, "\uFFFD"...)
			one := aspan{int32(i), int32(i + 1)}
			a.align = append(a.align, one, one, one)
			i++
			continue
		}
		if !valid {
			a.s = append(a.s, text[i:i+sz]...)
		}
		for k := 0; k < sz; k++ {
			a.align = append(a.align, aspan{int32(i), int32(i + sz)})
		}
		i += sz
	}
	return b.done()
}

// change is one step of a Hugging Face transform: the character r either
// replaces the next original character (n == 0), is inserted (n == 1), or
// replaces the next character and removes the -n characters after it (n < 0).
type change struct {
	r rune
	n int
}

// transformRange rewrites the normalized bytes [start, end) of n as dest
// describes, after skipping initialRemoved characters, with Hugging Face's
// alignment rules: a replacing character keeps the alignment of the character
// it replaces, an inserted one copies the alignment of the byte before it.
func (a *arena) transformRange(n nstr, start, end int, dest []change, initialRemoved int) nstr {
	b := a.begin(n.orig)
	b.copyFrom(n, 0, start)
	offset := start
	for k := 0; k < initialRemoved && offset < end; k++ {
		_, sz := utf8.DecodeRune(n.s[offset:])
		offset += sz
	}
	for _, c := range dest {
		var al aspan
		if c.n > 0 {
			if offset < 1 {
				al = aspan{int32(n.orig.Start), int32(n.orig.Start)}
			} else {
				al = n.align[offset-1]
			}
		} else {
			if offset < len(n.align) {
				al = n.align[offset]
			} else if offset > 0 {
				al = n.align[offset-1]
			}
			_, sz := utf8.DecodeRune(n.s[offset:])
			offset += sz
			for k := 0; k < -c.n && offset < end; k++ {
				_, sz := utf8.DecodeRune(n.s[offset:])
				offset += sz
			}
		}
		b.addRune(c.r, al)
	}
	b.copyFrom(n, end, len(n.s))
	return b.done()
}

// match is one piece of a pattern search: a byte range and whether the
// pattern matched it.
type match struct {
	start, end int
	isMatch    bool
}

// behavior is what a split does with the delimiters it finds.
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

// charMatches finds the characters of s that satisfy pred, as Hugging
// Face's char patterns do: each matching character is its own match, runs of
// others are merged.
func charMatches(s []byte, pred func(rune) bool, out []match) []match {
	if len(s) == 0 {
		return append(out, match{0, 0, false})
	}
	last := 0
	for i := 0; i < len(s); {
		r, sz := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, sz = utf8.DecodeRune(s[i:])
		}
		if pred(r) {
			if last < i {
				out = append(out, match{last, i, false})
			}
			out = append(out, match{i, i + sz, true})
			last = i + sz
		}
		i += sz
	}
	if last < len(s) {
		out = append(out, match{last, len(s), false})
	}
	return out
}

// splitPieces turns pattern matches into the ranges to keep, as Hugging
// Face's NormalizedString::split does, and appends the resulting non-empty
// pieces of n to out.
func splitPieces(n nstr, ms []match, behavior behavior, out []nstr) []nstr {
	emit := func(a, b int) {
		if a < b {
			out = append(out, n.slice(a, b))
		}
	}
	switch behavior {
	case removed:
		for _, m := range ms {
			if !m.isMatch {
				emit(m.start, m.end)
			}
		}
	case isolated:
		for _, m := range ms {
			emit(m.start, m.end)
		}
	case contiguous, mergedWithPrevious, mergedWithNext:
		// walk forwards, growing the current piece while the next range
		// joins it: contiguous joins runs of the same kind,
		// mergedWithPrevious a match to the piece before it, and
		// mergedWithNext a match to the piece after it
		prev := false
		curA, curB, have := 0, 0, false
		for _, m := range ms {
			var join bool
			switch behavior {
			case contiguous:
				join = m.isMatch == prev
			case mergedWithPrevious:
				join = m.isMatch && !prev
			default:
				join = prev && !m.isMatch
			}
			if join && have {
				curB = m.end
			} else {
				if have {
					emit(curA, curB)
				}
				curA, curB, have = m.start, m.end, true
			}
			prev = m.isMatch
		}
		if have {
			emit(curA, curB)
		}
	}
	return out
}
