package tokenize

import "unicode/utf8"

// mtok is a token produced by a model: its id, its string and its byte
// range in the word it came from.
type mtok struct {
	id         int
	value      string
	start, end int
}

// model turns one pre-tokenized word into tokens.
type model interface {
	tokenize(sc *scratch, word []byte, out []mtok) ([]mtok, error)
	vocab() *vocabulary
}

// wordPiece is BERT's greedy longest-match-first subword model.
type wordPiece struct {
	v        *vocabulary
	unk      string
	unkID    int
	prefix   string
	maxChars int
}

func (wp *wordPiece) vocab() *vocabulary { return wp.v }

func (wp *wordPiece) unkToken(n int) mtok {
	return mtok{id: wp.unkID, value: wp.unk, start: 0, end: n}
}

func (wp *wordPiece) tokenize(sc *scratch, w []byte, out []mtok) ([]mtok, error) {
	chars := len(w)
	if chars > wp.maxChars {
		chars = utf8.RuneCount(w)
	}
	if chars > wp.maxChars {
		if wp.unkID < 0 {
			return out, errUnkMissing(wp.unk)
		}
		return append(out, wp.unkToken(len(w))), nil
	}
	base := len(out)
	buf := append(sc.wp[:0], wp.prefix...)
	plen := len(wp.prefix)
	start := 0
	for start < len(w) {
		end := len(w)
		lim := wp.v.maxLen
		if start > 0 {
			lim -= plen
		}
		if end-start > lim {
			end = start + lim
			for end > start && !utf8.RuneStart(w[end]) {
				end--
			}
		}
		found := false
		for start < end {
			var id int
			var ok bool
			if start == 0 {
				id, ok = wp.v.lookup(w[start:end])
			} else {
				buf = append(buf[:plen], w[start:end]...)
				id, ok = wp.v.lookup(buf)
			}
			if ok {
				out = append(out, mtok{id: id, value: wp.v.tok(id), start: start, end: end})
				found = true
				break
			}
			_, sz := utf8.DecodeLastRune(w[start:end])
			end -= sz
		}
		if !found {
			sc.wp = buf
			if wp.unkID < 0 {
				return out, errUnkMissing(wp.unk)
			}
			return append(out[:base], wp.unkToken(len(w))), nil
		}
		start = end
	}
	sc.wp = buf
	return out, nil
}

// wordLevel maps whole words to ids.
type wordLevel struct {
	v     *vocabulary
	unk   string
	unkID int
}

func (wl *wordLevel) vocab() *vocabulary { return wl.v }

func (wl *wordLevel) tokenize(sc *scratch, w []byte, out []mtok) ([]mtok, error) {
	if id, ok := wl.v.lookup(w); ok {
		return append(out, mtok{id: id, value: wl.v.tok(id), start: 0, end: len(w)}), nil
	}
	if wl.unkID < 0 {
		return out, errUnkMissing(wl.unk)
	}
	return append(out, mtok{id: wl.unkID, value: wl.unk, start: 0, end: len(w)}), nil
}
