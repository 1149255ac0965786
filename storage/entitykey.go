package storage

import (
	"database/sql"
	"strings"
	"sync"
	"unicode"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/text/cases"
)

// EntityKey is the normalised form of an entity's text under which Insights
// counts it and History's entity filter finds it: case-folded, runs of white
// space collapsed to one space and trimmed, and a final possessive "'s" or
// "’s" removed, so "Apple's", "apple" and " APPLE " are one entity. Every
// surface form stays stored as written (entities.text); the key is kept
// beside it (entities.norm). A text that would become empty keeps its
// folded form.
func EntityKey(text string) string {
	folded := cases.Fold().String(text)
	s := strings.Join(strings.FieldsFunc(folded, func(r rune) bool { return unicode.IsSpace(r) || r == 0 }), " ")
	for _, p := range []string{"'s", "’s"} {
		if t, ok := strings.CutSuffix(s, p); ok {
			if t = strings.TrimRightFunc(t, unicode.IsSpace); t != "" {
				s = t
			}
			break
		}
	}
	if s == "" {
		return folded
	}
	return s
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
