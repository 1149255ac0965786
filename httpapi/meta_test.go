package httpapi_test

import (
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
)

// An upload with meta_column keeps the metadata; the preview names the meta
// columns; GET /v1/results filters by meta=KEY:VALUE (and meta.KEY=VALUE),
// each exactly, and the export of the same filter carries ext_id and meta.
func TestHTTPMetaFilter(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	csvText := "id,product,author,body\n" +
		"1,phone,Ann,the phone is great\n" +
		"2,laptop,Ann,the laptop broke\n" +
		"3,phone,Bo,battery of the phone is fine\n" +
		"4,phone: pro,Cy,the pro phone is too big\n"
	fields := map[string]string{"tasks": "sentiment", "id_column": "id", "meta_column": "*"}
	resp, b := s.uploadTo("/v1/imports/preview", map[string]string{"r.csv": csvText}, fields)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"meta_columns":["product","author"]`) {
		t.Fatalf("preview: %d %s", resp.StatusCode, b)
	}
	resp, b = s.upload(map[string]string{"r.csv": csvText}, fields)
	if resp.StatusCode != 202 {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	var list struct {
		Imports []app.ImportStatus `json:"imports"`
	}
	s.do("GET", "/v1/imports", nil, &list)
	if len(list.Imports) != 1 {
		t.Fatalf("imports: %+v", list)
	}
	if st := s.waitImport(list.Imports[0].ID); st.State != app.StateDone || st.Done != 4 {
		t.Fatalf("import: %+v", st)
	}
	f := func(query string, want ...string) {
		t.Helper()
		var page app.SearchPage
		resp, b := s.do("GET", "/v1/results?"+query, nil, &page)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", query, resp.StatusCode, b)
		}
		var got []string
		for _, it := range page.Items {
			got = append(got, it.ExtID)
			if it.Metadata["product"] == "" {
				t.Errorf("%s: item without metadata %+v", query, it)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || page.Total == nil || *page.Total != int64(len(want)) {
			t.Errorf("%s: ids %v total %v, want %v", query, got, page.Total, want)
		}
	}
	f("meta=product:phone", "1", "3")
	f("meta="+url.QueryEscape("product:phone: pro"), "4") // the value keeps its ':'
	f("meta.product=phone&meta=author:Bo", "3")
	f("meta.author=Ann", "1", "2")
	f("meta=product:Phone") // exact: no match
	for _, q := range []string{"meta=product", "meta=:x", "meta=product:a&meta.product=b"} {
		if resp, b := s.do("GET", "/v1/results?"+q, nil, nil); resp.StatusCode != 400 || !strings.Contains(string(b), "meta filter") {
			t.Errorf("%s: %d %s", q, resp.StatusCode, b)
		}
	}
	resp, b = s.do("GET", "/v1/results/export?format=csv&meta=product:phone", nil, nil)
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 3 {
		t.Fatalf("export: %d %v %s", resp.StatusCode, err, b)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	if recs[1][col["ext_id"]] != "1" || recs[1][col["meta"]] != `{"author":"Ann","product":"phone"}` {
		t.Errorf("export row %q", recs[1])
	}
	var doc app.DocumentResult
	s.do("GET", "/v1/results/1", nil, &doc)
	if doc.Metadata["author"] == "" {
		t.Errorf("results/1 without metadata: %+v", doc)
	}
}
