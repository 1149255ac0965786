package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
)

const loadtestCompareUsage = `usage: nlpscope loadtest compare A B [--db PATH] [--json]

A and B are reports written by "nlpscope loadtest --json" (files) or ids of
runs saved with --db (the app's history of runs; default %s).
Prints the two runs side by side with B's change against A.`

// loadtestCompare prints two saved runs side by side.
func loadtestCompare(ctx context.Context, std Stdio, args []string) error {
	def, err := storage.DefaultPath()
	if err != nil {
		def = ""
	}
	fs := flag.NewFlagSet("loadtest compare", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	dbPath := fs.String("db", def, "database `path` the run ids are read from")
	asJSON := fs.Bool("json", false, "print the comparison as JSON")
	fs.Usage = func() {
		fmt.Fprintf(std.Err, loadtestCompareUsage+"\n\nflags:\n", def)
		fs.PrintDefaults()
	}
	// Flags may come before, between or after the runs.
	if err := flagError(parseInterspersed(fs, args)); err != nil {
		return err
	}
	runs := fs.Args()
	if len(runs) != 2 {
		return usagef("want two runs (report files or saved run ids), got %d", len(runs))
	}
	log := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var reports [2]profiler.Report
	for i, ref := range runs {
		if reports[i], err = readReport(ctx, ref, *dbPath, log); err != nil {
			return err
		}
	}
	c := app.CompareReports(reports[0], reports[1])
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	writeComparison(std.Out, runs, c)
	return nil
}

// readReport reads a report file (JSON of loadtest --json) or, when ref is
// not a file, the run with that id from the database at db.
func readReport(ctx context.Context, ref, db string, log *slog.Logger) (profiler.Report, error) {
	b, err := os.ReadFile(ref)
	switch {
	case err == nil:
		var r profiler.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return profiler.Report{}, usagef("%s: not a load-test report (JSON of loadtest --json): %v", ref, err)
		}
		if r.Mode == "" || r.StartedAt.IsZero() {
			return profiler.Report{}, usagef("%s: not a load-test report (no mode or start time)", ref)
		}
		return r, nil
	case !errors.Is(err, os.ErrNotExist):
		return profiler.Report{}, err
	}
	if db == "" {
		return profiler.Report{}, usagef("%q is not a file, and there is no database to look the run up in (--db)", ref)
	}
	r, err := app.ReadLoadRun(ctx, db, ref, log)
	if errors.Is(err, app.ErrBadRequest) {
		return profiler.Report{}, usagef("%q is neither a report file nor a run id", ref)
	}
	return r, err
}

// writeComparison prints the side-by-side table.
func writeComparison(w io.Writer, refs []string, c app.LoadTestComparison) {
	fd := profiler.FormatDuration
	a, b := c.A, c.B
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	name := func(ref string, r profiler.Report) string {
		if r.Config.Name != "" && r.Config.Name != ref {
			return ref + " (" + r.Config.Name + ")"
		}
		return ref
	}
	fmt.Fprintf(tw, "\tA: %s\tB: %s\tB vs A\n", name(refs[0], a), name(refs[1], b))
	text := func(label, va, vb string) { fmt.Fprintf(tw, "%s\t%s\t%s\t\n", label, va, vb) }
	change := func(va, vb float64) string {
		if va == 0 {
			return ""
		}
		return fmt.Sprintf("%+.1f %%", 100*(vb-va)/va)
	}
	num := func(label string, va, vb float64, format string) {
		fmt.Fprintf(tw, "%s\t"+format+"\t"+format+"\t%s\n", label, va, vb, change(va, vb))
	}
	dur := func(label string, f func(profiler.Report) float64) {
		va, vb := f(a), f(b)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", label, fd(secs(va)), fd(secs(vb)), change(va, vb))
	}
	mode := func(r profiler.Report) string {
		switch {
		case r.Capacity != nil:
			return "capacity search (" + strings.Join(r.Capacity.SLO, ", ") + ")"
		case r.Mode == "closed":
			return fmt.Sprintf("closed, %d users", r.Config.Users)
		}
		return fmt.Sprintf("open, %g req/s", r.Config.Rate)
	}
	text("mode", mode(a), mode(b))
	text("target / task", a.Config.Target+" / "+a.Config.Task, b.Config.Target+" / "+b.Config.Task)
	text("started", a.StartedAt.Local().Format("2006-01-02 15:04:05"), b.StartedAt.Local().Format("2006-01-02 15:04:05"))
	if a.Capacity != nil || b.Capacity != nil {
		best := func(r profiler.Report) string {
			if r.Capacity == nil {
				return "–"
			}
			return fmt.Sprintf("%.1f/s", r.Capacity.MaxPassingRate)
		}
		ch := ""
		if a.Capacity != nil && b.Capacity != nil {
			ch = change(a.Capacity.MaxPassingRate, b.Capacity.MaxPassingRate)
		}
		fmt.Fprintf(tw, "max rate holding the SLO\t%s\t%s\t%s\n", best(a), best(b), ch)
	}
	num("requests", float64(a.Requests), float64(b.Requests), "%.0f")
	num("achieved rate", a.AchievedRate, b.AchievedRate, "%.1f/s")
	num("throughput", a.Throughput, b.Throughput, "%.1f/s")
	num("error rate", 100*a.ErrorRate, 100*b.ErrorRate, "%.2f %%")
	dur("p50", func(r profiler.Report) float64 { return r.Latency.P50.Seconds() })
	dur("p95", func(r profiler.Report) float64 { return r.Latency.P95.Seconds() })
	dur("p99", func(r profiler.Report) float64 { return r.Latency.P99.Seconds() })
	dur("max", func(r profiler.Report) float64 { return r.Latency.Max.Seconds() })
	verdict := func(r profiler.Report) string {
		if len(r.Thresholds) == 0 {
			return "–"
		}
		if r.Passed {
			return "pass"
		}
		return "FAIL"
	}
	text("thresholds", verdict(a), verdict(b))
	short := func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	}
	text("model", short(a.Meta[profiler.MetaModelHash]), short(b.Meta[profiler.MetaModelHash]))
	text("ONNX Runtime", a.Meta[profiler.MetaORTVersion], b.Meta[profiler.MetaORTVersion])
	text("hardware", a.Hardware.String(), b.Hardware.String())
	tw.Flush()
}

// secs converts seconds to a duration.
func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
