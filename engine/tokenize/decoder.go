package tokenize

import (
	"encoding/json"
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
	case "Sequence":
		var s decoderSeq
		for _, r := range c.Decoders {
			s = append(s, parseDecoder(r))
		}
		return s
	}
	return joinDecoder{}
}
