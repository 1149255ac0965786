package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nlpscope/nlpscope/app/gold"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/storage"
)

// ExportFormats are the formats of ExportResults: the History table (csv,
// jsonl) and the training formats of package gold.
func ExportFormats() []string {
	out := []string{storage.FormatCSV, storage.FormatJSONL}
	for _, f := range gold.Formats {
		out = append(out, string(f))
	}
	return out
}

// ExportFormat is a format of GET /v1/results/export (ExportFormats).
type ExportFormat string

// Values lists every export format.
func (ExportFormat) Values() []ExportFormat {
	var out []ExportFormat
	for _, f := range ExportFormats() {
		out = append(out, ExportFormat(f))
	}
	return out
}

// ExportOptions tune an export in a training format.
type ExportOptions struct {
	// Comments adds "# id/text/sentiment = …" lines to CoNLL, so that the
	// file reads back with the exact text (gold.WriteOptions.Comments).
	Comments bool
}

// ExportContentType is the MIME type and file extension of an export format.
func ExportContentType(format string) (ctype, ext string) {
	switch format {
	case storage.FormatCSV:
		return "text/csv; charset=utf-8", "csv"
	case storage.FormatJSONL:
		return "application/x-ndjson", "jsonl"
	}
	f := gold.Format(format)
	return gold.ContentType(f), gold.Ext(f)
}

// ExportFileName is the file name an export of format is saved under:
// nlpscope-results.csv, nlpscope-results.jsonl, nlpscope-results.conll,
// nlpscope-results.spacy.jsonl, nlpscope-results.labelstudio.json, …
func ExportFileName(format string) string {
	_, ext := ExportContentType(format)
	switch format {
	case storage.FormatCSV, storage.FormatJSONL, string(gold.CoNLL):
		return "nlpscope-results." + ext
	case string(gold.SentimentCSV), string(gold.SentimentJSONL):
		return "nlpscope-results.sentiment." + ext
	}
	return "nlpscope-results." + format + "." + ext
}

// checkExportFormat fails for a format ExportResults does not write.
func checkExportFormat(format string) error {
	for _, f := range ExportFormats() {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("%w: format %q (want %s)", ErrBadRequest, format, strings.Join(ExportFormats(), ", "))
}

// ExportResults writes every document q selects (all pages, oldest first)
// as format (ExportFormats), streaming. The training formats carry the
// stored predictions: each document's newest sentiment and its entities,
// Label Studio's as "predictions" with model_version and scores.
func (s *Service) ExportResults(ctx context.Context, w io.Writer, format string, q SearchQuery) error {
	return s.ExportResultsWith(ctx, w, format, q, ExportOptions{})
}

// ExportResultsWith is ExportResults with options.
func (s *Service) ExportResultsWith(ctx context.Context, w io.Writer, format string, q SearchQuery, o ExportOptions) error {
	if s.db == nil {
		return ErrNoStorage
	}
	_, err := ExportStored(ctx, s.db, w, format, q, o)
	return err
}

// ExportStored is ExportResultsWith over an open database (nlpscope db
// export works without models). It returns the number of documents written.
func ExportStored(ctx context.Context, db *storage.DB, w io.Writer, format string, q SearchQuery, o ExportOptions) (int64, error) {
	if err := checkExportFormat(format); err != nil {
		return 0, err
	}
	sq, err := storageQuery(q)
	if err != nil {
		return 0, err
	}
	if format == storage.FormatCSV || format == storage.FormatJSONL {
		n, err := db.Export(ctx, w, format, sq)
		return n, storageError(err)
	}
	f := gold.Format(format)
	gw, err := gold.NewWriter(w, f, gold.WriteOptions{Predictions: true, Comments: o.Comments})
	if err != nil {
		return 0, err
	}
	n, err := db.ExportEach(ctx, sq, func(r storage.ExportRow) error {
		d, _ := gold.DropConflicts(predictionDoc(r), f == gold.CoNLL)
		return gw.Write(d)
	})
	if err != nil {
		return n, storageError(err)
	}
	return n, gw.Close()
}

// predictionDoc is a stored document's predictions as a gold.Doc.
func predictionDoc(r storage.ExportRow) gold.Doc {
	d := gold.Doc{ID: strconv.FormatInt(int64(r.ID), 10), Text: r.Text, Sentiment: r.Sentiment, SentimentScore: r.SentimentScore}
	var models []string
	for _, m := range []string{r.SentimentModel, r.EntitiesModel} {
		if m != "" {
			models = append(models, m)
		}
	}
	d.Model = strings.Join(models, " ")
	if r.EntitiesModel != "" {
		d.Entities = make([]gold.Span, len(r.Entities))
		for i, e := range r.Entities {
			d.Entities[i] = gold.Span{Start: e.Start, End: e.End, Label: e.Label, Score: e.Score}
		}
	}
	return d
}

// MaxEvaluateDocs bounds the documents of one evaluation.
const MaxEvaluateDocs = 50_000

// EvaluateRequest is a gold set to evaluate the active models on (POST
// /v1/evaluate with a JSON body).
type EvaluateRequest struct {
	Docs []gold.Doc `json:"docs"`
	// Aggregation of entity tokens (default simple).
	Aggregation string `json:"aggregation,omitempty"`
}

// EvaluationRun is the evaluation of one model (or pair of models) on a
// gold set: the models that ran, by task, and their report.
type EvaluationRun struct {
	Name   string            `json:"name"`   // "active", or the side of a comparison as given
	Models map[string]string `json:"models"` // task → model ID
	Report gold.Report       `json:"report"`
}

// Evaluation is the answer of POST /v1/evaluate and nlpscope evaluate: one
// run, or two side by side on the same documents.
type Evaluation struct {
	Docs int             `json:"docs"`
	Runs []EvaluationRun `json:"runs"`
}

// evaluateChunk is how many texts go to the engine per request.
const evaluateChunk = 64

// Evaluate runs the active models on the texts of req.Docs and scores them
// against the labels (gold.Evaluate): sentiment when some document has a
// sentiment label, entities when some has its entities labelled. Nothing is
// stored; the work queues as bulk work behind interactive requests. It is
// safe for concurrent use.
func (s *Service) Evaluate(ctx context.Context, req EvaluateRequest) (EvaluationRun, error) {
	docs := req.Docs
	if len(docs) == 0 {
		return EvaluationRun{}, fmt.Errorf("%w: no documents to evaluate", ErrBadRequest)
	}
	if len(docs) > MaxEvaluateDocs {
		return EvaluationRun{}, fmt.Errorf("%w: %d documents (at most %d per evaluation)", ErrBadRequest, len(docs), MaxEvaluateDocs)
	}
	agg, err := ParseAggregation(req.Aggregation)
	if err != nil {
		return EvaluationRun{}, err
	}
	var tasks []engine.Task
	wantS, wantE := false, false
	for i := range docs {
		if err := gold.Check(i+1, &docs[i]); err != nil {
			return EvaluationRun{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		if len(docs[i].Text) > s.cfg.MaxTextBytes {
			return EvaluationRun{}, fmt.Errorf("%w: document %d: text of %d bytes is over the limit of %d", ErrBadRequest, i+1, len(docs[i].Text), s.cfg.MaxTextBytes)
		}
		wantS = wantS || docs[i].Sentiment != ""
		wantE = wantE || docs[i].Entities != nil
	}
	if wantS {
		tasks = append(tasks, engine.TaskSentiment)
	}
	if wantE {
		tasks = append(tasks, engine.TaskEntities)
	}
	if len(tasks) == 0 {
		return EvaluationRun{}, fmt.Errorf("%w: the documents have no labels (no sentiment, no entities)", ErrBadRequest)
	}
	run := EvaluationRun{Name: "active", Models: map[string]string{}}
	pred := make([]gold.Doc, len(docs))
	opt := RecordOptions{Tasks: tasks, Aggregation: agg, Bulk: true}
	recs := make([]Record, 0, evaluateChunk)
	for at := 0; at < len(docs); at += evaluateChunk {
		recs = recs[:0]
		for i := at; i < min(at+evaluateChunk, len(docs)); i++ {
			recs = append(recs, Record{Source: "evaluate", Line: i + 1, Text: docs[i].Text})
		}
		res, errs := s.AnalyzeRecords(ctx, opt, recs)
		for j, r := range res {
			i := at + j
			if errs[j] != nil {
				return EvaluationRun{}, fmt.Errorf("document %d: %w", i+1, errs[j])
			}
			p := gold.Doc{Text: r.Text}
			if r.Sentiment != nil {
				p.Sentiment, p.SentimentScore = r.Sentiment.Label, r.Sentiment.Score
			}
			for _, e := range r.Entities {
				p.Entities = append(p.Entities, gold.Span{Start: e.Start, End: e.End, Label: e.Label, Score: e.Score})
			}
			if m := r.Meta.Sentiment; m != nil {
				run.Models[string(engine.TaskSentiment)] = m.Model
			}
			if m := r.Meta.Entities; m != nil {
				run.Models[string(engine.TaskEntities)] = m.Model
			}
			pred[i] = p
		}
	}
	rep, err := gold.Evaluate(docs, pred)
	if err != nil {
		if errors.Is(err, gold.ErrInvalid) {
			return EvaluationRun{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		return EvaluationRun{}, err
	}
	run.Report = rep
	return run, nil
}

// ReadGold reads a gold file of format (gold.Formats; "" = detected from
// name and content) for Evaluate, at most MaxEvaluateDocs documents. Bad
// content is an ErrBadRequest naming the document.
func ReadGold(r io.Reader, name, format string) ([]gold.Doc, error) {
	var f gold.Format
	br := bufio.NewReaderSize(r, 64<<10)
	if format == "" {
		head, _ := br.Peek(4096)
		d, err := gold.Detect(name, head)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		f = d
	} else {
		p, err := gold.ParseFormat(format)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		f = p
	}
	docs, err := gold.ReadAll(br, f, MaxEvaluateDocs)
	if err != nil {
		if errors.Is(err, gold.ErrInvalid) {
			return nil, fmt.Errorf("%w: %s (%s): %w", ErrBadRequest, name, f, err)
		}
		return nil, err
	}
	return docs, nil
}
