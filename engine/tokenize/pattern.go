package tokenize

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// pattern finds matches in text and returns them as Hugging Face's Pattern
// does: the matches and the gaps between them, in order, covering the whole
// text (one non-match (0, 0) for an empty text).
type pattern interface {
	find(s []byte, out []match) ([]match, error)
}

// literalPattern matches a fixed string.
type literalPattern string

func (p literalPattern) find(s []byte, out []match) ([]match, error) {
	if len(s) == 0 {
		return append(out, match{0, 0, false}), nil
	}
	if len(p) == 0 {
		return append(out, match{0, len(s), false}), nil
	}
	prev := 0
	for i := 0; i <= len(s)-len(p); {
		k := bytes.Index(s[i:], []byte(p))
		if k < 0 {
			break
		}
		st := i + k
		if prev != st {
			out = append(out, match{prev, st, false})
		}
		out = append(out, match{st, st + len(p), true})
		prev = st + len(p)
		i = prev
	}
	if prev != len(s) {
		out = append(out, match{prev, len(s), false})
	}
	return out, nil
}

// regexPattern matches an Oniguruma-style regular expression (lookaround
// included) with regexp2, whose syntax is close to Oniguruma's.
type regexPattern struct {
	src string
	re  *regexp2.Regexp
}

func newRegexPattern(src string) (*regexPattern, error) {
	re, err := regexp2.Compile(src, regexp2.Unicode)
	if err != nil {
		re, err = regexp2.Compile(src, regexp2.None)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: regex %q: %v", ErrUnsupported, src, err)
	}
	return &regexPattern{src: src, re: re}, nil
}

func (p *regexPattern) find(s []byte, out []match) ([]match, error) {
	if len(s) == 0 {
		return append(out, match{0, 0, false}), nil
	}
	str := string(s)
	// regexp2 reports rune indexes; map them to bytes.
	var runeByte []int
	ascii := true
	for _, c := range s {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		runeByte = make([]int, 0, len(s)+1)
		for i := range str {
			runeByte = append(runeByte, i)
		}
		runeByte = append(runeByte, len(s))
	}
	toByte := func(r int) int {
		if ascii {
			return r
		}
		return runeByte[r]
	}
	prev := 0
	m, err := p.re.FindStringMatch(str)
	for m != nil && err == nil {
		st, en := toByte(m.Index), toByte(m.Index+m.Length)
		if prev != st {
			out = append(out, match{prev, st, false})
		}
		out = append(out, match{st, en, true})
		prev = en
		m, err = p.re.FindNextMatch(m)
	}
	if err != nil {
		return out, fmt.Errorf("regex %q: %w", p.src, err)
	}
	if prev != len(s) {
		out = append(out, match{prev, len(s), false})
	}
	return out, nil
}

// invertPattern flips which pieces count as matches.
type invertPattern struct{ p pattern }

func (ip invertPattern) find(s []byte, out []match) ([]match, error) {
	start := len(out)
	out, err := ip.p.find(s, out)
	for i := start; i < len(out); i++ {
		out[i].isMatch = !out[i].isMatch
	}
	return out, err
}
