// Package sentence splits text into sentences: Unicode sentence boundaries
// (UAX #29, via rivo/uniseg) corrected by rules for common abbreviations,
// initials and decimal numbers, which UAX #29 alone breaks after ("Dr. Smith",
// "J. R. R. Tolkien", "e.g. this"). It is pure and safe for concurrent use.
package sentence

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Span is one sentence's byte offsets into the text, End exclusive. Spans
// cover the sentence's text without its surrounding white space.
type Span struct{ Start, End int }

// abbreviations end with a period that rarely ends a sentence (lower case,
// without the period). Titles, Latin abbreviations, months, units and
// corporate suffixes that are followed by a name or a number.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true,
	"st": true, "mt": true, "gen": true, "col": true, "lt": true, "sgt": true, "capt": true,
	"rev": true, "hon": true, "gov": true, "sen": true, "rep": true, "pres": true,
	"e.g": true, "i.e": true, "etc": true, "vs": true, "cf": true, "approx": true, "ca": true,
	"no": true, "nos": true, "vol": true, "fig": true, "p": true, "pp": true, "ch": true, "sec": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "dept": true, "univ": true, "est": true,
	"u.s": true, "u.k": true, "a.m": true, "p.m": true,
}

// Split returns the sentences of text in order. White space between
// sentences belongs to none; a text of only white space has none.
func Split(text string) []Span {
	var out []Span
	sent, pos := 0, 0 // start of the current sentence, end of the last segment
	rest, state := text, -1
	var seg string
	for len(rest) > 0 {
		seg, rest, state = uniseg.FirstSentenceInString(rest, state)
		pos += len(seg)
		if len(rest) == 0 || endsSentence(text[:pos], rest) {
			if sp, ok := trim(text, sent, pos); ok {
				out = append(out, sp)
			}
			sent = pos
		}
	}
	return out
}

// trim returns [start, end) without white space at either end; ok is false
// when nothing is left.
func trim(text string, start, end int) (Span, bool) {
	for start < end {
		r, n := utf8.DecodeRuneInString(text[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(text[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= n
	}
	return Span{Start: start, End: end}, end > start
}

// endsSentence reports whether the UAX #29 boundary between before and
// after is a real sentence end.
func endsSentence(before, after string) bool {
	b := strings.TrimRightFunc(before, unicode.IsSpace)
	if !strings.HasSuffix(b, ".") {
		return true // ! ? 。 and paragraph breaks always end
	}
	if strings.Contains(before[len(b):], "\n\n") {
		return true // a blank line ends a sentence whatever precedes it
	}
	word := lastWord(b[:len(b)-1])
	next, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(after, unicode.IsSpace))
	switch {
	case word == "":
		return true
	case abbreviations[strings.ToLower(word)]:
		return false
	case utf8.RuneCountInString(word) == 1 && unicode.IsUpper(firstRune(word)):
		return false // an initial: "J. Smith"
	case unicode.IsLower(next) || unicode.IsDigit(next):
		return false // "… approx. 5", "… the U.S. economy" continues in lower case
	}
	return true
}

// lastWord is the run of letters, digits and inner periods at the end of s
// ("e.g", "U.S", "Dr").
func lastWord(s string) string {
	i := len(s)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.') {
			break
		}
		i -= n
	}
	return strings.Trim(s[i:], ".")
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}
