package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Cache lookups must go through indexes: without them every lookup scans
// whole tables, which no functional test would notice.
func TestLookupQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "plan.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plan := func(q string, args []any) string {
		t.Helper()
		rows, err := db.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	keys := []string{textKey(TextHash("a")), textKey(TextHash("b"))}
	p := plan(lookupIndexedQuery("m", "sentiment", "", keys))
	t.Log(p)
	if !strings.Contains(p, "SEARCH t USING PRIMARY KEY (key=?)") || !strings.Contains(p, "analyses_document") || strings.Contains(p, "SCAN") {
		t.Errorf("text index lookup plan:\n%s", p)
	}
	p = plan(lookupIDsQuery("m", "sentiment", "", []int64{1, 2, 3}))
	t.Log(p)
	if !strings.Contains(p, "SEARCH d USING INTEGER PRIMARY KEY") || !strings.Contains(p, "analyses_document") || strings.Contains(p, "SCAN") {
		t.Errorf("tail lookup plan:\n%s", p)
	}
}
