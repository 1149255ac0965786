package app_test

import (
	"testing"

	"github.com/nlpscope/nlpscope/app"
)

// CountCached reads responses of any server a URL load test drives: it
// counts the results of both response shapes and never more hits than
// results, whatever the body.
func TestCountCached(t *testing.T) {
	for _, tc := range []struct {
		body          string
		results, hits int
	}{
		{`{"text":"a","meta":{"sentiment":{"model":"m","cached":true,"timings":{}}}}`, 1, 1},
		{`{"results":[{"meta":{"sentiment":{"cached":false},"entities":{"cached":true}}},{"meta":{"entities":{"cached":true}}}]}`, 3, 2},
		{`{"label":"positive","score":0.9}`, 0, 0},
		{`{"cached":true}`, 0, 0},
		{`not json "cached"`, 0, 0},
		{``, 0, 0},
	} {
		if n, h := app.CountCached([]byte(tc.body)); n != tc.results || h != tc.hits {
			t.Errorf("CountCached(%s) = %d, %d; want %d, %d", tc.body, n, h, tc.results, tc.hits)
		}
	}
}

func FuzzCountCached(f *testing.F) {
	f.Add([]byte(`{"results":[{"meta":{"sentiment":{"cached":true}}}]}`))
	f.Add([]byte(`{"meta":{"entities":{"cached":false}}}`))
	f.Add([]byte(`{"meta":{"entities":{"cached":"yes"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, h := app.CountCached(body)
		if n < 0 || h < 0 || h > n {
			t.Fatalf("CountCached(%q) = %d results, %d hits", body, n, h)
		}
	})
}
