package storage

import (
	"database/sql"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/text/cases"
)

// EntityKey is the normalised form of an entity's text under which Insights
// counts it and History's entity filter finds it: case-folded, runs of white
// space collapsed to one space and trimmed, and a final possessive "'s" or
// "’s" removed, so "Apple's", "apple" and " APPLE " are one entity. Every
// surface form stays stored as written (entities.text); the key is kept
// beside it (entities.norm). A text that would become empty keeps its
// folded form. A key is its own key, EntityKey(EntityKey(s)) == EntityKey(s)
// (FuzzEntityKey), since History's filter normalises the key it is given.
func EntityKey(text string) string {
	var folded string
	if isASCII(text) {
		folded = strings.ToLower(text) // the same as folding for ASCII, without building a Caser
	} else {
		// Lower case after folding: folding alone maps some letters back and
		// forth (Cherokee ꮚ ↔ Ꮚ), and a key must be its own key, because
		// History's filter normalises the key it is given again.
		folded = strings.ToLower(cases.Fold().String(text))
	}
	s := folded
	if !singleSpaced(s) {
		s = strings.Join(strings.FieldsFunc(folded, func(r rune) bool { return unicode.IsSpace(r) || r == 0 }), " ")
	}
	for cut := true; cut; { // every final possessive, so that a key is its own key
		cut = false
		for _, p := range []string{"'s", "’s"} {
			if t, ok := strings.CutSuffix(s, p); ok {
				if t = strings.TrimRightFunc(t, unicode.IsSpace); t != "" {
					s, cut = t, true
				}
				break
			}
		}
	}
	if s == "" {
		return folded
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// singleSpaced reports whether s is ASCII whose only white space is single
// spaces between words (the usual entity text, left as it is).
func singleSpaced(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c == 0 || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ' && s[i+1] == ' ' {
			return false
		}
	}
	return true
}

// writerDriver is go-sqlite3 with nlpscope's SQL functions, for the writer
// connection: nlpscope_entity_key(text) is EntityKey, so that migrations can
// compute keys of rows stored before they existed.
const writerDriver = "sqlite3_nlpscope"

var registerDriver = sync.OnceFunc(func() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		return c.RegisterFunc("nlpscope_entity_key", EntityKey, true)
	}})
})
