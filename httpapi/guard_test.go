package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/httpapi"
)

// raw sends a request with exactly the given headers (Host included) and
// returns status and body.
func (s *shell) raw(method, path, host string, hdr map[string]string, body string) (int, string) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stored counts the documents in the database, independently of the
// requests under test.
func (s *shell) stored() int {
	s.t.Helper()
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	resp, b := s.do("GET", "/v1/results?limit=500", nil, &page)
	if resp.StatusCode != 200 {
		s.t.Fatalf("GET /v1/results: %d %s", resp.StatusCode, b)
	}
	return len(page.Items)
}

func TestGuardHost(t *testing.T) {
	sh := newShell(t, testConfig(t), httpapi.ServerConfig{AllowHosts: []string{"nlp.example.com", ".corp.test"}})
	sh.do("POST", "/v1/analyze", map[string]any{"text": "a secret good memo", "tasks": []string{"sentiment"}}, nil)
	// A page on a domain that resolves to 127.0.0.1 (DNS rebinding) reads
	// nothing: every route, including export, settings, SSE and pprof.
	for _, path := range []string{"/v1/results", "/v1/results/export?format=jsonl", "/v1/settings", "/v1/metrics/stream", "/debug/pprof/cmdline", "/health", "/"} {
		code, body := sh.raw("GET", path, "evil.example:8765", map[string]string{"Origin": "http://evil.example:8765"}, "")
		if code != 403 || !strings.Contains(body, "forbidden_host") || strings.Contains(body, "secret") {
			t.Errorf("GET %s with Host evil.example: %d %.200s, want 403 forbidden_host", path, code, body)
		}
	}
	for _, host := range []string{"localhost:8765", "LOCALHOST", "app.localhost:1", "127.0.0.1:8765", "[::1]:8765", "10.1.2.3", "nlp.example.com", "a.b.corp.test:443", "localhost.:8765"} {
		if code, body := sh.raw("GET", "/v1/settings", host, nil, ""); code != 200 {
			t.Errorf("GET /v1/settings with Host %s: %d %.200s, want 200", host, code, body)
		}
	}
	for _, host := range []string{"example.com", "corp.test.evil", "nlp.example.com.evil", "localhost.evil"} {
		if code, _ := sh.raw("GET", "/v1/settings", host, nil, ""); code != 403 {
			t.Errorf("GET /v1/settings with Host %s: %d, want 403", host, code)
		}
	}
	if _, err := httpapi.NewServer(httpapi.ServerConfig{AllowHosts: []string{"http://x/"}}, sh.svc, nil); err == nil {
		t.Error("NewServer with --allow-host http://x/: want an error")
	}
}

func TestGuardCrossOriginWrites(t *testing.T) {
	sh := newShell(t, testConfig(t), httpapi.ServerConfig{})
	before := sh.stored()
	host := strings.TrimPrefix(sh.srv.URL, "http://")
	doc := `{"text":"Alice thinks this is good","tasks":["sentiment"]}`
	refused := []struct {
		name string
		hdr  map[string]string
		body string
		code int
	}{
		{"text/plain fetch from another origin", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, doc, 403},
		{"form post from another origin", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}, "text=x", 403},
		{"JSON from another origin (no preflight asked)", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, doc, 403},
		{"same-site but other port", map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}, doc, 403},
		{"text/plain without Origin", map[string]string{"Content-Type": "text/plain"}, doc, 403},
		{"no Content-Type", nil, doc, 403},
		{"text/plain with the CSRF header: still not JSON", map[string]string{"Content-Type": "text/plain", httpapi.CSRFHeader: "1"}, doc, 415},
	}
	for _, c := range refused {
		if code, body := sh.raw("POST", "/v1/analyze", "", c.hdr, c.body); code != c.code {
			t.Errorf("%s: %d %.200s, want %d", c.name, code, body, c.code)
		}
	}
	// A cross-origin multipart import (a form with a file input) starts nothing.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("files", "a.txt")
	io.WriteString(fw, "good\nbad\n")
	mw.Close()
	if code, body := sh.raw("POST", "/v1/imports", "", map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": "null"}, buf.String()); code != 403 {
		t.Errorf("multipart import without %s: %d %.200s, want 403", httpapi.CSRFHeader, code, body)
	}
	var imports struct {
		Imports []json.RawMessage `json:"imports"`
	}
	sh.do("GET", "/v1/imports", nil, &imports)
	if len(imports.Imports) != 0 {
		t.Errorf("imports after refused uploads: %d, want 0", len(imports.Imports))
	}
	// Switching the model, starting a load test, settings: refused too.
	for _, path := range []string{"/v1/models/active", "/v1/loadtests", "/v1/settings"} {
		if code, _ := sh.raw("POST", path, "", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, `{}`); code != 403 {
			t.Errorf("cross-origin text/plain POST %s: %d, want 403", path, code)
		}
	}
	if got := sh.stored(); got != before {
		t.Fatalf("documents after refused writes: %d, want %d", got, before)
	}

	// What must keep working: the bundled UI (same origin), curl and script
	// clients with JSON and no Origin.
	ok := []map[string]string{
		{"Content-Type": "application/json"},
		{"Content-Type": "application/json; charset=utf-8"},
		{"Content-Type": "application/json", "Origin": "http://" + host, "Sec-Fetch-Site": "same-origin", httpapi.CSRFHeader: "1"},
	}
	for i, hdr := range ok {
		// A text of its own each: the same text again would be one more
		// sighting of the stored document, not a new one.
		doc := fmt.Sprintf(`{"text":"Alice thinks this is good %d","tasks":["sentiment"]}`, i)
		if code, body := sh.raw("POST", "/v1/analyze", "", hdr, doc); code != 200 {
			t.Errorf("POST /v1/analyze %v: %d %.200s, want 200", hdr, code, body)
		}
	}
	if got := sh.stored(); got != before+len(ok) {
		t.Errorf("documents after %d accepted writes: %d, want %d", len(ok), got, before+len(ok))
	}
}

func TestGuardTokenAndCORS(t *testing.T) {
	sh := newShell(t, testConfig(t), httpapi.ServerConfig{Token: "s3cret", CORSOrigin: "http://localhost:5173"})
	doc := `{"text":"good","tasks":["sentiment"]}`
	// A bearer token marks an API client: no origin checks.
	if code, body := sh.raw("POST", "/v1/analyze", "", map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "application/json", "Origin": "http://evil.example"}, doc); code != 200 {
		t.Errorf("POST with the token from another origin: %d %.200s, want 200", code, body)
	}
	// The --cors origin may write; others may not.
	if code, body := sh.raw("POST", "/v1/analyze", "", map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "application/json", "Origin": "http://localhost:5173", "Sec-Fetch-Site": "same-site"}, doc); code != 200 {
		t.Errorf("POST from the --cors origin: %d %.200s", code, body)
	}
	if code, _ := sh.raw("POST", "/v1/analyze", "", map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:5173"}, doc); code != 401 {
		t.Errorf("POST from the --cors origin without the token: %d, want 401", code)
	}
	if _, err := httpapi.NewServer(httpapi.ServerConfig{CORSOrigin: "localhost:5173"}, sh.svc, nil); err == nil {
		t.Error("NewServer with --cors localhost:5173 (no scheme): want an error")
	}
}

func TestGuardPprofFromPages(t *testing.T) {
	sh := newShell(t, testConfig(t), httpapi.ServerConfig{AllowHosts: []string{"nlp.example.com"}})
	if code, _ := sh.raw("GET", "/debug/pprof/cmdline", "", nil, ""); code != 200 {
		t.Errorf("pprof at 127.0.0.1: %d, want 200", code)
	}
	for name, c := range map[string]struct {
		host string
		hdr  map[string]string
	}{
		"allowed non-loopback name": {"nlp.example.com", nil},
		"cross-site page":           {"", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"page of another origin":    {"", map[string]string{"Origin": "http://evil.example"}},
	} {
		if code, _ := sh.raw("GET", "/debug/pprof/cmdline", c.host, c.hdr, ""); code != 403 {
			t.Errorf("pprof, %s: %d, want 403", name, code)
		}
	}
}

// A client that trickles its body is cut off once it falls behind the
// minimum rate, instead of holding the connection and a handler.
func TestGuardSlowBody(t *testing.T) {
	sh := newShell(t, testConfig(t), httpapi.ServerConfig{BodyGrace: 300 * time.Millisecond, MinBodyRate: 1 << 10})
	u, _ := url.Parse(sh.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"text":"` + strings.Repeat("good ", 2000) + `"}`
	io.WriteString(conn, "POST /v1/analyze HTTP/1.1\r\nHost: "+u.Host+"\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n")
	start := time.Now()
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn) // the server's answer, then EOF when it closes
		done <- string(b)
	}()
	sent := 0
	for sent < len(body) {
		select {
		case resp := <-done:
			if !strings.Contains(resp, "408") && resp != "" {
				t.Errorf("answer to a trickled body: %.200q, want 408 or a closed connection", resp)
			}
			if sent >= len(body)/2 {
				t.Errorf("server read %d of %d bytes at 100 B/s before cutting off (grace 0.3 s, 1 KiB/s)", sent, len(body))
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		conn.Write([]byte(body[sent : sent+5]))
		sent += 5
		if time.Since(start) > 30*time.Second {
			t.Fatal("trickled body still accepted after 30 s")
		}
	}
	t.Fatal("the whole trickled body was accepted")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
