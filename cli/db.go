package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nlpscope/nlpscope/storage"
)

const dbUsage = `usage: nlpscope db stats|check|vacuum [--db PATH] [--json]
       nlpscope db export --format FORMAT [--db PATH] [-o FILE] [History filters: --q, --import, --sentiment, …]

  stats   row counts per table, schema version, file sizes (database, WAL, SHM)
  check   PRAGMA integrity_check, foreign_key_check and the full-text index check
          (exit status 1 when a problem is found)
  vacuum  rebuild the file to reclaim free space and truncate the WAL
  export  stream the documents a History search selects with their predictions:
          csv, jsonl, conll (IOB2), spacy, labelstudio (predictions), doccano,
          sentiment-csv, sentiment-jsonl ('nlpscope db export --help' for the filters)

The database is %s unless --db is given.
`

// cmdDB runs database maintenance and export: nlpscope db stats|check|vacuum|export.
func cmdDB(ctx context.Context, std Stdio, args []string) error {
	def, err := storage.DefaultPath()
	if err != nil {
		def = "(no default: " + err.Error() + ")"
	}
	usage := strings.TrimRight(fmt.Sprintf(dbUsage, def), "\n")
	if len(args) == 0 {
		return withUsage("\n"+usage, "which sub-command?")
	}
	sub := args[0]
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprintln(std.Out, usage)
		return nil
	case "stats", "check", "vacuum":
	case "export":
		return inSub(sub, dbExport(ctx, std, def, args[1:]))
	default:
		return withUsage("\n"+usage, "unknown sub-command %q", sub)
	}
	return inSub(sub, dbCommand(ctx, std, sub, def, args[1:]))
}

// dbCommand runs one db sub-command; def is the default database path.
func dbCommand(ctx context.Context, std Stdio, sub, def string, args []string) error {
	fs := flag.NewFlagSet("db "+sub, flag.ContinueOnError)
	fs.SetOutput(std.Err)
	path := fs.String("db", def, "database file")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	db, err := openExistingDB(ctx, *path)
	if err != nil {
		return err
	}
	var failed error // the sub-command's own failure; its report is still printed
	var out any
	var table func(w io.Writer)
	switch sub {
	case "stats":
		s, err := db.Stats(ctx)
		if err != nil {
			failed = err
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
			failed = err
			break
		}
		out = rep
		if !rep.OK {
			failed = errors.New("problems found")
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
			failed = err
			break
		}
		out = res
		table = func(w io.Writer) {
			fmt.Fprintf(w, "vacuumed %s: %s → %s\n", db.Path(), humanBytes(res.BeforeBytes), humanBytes(res.AfterBytes))
		}
	}
	if cerr := db.Close(); cerr != nil && failed == nil {
		failed = cerr
	}
	if out == nil {
		return failed
	}
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		table(std.Out)
	}
	return failed
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
