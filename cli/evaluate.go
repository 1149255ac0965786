package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/gold"
)

// evalDisagreements is how many disagreements the table shows per run.
const evalDisagreements = 20

// cmdEvaluate runs models on a gold file and scores them:
// nlpscope evaluate --gold FILE [--format F] [--compare A B] [--json] [engine flags].
func cmdEvaluate(ctx context.Context, std Stdio, args []string) error {
	args, sides, err := compareArgs(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	cfg := engineFlags(fs)
	goldPath := fs.String("gold", "", "labelled `file`: CoNLL/IOB2, spaCy JSONL, Label Studio JSON, doccano JSONL, sentiment CSV/JSONL")
	format := fs.String("format", "", "format of --gold: "+strings.Join(formatNames(), ", ")+" (default: from the file name and content)")
	agg := fs.String("aggregation", "simple", "entity aggregation: none, simple, first, average, max")
	asJSON := fs.Bool("json", false, "print the evaluation as JSON")
	all := fs.Bool("all", false, "list every disagreement (default: the first 20 per model)")
	fs.String("compare", "", "`A B`: evaluate two sides on the same texts, each a variant (fp32, int8, a file.onnx) or key=value pairs sentiment=MODEL,entities=MODEL,variant=V")
	fs.Usage = func() {
		fmt.Fprintln(std.Err, "usage: nlpscope evaluate --gold FILE [--format F] [--model-sentiment M] [--model-entities M] [--variant V] [--compare A B] [--json]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *goldPath == "" {
		return usagef("--gold FILE is required")
	}
	f, err := os.Open(*goldPath)
	if err != nil {
		return usagef("%v", err)
	}
	docs, err := app.ReadGold(f, *goldPath, *format)
	f.Close()
	if err != nil {
		return usagef("%v", err)
	}
	if len(sides) == 0 {
		sides = []string{""}
	}
	ev := app.Evaluation{Docs: len(docs)}
	for _, side := range sides {
		c := *cfg
		if err := applySide(&c, side); err != nil {
			return usagef("--compare %q: %v", side, err)
		}
		run, err := evaluateWith(ctx, std, c, docs, *agg)
		if err != nil {
			if side != "" {
				return fmt.Errorf("%s: %w", side, err)
			}
			return err
		}
		if side != "" {
			run.Name = side
		}
		ev.Runs = append(ev.Runs, run)
	}
	if *asJSON {
		enc := json.NewEncoder(std.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(ev)
	}
	bw := bufio.NewWriter(std.Out)
	printEvaluation(bw, *goldPath, ev, docs, *all)
	return bw.Flush()
}

func formatNames() []string {
	out := make([]string, len(gold.Formats))
	for i, f := range gold.Formats {
		out[i] = string(f)
	}
	return out
}

// compareArgs takes "--compare A B" (or "--compare A,B", "--compare=A,B")
// out of args, since flag reads one value per flag.
func compareArgs(args []string) (rest, sides []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), sides, nil
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "compare" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, nil, usagef("--compare needs two sides: --compare A B (e.g. --compare fp32 int8)")
			}
			i++
			val = args[i]
		}
		if x, y, ok := strings.Cut(val, ","); ok && !strings.Contains(val, "=") {
			sides = []string{x, y}
			continue
		}
		if hasVal || i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") {
			return nil, nil, usagef("--compare needs two sides: --compare A B (e.g. --compare fp32 int8)")
		}
		i++
		sides = []string{val, args[i]}
	}
	return rest, sides, nil
}

// applySide sets the models of one side of a comparison on c: a bare word
// is a variant of both models; key=value pairs (comma separated) set
// sentiment, entities and variant.
func applySide(c *app.Config, side string) error {
	if side == "" {
		return nil
	}
	if !strings.Contains(side, "=") {
		c.Variant = side
		if side == "default" {
			c.Variant = ""
		}
		return nil
	}
	for _, kv := range strings.Split(side, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return fmt.Errorf("%q: want key=value", kv)
		}
		switch k {
		case "sentiment":
			c.ModelSentiment = v
		case "entities", "ner":
			c.ModelEntities = v
		case "variant":
			c.Variant = v
		default:
			return fmt.Errorf("unknown key %q (want sentiment, entities or variant)", k)
		}
	}
	return nil
}

// evaluateWith starts a Service with cfg (no database: nothing is stored),
// evaluates docs on it and closes it.
func evaluateWith(ctx context.Context, std Stdio, cfg app.Config, docs []gold.Doc, agg string) (app.EvaluationRun, error) {
	cfg.NoDB = true
	svc, err := app.New(ctx, cfg, newLevelLogger(std, slog.LevelWarn))
	if err != nil {
		return app.EvaluationRun{}, err
	}
	defer svc.Close()
	if err := svc.WaitLoaded(ctx); err != nil {
		return app.EvaluationRun{}, err
	}
	h := svc.Health()
	needS, needE := false, false
	for _, d := range docs {
		needS = needS || d.Sentiment != ""
		needE = needE || d.Entities != nil
	}
	if (needS && !h.Ready["sentiment"]) || (needE && !h.Ready["entities"]) {
		return app.EvaluationRun{}, fmt.Errorf("models not ready: %s", strings.Join(h.Problems, "; "))
	}
	return svc.Evaluate(ctx, app.EvaluateRequest{Docs: docs, Aggregation: agg})
}

func printEvaluation(w io.Writer, path string, ev app.Evaluation, docs []gold.Doc, all bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "gold\t%s (%d documents)\n", path, ev.Docs)
	row := func(name string, cell func(r gold.Report) string) {
		fmt.Fprintf(tw, "%s", name)
		for _, run := range ev.Runs {
			fmt.Fprintf(tw, "\t%s", cell(run.Report))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "\n")
	names := []string{}
	for _, run := range ev.Runs {
		names = append(names, run.Name)
	}
	fmt.Fprintf(tw, "\t%s\n", strings.Join(names, "\t"))
	for _, task := range []string{"sentiment", "entities"} {
		fmt.Fprintf(tw, "%s model", task)
		for _, run := range ev.Runs {
			m := run.Models[task]
			if m == "" {
				m = "-"
			}
			fmt.Fprintf(tw, "\t%s", m)
		}
		fmt.Fprintln(tw)
	}
	f3 := func(x float64) string { return fmt.Sprintf("%.3f", x) }
	first := ev.Runs[0].Report
	if first.Sentiment != nil {
		fmt.Fprintf(tw, "\nsentiment (%d documents)\n", first.Sentiment.Docs)
		row("accuracy", func(r gold.Report) string { return f3(r.Sentiment.Accuracy) })
		row("macro recall", func(r gold.Report) string { return f3(r.Sentiment.MacroRecall) })
		row("macro F1", func(r gold.Report) string { return f3(r.Sentiment.MacroF1) })
		for i, s := range first.Sentiment.Labels {
			row(fmt.Sprintf("  %s P/R/F1 (support %d)", s.Label, s.Support), func(r gold.Report) string {
				if i >= len(r.Sentiment.Labels) || r.Sentiment.Labels[i].Label != s.Label {
					return "-"
				}
				x := r.Sentiment.Labels[i]
				return f3(x.Precision) + " " + f3(x.Recall) + " " + f3(x.F1)
			})
		}
	}
	if first.Entities != nil {
		fmt.Fprintf(tw, "\nentities, exact match as seqeval (%d documents)\n", first.Entities.Docs)
		row("micro P/R/F1", func(r gold.Report) string {
			return f3(r.Entities.Micro.Precision) + " " + f3(r.Entities.Micro.Recall) + " " + f3(r.Entities.Micro.F1)
		})
		row("macro P/R/F1", func(r gold.Report) string {
			return f3(r.Entities.Macro.Precision) + " " + f3(r.Entities.Macro.Recall) + " " + f3(r.Entities.Macro.F1)
		})
		labels := map[string]bool{}
		var order []string
		for _, run := range ev.Runs {
			for _, s := range run.Report.Entities.Labels {
				if !labels[s.Label] {
					labels[s.Label] = true
					order = append(order, s.Label)
				}
			}
		}
		for _, l := range order {
			row("  "+l+" P/R/F1 (support)", func(r gold.Report) string {
				for _, s := range r.Entities.Labels {
					if s.Label == l {
						return fmt.Sprintf("%s %s %s (%d)", f3(s.Precision), f3(s.Recall), f3(s.F1), s.Support)
					}
				}
				return "-"
			})
		}
	}
	tw.Flush()
	for _, run := range ev.Runs {
		r := run.Report
		if r.Sentiment != nil {
			fmt.Fprintf(w, "\nconfusion matrix, %s (rows gold, columns predicted)\n", run.Name)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "\t%s\t\n", strings.Join(r.Sentiment.Confusion.Labels, "\t"))
			for i, l := range r.Sentiment.Confusion.Labels {
				cells := make([]string, len(r.Sentiment.Confusion.Counts[i]))
				for j, c := range r.Sentiment.Confusion.Counts[i] {
					cells[j] = fmt.Sprint(c)
				}
				fmt.Fprintf(tw, "%s\t%s\t\n", l, strings.Join(cells, "\t"))
			}
			tw.Flush()
		}
		fmt.Fprintf(w, "\ndisagreements, %s: %d of %d documents\n", run.Name, len(r.Disagreements), r.Docs)
		for i, d := range r.Disagreements {
			if !all && i == evalDisagreements {
				fmt.Fprintf(w, "  … %d more (--all or --json lists them)\n", len(r.Disagreements)-i)
				break
			}
			id := ""
			if d.ID != "" {
				id = " id " + d.ID
			}
			fmt.Fprintf(w, "  #%d%s %q\n", d.Doc, id, snippet(d.Text, 80))
			if d.GoldSentiment != "" {
				fmt.Fprintf(w, "      sentiment: gold %s, predicted %s\n", d.GoldSentiment, d.PredSentiment)
			}
			for _, s := range d.Missed {
				fmt.Fprintf(w, "      missed   %s %q [%d,%d)\n", s.Label, gold.Slice(d.Text, s.Start, s.End), s.Start, s.End)
			}
			for _, s := range d.Spurious {
				fmt.Fprintf(w, "      spurious %s %q [%d,%d)\n", s.Label, gold.Slice(d.Text, s.Start, s.End), s.Start, s.End)
			}
		}
	}
}

// snippet is the first n code points of s on one line.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
