package storage_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/nlpscope/nlpscope/storage"
)

func TestEntityKey(t *testing.T) {
	for in, want := range map[string]string{
		"Apple's":            "apple",
		"apple":              "apple",
		" APPLE ":            "apple",
		"Apple’s":            "apple",
		"APPLE'S":            "apple",
		"Angela \t Merkel":   "angela merkel",
		"angela merkel's":    "angela merkel",
		"Straße":             "strasse", // full case folding, not just lower case
		"ÉCOLE":              "école",
		"'s":                 "'s", // nothing left: keep the folded text
		"Jones’s  ":          "jones",
		"Bob's Burgers":      "bob's burgers", // only a final possessive
		"Bob's's":            "bob",
		"":                   "",
		"  ":                 "  ",
		"東京":                 "東京",
		"Ünïcödé\u00a0Space": "ünïcödé space",
	} {
		if got := storage.EntityKey(in); got != want {
			t.Errorf("EntityKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAutoBucket(t *testing.T) {
	const day = 24 * time.Hour
	for span, want := range map[time.Duration]string{
		0: "hour", 5 * time.Hour: "hour", 3 * day: "hour", 3*day + time.Second: "day",
		30 * day: "day", 120 * day: "day", 121 * day: "week", 700 * day: "week", 731 * day: "month", 3650 * day: "month",
	} {
		if got := storage.AutoBucket(span); got != want {
			t.Errorf("AutoBucket(%v) = %s, want %s", span, got, want)
		}
	}
}

// setClock is a Now whose time the test sets.
type setClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *setClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// forms are the entity spellings of the fixture with the key the test
// expects for each (written out here, not computed with EntityKey).
var forms = []struct{ label, text, key string }{
	{"ORG", "Apple's", "apple"}, {"ORG", "apple", "apple"}, {"ORG", " APPLE ", "apple"}, {"ORG", "Apple", "apple"},
	{"ORG", "Acme Corp", "acme corp"}, {"ORG", "ACME  corp’s", "acme corp"},
	{"LOC", "Berlin", "berlin"}, {"LOC", "berlin’s", "berlin"}, {"LOC", "Paris", "paris"},
	{"PER", "Angela Merkel", "angela merkel"}, {"PER", "angela  merkel", "angela merkel"}, {"PER", "Merkel", "merkel"},
	{"PER", "Paris", "paris"}, // the same key under another label is another entity
	{"MISC", "Straße", "strasse"}, {"MISC", "STRASSE", "strasse"},
}

type insDoc struct {
	id       storage.DocID
	words    []string
	label    string // newest sentiment, "" = none
	score    float64
	ents     []int // indexes into forms, one per mention
	importID storage.ImportID
	created  time.Time
}

// buildInsightsCorpus stores n random documents over about span and returns
// the test's model of each.
func buildInsightsCorpus(t *testing.T, seed uint64, n int, span time.Duration) (*storage.DB, []insDoc, storage.ImportID) {
	t.Helper()
	ctx := context.Background()
	clk := &setClock{t: time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)}
	db := openTest(t, func(c *storage.Config) { c.Now = clk.now })
	imp, err := db.BeginImport(ctx, "reviews.csv")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	start := clk.now()
	var docs []insDoc
	for i := range n {
		clk.set(start.Add(time.Duration(rng.Int64N(int64(span)))))
		d := insDoc{words: []string{vocab[rng.IntN(len(vocab))], vocab[rng.IntN(len(vocab))]}}
		if rng.IntN(3) == 0 {
			d.importID = imp
		}
		r := storage.Result{Text: strings.Join(d.words, " ") + " " + strings.Repeat("x", i%7+1), ImportID: d.importID, KeepDuplicate: true}
		if rng.IntN(8) != 0 {
			d.label = []string{"positive", "negative", "neutral"}[rng.IntN(3)]
			d.score = 0.4 + rng.Float64()/2
			if rng.IntN(10) == 0 { // re-analysed: the newest analysis counts
				r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskSentiment, ModelID: "old@1", ModelHash: "1", Label: "positive", Score: 0.99})
			}
			r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskSentiment, ModelID: "s@2", ModelHash: "2", Label: d.label, Score: d.score})
		}
		var ents []storage.Entity
		for k := rng.IntN(5); k > 0; k-- {
			f := rng.IntN(len(forms))
			if rng.IntN(3) == 0 {
				f = rng.IntN(4) // Apple is frequent
			}
			d.ents = append(d.ents, f)
			ents = append(ents, storage.Entity{Label: forms[f].label, Text: forms[f].text, Start: 0, End: 1, Score: 0.9})
		}
		if len(ents) > 0 || rng.IntN(2) == 0 {
			r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "ner@3", ModelHash: "3", Entities: ents})
		}
		id, err := db.Store(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		d.id, d.created = id, got.Created
		docs = append(docs, d)
	}
	return db, docs, imp
}

// selection is an Insights selection and the test's own filter for it.
type selection struct {
	name string
	q    storage.Query
	keep func(insDoc) bool
}

func selections(docs []insDoc, imp storage.ImportID) []selection {
	mid := docs[len(docs)/2].created
	late := docs[len(docs)*4/5].created
	if late.Before(mid) {
		mid, late = late, mid
	}
	return []selection{
		{"all", storage.Query{}, func(insDoc) bool { return true }},
		{"import", storage.Query{ImportID: imp}, func(d insDoc) bool { return d.importID == imp }},
		{"search", storage.Query{Text: "delta ", EntityLabel: "ORG"}, func(d insDoc) bool {
			return slices.Contains(d.words, "delta") && slices.ContainsFunc(d.ents, func(f int) bool { return forms[f].label == "ORG" })
		}},
		{"dates", storage.Query{From: mid, To: late}, func(d insDoc) bool { return !d.created.Before(mid) && d.created.Before(late) }},
		{"negative", storage.Query{Sentiment: "negative"}, func(d insDoc) bool { return d.label == "negative" }},
		{"nothing", storage.Query{Text: "zzznothing"}, func(insDoc) bool { return false }},
	}
}

func polarity(label string) int {
	switch label {
	case "positive":
		return 1
	case "negative":
		return -1
	}
	return 0
}

// naiveBucket is the start of t's bucket, computed with calendar functions.
func naiveBucket(bucket string, t time.Time) time.Time {
	t = t.UTC()
	switch bucket {
	case "hour":
		return t.Truncate(time.Hour)
	case "day":
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case "week":
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// searchIDs is every document History lists for q.
func searchIDs(t *testing.T, db *storage.DB, q storage.Query) []storage.DocID {
	t.Helper()
	q.Limit = 1000
	var ids []storage.DocID
	for {
		p, err := db.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		for _, h := range p.Hits {
			ids = append(ids, h.ID)
		}
		if p.Next == "" {
			return ids
		}
		q.Cursor = p.Next
	}
}

func idsOf(docs []insDoc, keep func(insDoc) bool) []storage.DocID {
	var out []storage.DocID
	for _, d := range docs {
		if keep(d) {
			out = append(out, d.id)
		}
	}
	slices.Reverse(out) // newest first, as Search lists them
	return out
}

// checkLink checks that History's query for a count lists exactly the
// documents the test counts.
func checkLink(t *testing.T, db *storage.DB, what string, q storage.Query, docs []insDoc, keep func(insDoc) bool, count int64) {
	t.Helper()
	want := idsOf(docs, keep)
	if int64(len(want)) != count {
		t.Errorf("%s: count %d, the test counts %d", what, count, len(want))
	}
	if got := searchIDs(t, db, q); !slices.Equal(got, want) {
		t.Errorf("%s: History lists %d documents %v, want %d %v", what, len(got), got, len(want), want)
	}
}

func TestInsightsAgainstNaiveCounts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		seed   uint64
		n      int
		span   time.Duration
		bucket string // the automatic choice
	}{
		{1, 260, 40 * time.Hour, "hour"},
		{2, 300, 50 * 24 * time.Hour, "day"},
		{3, 200, 400 * 24 * time.Hour, "week"},
		{4, 150, 1500 * 24 * time.Hour, "month"},
	} {
		db, docs, imp := buildInsightsCorpus(t, tc.seed, tc.n, tc.span)
		for _, sel := range selections(docs, imp) {
			buckets := []string{""}
			if sel.name == "all" {
				buckets = []string{"", "day", "week", "month"}
			}
			for _, bucket := range buckets {
				checkInsights(t, ctx, db, docs, sel, bucket, tc.bucket)
			}
		}
	}
}

func checkInsights(t *testing.T, ctx context.Context, db *storage.DB, docs []insDoc, sel selection, bucket, auto string) {
	in, err := db.Insights(ctx, storage.InsightsQuery{Query: sel.q, Bucket: bucket, Top: 100, CoTop: 6})
	if errors.Is(err, storage.ErrInvalid) && bucket == "day" && strings.Contains(err.Error(), "buckets") {
		return // too many days over 1500 days: a clear error, checked elsewhere
	}
	if err != nil {
		t.Fatalf("%s: %v", sel.name, err)
	}
	var picked []insDoc
	for _, d := range docs {
		if sel.keep(d) {
			picked = append(picked, d)
		}
	}
	name := sel.name + "/" + bucket
	// Distribution.
	type agg struct {
		n   int64
		sum float64
	}
	byLabel := map[string]*agg{}
	var unlabelled, labelled int64
	for _, d := range picked {
		if d.label == "" {
			unlabelled++
			continue
		}
		labelled++
		if byLabel[d.label] == nil {
			byLabel[d.label] = &agg{}
		}
		byLabel[d.label].n++
		byLabel[d.label].sum += d.score
	}
	if in.Documents != int64(len(picked)) || in.Unlabelled != unlabelled || len(in.Sentiment) != len(byLabel) {
		t.Fatalf("%s: documents %d unlabelled %d labels %d, want %d %d %d", name, in.Documents, in.Unlabelled, len(in.Sentiment), len(picked), unlabelled, len(byLabel))
	}
	checkLink(t, db, name+" documents", sel.q, docs, sel.keep, in.Documents)
	for _, s := range in.Sentiment {
		w := byLabel[s.Label]
		if w == nil || s.Docs != w.n || !near(s.MeanScore, w.sum/float64(w.n)) || !near(s.Share, float64(w.n)/float64(labelled)) {
			t.Errorf("%s: sentiment %+v, want %+v of %d", name, s, w, labelled)
		}
		q := sel.q
		q.Sentiment = s.Label
		label := s.Label
		checkLink(t, db, name+" sentiment "+label, q, docs, func(d insDoc) bool { return sel.keep(d) && d.label == label }, s.Docs)
	}
	// Timeline.
	tl := in.Timeline
	wantBucket := bucket
	if bucket == "" {
		wantBucket = storage.AutoBucket(in.Last.Sub(in.First))
		if sel.name == "all" && wantBucket != auto {
			t.Errorf("%s: automatic bucket %s, want %s", name, wantBucket, auto)
		}
	}
	if tl.Bucket != wantBucket || tl.Auto != (bucket == "") {
		t.Errorf("%s: bucket %s auto %v", name, tl.Bucket, tl.Auto)
	}
	if len(picked) == 0 {
		if len(tl.Buckets) != 0 || len(in.Entities) != 0 {
			t.Errorf("%s: an empty selection has %d buckets, %d entity groups", name, len(tl.Buckets), len(in.Entities))
		}
		return
	}
	var first, last time.Time
	for i, d := range picked {
		if i == 0 || d.created.Before(first) {
			first = d.created
		}
		if i == 0 || d.created.After(last) {
			last = d.created
		}
	}
	if !in.First.Equal(first) || !in.Last.Equal(last) {
		t.Errorf("%s: first/last %v %v, want %v %v", name, in.First, in.Last, first, last)
	}
	if got, want := tl.Buckets[0].From, naiveBucket(tl.Bucket, first); !got.Equal(want) && !(sel.q.From.After(want) && got.Equal(sel.q.From)) {
		t.Errorf("%s: first bucket starts %v, want %v", name, got, want)
	}
	var inBuckets int64
	for i, b := range tl.Buckets {
		if i > 0 && !b.From.Equal(tl.Buckets[i-1].To) {
			t.Errorf("%s: gap between buckets %d and %d", name, i-1, i)
		}
		if want := naiveBucket(tl.Bucket, b.To.Add(-time.Nanosecond)); i < len(tl.Buckets)-1 && !want.Equal(b.From) && !b.From.Equal(sel.q.From) {
			t.Errorf("%s: bucket %d is [%v, %v), not one %s", name, i, b.From, b.To, tl.Bucket)
		}
		var total, net int64
		for li, l := range tl.Labels {
			var want int64
			for _, d := range picked {
				if d.label == l && !d.created.Before(b.From) && d.created.Before(b.To) {
					want++
				}
			}
			if b.Counts[li] != want {
				t.Errorf("%s: bucket %v %s = %d, want %d", name, b.From, l, b.Counts[li], want)
			}
			total += want
			net += int64(polarity(l)) * want
			if i%7 == 0 && want > 0 { // a sample of the links
				q := sel.q
				q.Sentiment, q.From, q.To = l, b.From, b.To
				from, to := b.From, b.To
				checkLink(t, db, name+" bucket", q, docs, func(d insDoc) bool {
					return sel.keep(d) && d.label == l && !d.created.Before(from) && d.created.Before(to)
				}, b.Counts[li])
			}
		}
		if b.Total != total || (total > 0 && !near(b.Net, float64(net)/float64(total))) || (total == 0 && b.Net != 0) {
			t.Errorf("%s: bucket %v total %d net %v, want %d %v", name, b.From, b.Total, b.Net, total, float64(net)/float64(total))
		}
		inBuckets += b.Total
	}
	if inBuckets != labelled {
		t.Errorf("%s: buckets hold %d labelled documents, want %d", name, inBuckets, labelled)
	}
	if bucket != "" { // the rest does not depend on the bucket
		return
	}
	// Entities.
	type ekey struct{ label, key string }
	type estat struct {
		docs, mentions int64
		mix            map[string]int64
		forms          map[string]int64
	}
	want := map[ekey]*estat{}
	for _, d := range picked {
		seen := map[ekey]bool{}
		for _, f := range d.ents {
			k := ekey{forms[f].label, forms[f].key}
			if want[k] == nil {
				want[k] = &estat{mix: map[string]int64{}, forms: map[string]int64{}}
			}
			w := want[k]
			w.mentions++
			w.forms[forms[f].text]++
			if !seen[k] {
				seen[k] = true
				w.docs++
				if d.label != "" {
					w.mix[d.label]++
				}
			}
		}
	}
	got := 0
	for _, g := range in.Entities {
		for _, e := range g.Entities {
			got++
			w := want[ekey{e.Label, e.Key}]
			if w == nil || e.Label != g.Label {
				t.Errorf("%s: unexpected entity %+v", name, e)
				continue
			}
			mix := map[string]int64{}
			for _, m := range e.Sentiment {
				mix[m.Label] = m.Docs
			}
			fs := map[string]int64{}
			for _, f := range e.Forms {
				fs[f.Text] = f.Mentions
			}
			if e.Docs != w.docs || e.Mentions != w.mentions || !mapsEqual(mix, w.mix) || !mapsEqual(fs, w.forms) ||
				!near(e.NegativeShare, float64(w.mix["negative"])/float64(w.docs)) || !near(e.PositiveShare, float64(w.mix["positive"])/float64(w.docs)) {
				t.Errorf("%s: %s %q: %+v, want %+v", name, e.Label, e.Key, e, *w)
			}
			k := e.Key
			if strings.HasPrefix(e.Key, "apple") || e.Docs < 4 {
				q := sel.q
				q.Entities = []storage.EntityMatch{{Label: e.Label, Key: e.Key}}
				label := e.Label
				checkLink(t, db, name+" entity "+e.Key, q, docs, func(d insDoc) bool {
					return sel.keep(d) && slices.ContainsFunc(d.ents, func(f int) bool { return forms[f].label == label && forms[f].key == k })
				}, e.Docs)
				for _, m := range e.Sentiment {
					q.Sentiment = m.Label
					sl := m.Label
					checkLink(t, db, name+" entity mix", q, docs, func(d insDoc) bool {
						return sel.keep(d) && d.label == sl && slices.ContainsFunc(d.ents, func(f int) bool { return forms[f].label == label && forms[f].key == k })
					}, m.Docs)
				}
			}
		}
	}
	if got != len(want) {
		t.Errorf("%s: %d entities, want %d", name, got, len(want))
	}
	// Co-occurrence: the 6 entities with most documents, both orders of
	// every pair counted by the test and listed by History.
	co := in.Cooccur
	if len(co.Entities) != min(6, len(want)) {
		t.Fatalf("%s: %d co-occurrence entities", name, len(co.Entities))
	}
	has := func(d insDoc, m storage.EntityMatch) bool {
		return slices.ContainsFunc(d.ents, func(f int) bool { return forms[f].label == m.Label && forms[f].key == m.Key })
	}
	for i, m := range co.Entities {
		if co.Docs[i] != want[ekey{m.Label, m.Key}].docs {
			t.Errorf("%s: co-occurrence entity %v docs %d", name, m, co.Docs[i])
		}
		for _, w := range want { // nobody outside the top has more documents
			if i == len(co.Entities)-1 && w.docs > co.Docs[i] && !slices.ContainsFunc(co.Entities, func(x storage.EntityMatch) bool { return want[ekey{x.Label, x.Key}] == w }) {
				t.Errorf("%s: an entity with %d documents is not among the top", name, w.docs)
			}
		}
	}
	pairs := map[[2]int]int64{}
	for _, p := range co.Pairs {
		if p.A >= p.B || p.Docs <= 0 {
			t.Errorf("%s: pair %+v", name, p)
		}
		pairs[[2]int{p.A, p.B}] = p.Docs
	}
	for a := range co.Entities {
		for b := range co.Entities {
			if a == b {
				continue
			}
			var n int64
			for _, d := range picked {
				if has(d, co.Entities[a]) && has(d, co.Entities[b]) {
					n++
				}
			}
			if got := pairs[[2]int{min(a, b), max(a, b)}]; got != n {
				t.Errorf("%s: co-occurrence %v × %v = %d, want %d", name, co.Entities[a], co.Entities[b], got, n)
			}
			if a < b && n > 0 && (a+b)%3 == 0 {
				q := sel.q
				q.Entities = []storage.EntityMatch{co.Entities[b], co.Entities[a]} // either order
				ea, eb := co.Entities[a], co.Entities[b]
				checkLink(t, db, name+" pair", q, docs, func(d insDoc) bool { return sel.keep(d) && has(d, ea) && has(d, eb) }, n)
			}
		}
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestInsightsSortTopAndErrors(t *testing.T) {
	ctx := context.Background()
	db, docs, _ := buildInsightsCorpus(t, 9, 200, 10*24*time.Hour)
	for _, sort := range []string{"docs", "mentions", "negative", "positive"} {
		all, err := db.Insights(ctx, storage.InsightsQuery{Sort: sort, Top: 100})
		if err != nil {
			t.Fatal(err)
		}
		top, err := db.Insights(ctx, storage.InsightsQuery{Sort: sort, Top: 2})
		if err != nil {
			t.Fatal(err)
		}
		for gi, g := range all.Entities {
			val := func(e storage.EntityStat) float64 {
				switch sort {
				case "mentions":
					return float64(e.Mentions)
				case "negative":
					return e.NegativeShare
				case "positive":
					return e.PositiveShare
				}
				return float64(e.Docs)
			}
			for i := 1; i < len(g.Entities); i++ {
				a, b := g.Entities[i-1], g.Entities[i]
				if val(a) < val(b) || val(a) == val(b) && a.Docs < b.Docs {
					t.Errorf("sort %s: %s %q (%v) before %q (%v)", sort, g.Label, a.Key, val(a), b.Key, val(b))
				}
			}
			tg := top.Entities[gi]
			if tg.Label != g.Label || tg.Distinct != len(g.Entities) || len(tg.Entities) != min(2, len(g.Entities)) ||
				!slices.EqualFunc(tg.Entities, g.Entities[:len(tg.Entities)], func(a, b storage.EntityStat) bool { return a.Key == b.Key && a.Docs == b.Docs }) {
				t.Errorf("sort %s: top 2 of %s = %+v", sort, g.Label, tg.Entities)
			}
		}
	}
	_ = docs
	for _, q := range []storage.InsightsQuery{
		{Bucket: "fortnight"}, {Sort: "alphabet"}, {Top: -1}, {Top: 101}, {CoTop: 31},
		{Query: storage.Query{From: time.Unix(100, 0), To: time.Unix(100, 0)}},
		{Bucket: "hour", Query: storage.Query{}}, // 10 days of hours is 241 buckets: fine
	} {
		_, err := db.Insights(ctx, q)
		if q.Bucket == "hour" {
			if err != nil {
				t.Errorf("%+v: %v", q, err)
			}
			continue
		}
		if !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", q, err)
		}
	}
	// Too many buckets is refused with the reason.
	db2, _, _ := buildInsightsCorpus(t, 10, 20, 100*24*time.Hour)
	if _, err := db2.Insights(ctx, storage.InsightsQuery{Bucket: "hour"}); !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "buckets") {
		t.Errorf("hours over 100 days: %v", err)
	}
}

// A database from before the insights migration gets the key of every
// entity it already holds.
func TestInsightsMigrationKeysOldEntities(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/old.db"
	db, err := storage.Open(ctx, storage.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ents := []storage.Entity{{Label: "ORG", Text: "Apple's", Start: 0, End: 7}, {Label: "ORG", Text: " APPLE ", Start: 8, End: 15}}
	id, err := db.Store(ctx, storage.Result{Text: "Apple's  APPLE  x", Analyses: []storage.Analysis{
		{Task: storage.TaskSentiment, ModelID: "s@1", ModelHash: "1", Label: "positive", Score: 0.6},
		{Task: storage.TaskSentiment, ModelID: "s@2", ModelHash: "2", Label: "negative", Score: 0.8}, // the newest
		{Task: storage.TaskEntities, ModelID: "n@1", ModelHash: "1", Entities: ents}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store(ctx, storage.Result{Text: "no sentiment"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	version := schemaVersion(t)
	raw := rawDB(t, path)
	var insightsVersion int
	if err := raw.QueryRow(`SELECT version FROM schema_migrations WHERE name LIKE '%_insights'`).Scan(&insightsVersion); err != nil {
		t.Fatal(err)
	}
	// The schema as it was before: no norm column, the version before the
	// insights migration (the objects of later migrations dropped, so that
	// they are applied again: document meta, corrections, duplicates).
	if _, err := raw.Exec(`ALTER TABLE entities DROP COLUMN norm; DROP INDEX documents_insights;
		ALTER TABLE documents DROP COLUMN sentiment; ALTER TABLE documents DROP COLUMN sentiment_score;
		ALTER TABLE documents DROP COLUMN meta;
		CREATE INDEX documents_created ON documents(created_at);
		DROP TABLE correction_entities; DROP TABLE corrections;
		DROP TABLE import_rows; DROP INDEX documents_import; ALTER TABLE documents DROP COLUMN seen;
		CREATE INDEX documents_import ON documents(import_id);
		DELETE FROM schema_migrations WHERE version >= ` + strconv.Itoa(insightsVersion) + `;
		PRAGMA user_version = ` + strconv.Itoa(insightsVersion-1)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db = openAt(t, path)
	if got := mustStats(t, db).SchemaVersion; got != version {
		t.Fatalf("schema version %d after reopening, want %d", got, version)
	}
	in, err := db.Insights(ctx, storage.InsightsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Documents != 2 || in.Unlabelled != 1 || len(in.Sentiment) != 1 || in.Sentiment[0].Label != "negative" || in.Sentiment[0].MeanScore != 0.8 {
		t.Errorf("sentiment after migration (the newest analysis counts): %+v", in)
	}
	if len(in.Entities) != 1 || len(in.Entities[0].Entities) != 1 || in.Entities[0].Entities[0].Key != "apple" ||
		in.Entities[0].Entities[0].Docs != 1 || in.Entities[0].Entities[0].Mentions != 2 || len(in.Entities[0].Entities[0].Forms) != 2 {
		t.Fatalf("entities after migration: %+v", in.Entities)
	}
	if ids := searchIDs(t, db, storage.Query{Entities: []storage.EntityMatch{{Label: "ORG", Key: "apple’s"}}}); !slices.Equal(ids, []storage.DocID{id}) {
		t.Fatalf("History for apple after migration: %v", ids)
	}
}

// EntityKey's fast path for plain ASCII gives what full folding gives.
func FuzzEntityKey(f *testing.F) {
	for _, s := range []string{"Apple's", " APPLE ", "a\tb", "a  b", "Straße", "x\x00y", "K", "a\x85b", "Jones’s", "'s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := storage.EntityKey(s)
		blank := len(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == 0 })) == 0
		if k != storage.EntityKey(k) && !blank {
			t.Errorf("EntityKey(%q) = %q is not a fixed point: %q", s, k, storage.EntityKey(k))
		}
		if strings.Contains(k, "  ") && !blank { // a blank text keeps its folded form
			t.Errorf("EntityKey(%q) = %q keeps a double space", s, k)
		}
	})
}
