package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"log/slog"

	"github.com/nlpscope/nlpscope/app/input"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage"
)

// Import tuning: texts per engine call and calls in flight per import.
const (
	importChunk     = 32
	importInFlight  = 4
	maxImportErrors = 1000
)

// importJob is one running or finished import.
type importJob struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	status  ImportStatus // Total: the inputs found so far by the import itself
	counted int          // inputs in all files, from the counting pass
	exact   bool         // counted is complete
	last    time.Time    // last progress event
	samples []progressSample
}

// progressSample is how many inputs were processed (done or failed) at a
// time, for the recent rate.
type progressSample struct {
	at        time.Time
	processed int
}

// Recent rate: samples are kept at least rateSampleEvery apart, over the
// last rateWindow.
const (
	rateSampleEvery = 250 * time.Millisecond
	rateWindow      = 10 * time.Second
)

// sample records the processed count at now (j.mu held).
func (j *importJob) sample(now time.Time) {
	p := j.status.Done + j.status.Failed
	if n := len(j.samples); n > 0 && now.Sub(j.samples[n-1].at) < rateSampleEvery {
		j.samples[n-1].processed = p // keep the newest count, not a new point
		return
	}
	j.samples = append(j.samples, progressSample{at: now, processed: p})
	for len(j.samples) > 2 && now.Sub(j.samples[1].at) >= rateWindow {
		j.samples = j.samples[1:]
	}
}

// recentRate is inputs processed per second over the sampled window; 0
// when the window is under a second.
func (j *importJob) recentRate() float64 {
	if len(j.samples) < 2 {
		return 0
	}
	first, last := j.samples[0], j.samples[len(j.samples)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt < 1 {
		return 0
	}
	return float64(last.processed-first.processed) / dt
}

// snapshot is the status at now. Total is the counting pass's count once
// it is complete (TotalExact), before that the larger of its partial count
// and the inputs the import has found. The ETA divides what is left by the
// rate of the last rateWindow (the whole run's rate until a second has
// passed), so a slow start or a change of pace does not skew it for long.
func (j *importJob) snapshot(now time.Time) ImportStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := j.status
	st.Files = slices.Clone(st.Files)
	st.Errors = slices.Clone(st.Errors)
	end := now
	if st.Finished != nil {
		end = *st.Finished
	}
	st.Elapsed = end.Sub(st.Started)
	if secs := st.Elapsed.Seconds(); secs > 0 {
		st.RatePerS = float64(st.Done) / secs
	}
	if st.Finished == nil {
		st.TotalExact = j.exact
		if j.exact || j.counted > st.Total {
			st.Total = j.counted
		}
	} else {
		st.TotalExact = st.State == StateDone || st.State == StateFailed
	}
	if st.State == StateRunning && st.TotalExact {
		left := st.Total - st.Done - st.Failed
		rate := j.recentRate()
		if rate == 0 && st.Elapsed > 0 {
			rate = float64(st.Done+st.Failed) / st.Elapsed.Seconds()
		}
		if left > 0 && rate > 0 {
			st.ETASecond = float64(left) / rate
		}
	}
	return st
}

func (j *importJob) addError(e InputError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status.Failed++
	if len(j.status.Errors) < maxImportErrors {
		j.status.Errors = append(j.status.Errors, e)
	}
}

// ImportFile names one file to import: Path on disk, Name as shown and
// stored as the source (the original name of an upload; "" = Path).
type ImportFile struct {
	Path string `json:"path"`
	Name string `json:"name,omitempty"`
}

// StartImport starts analysing and storing every text of the given files (and
// of the .txt/.csv/.jsonl files inside given folders) in the background and
// returns its first status at once. Progress arrives as "import" events and
// from ImportStatus; CancelImport stops it. Unreadable rows are listed with file
// and line in the status' errors; they do not stop the import.
func (s *Service) StartImport(ctx context.Context, files []ImportFile, opt ImportOptions) (ImportStatus, error) {
	if len(files) == 0 {
		return ImportStatus{}, fmt.Errorf("%w: no files", ErrBadRequest)
	}
	tasks, err := ParseTasks(opt.Tasks)
	if err != nil {
		return ImportStatus{}, err
	}
	agg, err := ParseAggregation(string(opt.Aggregation))
	if err != nil {
		return ImportStatus{}, err
	}
	if opt.Unit != "" && opt.Unit != "line" && opt.Unit != "file" {
		return ImportStatus{}, fmt.Errorf("%w: unit %q (want line or file)", ErrBadRequest, opt.Unit)
	}
	if err := opt.inputOptions(0).Validate(); err != nil {
		return ImportStatus{}, err
	}
	list, err := expandFiles(files)
	if err != nil {
		return ImportStatus{}, err
	}
	for _, t := range tasks {
		if !s.eng.Ready(t) {
			return ImportStatus{}, fmt.Errorf("%s: %w", t, engine.ErrNotReady)
		}
	}
	names := make([]string, len(list))
	for i, f := range list {
		names[i] = f.Name
	}
	id := newID()
	if s.db != nil {
		n, err := s.db.BeginImport(ctx, strings.Join(names, ", "))
		if err != nil {
			return ImportStatus{}, fmt.Errorf("begin import: %w", err)
		}
		id = strconv.FormatInt(int64(n), 10)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ImportStatus{}, ErrServiceClosed
	}
	jctx, cancel := context.WithCancel(s.ctx)
	j := &importJob{cancel: cancel, done: make(chan struct{})}
	j.status = ImportStatus{ID: id, State: StateRunning, Started: s.cfg.Now(), Errors: []InputError{}, Files: names}
	s.imports[j.status.ID] = j
	s.wg.Add(1)
	s.mu.Unlock()

	base := request{tasks: tasks, opts: engine.Options{Aggregation: agg, Bulk: true}, store: true, imports: j.status.ID, via: profiler.SourceImport}
	go func() {
		defer s.wg.Done()
		defer close(j.done)
		defer cancel()
		s.runImport(jctx, j, list, opt, base)
	}()
	return j.snapshot(s.cfg.Now()), nil
}

// expandFiles replaces folders by the supported files inside them (sorted).
func expandFiles(files []ImportFile) ([]ImportFile, error) {
	var out []ImportFile
	for _, f := range files {
		if f.Name == "" {
			f.Name = f.Path
		}
		st, err := os.Stat(f.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		if !st.IsDir() {
			if _, err := input.FormatOf(f.Name); err != nil {
				return nil, err
			}
			out = append(out, f)
			continue
		}
		var inDir []ImportFile
		err = filepath.WalkDir(f.Path, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if _, err := input.FormatOf(p); err == nil && filepath.Ext(p) != "" {
				inDir = append(inDir, ImportFile{Path: p, Name: p})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		sort.Slice(inDir, func(a, b int) bool { return inDir[a].Path < inDir[b].Path })
		out = append(out, inDir...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no .txt, .csv or .jsonl files", ErrBadRequest)
	}
	return out, nil
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// runImport reads every file, sends chunks of texts to analyze with up to
// importInFlight chunks in flight, and records progress.
func (s *Service) runImport(ctx context.Context, j *importJob, files []ImportFile, opt ImportOptions, base request) {
	counting := make(chan struct{})
	go func() {
		defer close(counting)
		s.countInputs(ctx, j, files, opt.inputOptions(s.cfg.MaxTextBytes))
	}()
	defer func() { <-counting }()
	sem := make(chan struct{}, importInFlight)
	var wg sync.WaitGroup
	submit := func(chunk []Record) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.importChunk(ctx, j, chunk, base)
		}()
	}
	var fatal error
	fileErrs := 0 // files that could not be read at all (bad mapping, not text)
files:
	for _, f := range files {
		chunk := make([]Record, 0, importChunk)
		err := readFile(f, opt.inputOptions(s.cfg.MaxTextBytes), func(rec Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if rec.Err != nil {
				j.mu.Lock()
				j.status.Total++
				j.mu.Unlock()
				j.addError(InputError{Source: rec.Source, Line: rec.Line, Message: rec.Err.Error()})
				return nil
			}
			j.mu.Lock()
			j.status.Total++
			j.mu.Unlock()
			chunk = append(chunk, rec)
			if len(chunk) == importChunk {
				submit(chunk)
				chunk = make([]Record, 0, importChunk)
			}
			s.importProgress(j, false)
			return nil
		})
		if len(chunk) > 0 && ctx.Err() == nil {
			submit(chunk)
		}
		switch {
		case ctx.Err() != nil:
			break files
		case errors.Is(err, ErrBadInput) || errors.Is(err, ErrBadRequest):
			fileErrs++
			j.addError(InputError{Source: f.Name, Message: err.Error()})
		case err != nil:
			fatal = err
			j.addError(InputError{Source: f.Name, Message: err.Error()})
		}
	}
	wg.Wait()
	now := s.cfg.Now()
	j.mu.Lock()
	switch {
	case ctx.Err() != nil:
		j.status.State = StateCancelled
	case (fatal != nil || fileErrs > 0) && j.status.Done == 0:
		// Nothing was analysed and a file could not be read: the import
		// failed (an unknown column, a binary file), it is not "done".
		j.status.State = StateFailed
	default:
		j.status.State = StateDone
	}
	j.status.Finished = &now
	state, total, failed := j.status.State, j.status.Total, j.status.Failed
	j.mu.Unlock()
	if s.db != nil {
		n, _ := strconv.ParseInt(j.status.ID, 10, 64)
		if err := s.db.FinishImport(context.WithoutCancel(ctx), storage.ImportID(n), string(state), int64(total), int64(failed)); err != nil {
			s.log.Warn("finish import", slog.String("import", j.status.ID), slog.Any("err", err))
		}
	}
	s.importProgress(j, true)
}

// countInputs is the first, fast pass of an import: it reads every file
// with the same readers as the import, without analysing, so the total (and
// with it progress and ETA) is right from the first second. Reading runs at
// millions of rows a second; analysis at hundreds to thousands. Files that
// cannot be read count nothing (the import reports them).
func (s *Service) countInputs(ctx context.Context, j *importJob, files []ImportFile, opt InputOptions) {
	n := 0
	for _, f := range files {
		err := readFile(f, opt, func(Record) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				j.mu.Lock()
				j.counted = n
				j.mu.Unlock()
			}
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, ErrBadInput) && !errors.Is(err, ErrBadRequest) {
			s.log.Debug("import count", slog.String("file", f.Name), slog.Any("err", err))
		}
	}
	j.mu.Lock()
	j.counted, j.exact = n, true
	j.mu.Unlock()
}

// readFile opens f and passes every record to fn until fn fails.
func readFile(f ImportFile, opt InputOptions, fn func(Record) error) error {
	fh, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	return input.Read(fh, f.Name, opt, fn)
}

// importChunk analyses and stores one chunk and counts the outcome.
func (s *Service) importChunk(ctx context.Context, j *importJob, chunk []Record, base request) {
	_, errs := s.analyzeRecords(ctx, base, chunk)
	if ctx.Err() != nil {
		return // cancelled: the import ends as cancelled, not as failed rows
	}
	for i, err := range errs {
		if err != nil {
			j.addError(InputError{Source: chunk[i].Source, Line: chunk[i].Line, Message: err.Error()})
			continue
		}
		j.mu.Lock()
		j.status.Done++
		j.mu.Unlock()
	}
	j.mu.Lock()
	j.sample(s.cfg.Now())
	j.mu.Unlock()
	s.importProgress(j, false)
}

// RecordOptions say how AnalyzeRecords treats its records.
type RecordOptions struct {
	Tasks       []engine.Task // validated (ParseTasks)
	Aggregation string        // entity aggregation (ParseAggregation)
	Store       bool          // store the results (when the Service has a database)
	// SentimentMethod is how sentiment reads a text (ParseSentimentMethod).
	SentimentMethod string
	// Bulk marks background work (a whole file, as `nlpscope analyze`):
	// it queues behind interactive requests, and a request shed for
	// overload waits and is tried again instead of failing its records.
	Bulk bool
}

// AnalyzeRecords analyses (and, per opt, stores) the records of one source
// in one request, as an import does; records that already carry an error
// keep it. When the request fails, the records are retried one by one so
// that each error lands on its own record. It is safe for concurrent use.
func (s *Service) AnalyzeRecords(ctx context.Context, opt RecordOptions, recs []Record) ([]DocumentResult, []error) {
	return s.analyzeRecords(ctx, request{tasks: opt.Tasks, opts: engine.Options{Aggregation: opt.Aggregation, SentimentMethod: opt.SentimentMethod, Bulk: opt.Bulk}, store: opt.Store, via: sourceOf(ctx)}, recs)
}

// analyzeRecords analyses (and, per base, stores) the records of one source
// in one request; records that already carry an error keep it. When the
// request fails, the records are retried one by one so that each error lands
// on its own record and good neighbours still succeed.
func (s *Service) analyzeRecords(ctx context.Context, base request, recs []Record) ([]DocumentResult, []error) {
	results := make([]DocumentResult, len(recs))
	errs := make([]error, len(recs))
	var idx []int
	r := base
	for i, rec := range recs {
		if rec.Err != nil {
			errs[i] = rec.Err
			continue
		}
		idx = append(idx, i)
		r.source = rec.Source
		r.texts = append(r.texts, rec.Text)
		r.lines = append(r.lines, rec.Line)
	}
	if len(idx) == 0 {
		return results, errs
	}
	res, err := s.analyzeBulk(ctx, r)
	if err == nil {
		for j, i := range idx {
			results[i] = res[j]
		}
		return results, errs
	}
	for _, i := range idx {
		if ctx.Err() != nil { // cancelled: no retries
			errs[i] = err
			continue
		}
		one := base
		one.source, one.texts, one.lines = recs[i].Source, []string{recs[i].Text}, []int{recs[i].Line}
		res, err := s.analyzeBulk(ctx, one)
		if err != nil {
			errs[i] = err
			continue
		}
		results[i] = res[0]
	}
	return results, errs
}

// analyzeBulk is analyze for background work (Options.Bulk, as imports):
// a request shed for overload is not a failed record but waits the
// suggested time and is tried again, until ctx ends.
func (s *Service) analyzeBulk(ctx context.Context, r request) ([]DocumentResult, error) {
	for {
		res, err := s.analyze(ctx, r)
		if !r.opts.Bulk || engine.ShedReason(err) == "" {
			return res, err
		}
		wait := 100 * time.Millisecond
		var oe *engine.OverloadError
		if errors.As(err, &oe) {
			wait = min(max(oe.RetryAfter(), 10*time.Millisecond), time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// importProgress emits the job's status at most every MetricsInterval, and
// always when final.
func (s *Service) importProgress(j *importJob, final bool) {
	now := s.cfg.Now()
	j.mu.Lock()
	if !final && now.Sub(j.last) < MetricsInterval {
		j.mu.Unlock()
		return
	}
	j.last = now
	j.mu.Unlock()
	s.hub.emit(EventImport, j.snapshot(now))
}

// ImportStatus returns an import's status.
func (s *Service) ImportStatus(id string) (ImportStatus, error) {
	s.mu.Lock()
	j, ok := s.imports[id]
	s.mu.Unlock()
	if !ok {
		return ImportStatus{}, fmt.Errorf("import %q: %w", id, ErrNotFound)
	}
	return j.snapshot(s.cfg.Now()), nil
}

// Imports returns every import of this process, newest first.
func (s *Service) Imports() []ImportStatus {
	s.mu.Lock()
	jobs := make([]*importJob, 0, len(s.imports))
	for _, j := range s.imports {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	now := s.cfg.Now()
	out := make([]ImportStatus, len(jobs))
	for i, j := range jobs {
		out[i] = j.snapshot(now)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Started.After(out[b].Started) })
	return out
}

// CancelImport stops an import and waits until it has stopped; what was
// stored stays stored.
func (s *Service) CancelImport(ctx context.Context, id string) (ImportStatus, error) {
	s.mu.Lock()
	j, ok := s.imports[id]
	s.mu.Unlock()
	if !ok {
		return ImportStatus{}, fmt.Errorf("import %q: %w", id, ErrNotFound)
	}
	j.cancel()
	select {
	case <-j.done:
	case <-ctx.Done():
		return ImportStatus{}, ctx.Err()
	}
	return j.snapshot(s.cfg.Now()), nil
}

// WaitImport blocks until the import finishes (or ctx ends) and returns its
// final status.
func (s *Service) WaitImport(ctx context.Context, id string) (ImportStatus, error) {
	s.mu.Lock()
	j, ok := s.imports[id]
	s.mu.Unlock()
	if !ok {
		return ImportStatus{}, fmt.Errorf("import %q: %w", id, ErrNotFound)
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return ImportStatus{}, ctx.Err()
	}
	return j.snapshot(s.cfg.Now()), nil
}

// PreviewImport says how each file would be read, without analysing or
// storing anything: format, encoding, delimiter, header row, columns with
// their kinds, the text column chosen (or opt's), and the first rows. A file
// that cannot be read gets its error in the list instead.
func (s *Service) PreviewImport(ctx context.Context, files []ImportFile, opt ImportOptions) ([]ImportPreview, error) {
	if err := opt.inputOptions(0).Validate(); err != nil {
		return nil, err
	}
	list, err := expandFiles(files)
	if err != nil {
		return nil, err
	}
	if len(list) > maxPreviewFiles {
		list = list[:maxPreviewFiles]
	}
	out := make([]ImportPreview, 0, len(list))
	for _, f := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := ImportPreview{InputMapping: InputMapping{Source: f.Name}}
		fh, err := os.Open(f.Path)
		if err == nil {
			p.InputMapping, err = input.Preview(fh, f.Name, opt.inputOptions(s.cfg.MaxTextBytes))
			fh.Close()
		}
		if err != nil {
			p.Source, p.Error = f.Name, err.Error()
		}
		out = append(out, p)
	}
	return out, nil
}

// maxPreviewFiles bounds a preview of a dropped folder.
const maxPreviewFiles = 50
