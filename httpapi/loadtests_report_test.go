package httpapi_test

import (
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/httpapi"
	"github.com/nlpscope/nlpscope/profiler"
)

// TestHTTPLoadTestReportDownload: a finished run downloads as JSON (the
// stored report), as CSV whose rows add up to the report's counts, and as a
// self-contained HTML page, each as an attachment.
func TestHTTPLoadTestReportDownload(t *testing.T) {
	s := newShell(t, testConfig(t), httpapi.ServerConfig{})
	cfg := app.LoadTestConfig{Name: "download me", Task: "sentiment", Mode: "open", Rate: 40, Duration: 2 * time.Second, Thresholds: []string{"errors<1%"}}
	var st app.LoadTestStatus
	if resp, b := s.do("POST", "/v1/loadtests", cfg, &st); resp.StatusCode != 200 {
		t.Fatalf("start: %d %s", resp.StatusCode, b)
	}
	deadline := time.Now().Add(time.Minute)
	for st.State == app.StateRunning && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		s.do("GET", "/v1/loadtests/current", nil, &st)
	}
	if st.State != app.StateDone || st.Report == nil || st.Report.Requests != 80 {
		t.Fatalf("finished: %+v", st)
	}
	id := st.Report.ID
	var saved profiler.Report
	s.do("GET", "/v1/loadtests/"+id, nil, &saved)

	get := func(format, ctype string) string {
		t.Helper()
		resp, b := s.do("GET", "/v1/loadtests/"+id+"/report?format="+format, nil, nil)
		want := `attachment; filename=nlpscope-loadtest-` + id + `.` + format
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || resp.Header.Get("Content-Disposition") != want {
			t.Fatalf("%s: %d %q %q (want %q)", format, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), want)
		}
		return string(b)
	}

	var fromFile profiler.Report
	if err := json.Unmarshal([]byte(get("json", "application/json")), &fromFile); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(saved)
	b, _ := json.Marshal(fromFile)
	if string(a) != string(b) {
		t.Errorf("the JSON download is not the stored report:\n%s\n%s", b, a)
	}

	recs, err := csv.NewReader(strings.NewReader(get("csv", "text/csv"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	var sent, done, seconds uint64
	var total []string
	for _, rec := range recs[1:] {
		n := func(c string) uint64 { v, _ := strconv.ParseUint(rec[col[c]], 10, 64); return v }
		switch rec[col["type"]] {
		case profiler.CSVSecond:
			sent, done, seconds = sent+n("sent"), done+n("completed"), seconds+1
		case profiler.CSVTotal:
			total = rec
		}
	}
	if total == nil || total[col["sent"]] != "80" || total[col["completed"]] != "80" || total[col["errors"]] != "0" || sent != 80 || done != 80 || seconds < 2 {
		t.Errorf("CSV: total %v, seconds add up to %d sent, %d completed over %d rows", total, sent, done, seconds)
	}

	page := get("html", "text/html")
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//|<script|<link`).FindString(page); m != "" {
		t.Errorf("the HTML page refers outside itself: %q", m)
	}
	for _, want := range []string{"download me", `data-figure="requests">80<`, "caches bypassed", ">PASSED<", "<svg"} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML page lacks %q", want)
		}
	}

	s.wantError("GET", "/v1/loadtests/"+id+"/report?format=pdf", nil, 400, "bad_request")
	s.wantError("GET", "/v1/loadtests/999/report?format=html", nil, 404, "not_found")
}
