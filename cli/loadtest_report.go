package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/storage"
)

const loadtestReportUsage = `usage: nlpscope loadtest report RUN [--format json|csv|html] [--out FILE] [--db PATH]

RUN is a report written by "nlpscope loadtest --json" or downloaded as JSON
(a file), or the id of a run saved with --db (the app's history of runs;
default %s). Writes the report to FILE (default: stdout) as
  json  the report itself (what loadtest compare reads)
  csv   one table: a row per second (a capacity search: per step), then a
        total row whose counts the rows add up to
  html  a self-contained page with the figures and charts: it loads
        nothing, so it opens from disk, offline`

// loadtestReport writes a saved run or a report file as JSON, CSV or HTML.
func loadtestReport(ctx context.Context, std Stdio, args []string) error {
	def, err := storage.DefaultPath()
	if err != nil {
		def = ""
	}
	fs := flag.NewFlagSet("loadtest report", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	dbPath := fs.String("db", def, "database `path` a run id is read from")
	format := fs.String("format", "html", "`format`: json, csv or html")
	out := fs.String("out", "", "write to this `file` (default: stdout)")
	fs.Usage = func() {
		fmt.Fprintf(std.Err, loadtestReportUsage+"\n\nflags:\n", def)
		fs.PrintDefaults()
	}
	// Flags may come before, between or after the runs.
	if err := flagError(parseInterspersed(fs, args)); err != nil {
		return err
	}
	runs := fs.Args()
	if len(runs) != 1 {
		return usagef("want one run (a report file or a saved run id), got %d", len(runs))
	}
	f, err := app.ParseReportFormat(*format)
	if err != nil {
		return usagef("--format %q: want json, csv or html", *format)
	}
	log := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := readReport(ctx, runs[0], *dbPath, log)
	if err != nil {
		return err
	}
	if *out == "" || *out == "-" {
		return app.WriteReport(std.Out, r, f)
	}
	return writeFileAtomic(*out, func(w *os.File) error { return app.WriteReport(w, r, f) })
}

// writeFileAtomic writes path through a temporary file in its folder, so a
// failure leaves no partial file.
func writeFileAtomic(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := errors.Join(tmp.Chmod(0o644), write(tmp), tmp.Close()); err != nil { // a report to share, not a secret
		return err
	}
	return os.Rename(tmp.Name(), path)
}
