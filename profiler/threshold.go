package profiler

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBadThreshold is returned (wrapped, with the reason) for a threshold
// expression that does not parse.
var ErrBadThreshold = errors.New("invalid threshold")

// Threshold is a parsed k6-style pass/fail criterion on a Report:
//
//	p50 p90 p95 p99 p99.9 p(N) med avg min max  <op> duration   latency, e.g. p95<25ms, p(99.9)<100ms
//	errors | error_rate                          <op> N% or 0..1 share of failed requests, e.g. errors<1%
//	rps                                          <op> N          achieved requests/s, e.g. rps>=100
//	throughput                                   <op> N          successful requests/s
//
// where <op> is one of < <= > >= == !=. Latency is Report.Latency (from the
// intended send time).
type Threshold struct {
	Expr       string  `json:"expr"`
	Metric     string  `json:"metric"`               // canonical: "p95", "p(99.9)", "avg", "errors", "rps"...
	Percentile float64 `json:"percentile,omitempty"` // for pN metrics, 0..100
	Op         string  `json:"op"`
	Value      float64 `json:"value"` // seconds for latency, 0..1 for errors, per second for rates
}

// ThresholdResult is a Threshold evaluated on a run.
type ThresholdResult struct {
	Threshold
	Actual float64 `json:"actual"` // same unit as Value
	Pass   bool    `json:"pass"`
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"} // two-character ops first

type metricKind int

const (
	kindLatency metricKind = iota
	kindRatio
	kindRate
)

func (t Threshold) kind() metricKind {
	switch t.Metric {
	case "errors":
		return kindRatio
	case "rps", "throughput":
		return kindRate
	}
	return kindLatency
}

// ParseThreshold parses one expression; spaces are allowed around parts.
func ParseThreshold(expr string) (Threshold, error) {
	bad := func(format string, a ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("%w %q: %s", ErrBadThreshold, expr, fmt.Sprintf(format, a...))
	}
	if len(expr) > 200 {
		return bad("longer than 200 bytes")
	}
	opAt, op := -1, ""
	for i := 0; i < len(expr) && opAt < 0; i++ {
		for _, o := range thresholdOps {
			if strings.HasPrefix(expr[i:], o) {
				opAt, op = i, o
				break
			}
		}
	}
	if opAt < 0 {
		return bad("no comparison (one of < <= > >= == !=)")
	}
	name := strings.ToLower(strings.TrimSpace(expr[:opAt]))
	val := strings.TrimSpace(expr[opAt+len(op):])
	if val == "" {
		return bad("no value after %q", op)
	}
	if strings.ContainsAny(val, "<>=!") {
		return bad("more than one comparison")
	}
	t := Threshold{Expr: strings.TrimSpace(expr), Op: op}
	switch name {
	case "errors", "error_rate", "errors_rate", "error-rate":
		t.Metric = "errors"
	case "rps", "rate", "req/s":
		t.Metric = "rps"
	case "throughput":
		t.Metric = "throughput"
	case "avg", "mean":
		t.Metric = "avg"
	case "min", "max":
		t.Metric = name
	case "med", "median":
		t.Metric, t.Percentile = "p50", 50
	default:
		p, ok := parsePercentileName(name)
		if !ok {
			return bad("unknown metric %q (p50 p90 p95 p99 p99.9 p(N) med avg min max errors rps throughput)", name)
		}
		t.Percentile = p
		t.Metric = canonicalPercentile(p)
	}
	switch t.kind() {
	case kindLatency:
		d, err := time.ParseDuration(strings.ReplaceAll(val, " ", ""))
		if err != nil {
			return bad("latency needs a duration such as 25ms or 1.5s")
		}
		if d < 0 {
			return bad("negative duration")
		}
		t.Value = d.Seconds()
	case kindRatio:
		pct := strings.HasSuffix(val, "%")
		v, err := parseNumber(strings.TrimSpace(strings.TrimSuffix(val, "%")))
		if err != nil {
			return bad("error rate needs a percentage (1%%) or a share in [0,1]")
		}
		if pct {
			v /= 100
		}
		if v > 1 {
			return bad("error rate %v is over 100%%", val)
		}
		t.Value = v
	case kindRate:
		v, err := parseNumber(strings.TrimSpace(strings.TrimSuffix(val, "/s")))
		if err != nil {
			return bad("rate needs a number of requests per second")
		}
		t.Value = v
	}
	return t, nil
}

func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, errors.New("not a non-negative number")
	}
	return v, nil
}

// parsePercentileName accepts p95, p99.9, p999 (= 99.9), p(95), p(99.9).
func parsePercentileName(name string) (float64, bool) {
	if !strings.HasPrefix(name, "p") {
		return 0, false
	}
	num := name[1:]
	if strings.HasPrefix(num, "(") && strings.HasSuffix(num, ")") {
		num = strings.TrimSpace(num[1 : len(num)-1])
	} else if num == "999" {
		num = "99.9"
	} else if num == "9999" {
		num = "99.99"
	}
	if num == "" || strings.ContainsAny(num, "eE+-_xXpPiInN") {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0 && v <= 100) {
		return 0, false
	}
	return v, true
}

func canonicalPercentile(p float64) string {
	s := strconv.FormatFloat(p, 'f', -1, 64)
	switch s {
	case "50", "90", "95", "99":
		return "p" + s
	}
	return "p(" + s + ")"
}

// ParseThresholds parses every expression; the first error is returned.
func ParseThresholds(exprs []string) ([]Threshold, error) {
	out := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Compare applies the threshold's operator to actual.
func (t Threshold) Compare(actual float64) bool {
	switch t.Op {
	case "<":
		return actual < t.Value
	case "<=":
		return actual <= t.Value
	case ">":
		return actual > t.Value
	case ">=":
		return actual >= t.Value
	case "==":
		return actual == t.Value
	case "!=":
		return actual != t.Value
	}
	return false
}

// Actual returns the value t compares in r. quantile (may be nil) answers
// percentiles other than the ones a Report stores.
func (t Threshold) Actual(r *Report, quantile func(p float64) time.Duration) float64 {
	switch t.Metric {
	case "errors":
		return r.ErrorRate
	case "rps":
		return r.AchievedRate
	case "throughput":
		return r.Throughput
	case "avg":
		return r.Latency.Mean.Seconds()
	case "min":
		return r.Latency.Min.Seconds()
	case "max":
		return r.Latency.Max.Seconds()
	}
	switch t.Percentile {
	case 50:
		return r.Latency.P50.Seconds()
	case 90:
		return r.Latency.P90.Seconds()
	case 95:
		return r.Latency.P95.Seconds()
	case 99:
		return r.Latency.P99.Seconds()
	case 99.9:
		return r.Latency.P999.Seconds()
	}
	if quantile != nil {
		return quantile(t.Percentile).Seconds()
	}
	return math.NaN()
}

// EvaluateThresholds evaluates ts on a finished report; pass is true when
// all pass. quantile answers percentiles other than the ones a Report
// stores (p50, p90, p95, p99, p99.9); with a nil quantile they evaluate to
// NaN and fail. A latency threshold fails on a run without a single
// completed request. The load test calls it with its latency histogram.
func EvaluateThresholds(ts []Threshold, r *Report, quantile func(p float64) time.Duration) (results []ThresholdResult, pass bool) {
	pass = true
	results = make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		a := t.Actual(r, quantile)
		ok := !math.IsNaN(a) && t.Compare(a)
		// A latency threshold on a run without a single completed request
		// fails: there is nothing to vouch for.
		if t.kind() == kindLatency && r.Latency.Count == 0 {
			ok = false
		}
		results = append(results, ThresholdResult{Threshold: t, Actual: a, Pass: ok})
		pass = pass && ok
	}
	return results, pass
}

// String formats the result for a table: "p95<25ms  actual 12.3ms  pass".
func (tr ThresholdResult) String() string {
	verdict := "FAIL"
	if tr.Pass {
		verdict = "pass"
	}
	return fmt.Sprintf("%-20s actual %-12s %s", tr.Expr, tr.FormatActual(), verdict)
}

// FormatActual renders Actual in the threshold's unit.
func (tr ThresholdResult) FormatActual() string {
	switch tr.kind() {
	case kindRatio:
		return strconv.FormatFloat(tr.Actual*100, 'f', 2, 64) + "%"
	case kindRate:
		return strconv.FormatFloat(tr.Actual, 'f', 1, 64) + "/s"
	}
	if math.IsNaN(tr.Actual) {
		return "n/a"
	}
	return FormatDuration(time.Duration(tr.Actual * float64(time.Second)))
}

// FormatDuration renders d with three significant digits: 812µs, 12.3ms, 1.25s.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	}
	return sig3(d.Seconds()) + "s"
}

func sig3(v float64) string {
	switch {
	case v >= 99.95:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 9.995:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
