package tokenize

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder turns tokens back into text.
type decoder interface {
	decode(tokens []string) []string
}

type decoderSeq []decoder

func (s decoderSeq) decode(tokens []string) []string {
	for _, d := range s {
		tokens = d.decode(tokens)
	}
	return tokens
}

type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

func (d wordPieceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		if i != 0 {
			if strings.HasPrefix(t, d.prefix) {
				t = t[len(d.prefix):]
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = cleanupDecoded(t)
		}
		out[i] = t
	}
	return out
}

var cleanupReplacer = strings.NewReplacer(" .", ".", " ?", "?", " !", "!", " ,", ",", " ' ", "'",
	" n't", "n't", " 'm", "'m", " do not", " don't", " 's", "'s", " 've", "'ve", " 're", "'re")

func cleanupDecoded(s string) string { return cleanupReplacer.Replace(s) }

type byteLevelDecoder struct{}

func (byteLevelDecoder) decode(tokens []string) []string {
	var b []byte
	for _, t := range tokens {
		for _, r := range t {
			if c, ok := charBytes[r]; ok {
				b = append(b, c)
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return []string{strings.ToValidUTF8(string(b), "\uFFFD")}
}

type metaspaceDecoder struct {
	replacement string
	prepend     bool
}

func (d metaspaceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		t = strings.ReplaceAll(t, d.replacement, " ")
		if i == 0 && d.prepend {
			t = strings.TrimPrefix(t, " ")
		}
		out[i] = t
	}
	return out
}

// replaceDecoder replaces a pattern in every token.
type replaceDecoder struct {
	pat     pattern
	content string
}

func (d replaceDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		ms, err := d.pat.find([]byte(t), nil)
		if err != nil {
			out[i] = t
			continue
		}
		var b strings.Builder
		for _, m := range ms {
			if m.isMatch {
				b.WriteString(d.content)
			} else {
				b.WriteString(t[m.start:m.end])
			}
		}
		out[i] = b.String()
	}
	return out
}

// byteFallbackDecoder turns runs of <0xNN> tokens back into text.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decode(tokens []string) []string {
	var out []string
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
			if b, err := strconv.ParseUint(t[3:5], 16, 8); err == nil {
				pending = append(pending, byte(b))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

type fuseDecoder struct{}

func (fuseDecoder) decode(tokens []string) []string { return []string{strings.Join(tokens, "")} }

// stripDecoder removes up to start leading and stop trailing content
// characters from every token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rs := []rune(t)
		a, b := 0, len(rs)
		for k := 0; k < d.start && a < b && rs[a] == d.content; k++ {
			a++
		}
		for k := 0; k < d.stop && b > a && rs[b-1] == d.content; k++ {
			b--
		}
		out[i] = string(rs[a:b])
	}
	return out
}

// bpeDecoder turns the end-of-word suffix into spaces.
type bpeDecoder struct{ suffix string }

func (d bpeDecoder) decode(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rep := " "
		if i == len(tokens)-1 {
			rep = ""
		}
		out[i] = strings.ReplaceAll(t, d.suffix, rep)
	}
	return out
}

type joinDecoder struct{}

func (joinDecoder) decode(tokens []string) []string { return []string{strings.Join(tokens, " ")} }

// parseDecoder reads the decoder; decoders it does not know fall back to
// joining tokens with spaces (decoding is a convenience, not part of parity).
func parseDecoder(raw json.RawMessage) decoder {
	if isNull(raw) {
		return joinDecoder{}
	}
	var c struct {
		Type          string            `json:"type"`
		Prefix        *string           `json:"prefix"`
		Cleanup       *bool             `json:"cleanup"`
		Replacement   string            `json:"replacement"`
		PrependScheme string            `json:"prepend_scheme"`
		Decoders      []json.RawMessage `json:"decoders"`
		Pattern       patternJSON       `json:"pattern"`
		Content       string            `json:"content"`
		Start         int               `json:"start"`
		Stop          int               `json:"stop"`
		Suffix        *string           `json:"suffix"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return joinDecoder{}
	}
	switch c.Type {
	case "WordPiece":
		d := wordPieceDecoder{prefix: "##", cleanup: true}
		if c.Prefix != nil {
			d.prefix = *c.Prefix
		}
		if c.Cleanup != nil {
			d.cleanup = *c.Cleanup
		}
		return d
	case "ByteLevel":
		return byteLevelDecoder{}
	case "Metaspace":
		return metaspaceDecoder{replacement: c.Replacement, prepend: c.PrependScheme != "never"}
	case "Replace":
		p, err := parsePattern(c.Pattern)
		if err != nil {
			return joinDecoder{}
		}
		return replaceDecoder{pat: p, content: c.Content}
	case "ByteFallback":
		return byteFallbackDecoder{}
	case "Fuse":
		return fuseDecoder{}
	case "Strip":
		rs := []rune(c.Content)
		if len(rs) != 1 {
			return joinDecoder{}
		}
		return stripDecoder{content: rs[0], start: c.Start, stop: c.Stop}
	case "BPEDecoder":
		d := bpeDecoder{suffix: "</w>"}
		if c.Suffix != nil {
			d.suffix = *c.Suffix
		}
		return d
	case "Sequence":
		var s decoderSeq
		for _, r := range c.Decoders {
			s = append(s, parseDecoder(r))
		}
		return s
	}
	return joinDecoder{}
}
