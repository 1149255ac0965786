package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/nlpscope/nlpscope/app"
)

// dbExport runs nlpscope db export: the documents a History search selects,
// streamed in a table or training format, without loading models.
func dbExport(ctx context.Context, std Stdio, def string, args []string) error {
	fs := flag.NewFlagSet("db export", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	path := fs.String("db", def, "database `file`")
	format := fs.String("format", "jsonl", "`format`: "+strings.Join(app.ExportFormats(), ", "))
	out := fs.String("o", "", "write to this `file` instead of standard output (replaced only when the export is complete)")
	comments := fs.Bool("comments", false, "conll: add # id / # text / # sentiment lines so that the file reads back with the exact text")
	var q app.SearchQuery
	fs.StringVar(&q.Q, "q", "", "search: only documents matching it (History's syntax)")
	fs.StringVar(&q.ImportID, "import", "", "only the documents of this import `id`")
	fs.StringVar(&q.Sentiment, "sentiment", "", "only documents with this sentiment `label`")
	fs.StringVar(&q.EntityLabel, "entity-label", "", "only documents with an entity of this `label`")
	fs.StringVar(&q.EntityText, "entity-text", "", "only documents with an entity with this `text`")
	fs.StringVar(&q.Model, "model", "", "only documents analysed by this model `id`")
	fs.StringVar(&q.Source, "source", "", "only documents from this `source`")
	var entities stringList
	fs.Var(&entities, "entity", "only documents with this entity, `LABEL:text` (repeatable: all of them)")
	from := fs.String("from", "", "created at or after this `time` (RFC 3339 or YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "created before this `time` (RFC 3339 or YYYY-MM-DD, UTC)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if !contains(app.ExportFormats(), *format) {
		return usagef("--format %q: want one of %s", *format, strings.Join(app.ExportFormats(), ", "))
	}
	for _, e := range entities {
		m, err := app.ParseEntityMatch(e)
		if err != nil {
			return usagef("--entity %q: want LABEL:text, e.g. ORG:apple", e)
		}
		q.Entities = append(q.Entities, m)
	}
	if err := parseTimeFlag("from", *from, &q.From); err != nil {
		return err
	}
	if err := parseTimeFlag("to", *to, &q.To); err != nil {
		return err
	}
	if *path == "" {
		return usagef("no default database path: give --db")
	}
	db, err := openExistingDB(ctx, *path)
	if err != nil {
		return err
	}
	defer db.Close()
	opt := app.ExportOptions{Comments: *comments}
	if *out == "" {
		_, err := app.ExportStored(ctx, db, std.Out, *format, q, opt)
		return err
	}
	var n int64
	err = writeFileAtomic(*out, func(w *os.File) error {
		n, err = app.ExportStored(ctx, db, w, *format, q, opt)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(std.Err, "wrote %d documents to %s\n", n, *out)
	return nil
}
