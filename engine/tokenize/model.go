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

// vocabulary maps tokens to ids and back.
type vocabulary struct {
	ids    map[string]int
	tokens []string // by id; "" where no token has the id
	maxLen int      // longest token in bytes
}

func newVocabulary(m map[string]int) *vocabulary {
	v := &vocabulary{ids: m}
	maxID := -1
	for t, id := range m {
		if id > maxID {
			maxID = id
		}
		if len(t) > v.maxLen {
			v.maxLen = len(t)
		}
	}
	v.tokens = make([]string, maxID+1)
	for t, id := range m {
		if id >= 0 {
			v.tokens[id] = t
		}
	}
	return v
}

func (v *vocabulary) token(id int) (string, bool) {
	if id < 0 || id >= len(v.tokens) {
		return "", false
	}
	t := v.tokens[id]
	if t == "" {
		_, ok := v.ids[""]
		return "", ok && v.ids[""] == id
	}
	return t, true
}

// size is the number of tokens in the vocabulary.
func (v *vocabulary) size() int { return len(v.ids) }

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
				id, ok = wp.v.ids[string(w[start:end])]
			} else {
				buf = append(buf[:plen], w[start:end]...)
				id, ok = wp.v.ids[string(buf)]
			}
			if ok {
				out = append(out, mtok{id: id, value: wp.v.tokens[id], start: start, end: end})
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
	if id, ok := wl.v.ids[string(w)]; ok {
		return append(out, mtok{id: id, value: wl.v.tokens[id], start: 0, end: len(w)}), nil
	}
	if wl.unkID < 0 {
		return out, errUnkMissing(wl.unk)
	}
	return append(out, mtok{id: wl.unkID, value: wl.unk, start: 0, end: len(w)}), nil
}
