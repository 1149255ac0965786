package storage_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

func TestLookupManyNewestPerTextWithEntities(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	entitiesOf := func(text string, ents ...storage.Entity) storage.Result {
		return storage.Result{Text: text, Analyses: []storage.Analysis{{Task: storage.TaskEntities, ModelID: "ner@n1",
			ModelHash: "n1", Options: "aggregation=simple", Entities: ents}}}
	}
	alice := storage.Entity{Label: "PER", Text: "Alice", Start: 0, End: 5, Score: 0.9}
	paris := storage.Entity{Label: "LOC", Text: "Paris", Start: 14, End: 19, Score: 0.8}
	berlin := storage.Entity{Label: "LOC", Text: "Berlin", Start: 14, End: 20, Score: 0.7}
	rs := []storage.Result{
		entitiesOf("Alice went to Paris", paris, alice), // stored out of order: read back by start
		entitiesOf("Alice went to Berlin", berlin),
		entitiesOf("nobody went anywhere"),
	}
	if _, err := db.StoreBatch(ctx, rs); err != nil {
		t.Fatal(err)
	}
	// A newer analysis of the same text wins; an analysis with other options
	// stored later still does not count.
	if _, err := db.Store(ctx, entitiesOf("Alice went to Berlin", alice, berlin)); err != nil {
		t.Fatal(err)
	}
	other := entitiesOf("Alice went to Berlin")
	other.Analyses[0].Options = "aggregation=max"
	if _, err := db.Store(ctx, other); err != nil {
		t.Fatal(err)
	}
	h := storage.TextHash
	hashes := []string{h("Alice went to Paris"), h("Alice went to Berlin"), h("nobody went anywhere"), h("never stored"), h("Alice went to Paris")}
	got, err := db.LookupMany(ctx, "n1", storage.TaskEntities, "aggregation=simple", hashes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("LookupMany found %d texts, want 3: %+v", len(got), got)
	}
	if e := got[h("Alice went to Paris")].Entities; !reflect.DeepEqual(e, []storage.Entity{alice, paris}) {
		t.Errorf("Paris entities = %+v", e)
	}
	if e := got[h("Alice went to Berlin")].Entities; !reflect.DeepEqual(e, []storage.Entity{alice, berlin}) {
		t.Errorf("Berlin entities = %+v (want the newest analysis)", e)
	}
	if a, ok := got[h("nobody went anywhere")]; !ok || a.Entities != nil {
		t.Errorf("no-entity analysis = %+v, %v", a, ok)
	}
	if hits, misses := db.CacheStats(); hits != 4 || misses != 1 {
		t.Errorf("CacheStats = %d hits, %d misses; want 4, 1 (duplicates count)", hits, misses)
	}
	if got, err := db.LookupMany(ctx, "n1", storage.TaskSentiment, "aggregation=simple", hashes); err != nil || len(got) != 0 {
		t.Errorf("other task: %+v, %v", got, err)
	}
}

func TestLookupManyChunksLargeRequests(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 1234 // more than one query's worth of hashes
	var rs []storage.Result
	var hashes []string
	for i := range n {
		text := fmt.Sprintf("document number %d", i)
		rs = append(rs, sentimentResult(text, fmt.Sprintf("L%d", i)))
		hashes = append(hashes, storage.TextHash(text))
	}
	if _, err := db.StoreBatch(ctx, rs); err != nil {
		t.Fatal(err)
	}
	got, err := db.LookupMany(ctx, "abc", storage.TaskSentiment, "", hashes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("found %d of %d", len(got), n)
	}
	for i, h := range hashes {
		if got[h].Label != fmt.Sprintf("L%d", i) {
			t.Fatalf("hash %d: label %q", i, got[h].Label)
		}
	}
}
