package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
	"github.com/nlpscope/nlpscope/profiler"
)

// post sends a JSON POST with extra headers and returns the status and body.
func (s *shell) post(path, body string, headers map[string]string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestHTTPCacheHeader: X-Nlpscope-Cache: bypass (or "no_cache") computes a
// repeated text instead of answering it from the in-memory cache or from
// the stored results; a browser page of the app may send it; a bad value is
// refused.
func TestHTTPCacheHeader(t *testing.T) {
	memory := testConfig(t)
	memory.NoDB, memory.DBPath = true, ""
	stored := testConfig(t)
	stored.Tuning.CacheEntries = -1 // only the second-level cache (SQLite)
	for name, cfg := range map[string]app.Config{"memory cache": memory, "stored results": stored} {
		t.Run(name, func(t *testing.T) {
			s := newShell(t, cfg, httpapi.ServerConfig{})
			hits := func(path, body string, h map[string]string) (int, int) {
				t.Helper()
				code, b := s.post(path, body, h)
				if code != 200 {
					t.Fatalf("POST %s %v: %d %s", path, h, code, b)
				}
				return app.CountCached(b)
			}
			const one = `{"text":"good film"}`
			if n, h := hits("/v1/sentiment/analyze", one, nil); n != 1 || h != 0 {
				t.Fatalf("first request: %d results, %d cached", n, h)
			}
			if _, h := hits("/v1/sentiment/analyze", one, nil); h != 1 {
				t.Fatalf("repeat without the header: %d cached, want 1", h)
			}
			for _, tc := range []struct {
				path, body string
				h          map[string]string
				results    int
			}{
				{"/v1/sentiment/analyze", one, map[string]string{httpapi.CacheHeader: "bypass"}, 1},
				{"/v1/sentiment/analyze", one, map[string]string{httpapi.CacheHeader: "Bypass "}, 1},
				{"/v1/sentiment/analyze", `{"text":"good film","no_cache":true}`, nil, 1},
				{"/v1/sentiment/batch", `{"texts":["good film","good film"]}`, map[string]string{httpapi.CacheHeader: "bypass"}, 2},
				{"/v1/analyze", `{"text":"good film","tasks":["sentiment"],"no_cache":true}`, nil, 1},
				{"/v1/analyze", `{"text":"good film","tasks":["sentiment"]}`, map[string]string{httpapi.CacheHeader: "bypass"}, 1},
				// A page of the app itself (same origin) may send it.
				{"/v1/sentiment/analyze", one, map[string]string{httpapi.CacheHeader: "bypass", "Origin": s.srv.URL, "Sec-Fetch-Site": "same-origin"}, 1},
			} {
				if n, h := hits(tc.path, tc.body, tc.h); n != tc.results || h != 0 {
					t.Errorf("POST %s %s %v: %d results, %d cached; want %d computed", tc.path, tc.body, tc.h, n, h, tc.results)
				}
			}
			if _, h := hits("/v1/sentiment/analyze", one, map[string]string{httpapi.CacheHeader: "include"}); h != 1 {
				t.Errorf("include: %d cached, want 1", h)
			}
			if code, b := s.post("/v1/sentiment/analyze", one, map[string]string{httpapi.CacheHeader: "sometimes"}); code != 400 || !strings.Contains(string(b), "bad_request") {
				t.Errorf("bad header value: %d %s, want 400 bad_request", code, b)
			}
		})
	}

	t.Run("CORS preflight allows it", func(t *testing.T) {
		s := newShell(t, memory, httpapi.ServerConfig{CORSOrigin: "http://localhost:5173"})
		req, _ := http.NewRequest("OPTIONS", s.srv.URL+"/v1/analyze", nil)
		req.Header.Set("Origin", "http://localhost:5173")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, x-nlpscope-cache")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(got, httpapi.CacheHeader) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", got, httpapi.CacheHeader)
		}
	})
}

// TestHTTPLoadTestCacheMode: a built-in load test with repeated texts has
// no cache hits by default and hits with "cache": "include"; the report
// and the saved run say which.
func TestHTTPLoadTestCacheMode(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	run := func(cache app.LoadTestCache) profiler.Report {
		t.Helper()
		cfg := app.LoadTestConfig{Task: "sentiment", Mode: "closed", Users: 1, Duration: 30 * time.Second, MaxRequests: 20,
			Texts: []string{"good film", "awful film"}, Cache: cache}
		var st app.LoadTestStatus
		if resp, b := s.do("POST", "/v1/loadtests", cfg, &st); resp.StatusCode != 200 {
			t.Fatalf("start: %d %s", resp.StatusCode, b)
		}
		deadline := time.Now().Add(time.Minute)
		for st.State == app.StateRunning && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			s.do("GET", "/v1/loadtests/current", nil, &st)
		}
		if st.State != app.StateDone || st.Report == nil {
			t.Fatalf("finished: %+v", st)
		}
		var saved profiler.Report
		s.do("GET", "/v1/loadtests/"+st.Report.ID, nil, &saved)
		if saved.Config.Cache != st.Report.Config.Cache || saved.CacheHits != st.Report.CacheHits || saved.CacheResults != 20 {
			t.Errorf("saved run: cache %q, %d hits of %d; live report %q, %d hits", saved.Config.Cache, saved.CacheHits, saved.CacheResults, st.Report.Config.Cache, st.Report.CacheHits)
		}
		return saved
	}
	if r := run(""); r.Config.Cache != profiler.CacheBypass || r.CacheHits != 0 {
		t.Errorf("default: cache %q, %d hits; want bypass, 0", r.Config.Cache, r.CacheHits)
	}
	if r := run(app.LoadTestCacheInclude); r.Config.Cache != profiler.CacheInclude || r.CacheHits < 18 {
		t.Errorf("include: cache %q, %d hits of %d; want include, ≥ 18", r.Config.Cache, r.CacheHits, r.CacheResults)
	}
	s.wantError("POST", "/v1/loadtests", app.LoadTestConfig{Task: "sentiment", Rate: 5, Duration: time.Second, Cache: "maybe"}, 400, "bad_request")
}
