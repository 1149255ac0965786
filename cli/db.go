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

	"github.com/nlpscope/nlpscope/storage"
)

const dbUsage = `usage: nlpscope db stats|check|vacuum [--db PATH] [--json]

  stats   row counts per table, schema version, file sizes (database, WAL, SHM)
  check   PRAGMA integrity_check, foreign_key_check and the full-text index check
          (exit status 1 when a problem is found)
  vacuum  rebuild the file to reclaim free space and truncate the WAL

The database is %s unless --db is given.
`

// cmdDB runs database maintenance: nlpscope db stats|check|vacuum.
func cmdDB(ctx context.Context, std Stdio, args []string) int {
	def, err := storage.DefaultPath()
	if err != nil {
		def = "(no default: " + err.Error() + ")"
	}
	usage := func(w io.Writer) { fmt.Fprintf(w, dbUsage, def) }
	if len(args) == 0 {
		usage(std.Err)
		return ExitUsage
	}
	sub := args[0]
	switch sub {
	case "-h", "--help", "help":
		usage(std.Out)
		return ExitOK
	case "stats", "check", "vacuum":
	default:
		fmt.Fprintf(std.Err, "nlpscope db: unknown sub-command %q\n\n", sub)
		usage(std.Err)
		return ExitUsage
	}
	fs := flag.NewFlagSet("db "+sub, flag.ContinueOnError)
	fs.SetOutput(std.Err)
	path := fs.String("db", def, "database file")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(std.Err, "nlpscope db %s: unexpected argument %q\n", sub, fs.Arg(0))
		return ExitUsage
	}
	// Maintenance never creates a database: a mistyped path is an error.
	if _, err := os.Stat(*path); err != nil {
		fmt.Fprintf(std.Err, "nlpscope db %s: no database at %s: %v\n", sub, *path, err)
		return ExitFailure
	}
	db, err := storage.Open(ctx, storage.Config{Path: *path}, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintf(std.Err, "nlpscope db %s: %v\n", sub, err)
		return ExitFailure
	}
	code := ExitOK
	var out any
	var table func(w io.Writer)
	switch sub {
	case "stats":
		s, err := db.Stats(ctx)
		if err != nil {
			code = failDB(std, sub, err)
			break
		}
		out = s
		table = func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "path\t%s\n", s.Path)
			fmt.Fprintf(tw, "schema version\t%d\n", s.SchemaVersion)
			fmt.Fprintf(tw, "documents\t%d\n", s.Documents)
			fmt.Fprintf(tw, "analyses\t%d\n", s.Analyses)
			fmt.Fprintf(tw, "entities\t%d\n", s.Entities)
			fmt.Fprintf(tw, "imports\t%d\n", s.Imports)
			fmt.Fprintf(tw, "load-test runs\t%d\n", s.Runs)
			fmt.Fprintf(tw, "pages\t%d × %d B (%d free)\n", s.Pages, s.PageSize, s.FreePages)
			fmt.Fprintf(tw, "database file\t%s\n", humanBytes(s.FileBytes))
			fmt.Fprintf(tw, "WAL file\t%s\n", humanBytes(s.WALBytes))
			fmt.Fprintf(tw, "SHM file\t%s\n", humanBytes(s.SHMBytes))
			tw.Flush()
		}
	case "check":
		rep, err := db.Check(ctx)
		if err != nil {
			code = failDB(std, sub, err)
			break
		}
		out = rep
		if !rep.OK {
			code = ExitFailure
		}
		table = func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "integrity_check\t%s\n", strings.Join(rep.Integrity, "; "))
			fk := "ok"
			if n := len(rep.ForeignKeys); n > 0 {
				fk = fmt.Sprintf("%d violations", n)
			}
			fmt.Fprintf(tw, "foreign_key_check\t%s\n", fk)
			for _, v := range rep.ForeignKeys {
				fmt.Fprintf(tw, "\t%s rowid %d → %s\n", v.Table, v.RowID, v.Parent)
			}
			fmt.Fprintf(tw, "full-text index\t%s\n", rep.FullText)
			verdict := "ok"
			if !rep.OK {
				verdict = "PROBLEMS FOUND"
			}
			fmt.Fprintf(tw, "result\t%s\n", verdict)
			tw.Flush()
		}
	case "vacuum":
		res, err := db.Vacuum(ctx)
		if err != nil {
			code = failDB(std, sub, err)
			break
		}
		out = res
		table = func(w io.Writer) {
			fmt.Fprintf(w, "vacuumed %s: %s → %s\n", db.Path(), humanBytes(res.BeforeBytes), humanBytes(res.AfterBytes))
		}
	}
	if cerr := db.Close(); cerr != nil && code == ExitOK {
		code = failDB(std, sub, cerr)
	}
	if out == nil {
		return code
	}
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failDB(std, sub, err)
		}
	} else {
		table(std.Out)
	}
	return code
}

func failDB(std Stdio, sub string, err error) int {
	fmt.Fprintf(std.Err, "nlpscope db %s: %v\n", sub, err)
	return ExitFailure
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
