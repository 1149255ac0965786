package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
)

// This file connects the Service to package storage: every stored result,
// the second-level cache, search, documents and export.

// HasStorage reports whether the Service has a database (false with NoDB).
func (s *Service) HasStorage() bool { return s.db != nil }

func (s *Service) openStorage(ctx context.Context) error {
	if s.cfg.NoDB {
		return nil
	}
	db, err := storage.Open(ctx, storage.Config{Path: s.cfg.DBPath, Now: s.cfg.Now}, s.log)
	if err != nil {
		return fmt.Errorf("open database %s: %w", s.cfg.DBPath, err)
	}
	s.db = db
	return nil
}

func (s *Service) closeStorage() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

func isStorageNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// optionsKey is the canonical options string of a task, part of the cache key.
func optionsKey(task engine.Task, opts engine.Options) string {
	if task == engine.TaskEntities {
		return "aggregation=" + opts.Aggregation
	}
	// Analyses stored before sentences were read have "" and are not
	// reused: they lack the sentences and may be truncated.
	m := opts.SentimentMethod
	if m == "" {
		m = engine.MethodAuto
	}
	return "method=" + m
}

// activeModel returns the active model of task.
func (s *Service) activeModel(task engine.Task) (engine.ModelInfo, bool) {
	for _, m := range s.eng.Models() {
		if m.Task == task {
			return m, true
		}
	}
	return engine.ModelInfo{}, false
}

// lookupStored fills out from stored analyses (the second-level cache) and
// reports which (text, task) pairs it filled.
func (s *Service) lookupStored(ctx context.Context, r request, out []DocumentResult) (func(i int, t engine.Task) bool, error) {
	none := func(int, engine.Task) bool { return false }
	if s.db == nil || r.opts.NoCache {
		return none, nil
	}
	type key struct {
		i int
		t engine.Task
	}
	hit := map[key]bool{}
	hashes := make([]string, len(r.texts))
	for i, text := range r.texts {
		hashes[i] = storage.TextHash(text)
	}
	for _, task := range r.tasks {
		m, ok := s.activeModel(task)
		if !ok {
			continue
		}
		opts := optionsKey(task, r.opts)
		start := time.Now()
		found, err := s.db.LookupMany(ctx, m.Hash, string(task), opts, hashes)
		if err != nil {
			return nil, fmt.Errorf("cache lookup: %w", err)
		}
		lookup := time.Since(start)
		s.prof.ObserveStage(profiler.StageCacheLookup, lookup)
		for i, h := range hashes {
			a, ok := found[h]
			if !ok {
				continue
			}
			hit[key{i, task}] = true
			s.prof.ObserveCache(true)
			setStored(&out[i], a, lookup)
		}
	}
	if len(hit) == 0 {
		return none, nil
	}
	return func(i int, t engine.Task) bool { return hit[key{i, t}] }, nil
}

// setStored puts a stored analysis into d, marked cached: its timings are
// this request's lookup, the stored ones are what computed it.
func setStored(d *DocumentResult, a storage.Analysis, lookup time.Duration) {
	t := engine.Timings{CacheLookup: lookup}
	c := engineTimings(a.Timings)
	switch a.Task {
	case storage.TaskSentiment:
		d.setSentiment(engine.Sentiment{Label: a.Label, Score: a.Score, Scores: labelScores(a.Scores), Model: a.ModelID, Cached: true, Timings: t, Computed: &c,
			Method: a.Method, Truncated: a.Truncated, Sentences: sentenceScores(a.Sentences)})
	case storage.TaskEntities:
		d.setEntities(engine.Entities{Entities: entities(a.Entities), Model: a.ModelID, Cached: true, Timings: t, Computed: &c})
	}
}

func engineTimings(t storage.Timings) engine.Timings {
	return engine.Timings{QueueWait: t.QueueWait, Tokenize: t.Tokenize, Inference: t.Inference, Postprocess: t.Postprocess}
}

// storedTimings are the timings stored with an analysis: those of the
// request that computed it (a cached result keeps its original ones).
func storedTimings(m *TaskMeta) storage.Timings {
	t := m.Timings
	if m.Computed != nil {
		t = *m.Computed
	}
	return storage.Timings{QueueWait: t.QueueWait, Tokenize: t.Tokenize, Inference: t.Inference, Postprocess: t.Postprocess}
}

func sentenceScores(in []storage.Sentence) []engine.SentenceScore {
	if in == nil {
		return nil
	}
	out := make([]engine.SentenceScore, len(in))
	for i, s := range in {
		out[i] = engine.SentenceScore{Start: s.Start, End: s.End, Label: s.Label, Score: s.Score, Scores: labelScores(s.Scores)}
	}
	return out
}

func storedSentences(in []engine.SentenceScore) []storage.Sentence {
	if len(in) == 0 {
		return nil
	}
	out := make([]storage.Sentence, len(in))
	for i, s := range in {
		scores := make([]storage.LabelScore, len(s.Scores))
		for j, l := range s.Scores {
			scores[j] = storage.LabelScore(l)
		}
		out[i] = storage.Sentence{Start: s.Start, End: s.End, Label: s.Label, Score: s.Score, Scores: scores}
	}
	return out
}

func labelScores(in []storage.LabelScore) []engine.LabelScore {
	out := make([]engine.LabelScore, len(in))
	for i, l := range in {
		out[i] = engine.LabelScore(l)
	}
	return out
}

func entities(in []storage.Entity) []engine.Entity {
	out := make([]engine.Entity, len(in))
	for i, e := range in {
		out[i] = engine.Entity(e)
	}
	return out
}

// store commits out in one transaction and sets their IDs; it returns after
// the commit.
func (s *Service) store(ctx context.Context, r request, out []DocumentResult) error {
	start := time.Now()
	models := map[engine.Task]engine.ModelInfo{}
	for _, t := range r.tasks {
		models[t], _ = s.activeModel(t)
	}
	var importID storage.ImportID
	if r.imports != "" {
		n, _ := strconv.ParseInt(r.imports, 10, 64)
		importID = storage.ImportID(n)
	}
	rs := make([]storage.Result, len(out))
	for i, d := range out {
		res := storage.Result{Text: d.Text, Source: d.Source, Line: d.Line, ImportID: importID, ExtID: d.ExtID, Meta: d.Metadata, KeepDuplicate: r.keepDup}
		if d.Time != nil {
			res.Time = *d.Time
		}
		if sn, m := d.Sentiment, d.Meta.Sentiment; sn != nil && m != nil {
			scores := make([]storage.LabelScore, len(sn.Scores))
			for j, l := range sn.Scores {
				scores[j] = storage.LabelScore(l)
			}
			res.Analyses = append(res.Analyses, storage.Analysis{
				Task: storage.TaskSentiment, ModelID: m.Model, ModelHash: models[engine.TaskSentiment].Hash,
				Options: optionsKey(engine.TaskSentiment, r.opts),
				Label:   sn.Label, Score: sn.Score, Scores: scores, Timings: storedTimings(m),
				Method: string(sn.Method), Truncated: sn.Truncated, Sentences: storedSentences(sn.Sentences),
			})
		}
		if m := d.Meta.Entities; m != nil {
			ents := make([]storage.Entity, len(d.Entities))
			for j, e := range d.Entities {
				ents[j] = storage.Entity(e)
			}
			res.Analyses = append(res.Analyses, storage.Analysis{
				Task: storage.TaskEntities, ModelID: m.Model, ModelHash: models[engine.TaskEntities].Hash,
				Options: optionsKey(engine.TaskEntities, r.opts), Entities: ents, Timings: storedTimings(m),
			})
		}
		rs[i] = res
	}
	stored, err := s.db.StoreResults(ctx, rs)
	if err != nil {
		return fmt.Errorf("store results: %w", err)
	}
	took := time.Since(start)
	for i, st := range stored {
		out[i].ID, out[i].Seen, out[i].Duplicate = int64(st.ID), st.Seen, st.Duplicate
		for _, m := range []*TaskMeta{out[i].Meta.Sentiment, out[i].Meta.Entities} {
			if m != nil {
				m.Store = took
			}
		}
	}
	s.prof.ObserveStage(profiler.StageStore, took)
	return nil
}

// TotalLimit is how many matches a search counts exactly (SearchPage.Total).
const TotalLimit = storage.DefaultTotalLimit

// storageQuery converts a SearchQuery.
func storageQuery(q SearchQuery) (storage.Query, error) {
	sq := storage.Query{
		Text: q.Q, Sentiment: q.Sentiment, EntityLabel: q.EntityLabel, EntityText: q.EntityText,
		Model: q.Model, Source: q.Source, Meta: q.Meta, From: q.From, To: q.To, Limit: q.Limit, Cursor: q.Cursor,
		Reviewed: q.Reviewed, Corrected: q.Corrected, Disagrees: q.Disagrees,
		MarkOpen: "[[", MarkClose: "]]", WithTotal: q.Cursor == "", TotalLimit: TotalLimit,
	}
	for k := range q.Meta {
		if strings.TrimSpace(k) == "" {
			return sq, fmt.Errorf("%w: meta filter with an empty key", ErrBadRequest)
		}
	}
	for _, e := range q.Entities {
		if strings.TrimSpace(e.Key) == "" {
			return sq, fmt.Errorf("%w: entity with label %q has no text", ErrBadRequest, e.Label)
		}
		sq.Entities = append(sq.Entities, storage.EntityMatch{Label: e.Label, Key: e.Key})
	}
	if q.ImportID != "" {
		n, err := strconv.ParseInt(q.ImportID, 10, 64)
		if err != nil || n < 1 {
			return sq, fmt.Errorf("%w: import_id %q", ErrBadRequest, q.ImportID)
		}
		sq.ImportID = storage.ImportID(n)
	}
	return sq, nil
}

// storageError marks storage's input errors as bad requests. A bad search
// keeps its own message ("search: …"), meant for the user.
func storageError(err error) error {
	var qe *storage.QueryError
	if errors.As(err, &qe) {
		return badSearch{qe}
	}
	if errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrBadCursor) {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return err
}

// badSearch is a search text that is not a valid query: an ErrBadRequest
// whose message is the query error's.
type badSearch struct{ err *storage.QueryError }

func (e badSearch) Error() string        { return e.err.Error() }
func (e badSearch) Unwrap() []error      { return []error{ErrBadRequest, e.err} }
func (e badSearch) Is(target error) bool { return target == ErrBadRequest }

// Search returns one page of stored documents, newest first. The first
// page (no cursor) carries the count of matches.
func (s *Service) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	if s.db == nil {
		return SearchPage{}, ErrNoStorage
	}
	sq, err := storageQuery(q)
	if err != nil {
		return SearchPage{}, err
	}
	p, err := s.db.Search(ctx, sq)
	if err != nil {
		return SearchPage{}, storageError(err)
	}
	page := SearchPage{Items: make([]DocumentSummary, len(p.Hits)), NextCursor: p.Next}
	if p.Total >= 0 {
		page.Total, page.TotalExact = &p.Total, p.TotalExact
	}
	for i, h := range p.Hits {
		d := DocumentSummary{
			ID: int64(h.ID), Snippet: h.Snippet, Text: h.Text, Source: h.Source, Line: h.Line,
			EntityCount: h.Entities, CreatedAt: h.Created, Reviewed: h.Reviewed, Corrected: h.Corrected, ExtID: h.ExtID, Metadata: h.Meta,
			Seen: h.Seen, Imports: importIDs(h.Imports),
		}
		if h.Sentiment != nil {
			d.SentimentLabel, d.SentimentScore, d.Model = h.Sentiment.Label, h.Sentiment.Score, h.Sentiment.Model
		}
		page.Items[i] = d
	}
	return page, nil
}

// Document returns one stored document with its newest analysis of each
// task.
func (s *Service) Document(ctx context.Context, id int64) (DocumentResult, error) {
	if s.db == nil {
		return DocumentResult{}, ErrNoStorage
	}
	d, err := s.db.Get(ctx, storage.DocID(id))
	if err != nil {
		return DocumentResult{}, fmt.Errorf("document %d: %w", id, err)
	}
	out := DocumentResult{ID: int64(d.ID), Text: d.Text, Source: d.Source, Line: d.Line, ExtID: d.ExtID, Metadata: d.Meta, CreatedAt: d.Created,
		Seen: d.Seen, Imports: importIDs(d.Imports)}
	if !d.Time.IsZero() {
		t := d.Time
		out.Time = &t
	}
	for _, a := range d.Analyses { // oldest first: the newest wins
		setStored(&out, a, 0) // read back: no lookup stages, Computed is how it was computed
	}
	c, ok, err := s.db.GetCorrection(ctx, d.ID)
	if err != nil {
		return DocumentResult{}, fmt.Errorf("document %d: %w", id, err)
	}
	if ok {
		out.Correction = correctionOf(c)
	}
	return out, nil
}

func importIDs(in []storage.ImportID) []int64 {
	out := make([]int64, len(in))
	for i, v := range in {
		out[i] = int64(v)
	}
	return out
}
