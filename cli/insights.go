package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/storage"
)

// insightsTables are the tables --csv writes.
var insightsTables = []string{"sentiment", "timeline", "entities", "forms", "cooccurrence"}

// cmdInsights prints the aggregates of a selection of stored documents:
// nlpscope insights [--db PATH] [--q TEXT] [--import ID] [--from/--to] …
func cmdInsights(ctx context.Context, std Stdio, args []string) error {
	def, err := storage.DefaultPath()
	if err != nil {
		def = ""
	}
	fs := flag.NewFlagSet("insights", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	path := fs.String("db", def, "database `file`")
	q := fs.String("q", "", "full-text search: only documents with these words")
	imp := fs.Int64("import", 0, "only the documents of this import `id`")
	sentiment := fs.String("sentiment", "", "only documents with this sentiment `label`")
	entityLabel := fs.String("entity-label", "", "only documents with an entity of this `label`")
	var entities stringList
	fs.Var(&entities, "entity", "only documents with this entity, `LABEL:text` (repeatable: all of them)")
	var metas stringList
	fs.Var(&metas, "meta", "only documents whose metadata has `KEY:VALUE` exactly (an import's meta columns; repeatable: all of them)")
	from := fs.String("from", "", "created at or after this `time` (RFC 3339 or YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "created before this `time` (RFC 3339 or YYYY-MM-DD, UTC)")
	bucket := fs.String("bucket", "", "timeline bucket: hour, day, week or month (default: from the span)")
	sortBy := fs.String("sort", "docs", "entities by docs, mentions, negative or positive (share of documents)")
	top := fs.Int("top", storage.DefaultTopEntities, "entities per label")
	coTop := fs.Int("co-top", storage.DefaultCoEntities, "entities in the co-occurrence matrix")
	asJSON := fs.Bool("json", false, "print everything as JSON")
	table := fs.String("csv", "", "print one `table` as CSV: "+strings.Join(insightsTables, ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *table != "" && !contains(insightsTables, *table) {
		return usagef("--csv %q: want one of %s", *table, strings.Join(insightsTables, ", "))
	}
	iq := storage.InsightsQuery{Query: storage.Query{Text: *q, ImportID: storage.ImportID(*imp), Sentiment: *sentiment, EntityLabel: *entityLabel},
		Bucket: *bucket, Sort: *sortBy, Top: *top, CoTop: *coTop}
	for _, e := range entities {
		m, err := app.ParseEntityMatch(e)
		if err != nil {
			return usagef("--entity %q: want LABEL:text, e.g. ORG:apple", e)
		}
		iq.Entities = append(iq.Entities, m)
	}
	for _, s := range metas {
		k, v, err := app.ParseMetaFilter(s)
		if err != nil {
			return usagef("--meta %q: want KEY:VALUE, e.g. product:phone", s)
		}
		if _, dup := iq.Meta[k]; dup {
			return usagef("--meta %q given twice", k)
		}
		if iq.Meta == nil {
			iq.Meta = map[string]string{}
		}
		iq.Meta[k] = v
	}
	if err := parseTimeFlag("from", *from, &iq.From); err != nil {
		return err
	}
	if err := parseTimeFlag("to", *to, &iq.To); err != nil {
		return err
	}
	if *path == "" {
		return usagef("no default database path: give --db")
	}
	db, err := openExistingDB(ctx, *path)
	if err != nil {
		return err
	}
	in, err := db.Insights(ctx, iq)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	case *table != "":
		return writeInsightsCSV(std.Out, in, *table)
	}
	printInsights(std.Out, in)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + " %" }

func entityName(e storage.EntityMatch) string { return e.Label + ":" + e.Key }

func printInsights(w io.Writer, in storage.Insights) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "documents\t%d", in.Documents)
	if in.Documents > 0 {
		fmt.Fprintf(tw, " (%s … %s)", in.First.Format(time.RFC3339), in.Last.Format(time.RFC3339))
	}
	fmt.Fprintln(tw)
	if in.Unlabelled > 0 {
		fmt.Fprintf(tw, "without sentiment\t%d\n", in.Unlabelled)
	}
	fmt.Fprintf(tw, "\nsentiment\tdocuments\tshare\tmean score\n")
	for _, s := range in.Sentiment {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.3f\n", s.Label, s.Docs, pct(s.Share), s.MeanScore)
	}
	tl := in.Timeline
	auto := ""
	if tl.Auto {
		auto = ", chosen from the span"
	}
	fmt.Fprintf(tw, "\nper %s (UTC%s)\t%s\ttotal\tnet\n", tl.Bucket, auto, strings.Join(tl.Labels, "\t"))
	for _, b := range tl.Buckets {
		counts := make([]string, len(b.Counts))
		for i, c := range b.Counts {
			counts[i] = strconv.FormatInt(c, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%+.2f\n", b.From.Format(time.RFC3339), strings.Join(counts, "\t"), b.Total, b.Net)
	}
	for _, g := range in.Entities {
		fmt.Fprintf(tw, "\n%s (%d of %d)\tdocuments\tmentions\tnegative\tpositive\tsurface forms\n", g.Label, len(g.Entities), g.Distinct)
		for _, e := range g.Entities {
			forms := make([]string, len(e.Forms))
			for i, f := range e.Forms {
				forms[i] = fmt.Sprintf("%q×%d", f.Text, f.Mentions)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", e.Key, e.Docs, e.Mentions, pct(e.NegativeShare), pct(e.PositiveShare), strings.Join(forms, " "))
		}
	}
	if len(in.Cooccur.Pairs) > 0 {
		fmt.Fprintf(tw, "\nco-occurring\t\tdocuments\n")
		for _, p := range in.Cooccur.Pairs {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", entityName(in.Cooccur.Entities[p.A]), entityName(in.Cooccur.Entities[p.B]), p.Docs)
		}
	}
	tw.Flush()
}

// writeInsightsCSV writes one table of in as CSV with a header.
func writeInsightsCSV(w io.Writer, in storage.Insights, table string) error {
	cw := csv.NewWriter(w)
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	f64 := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch table {
	case "sentiment":
		cw.Write([]string{"label", "documents", "share", "mean_score"})
		for _, s := range in.Sentiment {
			cw.Write([]string{s.Label, i64(s.Docs), f64(s.Share), f64(s.MeanScore)})
		}
	case "timeline":
		cw.Write(append(append([]string{"from", "to"}, in.Timeline.Labels...), "total", "net"))
		for _, b := range in.Timeline.Buckets {
			row := []string{b.From.Format(time.RFC3339), b.To.Format(time.RFC3339)}
			for _, c := range b.Counts {
				row = append(row, i64(c))
			}
			cw.Write(append(row, i64(b.Total), f64(b.Net)))
		}
	case "entities":
		cw.Write([]string{"label", "entity", "documents", "mentions", "negative_share", "positive_share", "sentiment", "surface_forms"})
		for _, g := range in.Entities {
			for _, e := range g.Entities {
				var mix, forms []string
				for _, m := range e.Sentiment {
					mix = append(mix, m.Label+"="+i64(m.Docs))
				}
				for _, f := range e.Forms {
					forms = append(forms, f.Text)
				}
				cw.Write([]string{e.Label, e.Key, i64(e.Docs), i64(e.Mentions), f64(e.NegativeShare), f64(e.PositiveShare), strings.Join(mix, ";"), strings.Join(forms, "|")})
			}
		}
	case "forms":
		cw.Write([]string{"label", "entity", "surface_form", "mentions"})
		for _, g := range in.Entities {
			for _, e := range g.Entities {
				for _, f := range e.Forms {
					cw.Write([]string{e.Label, e.Key, f.Text, i64(f.Mentions)})
				}
			}
		}
	case "cooccurrence":
		cw.Write([]string{"label_a", "entity_a", "label_b", "entity_b", "documents"})
		for _, p := range in.Cooccur.Pairs {
			a, b := in.Cooccur.Entities[p.A], in.Cooccur.Entities[p.B]
			cw.Write([]string{a.Label, a.Key, b.Label, b.Key, i64(p.Docs)})
		}
	}
	cw.Flush()
	return cw.Error()
}
