package profiler_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

func TestHTTPTargetAgainstLoopbackServer(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/sentiment/analyze" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Run") != "t1" {
			http.Error(w, "bad request shape", http.StatusBadRequest)
			return
		}
		var body struct {
			Text string `json:"text"`
			Seq  int    `json:"seq"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if body.Seq%7 == 6 {
			http.Error(w, `{"error":{"code":"overloaded"}}`, http.StatusTooManyRequests)
			return
		}
		mu.Lock()
		seen[body.Text]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"label":"positive","score":0.99}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	texts := []string{`He said "hi"`, "naïve café\nnew line", "plain"}
	target, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{
		URL:     srv.URL + "/v1/sentiment/analyze",
		Body:    `{"text": "{{text}}", "seq": {{seq}}}`,
		Texts:   texts,
		Headers: map[string]string{"X-Run": "t1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	lt := newLoadTest(t, profiler.LoadConfig{Users: 2, Duration: time.Minute, MaxRequests: 70})
	r, err := lt.Run(context.Background(), target.Do)
	if err != nil {
		t.Fatal(err)
	}
	if r.Completed != 70 || r.Errors != 10 || r.ErrorsByKind["http_429"] != 10 {
		t.Fatalf("completed %d, errors %d by kind %v (samples %v)", r.Completed, r.Errors, r.ErrorsByKind, r.ErrorSamples)
	}
	if !strings.Contains(r.ErrorSamples["http_429"], "overloaded") {
		t.Fatalf("error sample = %q", r.ErrorSamples["http_429"])
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range texts {
		if seen[s] == 0 {
			t.Errorf("text %q never arrived intact; got %v", s, seen)
		}
	}
	// Two users, kept-alive connections: not a new connection per request
	// (a connection may still be on its way back to the pool when its user
	// sends again, so a few extra are fine).
	if n := conns.Load(); n > 8 {
		t.Fatalf("%d connections for 70 requests from 2 users; connections are not reused", n)
	}
}

func TestRemoteTargetsRefused(t *testing.T) {
	for _, u := range []string{"http://192.0.2.10/v1", "http://example.com/", "https://10.0.0.1:8443/x", "http://[2001:db8::1]/"} {
		if _, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: u}); !errors.Is(err, profiler.ErrRemoteTarget) {
			t.Errorf("NewHTTPTarget(%s) = %v, want ErrRemoteTarget", u, err)
		}
		tg, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: u, AllowRemote: true})
		if err != nil {
			t.Errorf("NewHTTPTarget(%s, AllowRemote) = %v", u, err)
		} else {
			tg.Close()
		}
	}
	for _, u := range []string{"http://127.0.0.1:1/", "http://localhost:8080/health", "http://[::1]:9/"} {
		tg, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: u})
		if err != nil {
			t.Errorf("NewHTTPTarget(%s) = %v, want loopback accepted", u, err)
		} else {
			tg.Close()
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/", "127.0.0.1:8080", "http://"} {
		if _, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: u}); !errors.Is(err, profiler.ErrInvalidConfig) {
			t.Errorf("NewHTTPTarget(%s) = %v, want ErrInvalidConfig", u, err)
		}
	}
	if _, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: "http://127.0.0.1/", Body: `{"text":"{{text}}"}`}); !errors.Is(err, profiler.ErrInvalidConfig) {
		t.Errorf("template without texts = %v, want ErrInvalidConfig", err)
	}
}

func TestReadTexts(t *testing.T) {
	got, err := profiler.ReadTexts(strings.NewReader("first line\n\n  \n{\"text\": \"from json\", \"id\": 3}\nlast\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "first line|from json|last" {
		t.Fatalf("texts = %q", got)
	}
	for _, bad := range []string{"", "\n\n", "{\"id\": 1}\n", "{not json\n"} {
		if _, err := profiler.ReadTexts(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadTexts(%q) accepted", bad)
		}
	}
}
