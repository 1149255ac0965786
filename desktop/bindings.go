// Package desktop is the desktop shell: the Wails window (window.go, built
// with the `desktop` tag) and the Desktop bindings its UI calls. It is the
// only package that imports Wails.
package desktop

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/profiler"
)

// desktopDialogs is what the bindings need from the window: native dialogs.
// The Wails runtime implements it (window.go); tests use a fake.
type desktopDialogs interface {
	OpenFiles(ctx context.Context, title, dir, patterns string) ([]string, error)
	OpenFolder(ctx context.Context, title, dir string) (string, error)
	SaveFile(ctx context.Context, title, dir, defaultName string) (string, error)
}

// Desktop is the object the Wails window binds: the frontend calls its
// exported methods as window.go.desktop.Desktop.<Method>. Every method maps to
// one Service call (app/API.md lists the HTTP equivalents). Errors reach the
// frontend as "<code>: <message>", with the same codes as the HTTP API.
type Desktop struct {
	svc       *app.Service
	log       *slog.Logger
	dialogs   desktopDialogs
	ctx       context.Context // the window's lifetime; set by the shell before any call
	connected sync.Once

	mu      sync.Mutex
	lastDir string // where the next dialog opens; "" = the toolkit's default
}

// lastDirectory returns the folder of the last files picked in a dialog.
func (d *Desktop) lastDirectory() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastDir
}

// remember keeps the folder of a picked path for the next dialog.
func (d *Desktop) remember(path string, isDir bool) {
	if path == "" {
		return
	}
	dir := path
	if !isDir {
		dir = filepath.Dir(path)
	}
	d.mu.Lock()
	d.lastDir = dir
	d.mu.Unlock()
}

// newDesktop binds svc; ctx and dialogs are set once the window exists.
func newDesktop(svc *app.Service, log *slog.Logger) *Desktop {
	return &Desktop{svc: svc, log: log, ctx: context.Background()}
}

// desktopError turns a Service error into the "<code>: <message>" text the
// frontend's api module parses; internal errors keep their message hidden.
func desktopError(err error) error {
	if err == nil {
		return nil
	}
	code := app.CodeOf(err)
	if code == app.CodeInternal {
		return fmt.Errorf("internal: internal error (%s)", err.Error())
	}
	return errors.New(string(code) + ": " + err.Error())
}

// Health reports readiness. The UI calls it first, so its first call also
// logs that the window's UI is up (the desktop smoke test waits for it).
func (d *Desktop) Health() app.Health {
	d.connected.Do(func() { d.log.Info("desktop UI connected") })
	return d.svc.Health()
}

// Analyze runs and stores an analysis (POST /v1/analyze).
func (d *Desktop) Analyze(req app.AnalyzeRequest) (app.AnalyzeResponse, error) {
	res, err := d.svc.Analyze(app.WithSource(d.ctx, app.SourceDesktop), req)
	if err == nil {
		n := 0
		for _, r := range res.Results {
			n += len(r.Entities)
		}
		d.log.Debug("desktop analyze", slog.Int("texts", len(res.Results)), slog.Int("entities", n))
	}
	return res, desktopError(err)
}

// Search returns one page of stored documents (GET /v1/results).
func (d *Desktop) Search(q app.SearchQuery) (app.SearchPage, error) {
	res, err := d.svc.Search(d.ctx, q)
	if err == nil {
		d.log.Debug("desktop search", slog.String("import_id", q.ImportID), slog.Int("items", len(res.Items)))
	}
	return res, desktopError(err)
}

// Insights returns the aggregates of a selection of stored documents
// (GET /v1/insights).
func (d *Desktop) Insights(q app.InsightsQuery) (app.Insights, error) {
	res, err := d.svc.Insights(d.ctx, q)
	return res, desktopError(err)
}

// StoredImports lists the imports in the database (GET /v1/insights/imports).
func (d *Desktop) StoredImports() ([]app.StoredImport, error) {
	res, err := d.svc.StoredImports(d.ctx)
	return res, desktopError(err)
}

// Document returns one stored document (GET /v1/results/{id}).
func (d *Desktop) Document(id int64) (app.DocumentResult, error) {
	res, err := d.svc.Document(d.ctx, id)
	return res, desktopError(err)
}

// Correction returns the correction of a stored document (GET
// /v1/results/{id}/correction).
func (d *Desktop) Correction(id int64) (app.Correction, error) {
	res, err := d.svc.Correction(d.ctx, id)
	return res, desktopError(err)
}

// SetCorrection stores the correction of a stored document (PUT
// /v1/results/{id}/correction).
func (d *Desktop) SetCorrection(id int64, c app.Correction) (app.Correction, error) {
	res, err := d.svc.SetCorrection(d.ctx, id, c)
	return res, desktopError(err)
}

// ClearCorrection deletes the correction of a stored document (DELETE
// /v1/results/{id}/correction).
func (d *Desktop) ClearCorrection(id int64) error {
	return desktopError(d.svc.ClearCorrection(d.ctx, id))
}

// ExportResults asks where to save, then writes the selected documents as
// one of app.ExportFormats (csv, jsonl or a training format). It returns a sentence for the UI; a cancelled dialog
// writes nothing.
func (d *Desktop) ExportResults(format string, q app.SearchQuery) (string, error) {
	if !slices.Contains(app.ExportFormats(), format) {
		return "", desktopError(fmt.Errorf("%w: format %q (want %s)", app.ErrBadRequest, format, strings.Join(app.ExportFormats(), ", ")))
	}
	if d.dialogs == nil {
		return "", desktopError(fmt.Errorf("%w: no window for a save dialog", app.ErrBadRequest))
	}
	path, err := d.dialogs.SaveFile(d.ctx, "Export results", d.lastDirectory(), app.ExportFileName(format))
	if err != nil {
		return "", desktopError(err)
	}
	if path == "" {
		return "export cancelled", nil
	}
	d.remember(path, false)
	if err := d.exportTo(path, format, q); err != nil {
		return "", desktopError(err)
	}
	return "saved " + path, nil
}

// exportTo writes the export to path through a temporary file, so a failed
// export leaves no partial file behind.
func (d *Desktop) exportTo(path, format string, q app.SearchQuery) error {
	return writeAtomic(path, func(w io.Writer) error { return d.svc.ExportResults(d.ctx, w, format, q) })
}

// ExportLoadTest asks where to save, then writes the saved run id as
// "json", "csv" or "html" (GET /v1/loadtests/{id}/report). It returns a
// sentence for the UI; a cancelled dialog writes nothing.
func (d *Desktop) ExportLoadTest(id, format string) (string, error) {
	f, err := app.ParseReportFormat(format)
	if err != nil {
		return "", desktopError(err)
	}
	if _, err := d.svc.LoadTest(d.ctx, id); err != nil {
		return "", desktopError(err)
	}
	if d.dialogs == nil {
		return "", desktopError(fmt.Errorf("%w: no window for a save dialog", app.ErrBadRequest))
	}
	path, err := d.dialogs.SaveFile(d.ctx, "Save load-test report", d.lastDirectory(), app.ReportFileName(id, f))
	if err != nil {
		return "", desktopError(err)
	}
	if path == "" {
		return "save cancelled", nil
	}
	d.remember(path, false)
	if err := writeAtomic(path, func(w io.Writer) error { return d.svc.ExportLoadTest(d.ctx, w, id, string(f)) }); err != nil {
		return "", desktopError(err)
	}
	return "saved " + path, nil
}

// writeAtomic writes path through a temporary file in its folder, so a
// failure leaves no partial file behind.
func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".nlpscope-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o644); err != nil { // CreateTemp's 0600 is for secrets
		f.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// Models lists the active and available models.
func (d *Desktop) Models() app.ModelsResponse { return d.svc.Models() }

// SetActiveModel activates a model for its task (POST /v1/models/active).
func (d *Desktop) SetActiveModel(req app.SetModelRequest) (engine.ModelInfo, error) {
	res, err := d.svc.SetActiveModel(d.ctx, req)
	return res, desktopError(err)
}

// Settings returns the live engine settings.
func (d *Desktop) Settings() app.Settings { return d.svc.Settings() }

// SetSettings applies engine settings without restart.
func (d *Desktop) SetSettings(s app.Settings) (app.Settings, error) {
	res, err := d.svc.SetSettings(s)
	return res, desktopError(err)
}

// StartImport analyses the files (and folders) at paths in the background.
func (d *Desktop) StartImport(paths []string, opts app.ImportOptions) (app.ImportStatus, error) {
	files := make([]app.ImportFile, len(paths))
	for i, p := range paths {
		files[i] = app.ImportFile{Path: p, Name: filepath.Base(p)}
	}
	res, err := d.svc.StartImport(d.ctx, files, opts)
	if err == nil {
		d.log.Debug("desktop import started", slog.String("id", res.ID), slog.Int("files", len(files)))
	}
	return res, desktopError(err)
}

// PreviewImport says how the files (and folders) at paths would be read,
// without analysing anything.
func (d *Desktop) PreviewImport(paths []string, opts app.ImportOptions) ([]app.ImportPreview, error) {
	files := make([]app.ImportFile, len(paths))
	for i, p := range paths {
		files[i] = app.ImportFile{Path: p, Name: filepath.Base(p)}
	}
	res, err := d.svc.PreviewImport(d.ctx, files, opts)
	return res, desktopError(err)
}

// ImportStatus returns an import's progress.
func (d *Desktop) ImportStatus(id string) (app.ImportStatus, error) {
	res, err := d.svc.ImportStatus(d.ctx, id)
	return res, desktopError(err)
}

// Imports lists every import, newest first (earlier ones from the database).
func (d *Desktop) Imports() ([]app.ImportStatus, error) {
	res, err := d.svc.Imports(d.ctx)
	return res, desktopError(err)
}

// CancelImport stops a running import.
func (d *Desktop) CancelImport(id string) error {
	_, err := d.svc.CancelImport(d.ctx, id)
	return desktopError(err)
}

// ResumeImport continues an interrupted or cancelled import after its last
// stored row.
func (d *Desktop) ResumeImport(id string) (app.ImportStatus, error) {
	res, err := d.svc.ResumeImport(d.ctx, id)
	return res, desktopError(err)
}

// DeleteImport deletes an import and its documents.
func (d *Desktop) DeleteImport(id string) (app.ImportDeleted, error) {
	n, err := d.svc.DeleteImport(d.ctx, id)
	return app.ImportDeleted{ID: id, Deleted: n}, desktopError(err)
}

// CSVColumns returns the header row of the CSV file at path, for the column picker.
func (d *Desktop) CSVColumns(path string) ([]string, error) {
	cols, err := csvColumns(path)
	return cols, desktopError(err)
}

func csvColumns(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", app.ErrBadRequest, err)
	}
	defer f.Close()
	r := csv.NewReader(io.LimitReader(f, 1<<20))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: no CSV header: %v", app.ErrBadRequest, filepath.Base(path), err)
	}
	for i, c := range head {
		head[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
	}
	return head, nil
}

// SetLiveMetrics starts or stops the "metrics" events to the window.
func (d *Desktop) SetLiveMetrics(on bool) {
	d.log.Info("desktop live metrics", slog.Bool("on", on))
	d.svc.SetLiveMetrics(on)
}

// OpenFiles shows the native open dialog for .txt, .csv and .jsonl files; a
// cancelled dialog returns no paths ([], never null).
func (d *Desktop) OpenFiles() ([]string, error) {
	if d.dialogs == nil {
		return []string{}, nil
	}
	paths, err := d.dialogs.OpenFiles(d.ctx, "Open texts", d.lastDirectory(), "*.txt;*.csv;*.jsonl")
	if err != nil {
		return []string{}, desktopError(err)
	}
	if len(paths) > 0 {
		d.remember(paths[0], false)
	}
	return append([]string{}, paths...), nil
}

// OpenFolder shows the native folder dialog; the import reads every .txt,
// .csv and .jsonl file inside it.
func (d *Desktop) OpenFolder() ([]string, error) {
	if d.dialogs == nil {
		return []string{}, nil
	}
	dir, err := d.dialogs.OpenFolder(d.ctx, "Open a folder of texts", d.lastDirectory())
	if err != nil || dir == "" {
		return []string{}, desktopError(err)
	}
	d.remember(dir, true)
	return []string{dir}, nil
}

// LoadTests lists the saved load-test runs, newest first.
func (d *Desktop) LoadTests() ([]app.LoadTestSummary, error) {
	res, err := d.svc.LoadTests(d.ctx)
	return res, desktopError(err)
}

// StartLoadTest starts a load test against the in-process engine.
func (d *Desktop) StartLoadTest(c app.LoadTestConfig) (app.LoadTestStatus, error) {
	res, err := d.svc.StartLoadTest(d.ctx, c)
	return res, desktopError(err)
}

// LoadTest returns a saved run's report.
func (d *Desktop) LoadTest(id string) (profiler.Report, error) {
	res, err := d.svc.LoadTest(d.ctx, id)
	return res, desktopError(err)
}

// CurrentLoadTest returns the running or last load test of this process, or
// nil when there was none (GET /v1/loadtests/current).
func (d *Desktop) CurrentLoadTest() *app.LoadTestStatus {
	st, ok := d.svc.CurrentLoadTest()
	if !ok {
		return nil
	}
	return &st
}

// CancelLoadTest stops the running load test; its partial report is saved.
func (d *Desktop) CancelLoadTest(id string) error {
	_, err := d.svc.CancelLoadTest(d.ctx, id)
	return desktopError(err)
}

// DeleteLoadTest removes a saved run.
func (d *Desktop) DeleteLoadTest(id string) error {
	return desktopError(d.svc.DeleteLoadTest(d.ctx, id))
}
