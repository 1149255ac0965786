package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	cancel  context.CancelFunc
	done    chan struct{}
	id      storage.ImportID        // its record; 0 without a database
	dir     string                  // folder of uploaded files it owns ("" = none)
	skip    map[string]map[int]bool // rows stored before a resume, by source and line
	durable bool                    // a database keeps it (it can be resumed)

	mu         sync.Mutex
	userCancel bool         // CancelImport or DeleteImport stopped it (else a shutdown did)
	runStart   time.Time    // this run's start (a resume's, not the import's)
	runDone    int          // Done at runStart
	status     ImportStatus // Total: the inputs found so far by the import itself
	counted    int          // inputs in all files, from the counting pass
	exact      bool         // counted is complete
	last       time.Time    // last progress event
	samples    []progressSample
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
	if secs := end.Sub(j.runStart).Seconds(); secs > 0 {
		st.RatePerS = float64(st.Done-j.runDone) / secs
	}
	if st.Updated.Before(now) && st.Finished == nil {
		st.Updated = now
	}
	st.Resumable = j.durable && (st.State == StateInterrupted || st.State == StateCancelled)
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
		if run := end.Sub(j.runStart); rate == 0 && run > 0 {
			rate = float64(st.Done-j.runDone+st.Failed) / run.Seconds()
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
// and line in the status' errors; they do not stop the import. With a
// database, the import is a durable record (Imports lists it after a
// restart; ResumeImport continues it after an interruption).
func (s *Service) StartImport(ctx context.Context, files []ImportFile, opt ImportOptions) (ImportStatus, error) {
	return s.startImport(ctx, files, opt, "")
}

// StartUploadedImport is StartImport for files uploaded into dir, a folder
// made by NewUploadDir. Once it returns without error the import owns dir:
// it is kept while the import can be resumed and removed when it is done,
// has failed or is deleted. On error dir is the caller's to remove.
func (s *Service) StartUploadedImport(ctx context.Context, dir string, files []ImportFile, opt ImportOptions) (ImportStatus, error) {
	if dir == "" {
		return ImportStatus{}, fmt.Errorf("%w: no upload folder", ErrBadRequest)
	}
	return s.startImport(ctx, files, opt, dir)
}

// NewUploadDir creates an empty folder for the files of one upload: in the
// data folder beside the database (uploads/), so that an import can resume
// from them after a restart; in the temporary folder without a database.
func (s *Service) NewUploadDir() (string, error) {
	base := os.TempDir()
	if s.db != nil {
		base = s.uploadsDir()
		if err := os.MkdirAll(base, 0o700); err != nil {
			return "", fmt.Errorf("upload folder: %w", err)
		}
	}
	dir, err := os.MkdirTemp(base, "import-")
	if err != nil {
		return "", fmt.Errorf("upload folder: %w", err)
	}
	return dir, nil
}

// uploadsDir is the folder of uploaded import files beside the database.
// It is absolute, so that the folders imports record stay valid whatever
// the working directory of a later run.
func (s *Service) uploadsDir() string {
	dir, err := filepath.Abs(filepath.Dir(s.cfg.DBPath))
	if err != nil {
		dir = filepath.Dir(s.cfg.DBPath)
	}
	return filepath.Join(dir, "uploads")
}

// orphanUploadAge is how old an upload folder that no import owns must be
// before the start-up sweep removes it (younger ones may belong to an
// upload of another process that has not recorded its import yet).
const orphanUploadAge = time.Hour

// sweepUploads removes upload folders that no import owns (left by a crash
// between an upload and its import's record, or by a failed removal).
func (s *Service) sweepUploads(ctx context.Context) {
	entries, err := os.ReadDir(s.uploadsDir())
	if err != nil {
		return // none yet
	}
	list, err := s.db.ListImports(ctx)
	if err != nil {
		s.log.Warn("sweep uploads", slog.Any("err", err))
		return
	}
	owned := map[string]bool{}
	for _, im := range list {
		if im.Dir != "" {
			owned[filepath.Clean(im.Dir)] = true
		}
	}
	for _, e := range entries {
		p := filepath.Join(s.uploadsDir(), e.Name())
		info, err := e.Info()
		if err != nil || !e.IsDir() || owned[filepath.Clean(p)] || s.cfg.Now().Sub(info.ModTime()) < orphanUploadAge {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			s.log.Warn("sweep uploads", slog.String("dir", p), slog.Any("err", err))
		}
	}
}

// importFileRecord is one file of an import's durable record: enough to
// list it and to check, before a resume, that the file is still the same.
type importFileRecord struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Mapping string    `json:"mapping,omitempty"`
}

// importOptions validates opt and returns the parsed engine request of an
// import.
func (s *Service) importRequest(opt ImportOptions) (request, error) {
	tasks, err := ParseTasks(opt.Tasks)
	if err != nil {
		return request{}, err
	}
	agg, err := ParseAggregation(string(opt.Aggregation))
	if err != nil {
		return request{}, err
	}
	if opt.Unit != "" && opt.Unit != "line" && opt.Unit != "file" {
		return request{}, fmt.Errorf("%w: unit %q (want line or file)", ErrBadRequest, opt.Unit)
	}
	if err := opt.inputOptions(0).Validate(); err != nil {
		return request{}, err
	}
	for _, t := range tasks {
		if !s.eng.Ready(t) {
			return request{}, fmt.Errorf("%s: %w", t, engine.ErrNotReady)
		}
	}
	return request{tasks: tasks, opts: engine.Options{Aggregation: agg, Bulk: true}, store: true, keepDup: opt.KeepDuplicates, via: profiler.SourceImport}, nil
}

func (s *Service) startImport(ctx context.Context, files []ImportFile, opt ImportOptions, dir string) (ImportStatus, error) {
	if len(files) == 0 {
		return ImportStatus{}, fmt.Errorf("%w: no files", ErrBadRequest)
	}
	base, err := s.importRequest(opt)
	if err != nil {
		return ImportStatus{}, err
	}
	list, err := expandFiles(files)
	if err != nil {
		return ImportStatus{}, err
	}
	uniqueNames(list)
	recs := make([]importFileRecord, len(list))
	names := make([]string, len(list))
	mappings := make([]string, len(list))
	for i, f := range list {
		st, err := os.Stat(f.Path)
		if err != nil {
			return ImportStatus{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		recs[i] = importFileRecord{Name: f.Name, Path: f.Path, Size: st.Size(), ModTime: st.ModTime(), Mapping: s.mappingOf(f, opt)}
		names[i], mappings[i] = f.Name, recs[i].Mapping
	}
	id := newID()
	var dbID storage.ImportID
	if s.db != nil {
		fj, _ := json.Marshal(recs)
		oj, _ := json.Marshal(opt)
		n, err := s.db.CreateImport(ctx, storage.NewImport{Source: strings.Join(names, ", "), Files: string(fj), Options: string(oj), Dir: dir})
		if err != nil {
			return ImportStatus{}, fmt.Errorf("begin import: %w", err)
		}
		dbID, id = n, strconv.FormatInt(int64(n), 10)
	}
	now := s.cfg.Now()
	j := &importJob{done: make(chan struct{}), id: dbID, dir: dir, durable: s.db != nil, runStart: now}
	j.status = ImportStatus{ID: id, State: StateRunning, Started: now, Updated: now, Errors: []InputError{}, Files: names,
		Options: opt, Mappings: mappings}
	return s.launchImport(j, list, opt, base)
}

// launchImport registers j and runs it in the background.
func (s *Service) launchImport(j *importJob, list []ImportFile, opt ImportOptions, base request) (ImportStatus, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if j.durable {
			s.db.FinishImport(context.Background(), j.id, storage.ImportInterrupted, 0, 0)
		}
		return ImportStatus{}, ErrServiceClosed
	}
	jctx, cancel := context.WithCancel(s.ctx)
	j.cancel = cancel
	s.imports[j.status.ID] = j
	s.wg.Add(1)
	s.mu.Unlock()

	base.imports = j.status.ID
	go func() {
		defer s.wg.Done()
		defer close(j.done)
		defer cancel()
		s.runImport(jctx, j, list, opt, base)
	}()
	return j.snapshot(s.cfg.Now()), nil
}

// mappingOf is how f would be read, in one line (or why it cannot be).
func (s *Service) mappingOf(f ImportFile, opt ImportOptions) string {
	fh, err := os.Open(f.Path)
	if err != nil {
		return f.Name + ": " + err.Error()
	}
	defer fh.Close()
	m, err := input.Preview(fh, f.Name, opt.inputOptions(s.cfg.MaxTextBytes))
	if err != nil {
		return f.Name + ": " + err.Error()
	}
	m.Rows = nil
	return m.String()
}

// uniqueNames gives files of the same name (two folders' data.csv) distinct
// names: documents are told apart by source and line, which resume relies on.
func uniqueNames(list []ImportFile) {
	seen := map[string]bool{}
	for i := range list {
		name := list[i].Name
		for k := 2; seen[name]; k++ {
			name = fmt.Sprintf("%s (%d)", list[i].Name, k)
		}
		seen[name] = true
		list[i].Name = name
	}
}

// ResumeImport continues an interrupted or cancelled import after the rows
// it has stored: every row of its files whose document is committed is
// skipped (found by source and line), every other row is analysed, so that
// no row is missing and none is stored twice. The files must still be the
// same (size and modification time). ErrNotResumable otherwise.
func (s *Service) ResumeImport(ctx context.Context, id string) (ImportStatus, error) {
	if s.db == nil {
		return ImportStatus{}, ErrNoStorage
	}
	s.mu.Lock()
	if j, ok := s.imports[id]; ok {
		select {
		case <-j.done:
		default:
			s.mu.Unlock()
			return ImportStatus{}, fmt.Errorf("import %s is running: %w", id, ErrNotResumable)
		}
	}
	s.mu.Unlock()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return ImportStatus{}, fmt.Errorf("import %q: %w", id, ErrNotFound)
	}
	im, err := s.db.GetImport(ctx, storage.ImportID(n))
	if err != nil {
		return ImportStatus{}, err
	}
	if im.Status != storage.ImportInterrupted && im.Status != storage.ImportCancelled {
		return ImportStatus{}, fmt.Errorf("import %s is %s: %w", id, im.Status, ErrNotResumable)
	}
	var recs []importFileRecord
	var opt ImportOptions
	if err := json.Unmarshal([]byte(im.Files), &recs); err != nil || len(recs) == 0 {
		return ImportStatus{}, fmt.Errorf("import %s has no file list: %w", id, ErrNotResumable)
	}
	if err := json.Unmarshal([]byte(im.Options), &opt); err != nil {
		return ImportStatus{}, fmt.Errorf("import %s options: %v: %w", id, err, ErrNotResumable)
	}
	base, err := s.importRequest(opt)
	if err != nil {
		return ImportStatus{}, err
	}
	list := make([]ImportFile, len(recs))
	names := make([]string, len(recs))
	mappings := make([]string, len(recs))
	for i, r := range recs {
		st, err := os.Stat(r.Path)
		if err != nil {
			return ImportStatus{}, fmt.Errorf("%s is gone (%v): %w", r.Name, err, ErrNotResumable)
		}
		if st.Size() != r.Size || !st.ModTime().Equal(r.ModTime) {
			return ImportStatus{}, fmt.Errorf("%s changed since the import started: %w", r.Name, ErrNotResumable)
		}
		list[i] = ImportFile{Path: r.Path, Name: r.Name}
		names[i], mappings[i] = r.Name, r.Mapping
	}
	if _, err := s.db.ResumeImport(ctx, im.ID); err != nil {
		if errors.Is(err, storage.ErrNotResumable) {
			return ImportStatus{}, fmt.Errorf("%w: %v", ErrNotResumable, err)
		}
		return ImportStatus{}, err
	}
	skip, err := s.db.StoredLines(ctx, im.ID)
	if err != nil {
		s.db.FinishImport(context.WithoutCancel(ctx), im.ID, storage.ImportInterrupted, im.Total, im.Failed)
		return ImportStatus{}, err
	}
	stored := 0
	for _, lines := range skip {
		stored += len(lines)
	}
	// The committed rows that were duplicates (the rest made documents).
	var dups int64
	if now, err := s.db.GetImport(ctx, im.ID); err == nil {
		dups = now.Duplicates
	}
	now := s.cfg.Now()
	j := &importJob{done: make(chan struct{}), id: im.ID, dir: im.Dir, durable: true, skip: skip, runStart: now, runDone: stored}
	j.status = ImportStatus{ID: id, State: StateRunning, Started: im.Started, Updated: now, Errors: []InputError{}, Files: names,
		Options: opt, Mappings: mappings, Done: stored, New: stored - int(dups), Duplicates: int(dups)}
	return s.launchImport(j, list, opt, base)
}

// DeleteImport deletes an import and every document it stored (stopping it
// first when it runs), removes the files it owns, and returns how many
// documents were deleted.
func (s *Service) DeleteImport(ctx context.Context, id string) (int64, error) {
	s.mu.Lock()
	j, inMem := s.imports[id]
	s.mu.Unlock()
	dir := ""
	if inMem {
		j.mu.Lock()
		j.userCancel = true
		j.mu.Unlock()
		j.cancel()
		select {
		case <-j.done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		dir = j.dir
	}
	var n int64
	if s.db != nil {
		v, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("import %q: %w", id, ErrNotFound)
		}
		if im, err := s.db.GetImport(ctx, storage.ImportID(v)); err == nil {
			dir = im.Dir
		}
		if n, err = s.db.DeleteImport(ctx, storage.ImportID(v)); err != nil {
			return 0, err
		}
	} else if !inMem {
		return 0, fmt.Errorf("import %q: %w", id, ErrNotFound)
	}
	s.mu.Lock()
	delete(s.imports, id)
	s.mu.Unlock()
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			s.log.Warn("remove import files", slog.String("import", id), slog.Any("err", err))
		}
	}
	return n, nil
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
	if j.durable {
		stop := s.recordProgress(ctx, j)
		defer stop()
	}
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
			if rec.BadDate { // counted for every row, so that a resumed import's count is the whole file's
				j.mu.Lock()
				j.status.BadDates++
				j.mu.Unlock()
			}
			if j.skip[rec.Source][rec.Line] {
				return nil // stored before the import was resumed
			}
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
	case ctx.Err() != nil && j.userCancel:
		j.status.State = StateCancelled
	case ctx.Err() != nil:
		// Stopped by the Service's Close (a shutdown), not by the user.
		j.status.State = StateInterrupted
	case (fatal != nil || fileErrs > 0) && j.status.Done == 0:
		// Nothing was analysed and a file could not be read: the import
		// failed (an unknown column, a binary file), it is not "done".
		j.status.State = StateFailed
	default:
		j.status.State = StateDone
	}
	j.status.Finished = &now
	j.status.Updated = now
	state, total, failed, bad := j.status.State, j.status.Total, j.status.Failed, j.status.BadDates
	errs := j.status.Errors[:min(len(j.status.Errors), maxStoredImportErrors)]
	errJSON, _ := json.Marshal(errs)
	j.mu.Unlock()
	if j.durable {
		if err := s.db.UpdateImport(context.WithoutCancel(ctx), j.id, int64(total), int64(failed), int64(bad)); err != nil {
			s.log.Warn("update import", slog.String("import", j.status.ID), slog.Any("err", err))
		}
		if err := s.db.FinishImport(context.WithoutCancel(ctx), j.id, string(state), int64(total), int64(failed), string(errJSON)); err != nil {
			s.log.Warn("finish import", slog.String("import", j.status.ID), slog.Any("err", err))
		}
	}
	// The files an import owns stay while it can be resumed.
	if j.dir != "" && (!j.durable || state == StateDone || state == StateFailed) {
		if err := os.RemoveAll(j.dir); err != nil {
			s.log.Warn("remove import files", slog.String("import", j.status.ID), slog.Any("err", err))
		}
	}
	s.importProgress(j, true)
}

// maxStoredImportErrors bounds the errors an import's record keeps.
const maxStoredImportErrors = 100

// importUpdateEvery is how often a running import writes its counts and
// time to its record.
const importUpdateEvery = time.Second

// recordProgress writes j's counts to its record every importUpdateEvery
// until the returned function is called (which waits for the last write).
// The stored count needs no writing: it is the import's committed documents.
func (s *Service) recordProgress(ctx context.Context, j *importJob) (stop func()) {
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(importUpdateEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				st := j.snapshot(s.cfg.Now())
				if err := s.db.UpdateImport(ctx, j.id, int64(st.Total), int64(st.Failed), int64(st.BadDates)); err != nil && ctx.Err() == nil {
					s.log.Warn("update import", slog.String("import", st.ID), slog.Any("err", err))
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-stopped
	}
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
	failed, bad := j.status.Failed, j.status.BadDates
	j.mu.Unlock()
	// The record gets the total at once, not at the next update, and before
	// the status says it is exact: an exact total is also a recorded one.
	if j.durable {
		if err := s.db.UpdateImport(ctx, j.id, int64(n), int64(failed), int64(bad)); err != nil && ctx.Err() == nil {
			s.log.Warn("update import", slog.String("import", j.status.ID), slog.Any("err", err))
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
	res, errs := s.analyzeRecords(ctx, base, chunk)
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
		if res[i].Duplicate {
			j.status.Duplicates++
		} else {
			j.status.New++
		}
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
	// KeepDuplicates stores a new document for every record, even for a
	// text stored before with the same models and settings.
	KeepDuplicates bool
}

// AnalyzeRecords analyses (and, per opt, stores) the records of one source
// in one request, as an import does; records that already carry an error
// keep it. When the request fails, the records are retried one by one so
// that each error lands on its own record. It is safe for concurrent use.
func (s *Service) AnalyzeRecords(ctx context.Context, opt RecordOptions, recs []Record) ([]DocumentResult, []error) {
	return s.analyzeRecords(ctx, request{tasks: opt.Tasks, opts: engine.Options{Aggregation: opt.Aggregation, SentimentMethod: opt.SentimentMethod, Bulk: opt.Bulk},
		store: opt.Store, keepDup: opt.KeepDuplicates, via: sourceOf(ctx)}, recs)
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
		if rec.ExtID != "" || !rec.Time.IsZero() || rec.Meta != nil || r.extIDs != nil {
			if r.extIDs == nil { // the records before had none of them
				n := len(r.texts) - 1
				r.extIDs, r.times, r.meta = make([]string, n), make([]time.Time, n), make([]map[string]string, n)
			}
			r.extIDs = append(r.extIDs, rec.ExtID)
			r.times = append(r.times, rec.Time)
			r.meta = append(r.meta, rec.Meta)
		}
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
		if recs[i].ExtID != "" || !recs[i].Time.IsZero() || recs[i].Meta != nil {
			one.extIDs, one.times, one.meta = []string{recs[i].ExtID}, []time.Time{recs[i].Time}, []map[string]string{recs[i].Meta}
		}
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

// ImportStatus returns an import's status: a running import's (or one
// that ran in this process) from memory, an earlier one from its record.
func (s *Service) ImportStatus(ctx context.Context, id string) (ImportStatus, error) {
	s.mu.Lock()
	j, ok := s.imports[id]
	s.mu.Unlock()
	if ok {
		st := j.snapshot(s.cfg.Now())
		if j.durable {
			if im, err := s.db.GetImport(ctx, j.id); err == nil {
				withRecordCounts(&st, statusOfRecord(im))
			}
		}
		return st, nil
	}
	if s.db != nil {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			im, err := s.db.GetImport(ctx, storage.ImportID(n))
			if err == nil {
				return statusOfRecord(im), nil
			}
			if !errors.Is(err, storage.ErrNotFound) {
				return ImportStatus{}, err
			}
		}
	}
	return ImportStatus{}, fmt.Errorf("import %q: %w", id, ErrNotFound)
}

// withRecordCounts takes into st, a job's status, the counts that the
// database keeps and that later writes change: what deleting it deletes
// and, once it ended, its new documents and duplicates (deleting another
// import hands shared documents over).
func withRecordCounts(st *ImportStatus, rec ImportStatus) {
	st.Deletes = rec.Deletes
	if st.State != StateRunning {
		st.New, st.Duplicates = rec.New, rec.Duplicates
	}
}

// statusOfRecord is the status of an import from its durable record.
func statusOfRecord(im storage.Import) ImportStatus {
	st := ImportStatus{
		ID: strconv.FormatInt(int64(im.ID), 10), State: RunState(im.Status),
		Total: int(im.Total), Done: int(im.Stored + im.Duplicates), New: int(im.Stored), Duplicates: int(im.Duplicates), Deletes: int(im.Deletes),
		Failed: int(im.Failed), BadDates: int(im.BadDates),
		Started: im.Started, Updated: im.Updated, Errors: []InputError{}, Files: []string{}, Mappings: []string{},
	}
	st.TotalExact = st.State == StateDone || st.State == StateFailed
	end := im.Updated
	if !im.Finished.IsZero() {
		f := im.Finished
		st.Finished, end = &f, f
	}
	st.Elapsed = max(end.Sub(im.Started), 0)
	if secs := st.Elapsed.Seconds(); secs > 0 {
		st.RatePerS = float64(st.Done) / secs
	}
	var recs []importFileRecord
	if json.Unmarshal([]byte(im.Files), &recs) == nil && len(recs) > 0 {
		for _, r := range recs {
			st.Files = append(st.Files, r.Name)
			st.Mappings = append(st.Mappings, r.Mapping)
		}
	} else if im.Source != "" {
		st.Files = strings.Split(im.Source, ", ")
	}
	json.Unmarshal([]byte(im.Options), &st.Options)
	json.Unmarshal([]byte(im.Errors), &st.Errors)
	if st.Errors == nil {
		st.Errors = []InputError{}
	}
	st.Resumable = (st.State == StateInterrupted || st.State == StateCancelled) && len(recs) > 0
	return st
}

// Imports returns every import, newest first: the durable records (after a
// restart too), with the live status of those that run in this process.
func (s *Service) Imports(ctx context.Context) ([]ImportStatus, error) {
	byID := map[string]ImportStatus{}
	if s.db != nil {
		list, err := s.db.ListImports(ctx)
		if err != nil {
			return nil, err
		}
		for _, im := range list {
			st := statusOfRecord(im)
			byID[st.ID] = st
		}
	}
	s.mu.Lock()
	jobs := make([]*importJob, 0, len(s.imports))
	for _, j := range s.imports {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	now := s.cfg.Now()
	for _, j := range jobs {
		st := j.snapshot(now)
		if rec, ok := byID[st.ID]; ok {
			withRecordCounts(&st, rec)
		}
		byID[st.ID] = st
	}
	out := make([]ImportStatus, 0, len(byID))
	for _, st := range byID {
		out = append(out, st)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Started.Equal(out[b].Started) {
			return out[a].Started.After(out[b].Started)
		}
		return out[a].ID > out[b].ID
	})
	return out, nil
}

// CancelImport stops a running import and waits until it has stopped; what
// was stored stays stored, and the import can be resumed. An import that is
// not running is returned as it is.
func (s *Service) CancelImport(ctx context.Context, id string) (ImportStatus, error) {
	s.mu.Lock()
	j, ok := s.imports[id]
	s.mu.Unlock()
	if !ok {
		return s.ImportStatus(ctx, id)
	}
	j.mu.Lock()
	j.userCancel = true
	j.mu.Unlock()
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
