package storage_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/storage"
)

// FuzzSearchText feeds arbitrary user text to Search on a real database:
// it must never fail but with a QueryError, and never match without a
// letter, digit, symbol or phrase in the text.
func FuzzSearchText(f *testing.F) {
	for _, s := range []string{
		"", "alpha", `"`, `"alpha`, "alpha*", "*", "NEAR(a b, 2)", "a OR b", "a AND NOT b", "(((", ")",
		"col:alpha", "{text}: x", "^a", "-a", "a + b", "'; DROP TABLE documents; --", "\x00", "\xff\xfe",
		"naïve", "日本語 テキスト", "😍", "東京", "a OR -b", `"x y"*`, "-(a b)", "((a))", "NOT NOT a", "a\u00a0b", "\u2028", `""""`, "alpha   ", "\\\"",
	} {
		f.Add(s)
	}
	db, err := storage.Open(context.Background(), storage.Config{Path: filepath.Join(f.TempDir(), "fuzz.db")}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	texts := []string{"alpha beta", "a or b", "near alpha", `quote " here`, "naïve café", "日本語 テキスト", "😍 東京タワー"}
	for _, s := range texts {
		if _, err := db.Store(context.Background(), sentimentResult(s, "POSITIVE")); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		p, err := db.Search(context.Background(), storage.Query{Text: q, WithTotal: true})
		if err != nil {
			var qe *storage.QueryError
			if !errors.As(err, &qe) || !strings.HasPrefix(err.Error(), "search: ") {
				t.Fatalf("Search(%q): %v", q, err)
			}
			return
		}
		if p.Total < 0 || p.Total > int64(len(texts)) || int64(len(p.Hits)) != p.Total {
			t.Fatalf("Search(%q): total %d, %d hits", q, p.Total, len(p.Hits))
		}
		if utf8.ValidString(q) && strings.TrimSpace(q) != "" && strings.IndexFunc(q, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r > 0x2000 }) < 0 &&
			!strings.Contains(q, `"`) && p.Total != 0 {
			t.Fatalf("Search(%q) matched without any word", q)
		}
	})
}
