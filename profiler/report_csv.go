package profiler

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVColumns is the header of WriteCSV's table.
var CSVColumns = []string{
	"type", "second", "step", "offered_per_s", "sent", "completed", "succeeded", "errors", "dropped", "throughput_per_s",
	"p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms", "cache_hits", "cache_results",
}

// CSV row types (the "type" column).
const (
	CSVSecond = "second" // one second of the run, by completion time (sent: by send time)
	CSVStep   = "step"   // one step of a capacity search
	CSVTotal  = "total"  // the whole run
)

// WriteCSV writes r as one CSV table in the manner of Locust's stats
// history: a header (CSVColumns), a "second" row per second of the series
// (a capacity search: a "step" row per step instead), then one "total" row.
// Every row has every column; a column that does not apply to a row type is
// empty (p90, p99.9, mean, dropped and the cache counts only in the total,
// whose "second" is the run's elapsed time in seconds).
// The second rows' sent, completed and errors add up to the total's.
// Latencies are in milliseconds from the intended send time, rates per
// second.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	row := make([]string, len(CSVColumns))
	put := func(col string, v string) {
		for i, c := range CSVColumns {
			if c == col {
				row[i] = v
				return
			}
		}
		panic("profiler: unknown CSV column " + col)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }
	flush := func() error {
		err := cw.Write(row)
		clear(row)
		return err
	}
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for _, s := range r.Series {
		put("type", CSVSecond)
		put("second", strconv.Itoa(s.Second))
		put("sent", u(s.Sent))
		put("completed", u(s.Completed))
		put("succeeded", u(s.Completed-s.Errors))
		put("errors", u(s.Errors))
		put("throughput_per_s", u(s.Completed-s.Errors))
		if s.Completed > 0 {
			put("p50_ms", ms(s.P50))
			put("p95_ms", ms(s.P95))
			put("p99_ms", ms(s.P99))
			put("max_ms", ms(s.Max))
		}
		if err := flush(); err != nil {
			return err
		}
	}
	if c := r.Capacity; c != nil {
		for i, s := range c.Steps {
			put("type", CSVStep)
			put("step", strconv.Itoa(i+1))
			put("offered_per_s", f(s.Rate))
			put("sent", u(s.Requests))
			put("completed", u(s.Succeeded+s.Errors))
			put("succeeded", u(s.Succeeded))
			put("errors", u(s.Errors))
			put("dropped", u(s.Dropped))
			put("throughput_per_s", f(s.Throughput))
			if s.Succeeded+s.Errors > 0 {
				put("p50_ms", ms(s.P50))
				put("p95_ms", ms(s.P95))
				put("p99_ms", ms(s.P99))
				put("max_ms", ms(s.Max))
			}
			if err := flush(); err != nil {
				return err
			}
		}
	}
	put("type", CSVTotal)
	put("second", strconv.FormatFloat(r.Elapsed.Seconds(), 'f', 3, 64))
	if r.RequestedRate > 0 {
		put("offered_per_s", f(r.RequestedRate))
	}
	put("sent", u(r.Requests))
	put("completed", u(r.Completed))
	put("succeeded", u(r.Succeeded))
	put("errors", u(r.Errors))
	put("dropped", u(r.Dropped))
	put("throughput_per_s", f(r.Throughput))
	if r.Completed > 0 {
		l := r.Latency
		put("p50_ms", ms(l.P50))
		put("p90_ms", ms(l.P90))
		put("p95_ms", ms(l.P95))
		put("p99_ms", ms(l.P99))
		put("p999_ms", ms(l.P999))
		put("max_ms", ms(l.Max))
		put("mean_ms", ms(l.Mean))
	}
	put("cache_hits", u(r.CacheHits))
	put("cache_results", u(r.CacheResults))
	if err := flush(); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
