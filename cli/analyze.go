package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/input"
	"github.com/nlpscope/nlpscope/engine"
)

// Concurrency of `analyze`: texts per engine call and calls in flight. Many
// calls in flight let the engine's batcher fill its batches; output stays in
// input order.
const (
	analyzeChunk    = 16
	analyzeInFlight = 8
)

const analyzeUsage = `usage: nlpscope analyze [FILES…|-] [flags]

Analyses every text of the given files (stdin when none or "-") and writes one
result per input, in input order:
  .txt    one text per line (blank lines skipped), or the whole file with --unit file
  .csv .tsv     delimiter, header row and text column sniffed (or --delimiter,
                --column); a header named "text" wins
  .xlsx .xlsm   the first sheet with data (or --sheet), text column as for .csv
  (tables)      --id-column / --date-column keep each row's id and date/time
                with its result (ext_id, time); unreadable dates are counted;
                --meta-column NAME (repeatable, or '*' for every other column)
                keeps columns as the result's metadata (at most 64; a value
                over 1 KiB or a row over 16 KiB of them fails that row)
  .jsonl        one object per line, the text in --field (default "text");
                --id-column, --date-column and --meta-column name fields
  .json         an array of objects (text in --field) or of strings
Text files are decoded from UTF-8, UTF-16 (with BOM) or Windows-1252, sniffed
unless --encoding is given; binary files are refused. How each tabular file is
read is printed on stderr before its results.
Rows that cannot be read or analysed are reported on stderr as FILE:LINE and as
an output record with "error"; the exit status is then 1.

flags:
`

// cmdAnalyze is `nlpscope analyze`.
func cmdAnalyze(ctx context.Context, std Stdio, args []string) error {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	cfg := engineFlags(fs)
	fs.Lookup("db").Usage = "also store the results in the SQLite database at `path` (default: none; nothing is stored)"
	task := fs.String("task", "all", "sentiment, entities or all")
	format := fs.String("format", "jsonl", "output format: jsonl or csv")
	out := fs.String("out", "", "write results to `file` instead of stdout")
	model := fs.String("model", "", "model `dir` for the chosen task (with --task sentiment or entities)")
	agg := fs.String("aggregation", engine.AggSimple, "entity aggregation: none, simple, first, average or max")
	method := fs.String("sentiment-method", engine.MethodAuto, "how sentiment reads a text: auto (whole when it fits the model's window, else by sentences), whole (first window only), mean or majority (of its sentences)")
	var in app.InputOptions
	fs.StringVar(&in.Unit, "unit", "line", ".txt: one text per line or per file (line|file)")
	fs.StringVar(&in.Column, "column", "", ".csv: column `name` or 1-based index")
	fs.StringVar(&in.Field, "field", "text", ".jsonl: `field` holding the text")
	fs.StringVar(&in.Format, "input-format", "", "input format for stdin or unknown extensions: txt, csv, tsv, jsonl or json")
	fs.StringVar(&in.Encoding, "encoding", "", "text encoding: utf-8, utf-16le, utf-16be or windows-1252 (default: sniffed)")
	fs.StringVar(&in.Delimiter, "delimiter", "", ".csv: one character, or tab, comma, semicolon, pipe (default: sniffed)")
	fs.StringVar(&in.Sheet, "sheet", "", ".xlsx: sheet `name` (default: the first sheet with data)")
	fs.StringVar(&in.IDColumn, "id-column", "", ".csv/.tsv/.xlsx: a column `name` or 1-based index of row ids, kept with each result as ext_id")
	fs.StringVar(&in.DateColumn, "date-column", "", ".csv/.tsv/.xlsx: a column `name` or 1-based index of dates/times (ISO, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, 4 Mar 2026, …), kept as time")
	var metaCols multiFlag
	fs.Var(&metaCols, "meta-column", "a column `name` or 1-based index kept with each result as metadata (repeatable; '*' = every column but text, id and date)")
	keepDups := fs.Bool("keep-duplicates", false, "with --db: store every input as a document of its own (default: a text stored before with the same models and settings counts as one more sighting of that document)")
	progress := fs.Bool("progress", true, "show a progress bar on stderr when it is a terminal")
	verbose := fs.Bool("v", false, "log what the engine does (model loads, storage) on stderr; quiet by default")
	fs.Usage = func() { fmt.Fprint(std.Err, analyzeUsage); fs.PrintDefaults() }
	if err := flagError(parseInterspersed(fs, args)); err != nil {
		return err
	}
	tasks, err := app.ParseTasks([]engine.Task{engine.Task(*task)})
	if err != nil {
		return usagef("--task %q: want sentiment, entities or all", *task)
	}
	if _, err := app.ParseSentimentMethod(*method); err != nil {
		return usagef("--sentiment-method %q: want auto, whole, mean or majority", *method)
	}
	if _, err := app.ParseAggregation(*agg); err != nil {
		return usagef("--aggregation %q: want none, simple, first, average or max", *agg)
	}
	if *format != "jsonl" && *format != "csv" {
		return usagef("--format %q: want jsonl or csv", *format)
	}
	in.MetaColumns = metaCols
	if err := in.Validate(); err != nil {
		return usagef("%v", strings.TrimPrefix(err.Error(), app.ErrBadRequest.Error()+": "))
	}
	if in.Unit != "line" && in.Unit != "file" {
		return usagef("--unit %q: want line or file", in.Unit)
	}
	if *model != "" {
		if len(tasks) != 1 {
			return usagef("--model needs --task sentiment or --task entities (or use --model-sentiment and --model-entities)")
		}
		if tasks[0] == engine.TaskSentiment {
			cfg.ModelSentiment = *model
		} else {
			cfg.ModelEntities = *model
		}
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, f := range files {
		if f == "-" {
			continue
		}
		if st, err := os.Stat(f); err != nil {
			return usagef("%v", err)
		} else if st.IsDir() {
			return usagef("%s is a directory", f)
		}
		if in.Format == "" {
			if _, err := input.FormatOf(f); err != nil {
				return usagef("%s: unsupported file type (want .txt, .csv, .tsv, .jsonl, .json or .xlsx, or set --input-format)", f)
			}
		}
	}
	cfg.NoDB = cfg.DBPath == ""
	cfg.Tasks = tasks

	w := std.Out
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	svc, err := app.New(ctx, *cfg, newLevelLogger(std, level))
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.WaitLoaded(ctx); err != nil {
		return err
	}
	for _, t := range tasks {
		if !svc.Health().Ready[string(t)] {
			return fmt.Errorf("no %s model: %s", t, strings.Join(svc.Health().Problems, "; "))
		}
	}
	in.MaxTextBytes = svc.MaxTextBytes()
	a := &analyzer{
		svc: svc, std: std, tasks: tasks, in: in,
		base: app.RecordOptions{Tasks: tasks, Aggregation: *agg, SentimentMethod: *method, Store: !cfg.NoDB, Bulk: true, KeepDuplicates: *keepDups},
	}
	if *progress && isTerminal(std.Err) {
		a.bar = newProgressBar(std.Err, files)
	}
	var enc resultEncoder
	bw := bufio.NewWriterSize(w, 64<<10)
	if *format == "csv" {
		enc = newCSVResultEncoder(bw, tasks, svc.ActiveModels(), in.IDColumn != "" || in.DateColumn != "" || len(in.MetaColumns) > 0)
	} else {
		enc = newJSONResultEncoder(bw)
	}
	runErr := a.run(ctx, files, enc)
	if err := errors.Join(enc.Flush(), bw.Flush()); err != nil && runErr == nil {
		runErr = err
	}
	if a.bar != nil {
		a.bar.finish(a.done.Load(), a.failed.Load())
	}
	if ctx.Err() != nil {
		// Every record written is whole (the encoder writes records, the
		// buffer was flushed); say how far it got.
		return fmt.Errorf("%d inputs analysed and written (%d failed) before the interrupt; the rest were not", a.done.Load(), a.failed.Load())
	}
	if runErr != nil {
		return runErr
	}
	if n := a.badDates.Load(); n > 0 {
		fmt.Fprintf(std.Err, "%d of %d dates in --date-column %q could not be read; those results have no time\n", n, a.done.Load(), in.DateColumn)
	}
	if n := a.failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d inputs failed", n, n+a.done.Load())
	}
	return nil
}

// parseInterspersed parses flags that may follow the file arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var pos []string
	shortUsageOnError(fs, args)
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest := fs.Args()
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// analyzer streams records through the Service in order.
type analyzer struct {
	svc          *app.Service
	std          Stdio
	tasks        []engine.Task
	in           app.InputOptions
	base         app.RecordOptions
	bar          *progressBar
	done, failed atomic.Int64
	badDates     atomic.Int64 // results written without their date (unreadable)
}

// chunk is a run of records analysed together; results is filled by a
// worker, then ready is closed.
type chunk struct {
	recs    []app.Record
	results []app.DocumentResult
	errs    []error
	ready   chan struct{}
}

// run reads every file, analyses chunks concurrently and writes them in
// input order.
func (a *analyzer) run(outer context.Context, files []string, enc resultEncoder) error {
	ctx, cancel := context.WithCancel(outer)
	defer cancel()
	ordered := make(chan *chunk, analyzeInFlight)
	sem := make(chan struct{}, analyzeInFlight)
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	go func() {
		defer close(ordered)
		readErr <- a.read(ctx, files, func(c *chunk) error {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				a.process(ctx, c)
			}()
			select {
			case ordered <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var werr error
	interrupted := false
	for c := range ordered {
		<-c.ready
		if werr != nil || interrupted {
			continue
		}
		for i, rec := range c.recs {
			if err := c.errs[i]; err != nil && outer.Err() != nil && errors.Is(err, context.Canceled) {
				// The user interrupted: this input and the rest were not
				// analysed. They are neither failures nor output records.
				interrupted = true
				break
			}
			if err := c.errs[i]; err != nil {
				a.failed.Add(1)
				fmt.Fprintf(a.std.Err, "%s:%d: %v\n", rec.Source, rec.Line, err)
				werr = enc.Error(rec, err)
			} else {
				a.done.Add(1)
				if rec.BadDate {
					a.badDates.Add(1)
				}
				werr = enc.Result(rec, c.results[i])
			}
			if werr != nil {
				cancel()
				break
			}
		}
		if a.bar != nil {
			a.bar.update(a.done.Load(), a.failed.Load())
		}
	}
	wg.Wait()
	rerr := <-readErr
	if werr != nil {
		return fmt.Errorf("write: %w", werr)
	}
	if rerr != nil && !errors.Is(rerr, context.Canceled) {
		return rerr
	}
	return ctx.Err()
}

// read turns the files into chunks (never spanning two files) and passes
// them to emit in order. Bad rows travel in chunks too, already failed.
func (a *analyzer) read(ctx context.Context, files []string, emit func(*chunk) error) error {
	for _, name := range files {
		var r io.Reader
		source := name
		if name == "-" {
			r, source = a.std.In, "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		if a.bar != nil {
			r = a.bar.reader(r)
		}
		opt := a.in
		if opt.Format == "" && name == "-" {
			opt.Format = input.FormatTXT
		} else if opt.Format == "" {
			opt.Format, _ = input.FormatOf(name)
		}
		c := newChunk()
		rr, err := input.NewReader(r, source, opt)
		if err != nil {
			return err
		}
		if m, ok := rr.(input.Mapper); ok && (len(m.Mapping().Columns) > 0 || m.Mapping().IDColumn != "" || m.Mapping().DateColumn != "" || len(m.Mapping().MetaColumns) > 0) {
			// Tabular inputs (and JSON with id, date or meta fields): say
			// which column the texts come from, so a wrong sniff is seen
			// before the results are trusted.
			fmt.Fprintf(a.std.Err, "reading %s\n", m.Mapping())
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, err := rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", source, err)
			}
			c.recs = append(c.recs, rec)
			if len(c.recs) == analyzeChunk {
				if err := emit(c); err != nil {
					return err
				}
				c = newChunk()
			}
		}
		if len(c.recs) > 0 {
			if err := emit(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func newChunk() *chunk {
	return &chunk{recs: make([]app.Record, 0, analyzeChunk), ready: make(chan struct{})}
}

// process analyses a chunk and marks it ready.
func (a *analyzer) process(ctx context.Context, c *chunk) {
	defer close(c.ready)
	c.results, c.errs = a.svc.AnalyzeRecords(app.WithSource(ctx, app.SourceCLI), a.base, c.recs)
}

// resultEncoder writes one output record per input.
type resultEncoder interface {
	Result(rec app.Record, r app.DocumentResult) error
	Error(rec app.Record, err error) error
	Flush() error
}

// analyzeRecord is one JSONL output line: the document result of the HTTP
// API and the desktop bindings (app.DocumentResult) with the input's source
// and line always present, or, for an input that failed, source, line and
// error only.
type analyzeRecord struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
	*app.DocumentResult
	Error string `json:"error,omitempty"`
}

type jsonResultEncoder struct{ enc *json.Encoder }

// newJSONResultEncoder writes JSON as the HTTP API does (no HTML escaping).
func newJSONResultEncoder(w io.Writer) *jsonResultEncoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonResultEncoder{enc: enc}
}

func (j *jsonResultEncoder) Result(rec app.Record, r app.DocumentResult) error {
	return j.enc.Encode(analyzeRecord{Source: rec.Source, Line: rec.Line, DocumentResult: &r})
}

func (j *jsonResultEncoder) Error(rec app.Record, err error) error {
	return j.enc.Encode(analyzeRecord{Source: rec.Source, Line: rec.Line, Error: err.Error()})
}

func (j *jsonResultEncoder) Flush() error { return nil }

// csvResultEncoder writes source, line, id, text, label, score, one
// score_<label> column per sentiment label, entities (JSON), with the
// optional columns ext_id, time (RFC 3339) and metadata (a JSON object),
// and error.
type csvResultEncoder struct {
	w      *csv.Writer
	labels []string
	tasks  []engine.Task
	extra  bool
	row    []string
}

func newCSVResultEncoder(w io.Writer, tasks []engine.Task, models []engine.ModelInfo, extra bool) *csvResultEncoder {
	c := &csvResultEncoder{w: csv.NewWriter(w), tasks: tasks, extra: extra}
	header := []string{"source", "line", "id", "text"}
	if slices.Contains(tasks, engine.TaskSentiment) {
		for _, m := range models {
			if m.Task == engine.TaskSentiment {
				c.labels = m.Labels
			}
		}
		header = append(header, "label", "score")
		for _, l := range c.labels {
			header = append(header, "score_"+l)
		}
	}
	if slices.Contains(tasks, engine.TaskEntities) {
		header = append(header, "entities")
	}
	if extra {
		header = append(header, "ext_id", "time", "metadata")
	}
	header = append(header, "error")
	c.w.Write(header)
	return c
}

func (c *csvResultEncoder) Result(rec app.Record, r app.DocumentResult) error {
	row := append(c.row[:0], rec.Source, strconv.Itoa(rec.Line), idString(r.ID), rec.Text)
	if slices.Contains(c.tasks, engine.TaskSentiment) {
		s := r.Sentiment
		row = append(row, s.Label, fmtScore(s.Score))
		for _, l := range c.labels {
			v := ""
			for _, ls := range s.Scores {
				if ls.Label == l {
					v = fmtScore(ls.Score)
				}
			}
			row = append(row, v)
		}
	}
	if slices.Contains(c.tasks, engine.TaskEntities) {
		b, err := json.Marshal(r.Entities)
		if err != nil {
			return err
		}
		row = append(row, string(b))
	}
	if c.extra {
		t, meta := "", ""
		if r.Time != nil {
			t = r.Time.UTC().Format(time.RFC3339Nano)
		}
		if len(r.Metadata) > 0 {
			b, err := json.Marshal(r.Metadata)
			if err != nil {
				return err
			}
			meta = string(b)
		}
		row = append(row, r.ExtID, t, meta)
	}
	row = append(row, "")
	c.row = row
	return c.w.Write(row)
}

func (c *csvResultEncoder) Error(rec app.Record, err error) error {
	row := append(c.row[:0], rec.Source, strconv.Itoa(rec.Line), "", "")
	if slices.Contains(c.tasks, engine.TaskSentiment) {
		row = append(row, "", "")
		for range c.labels {
			row = append(row, "")
		}
	}
	if slices.Contains(c.tasks, engine.TaskEntities) {
		row = append(row, "")
	}
	if c.extra {
		row = append(row, "", "", "")
	}
	row = append(row, err.Error())
	c.row = row
	return c.w.Write(row)
}

func (c *csvResultEncoder) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func fmtScore(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// progressBar draws "[=====>    ] 42% 1234 texts 567/s 3 failed" on a
// terminal, at most 4 times a second. Progress is in input bytes.
type progressBar struct {
	w     io.Writer
	total int64 // bytes of all files; 0 when unknown (stdin)
	read  atomic.Int64
	start time.Time
	mu    sync.Mutex
	last  time.Time
}

func newProgressBar(w io.Writer, files []string) *progressBar {
	p := &progressBar{w: w, start: time.Now()}
	for _, f := range files {
		if f == "-" {
			p.total = 0
			break
		}
		if st, err := os.Stat(f); err == nil {
			p.total += st.Size()
		}
	}
	return p
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (p *progressBar) reader(r io.Reader) io.Reader { return countingReader{r: r, n: &p.read} }

func (p *progressBar) update(done, failed int64) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last) < app.MetricsInterval {
		return
	}
	p.last = now
	p.draw(now, done, failed)
}

func (p *progressBar) draw(now time.Time, done, failed int64) {
	rate := float64(done+failed) / max(now.Sub(p.start).Seconds(), 1e-3)
	bar := ""
	if p.total > 0 {
		frac := min(float64(p.read.Load())/float64(p.total), 1)
		n := int(frac * 30)
		bar = fmt.Sprintf("[%s>%s] %3.0f%% ", strings.Repeat("=", n), strings.Repeat(" ", 30-n), frac*100)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s%d texts  %.0f/s  %d failed", bar, done+failed, rate, failed)
}

func (p *progressBar) finish(done, failed int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(time.Now(), done, failed)
	fmt.Fprintln(p.w)
}
