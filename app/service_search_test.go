package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// What History shows for a search and what its Export writes are the same
// documents: the search syntax (emoji, CJK, OR, NOT, phrases, prefixes) and
// case-insensitive label filters through the Service, each checked
// against the test's own reading of the analysed texts, with the count on
// the first page.
func TestServiceSearchAndExportAgree(t *testing.T) {
	svc := newService(t, testConfig(t))
	ctx := context.Background()
	texts := []string{
		"Alice loved Paris 😍 and the great food",
		"Bob found Berlin awful",
		"Tesla shares look great",
		"Sony and Tesla announce a partnership",
		"a bad day in London with Maria",
		"東京タワー was great",
		"大阪と東京 were awful",
		"Tesla recall in 東京 😍",
		"Teslas everywhere, good for Bob",
		"plain words only",
	}
	res, err := svc.Analyze(ctx, app.AnalyzeRequest{Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	words := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	hasWord := func(s, w string) bool { return slices.Contains(words(s), w) }
	// want lists the ids of the analysed results that keep says to keep, newest first.
	want := func(keep func(r app.DocumentResult) bool) []int64 {
		var ids []int64
		for i := len(res.Results) - 1; i >= 0; i-- {
			if r := res.Results[i]; keep(r) {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}
	hasEntity := func(r app.DocumentResult, label string) bool {
		return slices.ContainsFunc(r.Entities, func(e engine.Entity) bool { return e.Label == label })
	}
	cases := []struct {
		q    app.SearchQuery
		want []int64
	}{
		{app.SearchQuery{Q: "😍"}, want(func(r app.DocumentResult) bool { return strings.Contains(r.Text, "😍") })},
		{app.SearchQuery{Q: "東京"}, want(func(r app.DocumentResult) bool { return strings.Contains(r.Text, "東京") })},
		{app.SearchQuery{Q: "Tesla OR Sony"}, want(func(r app.DocumentResult) bool { return hasWord(r.Text, "tesla") || hasWord(r.Text, "sony") })},
		{app.SearchQuery{Q: "tesla -sony"}, want(func(r app.DocumentResult) bool { return hasWord(r.Text, "tesla") && !hasWord(r.Text, "sony") })},
		{app.SearchQuery{Q: "tesla*"}, want(func(r app.DocumentResult) bool {
			return slices.ContainsFunc(words(r.Text), func(w string) bool { return strings.HasPrefix(w, "tesla") })
		})},
		{app.SearchQuery{Q: `"shares look"`}, want(func(r app.DocumentResult) bool { return strings.Contains(r.Text, "shares look") })},
		{app.SearchQuery{Q: "great 東京"}, want(func(r app.DocumentResult) bool { return hasWord(r.Text, "great") && strings.Contains(r.Text, "東京") })},
		{app.SearchQuery{Sentiment: "negative"}, want(func(r app.DocumentResult) bool { return strings.EqualFold(r.Sentiment.Label, "negative") })},
		{app.SearchQuery{EntityLabel: "loc"}, want(func(r app.DocumentResult) bool { return hasEntity(r, "LOC") })},
		{app.SearchQuery{EntityLabel: "Per", Sentiment: "Positive"}, want(func(r app.DocumentResult) bool {
			return hasEntity(r, "PER") && strings.EqualFold(r.Sentiment.Label, "positive")
		})},
		{app.SearchQuery{}, want(func(app.DocumentResult) bool { return true })},
	}
	for _, c := range cases {
		if len(c.want) == 0 && c.q.Q != "" {
			t.Fatalf("%+v: the fixture texts give nothing to find", c.q)
		}
		var shown []int64
		q := c.q
		q.Limit = 2
		for page := 0; ; page++ {
			p, err := svc.Search(ctx, q)
			if err != nil {
				t.Fatalf("Search(%+v): %v", q, err)
			}
			if page == 0 && (p.Total == nil || *p.Total != int64(len(c.want)) || !p.TotalExact) {
				t.Errorf("Search(%+v): total %v (exact %v), want %d", c.q, p.Total, p.TotalExact, len(c.want))
			}
			if page > 0 && p.Total != nil {
				t.Errorf("Search(%+v): page %d counts again", c.q, page)
			}
			for _, it := range p.Items {
				shown = append(shown, it.ID)
			}
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		if !slices.Equal(shown, c.want) {
			t.Errorf("Search(%+v) = %v, want %v", c.q, shown, c.want)
		}
		var buf strings.Builder
		if err := svc.ExportResults(ctx, &buf, "jsonl", c.q); err != nil {
			t.Fatalf("Export(%+v): %v", c.q, err)
		}
		var exported []int64
		sc := bufio.NewScanner(strings.NewReader(buf.String()))
		for sc.Scan() {
			var row struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatal(err)
			}
			exported = append(exported, row.ID)
		}
		slices.Reverse(exported) // oldest first
		if !slices.Equal(exported, shown) {
			t.Errorf("Export(%+v) = %v, but the search shows %v", c.q, exported, shown)
		}
	}
	// A malformed search is a bad request with a message for the user,
	// in search and export alike.
	for _, q := range []string{"-tesla", "tesla OR", "te*", "(tesla))"} {
		_, err := svc.Search(ctx, app.SearchQuery{Q: q})
		if !errors.Is(err, app.ErrBadRequest) || app.CodeOf(err) != app.CodeBadRequest || !strings.HasPrefix(err.Error(), "search: ") {
			t.Errorf("Search(%q): %v, want a bad request saying what is wrong", q, err)
		}
		if err := svc.ExportResults(ctx, &strings.Builder{}, "csv", app.SearchQuery{Q: q}); !errors.Is(err, app.ErrBadRequest) {
			t.Errorf("Export(%q): %v, want a bad request", q, err)
		}
	}
}
