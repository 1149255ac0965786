package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The cache lookup must go through the documents_text index: without it
// every lookup scans the whole documents table, which no functional test
// would notice.
func TestLookupUsesTextIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "plan.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, args := lookupQuery("m", "sentiment", "", []string{TextHash("a"), TextHash("b")})
	rows, err := db.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	p := strings.Join(plan, "\n")
	t.Log(p)
	if !strings.Contains(p, "documents_text") || !strings.Contains(p, "analyses_document") || strings.Contains(p, "SCAN") {
		t.Fatalf("lookup plan does not use the indexes:\n%s", p)
	}
}
