package tokenize

import "fmt"

// Encoding is the result of tokenizing one text, as Hugging Face's Encoding.
// Offsets are byte offsets into the original text (see CodePointOffsets).
type Encoding struct {
	IDs               []int64
	TypeIDs           []int64
	AttentionMask     []int64
	SpecialTokensMask []int8
	Tokens            []string
	Offsets           []Offset
	// WordIDs holds each token's word index; -1 for special and padding tokens.
	WordIDs []int
	// Overflowing holds the windows cut off by truncation (with stride).
	Overflowing []Encoding
}

// Len is the number of tokens.
func (e *Encoding) Len() int { return len(e.IDs) }

func (e *Encoding) grow(n int) {
	if cap(e.IDs)-len(e.IDs) >= n && cap(e.Tokens)-len(e.Tokens) >= n &&
		cap(e.TypeIDs)-len(e.TypeIDs) >= n && cap(e.AttentionMask)-len(e.AttentionMask) >= n {
		return
	}
	e.realloc(len(e.IDs) + n + len(e.IDs)/2)
}

// realloc moves e into new arrays of capacity c (at least its length); the
// three int64 arrays share one allocation.
func (e *Encoding) realloc(c int) {
	c = max(c, len(e.IDs))
	n := len(e.IDs)
	ints := make([]int64, 3*c)
	ids, tys, am := ints[0:n:c], ints[c:c+n:2*c], ints[2*c:2*c+n:3*c]
	copy(ids, e.IDs)
	copy(tys, e.TypeIDs)
	copy(am, e.AttentionMask)
	e.IDs, e.TypeIDs, e.AttentionMask = ids, tys, am
	e.SpecialTokensMask = append(make([]int8, 0, c), e.SpecialTokensMask...)
	e.Tokens = append(make([]string, 0, c), e.Tokens...)
	e.Offsets = append(make([]Offset, 0, c), e.Offsets...)
	e.WordIDs = append(make([]int, 0, c), e.WordIDs...)
}

func (e *Encoding) push(id int64, typeID int64, tok string, off Offset, word int, special bool) {
	e.IDs = append(e.IDs, id)
	e.TypeIDs = append(e.TypeIDs, typeID)
	e.AttentionMask = append(e.AttentionMask, 1)
	var sp int8
	if special {
		sp = 1
	}
	e.SpecialTokensMask = append(e.SpecialTokensMask, sp)
	e.Tokens = append(e.Tokens, tok)
	e.Offsets = append(e.Offsets, off)
	e.WordIDs = append(e.WordIDs, word)
}

// window copies tokens [a, b).
func (e *Encoding) window(a, b int) Encoding {
	return Encoding{
		IDs:               append([]int64(nil), e.IDs[a:b]...),
		TypeIDs:           append([]int64(nil), e.TypeIDs[a:b]...),
		AttentionMask:     append([]int64(nil), e.AttentionMask[a:b]...),
		SpecialTokensMask: append([]int8(nil), e.SpecialTokensMask[a:b]...),
		Tokens:            append([]string(nil), e.Tokens[a:b]...),
		Offsets:           append([]Offset(nil), e.Offsets[a:b]...),
		WordIDs:           append([]int(nil), e.WordIDs[a:b]...),
	}
}

// truncate keeps maxLen tokens and moves the rest into Overflowing windows
// that overlap by stride tokens, as Hugging Face's Encoding::truncate.
func (e *Encoding) truncate(maxLen, stride int, dir string) error {
	n := len(e.IDs)
	if maxLen >= n {
		return nil
	}
	if maxLen == 0 {
		o := *e
		*e = Encoding{Overflowing: []Encoding{o}}
		return nil
	}
	if stride >= maxLen {
		return fmt.Errorf("%w: truncation stride %d must be less than max length %d (special tokens excluded)", ErrInvalid, stride, maxLen)
	}
	step := maxLen - stride
	var parts [][2]int
	if dir == "left" {
		end := false
		for stop := n - 1; stop >= 0; stop -= step {
			st := stop + 1 - maxLen
			if st < 0 {
				st = 0
			}
			if st < stop+1 && !end {
				end = st == 0
				parts = append(parts, [2]int{st, stop + 1})
			}
		}
	} else {
		end := false
		for st := 0; st < n; st += step {
			if end {
				break
			}
			stop := min(st+maxLen, n)
			end = stop == n
			parts = append(parts, [2]int{st, stop})
		}
	}
	ne := e.window(parts[0][0], parts[0][1])
	for _, p := range parts[1:] {
		ne.Overflowing = append(ne.Overflowing, e.window(p[0], p[1]))
	}
	*e = ne
	return nil
}

// pad pads e (and its overflowing windows) to length tokens.
func (e *Encoding) pad(length int, p *Padding) {
	for i := range e.Overflowing {
		e.Overflowing[i].pad(length, p)
	}
	n := len(e.IDs)
	if n >= length {
		return
	}
	k := length - n
	if p.Direction == "left" {
		ids := make([]int64, 0, length)
		tys := make([]int64, 0, length)
		am := make([]int64, 0, length)
		sp := make([]int8, 0, length)
		tk := make([]string, 0, length)
		of := make([]Offset, 0, length)
		wd := make([]int, 0, length)
		for i := 0; i < k; i++ {
			ids = append(ids, p.PadID)
			tys = append(tys, p.PadTypeID)
			am = append(am, 0)
			sp = append(sp, 1)
			tk = append(tk, p.PadToken)
			of = append(of, Offset{})
			wd = append(wd, -1)
		}
		e.IDs = append(ids, e.IDs...)
		e.TypeIDs = append(tys, e.TypeIDs...)
		e.AttentionMask = append(am, e.AttentionMask...)
		e.SpecialTokensMask = append(sp, e.SpecialTokensMask...)
		e.Tokens = append(tk, e.Tokens...)
		e.Offsets = append(of, e.Offsets...)
		e.WordIDs = append(wd, e.WordIDs...)
		return
	}
	e.grow(k)
	for i := 0; i < k; i++ {
		e.IDs = append(e.IDs, p.PadID)
		e.TypeIDs = append(e.TypeIDs, p.PadTypeID)
		e.AttentionMask = append(e.AttentionMask, 0)
		e.SpecialTokensMask = append(e.SpecialTokensMask, 1)
		e.Tokens = append(e.Tokens, p.PadToken)
		e.Offsets = append(e.Offsets, Offset{})
		e.WordIDs = append(e.WordIDs, -1)
	}
}

// Truncation configures how long inputs are cut.
type Truncation struct {
	MaxLength int
	Stride    int
	// Strategy is "longest_first" (default), "only_first" or "only_second".
	Strategy string
	// Direction is "right" (default) or "left".
	Direction string
}

// Padding configures padding. Fixed > 0 pads to that length; otherwise to
// the longest encoding of the batch (BatchLongest).
type Padding struct {
	Disabled        bool // an explicit "no padding" override
	Fixed           int
	PadToMultipleOf int
	PadID           int64
	PadTypeID       int64
	PadToken        string
	Direction       string // "right" (default) or "left"
}

// padLength is the length padAll pads encs to.
func padLength(encs []Encoding, p *Padding) int {
	length := p.Fixed
	if length <= 0 {
		for i := range encs {
			length = max(length, len(encs[i].IDs))
		}
	}
	if m := p.PadToMultipleOf; m > 0 && length%m > 0 {
		length += m - length%m
	}
	return length
}

// padAll pads encs as Hugging Face's pad_encodings.
func padAll(encs []Encoding, p *Padding) {
	if len(encs) == 0 || p == nil || p.Disabled {
		return
	}
	length := padLength(encs, p)
	for i := range encs {
		encs[i].pad(length, p)
	}
}
