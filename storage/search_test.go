package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/storage"
)

var vocab = []string{"alpha", "alpine", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"}

// corpusDoc is the test's own model of a stored document.
type corpusDoc struct {
	id       storage.DocID
	text     string
	label    string
	entities []storage.Entity
	source   string
	model    string
	importID storage.ImportID
	created  time.Time
}

// buildCorpus stores n deterministic documents in batches of 100 and returns
// the model of each, in id order.
func buildCorpus(t testing.TB, db *storage.DB, n int, imp storage.ImportID) []corpusDoc {
	t.Helper()
	ctx := context.Background()
	var docs []corpusDoc
	var batch []storage.Result
	flush := func() {
		ids, err := db.StoreBatch(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			docs[len(docs)-len(ids)+i].id = id
		}
		batch = batch[:0]
	}
	for i := range n {
		text := fmt.Sprintf("%s %s %s number%d", vocab[i%len(vocab)], vocab[(i/3)%len(vocab)], vocab[(i/7)%len(vocab)], i)
		label := []string{"POSITIVE", "NEGATIVE", "NEUTRAL"}[i%3]
		model := []string{"m1@h1", "m2@h2"}[i%2]
		var ents []storage.Entity
		if i%5 == 0 {
			w := vocab[i%len(vocab)]
			ents = append(ents, storage.Entity{Label: "PER", Text: strings.ToUpper(w[:1]) + w[1:], Start: 0, End: len(w), Score: 0.9})
		}
		if i%4 == 0 {
			w := vocab[(i/3)%len(vocab)]
			start := len(vocab[i%len(vocab)]) + 1
			ents = append(ents, storage.Entity{Label: "LOC", Text: w, Start: start, End: start + len(w), Score: 0.8})
		}
		r := storage.Result{Text: text, Source: fmt.Sprintf("/in/file%d.txt", i%3), Line: i + 1, ImportID: imp, KeepDuplicate: true,
			Analyses: []storage.Analysis{{Task: storage.TaskSentiment, ModelID: model, ModelHash: strings.Split(model, "@")[1],
				Label: label, Score: 0.5 + float64(i%50)/100, Scores: []storage.LabelScore{{Label: label, Score: 0.7}}}}}
		if len(ents) > 0 {
			r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "ner@n", ModelHash: "n", Entities: ents})
		}
		batch = append(batch, r)
		docs = append(docs, corpusDoc{text: text, label: label, entities: ents, source: r.Source, model: model, importID: imp})
		if len(batch) == 100 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return docs
}

// expect filters the model like Search should, newest first.
func expect(docs []corpusDoc, q storage.Query) []storage.DocID {
	terms := strings.Fields(strings.ToLower(strings.ReplaceAll(q.Text, " AND ", " ")))
	var out []storage.DocID
	for _, d := range docs {
		words := strings.Fields(strings.ToLower(d.text))
		ok := true
		for _, term := range terms {
			found := slices.ContainsFunc(words, func(w string) bool {
				if p, isPrefix := strings.CutSuffix(term, "*"); isPrefix {
					return strings.HasPrefix(w, p)
				}
				return w == term
			})
			ok = ok && found
		}
		if q.Sentiment != "" && !strings.EqualFold(d.label, q.Sentiment) {
			ok = false
		}
		if q.EntityLabel != "" || q.EntityText != "" {
			ok = ok && slices.ContainsFunc(d.entities, func(e storage.Entity) bool {
				return (q.EntityLabel == "" || strings.EqualFold(e.Label, q.EntityLabel)) && (q.EntityText == "" || strings.EqualFold(e.Text, q.EntityText))
			})
		}
		if q.Model != "" && d.model != q.Model && !strings.HasSuffix(d.model, "@"+q.Model) {
			ok = false
		}
		if q.Source != "" && d.source != q.Source {
			ok = false
		}
		if !q.From.IsZero() && d.created.Before(q.From) || !q.To.IsZero() && !d.created.Before(q.To) {
			ok = false
		}
		if ok {
			out = append(out, d.id)
		}
	}
	slices.Reverse(out)
	return out
}

// searchAll pages through q and returns all ids, checking page invariants.
func searchAll(t *testing.T, db *storage.DB, q storage.Query) []storage.DocID {
	t.Helper()
	var ids []storage.DocID
	q.WithTotal = true
	var total int64 = -2
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		p, err := db.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		if p.Total >= 0 && !p.TotalExact {
			t.Fatalf("Search(%+v): total %d not exact", q, p.Total)
		}
		if total == -2 {
			total = p.Total
		} else if p.Total != -1 && p.Total != total {
			t.Fatalf("Total changed while paging: %d, then %d", total, p.Total)
		}
		if p.Next != "" && len(p.Hits) != q.Limit {
			t.Fatalf("short page (%d of %d) with a next cursor", len(p.Hits), q.Limit)
		}
		for _, h := range p.Hits {
			ids = append(ids, h.ID)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
		q.WithTotal = pages%10 == 9 // the total is the same on every page
	}
	if total != int64(len(ids)) {
		t.Fatalf("Total = %d, paged through %d", total, len(ids))
	}
	return ids
}

// The count is exact up to the bound, and the bound beyond it.
func TestSearchTotalBound(t *testing.T) {
	db := openTest(t)
	docs := buildCorpus(t, db, 1200, 0)
	ctx := context.Background()
	for _, c := range []struct {
		q     storage.Query
		total int64
		exact bool
	}{
		{storage.Query{WithTotal: true}, 1200, true},
		{storage.Query{WithTotal: true, TotalLimit: 1200}, 1200, true},
		{storage.Query{WithTotal: true, TotalLimit: 1199}, 1199, false},
		{storage.Query{WithTotal: true, TotalLimit: 100}, 100, false},
		{storage.Query{Text: "alpha", WithTotal: true}, int64(len(expect(docs, storage.Query{Text: "alpha"}))), true},
		{storage.Query{Text: "alpha", WithTotal: true, TotalLimit: 10}, 10, false},
		{storage.Query{Text: "alpha", Sentiment: "POSITIVE", WithTotal: true, TotalLimit: 10}, 10, false},
		{storage.Query{Text: "nothingmatches", WithTotal: true, TotalLimit: 10}, 0, true},
		{storage.Query{Text: "*", WithTotal: true}, 0, true},
		{storage.Query{Text: "alpha"}, -1, false},
	} {
		p, err := db.Search(ctx, c.q)
		if err != nil || p.Total != c.total || p.TotalExact != c.exact {
			t.Errorf("Search(%+v): total %d exact %v (%v), want %d %v", c.q, p.Total, p.TotalExact, err, c.total, c.exact)
		}
	}
	if n := len(expect(docs, storage.Query{Text: "alpha"})); n < 20 {
		t.Fatalf("corpus has %d alpha documents: too few to test the bound", n)
	}
}

func TestSearchFiltersAndKeysetPaging(t *testing.T) {
	c := newClock()
	db := openTest(t, func(cfg *storage.Config) { cfg.Now = c.now })
	docs := buildCorpus(t, db, 1500, 0)
	ctx := context.Background()
	for i := range docs {
		d, err := db.Get(ctx, docs[i].id)
		if err != nil {
			t.Fatal(err)
		}
		docs[i].created = d.Created
	}
	from, to := docs[300].created, docs[900].created
	queries := []storage.Query{
		{},
		{Text: "alpha"},
		{Text: "alp*"},        // prefix
		{Text: "alp"},         // a word, not a prefix
		{Text: "alp* bra*"},   // two prefixes
		{Text: "Alpha bravo"}, // AND, case-insensitive
		{Text: "echo golf hot*"},
		{Text: "echo AND golf"},
		{Sentiment: "NEGATIVE"},
		{Sentiment: "negative"}, // labels match whatever their case
		{EntityLabel: "PER"},
		{EntityLabel: "per"},
		{EntityLabel: "Loc", EntityText: "DELTA"},
		{EntityText: "paris"},
		{EntityText: "ALPHA"},
		{EntityLabel: "LOC", EntityText: "delta"},
		{EntityLabel: "PER", EntityText: "delta"},
		{Model: "m2@h2"},
		{Model: "h1", Sentiment: "POSITIVE"},
		{Source: "/in/file1.txt", Text: "india"},
		{From: from, To: to},
		{From: from, Text: "juliet", Sentiment: "NEUTRAL", EntityLabel: "LOC"},
		{Text: "number1499"},
		{Text: "nothingmatches"},
	}
	for _, q := range queries {
		for _, limit := range []int{1, 7, 50, 1000} {
			q.Limit = limit
			if limit == 1 && len(expect(docs, q)) > 300 {
				continue // one-row pages over everything: slow under -race, covered by 7
			}
			got := searchAll(t, db, q)
			want := expect(docs, q)
			if !slices.Equal(got, want) {
				t.Fatalf("Search(%+v): %d ids %v…, want %d %v…", q, len(got), head(got), len(want), head(want))
			}
		}
	}
}

func head(ids []storage.DocID) []storage.DocID { return ids[:min(len(ids), 5)] }

func TestSearchHitContents(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	long := strings.Repeat("filler ", 100) + "the <script>alert('x')</script> needle & more " + strings.Repeat("tail ", 100)
	r := sentimentResult(long, "NEGATIVE")
	r.Source, r.Line = "a.txt", 3
	r.Analyses = append(r.Analyses, storage.Analysis{Task: storage.TaskEntities, ModelID: "ner", ModelHash: "n",
		Entities: []storage.Entity{{Label: "MISC", Text: "needle", Start: 0, End: 6}}})
	id, err := db.Store(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Search(ctx, storage.Query{Text: "needle"})
	if err != nil || len(p.Hits) != 1 {
		t.Fatalf("Search: %+v, %v", p, err)
	}
	h := p.Hits[0]
	if h.ID != id || h.Source != "a.txt" || h.Line != 3 || h.Entities != 1 || h.Sentiment == nil || h.Sentiment.Label != "NEGATIVE" || h.Sentiment.Model != "sst2@abc" {
		t.Fatalf("hit = %+v", h)
	}
	if !strings.Contains(h.Snippet, "<mark>needle</mark>") || strings.Contains(h.Snippet, "<script>") ||
		!strings.Contains(h.Snippet, "&lt;script&gt;") || strings.Contains(h.Snippet, "filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler filler") {
		t.Fatalf("snippet not an escaped excerpt around the match: %q", h.Snippet)
	}
	if len([]rune(h.Text)) != 300 || !strings.HasPrefix(long, h.Text) {
		t.Fatalf("preview text = %d runes", len([]rune(h.Text)))
	}
	p, err = db.Search(ctx, storage.Query{Text: "needle", MarkOpen: "[[", MarkClose: "]]"})
	if err != nil || !strings.Contains(p.Hits[0].Snippet, "[[needle]]") || !strings.Contains(p.Hits[0].Snippet, "<script>") {
		t.Fatalf("plain snippet with markers: %q, %v", p.Hits[0].Snippet, err)
	}
	if _, err := db.Search(ctx, storage.Query{Cursor: "garbage!"}); !errors.Is(err, storage.ErrBadCursor) {
		t.Fatalf("bad cursor: %v, want ErrBadCursor", err)
	}
}

// FTS5 syntax that the search syntax does not have (NEAR, column filters,
// ^, {}, +) is only words or separators, SQL in a search is just text, and
// a malformed query is a QueryError, never an SQL error.
func TestSearchInjection(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	texts := []string{
		`alpha beta`, `alpha or gamma`, `near alpha`, `quote " inside`, `star * here`, `paren ( open`,
		`drop table documents`, `text: colon`, `alpha NOT beta`,
	}
	for _, s := range texts {
		if _, err := db.Store(ctx, sentimentResult(s, "POSITIVE")); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		q    string
		want int // hits; -1: a QueryError
	}{
		{`alpha OR gamma`, 4},   // operator
		{`alpha or gamma`, 1},   // lower case: the word "or"
		{`alpha AND`, 4},        // a lone AND is the implicit AND
		{`NEAR(alpha beta)`, 0}, // near + alpha + beta: no document has all three
		{`near alpha`, 1},       //
		{`"alpha`, 4},           // an unclosed phrase runs to the end
		{`alpha"`, 4},           //
		{`"alpha beta"`, 1},     // phrase: in this order
		{`*`, 0},                // no word: matches nothing
		{`alpha*`, 4},           //
		{`(alpha`, 4},           // the end closes a group
		{`alpha (`, 4},          //
		{`alpha)`, -1},          //
		{`)(`, -1},              //
		{`()`, -1},              //
		{`text:alpha`, 0},       // column filter syntax is the phrase "text alpha"
		{`text: colon`, 1},      //
		{`{text}: alpha`, 0},    //
		{`^alpha`, 4},           //
		{`-alpha`, -1},          // nothing to find
		{`NOT alpha`, -1},       //
		{`NOT`, -1},             //
		{`alpha -beta`, 2},      //
		{`beta -alpha`, 0},      //
		{`alpha NOT beta`, 2},   // operator
		{`alpha "NOT" beta`, 1}, // quoted: the word
		{`-(alpha beta) gamma`, 1},
		{`alpha OR`, -1},
		{`OR alpha`, -1},
		{`alpha OR OR beta`, -1},
		{`al*`, -1}, // prefix too short
		{`'; DROP TABLE documents; --`, 1},
		{"alpha\x00beta", 2},
		{`""`, 0},
		{`\`, 0},
		{`alpha + beta`, 2},
	}
	for _, c := range cases {
		p, err := db.Search(ctx, storage.Query{Text: c.q, WithTotal: true})
		var qe *storage.QueryError
		if c.want < 0 {
			if !errors.As(err, &qe) || !errors.Is(err, storage.ErrInvalid) || !strings.HasPrefix(err.Error(), "search: ") {
				t.Errorf("Search(%q): %v, want a QueryError", c.q, err)
			}
			if _, xerr := db.Export(ctx, io.Discard, storage.FormatCSV, storage.Query{Text: c.q}); !errors.As(xerr, &qe) {
				t.Errorf("Export(%q): %v, want a QueryError", c.q, xerr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Search(%q): %v", c.q, err)
			continue
		}
		if p.Total != int64(c.want) || len(p.Hits) != c.want {
			t.Errorf("Search(%q) = %d hits (total %d), want %d", c.q, len(p.Hits), p.Total, c.want)
		}
	}
	if s := mustStats(t, db); s.Documents != int64(len(texts)) {
		t.Fatalf("documents = %d after injection attempts", s.Documents)
	}
	mustCheck(t, db)
}

// The search syntax on a corpus with emoji, CJK, Thai and Hangul: every
// query's hits are the documents listed by hand.
func TestSearchSyntax(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	texts := []string{
		0:  "Tesla stock rises 😍 after the launch",
		1:  "Sony announces a new camera",
		2:  "I love my Tesla Model Y 😍😍",
		3:  "東京タワーに行きました",
		4:  "大阪と東京の旅行",
		5:  "Tesla recall in Tokyo 東京",
		6:  "great day ❤️ at the beach",
		7:  "heart ❤ without selector",
		8:  "Bangkok: กรุงเทพมหานคร is the capital",
		9:  "서울에서 만나요",
		10: "Sony and Tesla partner up",
		11: "nothing special here :)",
		12: "teslas are cars",
		13: "Crème brûlée à Paris",
	}
	var ids []storage.DocID
	for _, s := range texts {
		id, err := db.Store(ctx, sentimentResult(s, "POSITIVE"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	cases := []struct {
		q    string
		want []int
	}{
		{"😍", []int{0, 2}},
		{"😍😍", []int{2}},
		{"東京", []int{3, 4, 5}},
		{"東京タワー", []int{3}},
		{"京タ", []int{3}},
		{"タワー", []int{3}},
		{"Tesla OR Sony", []int{0, 1, 2, 5, 10}},
		{"Tesla -recall", []int{0, 2, 10}},
		{"tesla NOT sony", []int{0, 2, 5}},
		{`"model y"`, []int{2}},
		{`"y model"`, nil},
		{"tesla*", []int{0, 2, 5, 10, 12}},
		{"TESLA", []int{0, 2, 5, 10}},
		{"(Tesla OR Sony) -camera -😍", []int{5, 10}},
		{"Tesla 😍", []int{0, 2}},
		{"Tesla 東京", []int{5}},
		{"Tokyo OR 東京", []int{3, 4, 5}},
		{"😍 OR ❤", []int{0, 2, 6, 7}},
		{"❤️", []int{6, 7}}, // with a variation selector
		{"กรุงเทพ", []int{8}},
		{"서울", []int{9}},
		{`":)"`, []int{11}},
		{"-tesla 東京", []int{3, 4}},
		{"東京 -タワー", []int{4, 5}},
		{`tesla ("model y" OR recall)`, []int{2, 5}},
		{"creme brulee", []int{13}}, // accents ignored
		{"東京 OR sony", []int{1, 3, 4, 5, 10}},
		{"-😍 tesla*", []int{5, 10, 12}},
	}
	for _, c := range cases {
		var want []storage.DocID
		for i := len(c.want) - 1; i >= 0; i-- {
			want = append(want, ids[c.want[i]])
		}
		for _, limit := range []int{1, 50} {
			got := searchAll(t, db, storage.Query{Text: c.q, Limit: limit})
			if !slices.Equal(got, want) {
				t.Errorf("Search(%q, limit %d) = %v, want %v", c.q, limit, got, want)
			}
		}
		var buf strings.Builder
		n, err := db.Export(ctx, &buf, storage.FormatJSONL, storage.Query{Text: c.q})
		if err != nil || n != int64(len(want)) {
			t.Errorf("Export(%q) = %d rows, %v; want %d", c.q, n, err, len(want))
		}
	}
	// Snippets mark the match, whichever index found it.
	for q, mark := range map[string]string{"😍": "[[😍]]", "東京タワー": "[[東京タワー]]", "tesla 😍": "[[Tesla]]", "京タ": "[[京タ]]"} {
		p, err := db.Search(ctx, storage.Query{Text: q, MarkOpen: "[[", MarkClose: "]]"})
		if err != nil || len(p.Hits) == 0 || !strings.Contains(p.Hits[len(p.Hits)-1].Snippet, mark) {
			t.Errorf("Search(%q): snippet lacks %q: %+v, %v", q, mark, p.Hits, err)
		}
	}
	// Deleting documents keeps the trigram index consistent.
	if err := db.DeleteDocument(ctx, ids[3]); err != nil {
		t.Fatal(err)
	}
	if got := searchAll(t, db, storage.Query{Text: "東京", Limit: 10}); !slices.Equal(got, []storage.DocID{ids[5], ids[4]}) {
		t.Errorf("after delete: 東京 = %v", got)
	}
	mustCheck(t, db)
}
