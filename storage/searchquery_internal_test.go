package storage

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
)

// ftsTables opens an in-memory database with a word and a trigram FTS5
// table tokenized like documents_fts and documents_tri.
func ftsTables(tb testing.TB) *sql.DB {
	tb.Helper()
	m, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	m.SetMaxOpenConns(1)
	tb.Cleanup(func() { m.Close() })
	for _, q := range []string{
		"CREATE VIRTUAL TABLE " + wordTable + " USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')",
		"CREATE VIRTUAL TABLE " + trigramTable + " USING fts5(text, tokenize = 'trigram remove_diacritics 1')",
	} {
		if _, err := m.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	for _, s := range []string{"alpha beta", "东京タワー 😍", "a or b", `quote " here`, "naïve café"} {
		for _, tbl := range []string{wordTable, trigramTable} {
			if _, err := m.Exec("INSERT INTO "+tbl+"(text) VALUES (?)", s); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return m
}

// FuzzSearchSyntax parses arbitrary search text: it never panics, fails
// only with a QueryError, and every FTS5 expression it makes (the driving
// MATCH and each IN subquery's) is valid FTS5 for its table.
func FuzzSearchSyntax(f *testing.F) {
	for _, s := range []string{
		"", "alpha", `"`, `"alpha`, "alpha*", "*", "NEAR(a b, 2)", "a OR b", "a AND NOT b", "(((", ")",
		"col:alpha", "{text}: x", "^a", "-a", "a -b", "a + b", "'; DROP TABLE documents; --", "\x00", "\xff\xfe",
		"naïve", "日本語 テキスト", "😍", "東京", "東京タワー", "a OR -b", `"x y"*`, "-(a b) c", "((a))", "NOT NOT a",
		`"😍 x"*`, "tesla (東京 OR 😍) -sony", `"""" ""`, "a\u2028b", `\"`, "abc*def*", "-\"\" a", "❤️",
	} {
		f.Add(s)
	}
	m := ftsTables(f)
	f.Fuzz(func(t *testing.T, q string) {
		valid := func(table, expr string) {
			t.Helper()
			if table != wordTable && table != trigramTable {
				t.Fatalf("%q: table %q", q, table)
			}
			var n int
			if err := m.QueryRow("SELECT count(*) FROM "+table+" WHERE "+table+" MATCH ?", expr).Scan(&n); err != nil {
				t.Fatalf("%q: %s MATCH %q: %v", q, table, expr, err)
			}
		}
		pl, err := planText(q)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Msg == "" {
				t.Fatalf("planText(%q): %v", q, err)
			}
			return
		}
		if pl.table != "" {
			valid(pl.table, pl.match)
		} else if pl.match != "" {
			t.Fatalf("%q: a MATCH without a table", q)
		}
		root, _ := parseQuery(q)
		var walk func(n *qnode)
		walk = func(n *qnode) {
			switch n.index() {
			case kindWord:
				valid(wordTable, n.fts5())
			case kindSubstr:
				valid(trigramTable, n.fts5())
			}
			for _, k := range n.kids {
				walk(k)
			}
		}
		if root != nil {
			walk(root)
		}
		// Every ? in the conditions has its argument.
		if n := strings.Count(strings.Join(pl.where, " "), "?"); n != len(pl.args) {
			t.Fatalf("%q: %d placeholders, %d arguments", q, n, len(pl.args))
		}
	})
}

// The trigram index's GLOB class in the migration is substrRanges, SQLite
// matches it exactly where isSubstrRune holds, and the writer's quick test
// lets through every text that the GLOB takes.
func TestTrigramGlobIsSubstrRanges(t *testing.T) {
	var migration string
	fs.WalkDir(migrationFS, "migrations", func(p string, d fs.DirEntry, err error) error {
		if b, _ := migrationFS.ReadFile(p); strings.Contains(string(b), "CREATE VIRTUAL TABLE documents_tri") {
			migration = string(b)
		}
		return nil
	})
	if migration == "" {
		t.Fatal("no migration creates documents_tri")
	}
	if n := strings.Count(migration, "GLOB '"+trigramGlob+"'"); n != 4 {
		t.Fatalf("the migration uses trigramGlob %d times, want 4 (populate, delete, update old and new)", n)
	}
	if strings.Count(migration, "GLOB '") != 4 {
		t.Fatal("the migration has a GLOB that is not trigramGlob")
	}
	m, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var runes []rune
	for _, g := range substrRanges {
		runes = append(runes, g[0]-1, g[0], g[0]+1, g[1]-1, g[1], g[1]+1)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		runes = append(runes, rune(rng.IntN(0x40000)))
	}
	runes = append(runes, 'a', 'é', '😍', '東', 0x3000, 0x200D, 0xFE0F)
	st, err := m.PrepareContext(context.Background(), "SELECT ? GLOB ?")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, r := range runes {
		if r >= 0xD800 && r <= 0xDFFF || r < 1 {
			continue // not valid in UTF-8 text
		}
		s := "ab" + string(r) + "cd"
		var got bool
		if err := st.QueryRow(s, trigramGlob).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != isSubstrRune(r) {
			t.Errorf("U+%04X: GLOB %v, isSubstrRune %v", r, got, isSubstrRune(r))
		}
		if got && !mayHaveSubstrRune(s) {
			t.Errorf("U+%04X: the writer's quick test misses it", r)
		}
	}
}
