package httpapi

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/app/input"
	"github.com/nlpscope/nlpscope/engine"
)

func (s *Server) importsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/imports", s.handleImportUpload)
	mux.HandleFunc("POST /v1/imports/preview", s.handleImportPreview)
	mux.HandleFunc("GET /v1/imports", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		list, err := s.svc.Imports(r.Context())
		if err != nil {
			return nil, err
		}
		return map[string]any{"imports": list}, nil
	}))
	mux.HandleFunc("GET /v1/imports/{id}", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.ImportStatus(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("POST /v1/imports/{id}/cancel", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.CancelImport(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("POST /v1/imports/{id}/resume", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.ResumeImport(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("DELETE /v1/imports/{id}", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		n, err := s.svc.DeleteImport(r.Context(), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return app.ImportDeleted{ID: r.PathValue("id"), Deleted: n}, nil
	}))
}

// handleImportUpload serves POST /v1/imports: a multipart/form-data body
// with one or more "files" parts and optional fields tasks (comma
// separated), aggregation, unit, column, field, encoding, delimiter, sheet,
// id_column, date_column, meta_column (repeated: one metadata column
// each, or "*" for every other column) and keep_duplicates (true/false).
// The files are saved to a folder of the data directory that the import
// owns (kept while it can be resumed). Answers 202 with the import's first
// status.
func (s *Server) handleImportUpload(w http.ResponseWriter, r *http.Request) {
	if err := s.importUpload(w, r); err != nil {
		writeError(w, s.log, r, err)
	}
}

// handleImportPreview serves POST /v1/imports/preview: the same body as
// POST /v1/imports; answers {"files": ImportPreview[]}, how each file would
// be read, and analyses and stores nothing.
func (s *Server) handleImportPreview(w http.ResponseWriter, r *http.Request) {
	dir, files, opt, err := s.receiveUpload(w, r)
	if dir != "" {
		defer os.RemoveAll(dir)
	}
	if err == nil {
		var prev []app.ImportPreview
		if prev, err = s.svc.PreviewImport(r.Context(), files, opt); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"files": prev})
			return
		}
	}
	writeError(w, s.log, r, err)
}

func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) error {
	dir, err := s.svc.NewUploadDir()
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	files, opt, err := s.receiveUploadInto(w, r, dir)
	if err != nil {
		return err
	}
	st, err := s.svc.StartUploadedImport(r.Context(), dir, files, opt)
	if err != nil {
		return err
	}
	keep = true // the import owns dir now
	writeJSON(w, http.StatusAccepted, st)
	return nil
}

// receiveUpload saves the files of a multipart upload into a new temporary
// folder (returned even on error, for the caller to remove) and reads the
// option fields.
func (s *Server) receiveUpload(w http.ResponseWriter, r *http.Request) (dir string, files []app.ImportFile, opt app.ImportOptions, err error) {
	dir, err = os.MkdirTemp("", "nlpscope-import-")
	if err != nil {
		return "", nil, opt, err
	}
	files, opt, err = s.receiveUploadInto(w, r, dir)
	return dir, files, opt, err
}

// receiveUploadInto saves the files of a multipart upload into dir and reads
// the option fields.
func (s *Server) receiveUploadInto(w http.ResponseWriter, r *http.Request, dir string) (files []app.ImportFile, opt app.ImportOptions, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, opt, fmt.Errorf("%w: want multipart/form-data: %v", app.ErrBadRequest, err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, opt, fmt.Errorf("%w: multipart: %w", app.ErrBadRequest, err)
		}
		filename := rawFileName(p)
		if filename == "" {
			if err := formField(p, &opt); err != nil {
				return nil, opt, err
			}
			continue
		}
		// The name may be a relative path (a dropped folder); it is kept as
		// the source, the file on disk gets a safe name.
		name := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(filename)), "/")
		if _, err := input.FormatOf(name); err != nil {
			return nil, opt, err
		}
		disk := filepath.Join(dir, fmt.Sprintf("%04d%s", len(files), strings.ToLower(filepath.Ext(name))))
		if err := saveFile(disk, p); err != nil {
			return nil, opt, err
		}
		files = append(files, app.ImportFile{Path: disk, Name: name})
	}
	if len(files) == 0 {
		return nil, opt, fmt.Errorf("%w: no files in the upload (part name \"files\")", app.ErrBadRequest)
	}
	return files, opt, nil
}

// rawFileName is the part's file name with its folders (a dropped folder's
// relative path); Part.FileName keeps only the base name.
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return p.FileName()
	}
	return params["filename"]
}

func formField(p *multipart.Part, opt *app.ImportOptions) error {
	b, err := io.ReadAll(io.LimitReader(p, 4096))
	if err != nil {
		return fmt.Errorf("%w: multipart: %w", app.ErrBadRequest, err)
	}
	v := strings.TrimSpace(string(b))
	switch p.FormName() {
	case "tasks":
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				opt.Tasks = append(opt.Tasks, engine.Task(t))
			}
		}
	case "aggregation":
		opt.Aggregation = app.Aggregation(v)
	case "unit":
		opt.Unit = v
	case "column":
		opt.Column = v
	case "field":
		opt.Field = v
	case "encoding":
		opt.Encoding = v
	case "delimiter":
		opt.Delimiter = string(b) // a tab must survive
		if strings.TrimSpace(opt.Delimiter) != "" {
			opt.Delimiter = v
		}
	case "sheet":
		opt.Sheet = v
	case "id_column":
		opt.IDColumn = v
	case "date_column":
		opt.DateColumn = v
	case "meta_column": // repeated, one column each (a name may hold a comma)
		if v != "" {
			opt.MetaColumns = append(opt.MetaColumns, v)
		}
	case "keep_duplicates":
		keep, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%w: keep_duplicates %q (want true or false)", app.ErrBadRequest, v)
		}
		opt.KeepDuplicates = keep
	}
	return nil
}

func saveFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
