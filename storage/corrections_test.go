package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

func entitiesAnalysis(model string, ents ...storage.Entity) storage.Analysis {
	return storage.Analysis{Task: storage.TaskEntities, ModelID: model, ModelHash: "h" + model, Entities: ents}
}

// A correction is kept apart from predictions: storing the same text again
// (re-analysis) leaves it as it was; the entity text comes from the span in
// code points, emoji and CJK included.
func TestCorrectionRoundTripAndReanalysis(t *testing.T) {
	c := newClock()
	db := openTest(t, func(cfg *storage.Config) { cfg.Now = c.now })
	ctx := context.Background()
	text := "😀 東京 loves Angela Merkel 👍🏽 in Paris"
	r := []rune(text)
	idx := func(s string) int { return len([]rune(text[:strings.Index(text, s)])) }
	res := storage.Result{Text: text, Analyses: []storage.Analysis{
		sentimentAnalysis("POSITIVE"),
		entitiesAnalysis("ner@old", storage.Entity{Label: "LOC", Text: "Paris", Start: idx("Paris"), End: idx("Paris") + 5}),
		entitiesAnalysis("ner@new", storage.Entity{Label: "PER", Text: "Angela", Start: idx("Angela"), End: idx("Angela") + 6}),
	}}
	id, err := db.Store(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.GetCorrection(ctx, id); err != nil || ok {
		t.Fatalf("GetCorrection before any = %v, %v", ok, err)
	}
	in := storage.Correction{Sentiment: "NEGATIVE", HasEntities: true, Entities: []storage.Entity{
		{Label: "PER", Start: idx("Angela"), End: idx("Angela") + 13, Text: "ignored", Score: 0.5},
		{Label: "LOC", Start: idx("東京"), End: idx("東京") + 2},
	}}
	got, err := db.SetCorrection(ctx, id, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.Entity{
		{Label: "LOC", Text: "東京", Start: 2, End: 4},
		{Label: "PER", Text: "Angela Merkel", Start: idx("Angela"), End: idx("Angela") + 13},
	}
	if string(r[want[0].Start:want[0].End]) != "東京" {
		t.Fatalf("test offsets wrong")
	}
	if !reflect.DeepEqual(got.Entities, want) || got.SentimentModel != "sst2@abc" || got.EntitiesModel != "ner@new" ||
		got.Reviewed || !got.Created.Equal(got.Updated) || got.Created.IsZero() {
		t.Fatalf("SetCorrection = %+v", got)
	}
	read, ok, err := db.GetCorrection(ctx, id)
	if err != nil || !ok || !reflect.DeepEqual(read, got) {
		t.Fatalf("GetCorrection = %+v, %v, %v; want %+v", read, ok, err, got)
	}

	// Re-analysis of the same text, one by one and in a batch.
	if _, err := db.Store(ctx, res); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StoreBatch(ctx, []storage.Result{res, res}); err != nil {
		t.Fatal(err)
	}
	again, ok, err := db.GetCorrection(ctx, id)
	if err != nil || !ok || !reflect.DeepEqual(again, got) {
		t.Fatalf("after re-analysis: %+v, %v, %v; want %+v", again, ok, err, got)
	}
	d, err := db.Get(ctx, id)
	if err != nil || len(d.Analyses) != 3 || d.Analyses[2].Entities[0].Text != "Angela" {
		t.Fatalf("predictions changed: %+v %v", d, err)
	}

	// An update keeps Created; reviewed only is not "corrected".
	upd, err := db.SetCorrection(ctx, id, storage.Correction{Reviewed: true})
	if err != nil {
		t.Fatal(err)
	}
	if !upd.Created.Equal(got.Created) || !upd.Updated.After(got.Updated) || upd.Corrected() || upd.Entities != nil ||
		upd.SentimentModel != "" || upd.EntitiesModel != "" {
		t.Fatalf("update = %+v (first %+v)", upd, got)
	}
	if read, _, _ := db.GetCorrection(ctx, id); !reflect.DeepEqual(read, upd) {
		t.Fatalf("after update: %+v, want %+v", read, upd)
	}

	// An empty gold list is a correction: "no entities".
	empty, err := db.SetCorrection(ctx, id, storage.Correction{HasEntities: true})
	if err != nil || !empty.Corrected() || len(empty.Entities) != 0 {
		t.Fatalf("empty list: %+v %v", empty, err)
	}

	if err := db.ClearCorrection(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.GetCorrection(ctx, id); ok {
		t.Fatal("correction still there after Clear")
	}
	if err := db.ClearCorrection(ctx, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Clear twice: %v, want ErrNotFound", err)
	}
	if _, err := db.SetCorrection(ctx, id+100, storage.Correction{Reviewed: true}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("SetCorrection of a missing document: %v, want ErrNotFound", err)
	}

	// Deleting the document deletes its correction.
	if _, err := db.SetCorrection(ctx, id, in); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDocument(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.GetCorrection(ctx, id); ok {
		t.Fatal("correction outlives its document")
	}
	mustCheck(t, db)
}

// A bad correction is refused with a message that names the problem, and
// changes nothing.
func TestCorrectionValidation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	text := "ab 😀 東京 cd" // 10 code points
	id, err := db.Store(ctx, storage.Result{Text: text, Analyses: []storage.Analysis{sentimentAnalysis("POSITIVE")}})
	if err != nil {
		t.Fatal(err)
	}
	good := storage.Correction{Sentiment: "NEGATIVE", HasEntities: true, Entities: []storage.Entity{{Label: "LOC", Start: 5, End: 7}}}
	first, err := db.SetCorrection(ctx, id, good)
	if err != nil || first.Entities[0].Text != "東京" {
		t.Fatalf("good correction: %+v %v", first, err)
	}
	ent := func(es ...storage.Entity) storage.Correction {
		return storage.Correction{HasEntities: true, Entities: es}
	}
	for _, tc := range []struct {
		c    storage.Correction
		want string
	}{
		{ent(storage.Entity{Label: "LOC", Start: 5, End: 11}), "outside the text of 10 code points"},
		{ent(storage.Entity{Label: "LOC", Start: -1, End: 2}), "outside"},
		{ent(storage.Entity{Label: "LOC", Start: 3, End: 3}), "empty"},
		{ent(storage.Entity{Label: "", Start: 0, End: 2}), "label is empty"},
		{ent(storage.Entity{Label: "A\nB", Start: 0, End: 2}), "control character"},
		{ent(storage.Entity{Label: strings.Repeat("L", 65), Start: 0, End: 2}), "longer than"},
		{ent(storage.Entity{Label: "ORG", Start: 0, End: 4}, storage.Entity{Label: "LOC", Start: 3, End: 7}), `entities overlap: ORG "ab 😀" [0,4) and LOC "😀 東京" [3,7)`},
		{ent(storage.Entity{Label: "ORG", Start: 5, End: 7}, storage.Entity{Label: "LOC", Start: 5, End: 7}), "overlap"},
		{storage.Correction{Sentiment: "  "}, "sentiment label is empty"},
		{storage.Correction{Entities: []storage.Entity{{Label: "LOC", Start: 0, End: 2}}}, "without has_entities"},
	} {
		_, err := db.SetCorrection(ctx, id, tc.c)
		if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetCorrection(%+v) = %v, want ErrInvalid with %q", tc.c, err, tc.want)
		}
	}
	// Touching spans are fine.
	if _, err := db.SetCorrection(ctx, id, ent(storage.Entity{Label: "A", Start: 0, End: 2}, storage.Entity{Label: "B", Start: 2, End: 4})); err != nil {
		t.Fatalf("adjacent spans: %v", err)
	}
	if _, err := db.SetCorrection(ctx, id, good); err != nil {
		t.Fatal(err)
	}
	now, _, err := db.GetCorrection(ctx, id)
	if err != nil || now.Sentiment != "NEGATIVE" || !reflect.DeepEqual(now.Entities, first.Entities) {
		t.Fatalf("after refused corrections: %+v %v", now, err)
	}
}

type corrDoc struct {
	id        storage.DocID
	words     []string
	sentiment string // newest predicted; "" none
	pred      []storage.Entity
	corr      *storage.Correction
}

func entitySet(es []storage.Entity) map[string]bool {
	m := map[string]bool{}
	for _, e := range es {
		m[fmt.Sprintf("%s|%d|%d", e.Label, e.Start, e.End)] = true
	}
	return m
}

// The reviewed / corrected / disagrees filters select exactly the
// documents that a naive check of each document's correction selects.
func TestCorrectionFiltersAgainstNaiveCount(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(17, 2))
	labels := []string{"PER", "ORG", "LOC"}
	sents := []string{"POSITIVE", "NEGATIVE"}
	words := []string{"alpha", "😀", "東京", "beta", "gamma", "👍🏽", "delta"}
	// span returns the k-th word's span in a text of words joined by " ".
	var docs []corrDoc
	for i := range 240 {
		var ws []string
		for range 3 + rng.IntN(5) {
			ws = append(ws, words[rng.IntN(len(words))])
		}
		text := strings.Join(ws, " ")
		var spans [][2]int
		pos := 0
		for _, w := range ws {
			n := len([]rune(w))
			spans = append(spans, [2]int{pos, pos + n})
			pos += n + 1
		}
		randEnts := func() []storage.Entity {
			var es []storage.Entity
			for k, sp := range spans {
				if rng.IntN(3) == 0 {
					es = append(es, storage.Entity{Label: labels[rng.IntN(3)], Text: ws[k], Start: sp[0], End: sp[1]})
				}
			}
			return es
		}
		var d corrDoc
		var as []storage.Analysis
		if rng.IntN(5) > 0 {
			d.sentiment = sents[rng.IntN(2)]
			as = append(as, sentimentAnalysis(d.sentiment))
		}
		if rng.IntN(4) > 0 {
			if rng.IntN(3) == 0 { // an older entities analysis that must not count
				as = append(as, entitiesAnalysis("ner@old", randEnts()...))
			}
			d.pred = randEnts()
			as = append(as, entitiesAnalysis("ner@new", d.pred...))
		}
		id, err := db.Store(ctx, storage.Result{Text: text, Line: i + 1, Analyses: as, KeepDuplicate: true}) // random texts repeat
		if err != nil {
			t.Fatal(err)
		}
		d.id, d.words = id, ws
		if rng.IntN(3) > 0 {
			c := storage.Correction{Reviewed: rng.IntN(2) == 0}
			switch rng.IntN(3) {
			case 0:
			case 1:
				c.Sentiment = d.sentiment
			default:
				c.Sentiment = sents[rng.IntN(2)]
			}
			switch rng.IntN(4) {
			case 0:
			case 1: // the same as predicted
				c.HasEntities, c.Entities = true, slices.Clone(d.pred)
			default:
				c.HasEntities, c.Entities = true, randEnts()
			}
			if _, err := db.SetCorrection(ctx, id, c); err != nil {
				t.Fatal(err)
			}
			d.corr = &c
		}
		docs = append(docs, d)
	}
	is := func(d corrDoc, f string) bool {
		c := d.corr
		if c == nil {
			return false
		}
		switch f {
		case "reviewed":
			return c.Reviewed
		case "corrected":
			return c.Sentiment != "" || c.HasEntities
		}
		if c.Sentiment != "" && c.Sentiment != d.sentiment {
			return true
		}
		return c.HasEntities && !reflect.DeepEqual(entitySet(c.Entities), entitySet(d.pred))
	}
	tr, fa := true, false
	counts := map[string]int{}
	for _, yes := range []*bool{&tr, &fa} {
		for _, f := range []string{"reviewed", "corrected", "disagrees"} {
			q := storage.Query{Limit: 37}
			switch f {
			case "reviewed":
				q.Reviewed = yes
			case "corrected":
				q.Corrected = yes
			default:
				q.Disagrees = yes
			}
			var want []storage.DocID
			for _, d := range slices.Backward(docs) {
				if is(d, f) == *yes {
					want = append(want, d.id)
				}
			}
			got := searchAll(t, db, q)
			if !slices.Equal(got, want) {
				t.Errorf("%s=%v: %d documents, want %d", f, *yes, len(got), len(want))
			}
			if *yes {
				counts[f] = len(want)
			}
		}
	}
	if counts["reviewed"] < 20 || counts["corrected"] < 50 || counts["disagrees"] < 30 || counts["disagrees"] >= counts["corrected"] {
		t.Fatalf("corpus does not exercise the filters: %v", counts)
	}
	// Combined with another filter, and the hit flags.
	q := storage.Query{Reviewed: &tr, Disagrees: &tr, Sentiment: "negative", Limit: 1000}
	var want []storage.DocID
	for _, d := range slices.Backward(docs) {
		if is(d, "reviewed") && is(d, "disagrees") && d.sentiment == "NEGATIVE" {
			want = append(want, d.id)
		}
	}
	if got := searchAll(t, db, q); !slices.Equal(got, want) {
		t.Errorf("reviewed+disagrees+negative: %v, want %v", got, want)
	}
	// With a search text (the word index, the trigram index, LIKE), which
	// then drives the query instead of the corrections.
	for _, w := range []string{"alpha", "😀", "東京", "👍🏽"} {
		for _, f := range []string{"corrected", "disagrees", "reviewed"} {
			q := storage.Query{Text: w, Limit: 7}
			switch f {
			case "reviewed":
				q.Reviewed = &tr
			case "corrected":
				q.Corrected = &tr
			default:
				q.Disagrees = &tr
			}
			var want []storage.DocID
			for _, d := range slices.Backward(docs) {
				if is(d, f) && slices.Contains(d.words, w) {
					want = append(want, d.id)
				}
			}
			if got := searchAll(t, db, q); !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("%q and %s: %v, want %v", w, f, got, want)
			}
		}
	}
	p, err := db.Search(ctx, storage.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[storage.DocID]corrDoc{}
	for _, d := range docs {
		byID[d.id] = d
	}
	for _, h := range p.Hits {
		d := byID[h.ID]
		if h.Reviewed != is(d, "reviewed") || h.Corrected != is(d, "corrected") {
			t.Fatalf("hit %d: reviewed %v corrected %v, want %v %v", h.ID, h.Reviewed, h.Corrected, is(d, "reviewed"), is(d, "corrected"))
		}
	}
}

// FuzzNormalizeEntities: gold entities from outside (the HTTP API) are
// either refused with ErrInvalid or come out sorted, inside the text, not
// overlapping, each with the text of its span in code points.
func FuzzNormalizeEntities(f *testing.F) {
	f.Add("Alice 😀 in 東京", "PER", 0, 5, "LOC", 11, 13)
	f.Add("ab", "X", 0, 2, "Y", 1, 2)
	f.Add("ab", "", 0, 1, "Y", 1, 2)
	f.Add("\xff\xfe", "X", 0, 1, "Y", 1, 2)
	f.Add("👍🏽", "X", 0, 1, "Y", 1, 2)
	f.Fuzz(func(t *testing.T, text, l1 string, s1, e1 int, l2 string, s2, e2 int) {
		out, err := storage.NormalizeEntities(text, []storage.Entity{{Label: l1, Start: s1, End: e1}, {Label: l2, Start: s2, End: e2}})
		if err != nil {
			if !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		runes := []rune(text)
		for i, e := range out {
			if e.Start < 0 || e.End > len(runes) || e.Start >= e.End || e.Text != string(runes[e.Start:e.End]) || strings.TrimSpace(e.Label) == "" {
				t.Fatalf("entity %d = %+v of %q", i, e, text)
			}
			if i > 0 && e.Start < out[i-1].End {
				t.Fatalf("overlap: %+v", out)
			}
		}
	})
}
