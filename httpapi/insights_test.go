package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
)

// Insights over the real engine: the counts equal what the test counts in
// the analysis answers, and History's query for a count lists that many.
func TestHTTPInsights(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	texts := []string{"Alice in Paris was great", "Bob in London, awful", "great food in Berlin", "the film was boring",
		"Alice and Bob in Paris, great", "awful rain in Paris"}
	labels := map[string]int64{}
	type ek struct{ label, key string }
	docs := map[ek]int64{}
	both := map[[2]ek]int64{}
	for _, tx := range texts {
		var res app.AnalyzeResponse
		s.do("POST", "/v1/analyze", map[string]any{"text": tx}, &res)
		d := res.Results[0]
		labels[d.Sentiment.Label]++
		seen := map[ek]bool{}
		for _, e := range d.Entities {
			k := ek{e.Label, strings.ToLower(e.Text)}
			if !seen[k] {
				seen[k] = true
				docs[k]++
			}
		}
		for a := range seen {
			for b := range seen {
				if a.key < b.key {
					both[[2]ek{a, b}]++
				}
			}
		}
	}
	var in app.Insights
	s.do("GET", "/v1/insights?co_top=5", nil, &in)
	if in.Documents != int64(len(texts)) || len(in.Sentiment) != len(labels) {
		t.Fatalf("insights: %+v", in)
	}
	for _, c := range in.Sentiment {
		if c.Docs != labels[c.Label] {
			t.Errorf("sentiment %s: %d, the analyses say %d", c.Label, c.Docs, labels[c.Label])
		}
		var page app.SearchPage
		s.do("GET", "/v1/results?sentiment="+url.QueryEscape(c.Label), nil, &page)
		if int64(len(page.Items)) != c.Docs {
			t.Errorf("History for %s lists %d, Insights counts %d", c.Label, len(page.Items), c.Docs)
		}
	}
	if in.Timeline.Bucket != "hour" || !in.Timeline.Auto || len(in.Timeline.Buckets) != 1 || in.Timeline.Buckets[0].Total != int64(len(texts)) {
		t.Errorf("timeline of documents stored within a second: %+v", in.Timeline)
	}
	n := 0
	for _, g := range in.Entities {
		for _, e := range g.Entities {
			n++
			if want := docs[ek{e.Label, e.Key}]; e.Docs != want {
				t.Errorf("%s %q: %d documents, the analyses say %d", e.Label, e.Key, e.Docs, want)
			}
			var page app.SearchPage
			s.do("GET", "/v1/results?entity="+url.QueryEscape(e.Label+":"+e.Key), nil, &page)
			if int64(len(page.Items)) != e.Docs {
				t.Errorf("History for %s:%s lists %d, Insights counts %d", e.Label, e.Key, len(page.Items), e.Docs)
			}
		}
	}
	if n != len(docs) || docs[ek{"LOC", "paris"}] != 3 {
		t.Errorf("%d entities listed, the analyses have %d: %v", n, len(docs), docs)
	}
	co := in.Cooccur
	for _, p := range co.Pairs {
		a, b := ek{co.Entities[p.A].Label, co.Entities[p.A].Key}, ek{co.Entities[p.B].Label, co.Entities[p.B].Key}
		if a.key > b.key {
			a, b = b, a
		}
		if p.Docs != both[[2]ek{a, b}] {
			t.Errorf("co-occurrence %v × %v = %d, want %d", a, b, p.Docs, both[[2]ek{a, b}])
		}
		var page app.SearchPage
		s.do("GET", "/v1/results?entity="+url.QueryEscape(a.label+":"+a.key)+"&entity="+url.QueryEscape(b.label+":"+b.key), nil, &page)
		if int64(len(page.Items)) != p.Docs {
			t.Errorf("History for %v and %v lists %d, Insights counts %d", a, b, len(page.Items), p.Docs)
		}
	}
	if len(co.Pairs) == 0 {
		t.Error("no co-occurring entities (Alice and Paris occur together twice)")
	}
	// A selection: the search "paris" narrows every panel.
	s.do("GET", "/v1/insights?q=paris&bucket=day&sort=negative&top=1", nil, &in)
	if in.Documents != 3 || in.Timeline.Bucket != "day" || in.Timeline.Auto {
		t.Errorf("q=paris: %d documents, bucket %s", in.Documents, in.Timeline.Bucket)
	}
	for _, g := range in.Entities {
		if len(g.Entities) != 1 {
			t.Errorf("top=1: %s has %d", g.Label, len(g.Entities))
		}
	}
	var ims []app.StoredImport
	if resp, _ := s.do("GET", "/v1/insights/imports", nil, &ims); resp.StatusCode != 200 || ims == nil {
		t.Errorf("imports: %d %v", resp.StatusCode, ims)
	}
	for _, bad := range []string{"bucket=fortnight", "sort=alpha", "top=0", "top=101", "co_top=x", "entity=nolabel", "entity=ORG:", "from=yesterday",
		"from=2026-02-01&to=2026-01-01"} {
		s.wantError("GET", "/v1/insights?"+bad, nil, http.StatusBadRequest, "bad_request")
	}
	// Behind the guard like every route: another site's name is refused.
	req, _ := http.NewRequest("GET", s.srv.URL+"/v1/insights", nil)
	req.Host = "evil.example"
	if resp, err := s.srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %v %v", resp.StatusCode, err)
	}
}
