package storage_test

import (
	"context"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

func TestSmoke(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id, err := db.Store(ctx, sentimentResult("The quick brown fox jumps over Paris", "POSITIVE"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", d)
	p, err := db.Search(ctx, storage.Query{Text: "qui", WithTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", p)
	st, _ := db.Stats(ctx)
	t.Logf("%+v", st)
	rep, err := db.Check(ctx)
	t.Logf("%+v %v", rep, err)
}
