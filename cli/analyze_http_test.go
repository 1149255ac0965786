package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
)

// TestAnalyzeJSONLMatchesHTTP holds the CLI and the web shell to one result
// shape: for the same texts, `nlpscope analyze --format jsonl` prints what
// POST /v1/analyze answers, apart from the CLI's source and line. Timings,
// cached and created_at differ between two runs by nature; they are held to
// their shape (the same keys, the same JSON types), everything else to its
// value.
func TestAnalyzeJSONLMatchesHTTP(t *testing.T) {
	texts := []string{
		"Alice went to Paris and it was great",
		"nothing to see here, awful", // no entities: "entities": []
		"😀 Bob met Maria in London <b>&</b>",
	}

	code, stdout, stderr := runCLI(t, strings.Join(texts, "\n")+"\n", append([]string{"analyze", "--format", "jsonl"}, fixtureFlags...)...)
	if code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("analyze printed %d lines for %d texts:\n%s", len(lines), len(texts), stdout)
	}

	base := startShell(t)
	body, _ := json.Marshal(map[string]any{"texts": texts, "no_store": true})
	req, _ := http.NewRequest("POST", base+"/v1/analyze", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST /v1/analyze: %d %s", resp.StatusCode, raw)
	}
	var httpRes struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(raw, &httpRes); err != nil || len(httpRes.Results) != len(texts) {
		t.Fatalf("POST /v1/analyze: %s (%v)", raw, err)
	}

	for i, line := range lines {
		var cli, web map[string]any
		if err := json.Unmarshal([]byte(line), &cli); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if err := json.Unmarshal(httpRes.Results[i], &web); err != nil {
			t.Fatal(err)
		}
		// The CLI's own fields: where the text came from.
		if cli["source"] != "stdin" || cli["line"] != float64(i+1) {
			t.Errorf("line %d: source %v, line %v: want stdin, %d", i+1, cli["source"], cli["line"], i+1)
		}
		delete(cli, "source")
		delete(cli, "line")
		if diff := sameJSON(cli, web, "$"); diff != "" {
			t.Errorf("text %d: CLI and HTTP differ: %s\n cli:  %s\n http: %s", i+1, diff, line, httpRes.Results[i])
		}
		if ents, ok := web["entities"].([]any); !ok || (i == 1) != (len(ents) == 0) {
			t.Errorf("text %d: entities %v: want a list, empty only for text 2", i+1, web["entities"])
		}
	}
}

// startShell serves the fixture models through the web shell on
// 127.0.0.1:0 and returns its base URL.
func startShell(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, err := app.New(ctx, app.Config{
		NoDB: true, ModelSentiment: fixtureSentiment, ModelEntities: fixtureNER, IntraOpThreads: 1,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if err := svc.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.NewServer(httpapi.ServerConfig{}, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler()) // 127.0.0.1:0
	t.Cleanup(ts.Close)
	return ts.URL
}

// sameJSON compares two decoded JSON values and describes the first
// difference ("" when none). Under "timings", "cached" and "created_at" only
// the JSON types must agree; numbers elsewhere agree to 1e-6 (a text's
// scores do not depend on its batch beyond float rounding).
func sameJSON(a, b any, path string) string {
	last := path[strings.LastIndex(path, ".")+1:]
	shapeOnly := strings.Contains(path, ".timings") || last == "cached" || last == "created_at"
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object vs %T", path, b)
		}
		keys := func(m map[string]any) []string {
			k := make([]string, 0, len(m))
			for s := range m {
				k = append(k, s)
			}
			slices.Sort(k)
			return k
		}
		if ka, kb := keys(x), keys(y); !slices.Equal(ka, kb) {
			return fmt.Sprintf("%s: keys %v vs %v", path, ka, kb)
		}
		for k := range x {
			if d := sameJSON(x[k], y[k], path+"."+k); d != "" {
				return d
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %d-element list vs %v", path, len(x), b)
		}
		for i := range x {
			if d := sameJSON(x[i], y[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case float64:
		y, ok := b.(float64)
		if !ok || (!shapeOnly && math.Abs(x-y) > 1e-6) {
			return fmt.Sprintf("%s: %v vs %v", path, x, b)
		}
	default:
		if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) || (!shapeOnly && a != b) {
			return fmt.Sprintf("%s: %v vs %v", path, a, b)
		}
	}
	return ""
}
