package profiler_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

// readCSV parses WriteCSV's table into rows keyed by column.
func readCSV(t *testing.T, r profiler.Report) []map[string]string {
	t.Helper()
	var b bytes.Buffer
	if err := profiler.WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, b.String())
	}
	if strings.Join(recs[0], ",") != strings.Join(profiler.CSVColumns, ",") {
		t.Fatalf("header %v", recs[0])
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range profiler.CSVColumns {
			m[c] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func csvUint(t *testing.T, row map[string]string, col string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(row[col], 10, 64)
	if err != nil {
		t.Fatalf("%s %q in %v: %v", col, row[col], row, err)
	}
	return v
}

// checkCSVTotals: the rows of type kind add up to the total row, and the
// total row has the report's counts.
func checkCSVTotals(t *testing.T, r profiler.Report, rows []map[string]string, kind string) {
	t.Helper()
	total := rows[len(rows)-1]
	if total["type"] != profiler.CSVTotal {
		t.Fatalf("last row is %v, want the total", total)
	}
	var sum [3]uint64
	n := 0
	for _, row := range rows[:len(rows)-1] {
		if row["type"] != kind {
			t.Fatalf("row %v: want type %s", row, kind)
		}
		n++
		for i, c := range []string{"sent", "completed", "errors"} {
			sum[i] += csvUint(t, row, c)
		}
	}
	if n == 0 {
		t.Fatalf("no %s rows", kind)
	}
	want := [3]uint64{r.Requests, r.Completed, r.Errors}
	if kind == profiler.CSVStep { // requests still running after a step's grace are neither completed nor errors
		want[1] = r.Succeeded + r.Errors
	}
	for i, c := range []string{"sent", "completed", "errors"} {
		if got := csvUint(t, total, c); got != want[i] || sum[i] != want[i] {
			t.Errorf("%s: total row %d, %s rows add up to %d, report %d", c, got, kind, sum[i], want[i])
		}
	}
	if got := csvUint(t, total, "succeeded"); got != r.Succeeded {
		t.Errorf("succeeded %d, report %d", got, r.Succeeded)
	}
	if got := csvUint(t, total, "cache_hits"); got != r.CacheHits {
		t.Errorf("cache hits %d, report %d", got, r.CacheHits)
	}
	if want := strconv.FormatFloat(float64(r.Latency.P95)/1e6, 'f', 3, 64); total["p95_ms"] != want {
		t.Errorf("total p95 %s ms, report %s ms", total["p95_ms"], want)
	}
}

// A run with errors over several seconds: its CSV's seconds add up to the
// report's counts.
func TestWriteCSVSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Rate: 50, Duration: 3 * time.Second, Target: "fake"})
		r, err := lt.Run(context.Background(), func(ctx context.Context, seq uint64) error {
			if err := wait(ctx, time.Duration(seq%7)*time.Millisecond); err != nil {
				return err
			}
			if seq%5 == 0 {
				return errors.New("every fifth")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var cc profiler.CacheCount
		cc.Add(150, 7)
		cc.Fill(&r)
		if r.Requests != 150 || r.Errors != 30 || len(r.Series) < 3 {
			t.Fatalf("run: %d sent, %d errors, %d seconds", r.Requests, r.Errors, len(r.Series))
		}
		checkCSVTotals(t, r, readCSV(t, r), profiler.CSVSecond)
	})
}

// A capacity search's CSV has a row per step, and they add up too.
func TestWriteCSVCapacitySteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Uint64
		cs := newSearch(t, profiler.CapacityConfig{
			Load: profiler.LoadConfig{Target: "fake", Duration: 2 * time.Second},
			SLO:  []string{"p99<50ms"}, StartRate: 20,
		})
		r, err := cs.Run(context.Background(), queueTarget(10*time.Millisecond, &hits))
		if err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, r)
		if len(rows) != len(r.Capacity.Steps)+1 {
			t.Fatalf("%d rows for %d steps", len(rows), len(r.Capacity.Steps))
		}
		checkCSVTotals(t, r, rows, profiler.CSVStep)

		var b bytes.Buffer
		if err := profiler.WriteHTML(&b, r); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		if m := externalRef.FindString(page); m != "" {
			t.Errorf("the page refers to something outside it: %q", m)
		}
		for _, want := range []string{"Capacity search", "Latency by offered rate", "offered rate (req/s)", template.HTMLEscapeString(r.Capacity.Message), " ★"} {
			if !strings.Contains(page, want) {
				t.Errorf("the capacity page lacks %q", want)
			}
		}
		if n := strings.Count(page, "<tr><td class=\"n\">"); n < len(r.Capacity.Steps) {
			t.Errorf("%d step rows, want %d", n, len(r.Capacity.Steps))
		}
	})
}

var externalRef = regexp.MustCompile(`(?i)(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:)?//|url\(|@import|<script|<link|<iframe|<img`)

// The HTML report loads nothing from elsewhere and shows the run's figures,
// its cache mode and its charts.
func TestWriteHTML(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lt := newLoadTest(t, profiler.LoadConfig{Name: `baseline <b>&"`, Rate: 40, Duration: 3 * time.Second, Target: "http://127.0.0.1:8765/v1/analyze",
			Task: "analyze", Thresholds: []string{"p95<25ms", "errors<1%"}})
		r, err := lt.Run(context.Background(), func(ctx context.Context, seq uint64) error {
			return wait(ctx, time.Duration(2+seq%5)*time.Millisecond)
		})
		if err != nil {
			t.Fatal(err)
		}
		var cc profiler.CacheCount
		cc.Add(240, 0)
		cc.Fill(&r)
		r.Meta = map[string]string{"url": "http://127.0.0.1:8765/v1/analyze", "model_hash": "abc123"}
		var b bytes.Buffer
		if err := profiler.WriteHTML(&b, r); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		if m := externalRef.FindString(page); m != "" {
			t.Errorf("the page refers to something outside it: %q", m)
		}
		for _, want := range []string{
			"<!DOCTYPE html>", "baseline &lt;b&gt;&amp;&#34;", // the name, escaped
			`data-figure="requests">120<`, "caches bypassed · 0 cache hits of 240 results",
			">PASSED<", "<code>p95&lt;25ms</code>", "<svg", "Latency per second", "latency (ms)", "requests (req/s)",
			"second of the run (s)", "run p95 " + strings.TrimSpace(htmlMs(r.Latency.P95)), "abc123",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if n := strings.Count(page, "<path d=\"M"); n != 6 {
			t.Errorf("%d drawn lines, want 6 (3 latency, 3 requests)", n)
		}
	})
}

// htmlMs formats like the page: 2 decimals under 10 ms, 1 under 1 s.
func htmlMs(d time.Duration) string {
	v := float64(d) / 1e6
	if v >= 10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
}

// The report writers read reports from files (loadtest report FILE): any
// report that decodes renders, CSV and HTML, without a panic or a hang.
func FuzzWriteReport(f *testing.F) {
	f.Add([]byte(`{"id":"1","mode":"open","requests":3,"completed":3,"series":[{"second":0,"sent":3,"completed":3,"p50_ns":1000000}]}`))
	f.Add([]byte(`{"mode":"capacity","capacity":{"steps":[{"rate":1e300,"p99_ns":5},{"rate":1.0000000000000002e300}],"best_step":7}}`))
	f.Add([]byte(`{"series":[{"second":-5,"completed":1,"p95_ns":-1},{"second":9007199254740993,"completed":2}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r profiler.Report
		if json.Unmarshal(b, &r) != nil || len(r.Series) > 10000 {
			return
		}
		if err := profiler.WriteCSV(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		if err := profiler.WriteHTML(io.Discard, r); err != nil {
			t.Fatal(err)
		}
	})
}
