package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

func (s *Server) resultsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/results", s.api(s.handleSearch))
	mux.HandleFunc("GET /v1/results/export", s.handleExport)
	mux.HandleFunc("GET /v1/results/{id}", s.api(s.handleGetResult))
}

// searchQuery reads a SearchQuery from URL parameters.
func searchQuery(r *http.Request) (app.SearchQuery, error) {
	v := r.URL.Query()
	q := app.SearchQuery{
		Q:           v.Get("q"),
		Sentiment:   v.Get("sentiment"),
		EntityLabel: v.Get("entity_label"),
		EntityText:  v.Get("entity_text"),
		Model:       v.Get("model"),
		Source:      v.Get("source"),
		ImportID:    v.Get("import_id"),
		Cursor:      v.Get("cursor"),
	}
	for _, e := range v["entity"] {
		m, err := app.ParseEntityMatch(e)
		if err != nil {
			return q, err
		}
		q.Entities = append(q.Entities, m)
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				if d, derr := time.Parse(time.DateOnly, s); derr == nil {
					t = d
				} else {
					return q, fmt.Errorf("%w: %s: want RFC 3339 time or YYYY-MM-DD", app.ErrBadRequest, p.name)
				}
			}
			*p.dst = t
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return q, fmt.Errorf("%w: limit: want 1..500", app.ErrBadRequest)
		}
		q.Limit = n
	}
	for _, s := range append([]string{q.Q, q.Sentiment, q.EntityLabel, q.EntityText, q.Model, q.Source, q.Cursor}, v["entity"]...) {
		if !utf8.ValidString(s) {
			return q, fmt.Errorf("query: %w", engine.ErrInvalidUTF8)
		}
	}
	return q, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) (any, error) {
	q, err := searchQuery(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Search(r.Context(), q)
}

func (s *Server) handleGetResult(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return nil, fmt.Errorf("%w: result id %q", app.ErrBadRequest, r.PathValue("id"))
	}
	return s.svc.Document(r.Context(), id)
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	q, err := searchQuery(r)
	if err != nil {
		writeError(w, s.log, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "jsonl"
	}
	if !slices.Contains(app.ExportFormats(), format) {
		writeError(w, s.log, r, fmt.Errorf("%w: format %q (want %s)", app.ErrBadRequest, format, strings.Join(app.ExportFormats(), ", ")))
		return
	}
	ctype, _ := app.ExportContentType(format)
	var opt app.ExportOptions
	switch c := r.URL.Query().Get("comments"); c {
	case "", "0", "false":
	case "1", "true":
		opt.Comments = true
	default:
		writeError(w, s.log, r, fmt.Errorf("%w: comments %q (want true or false)", app.ErrBadRequest, c))
		return
	}
	if !s.svc.HasStorage() {
		writeError(w, s.log, r, app.ErrNoStorage)
		return
	}
	// Errors after the first byte cannot change the status; the writer
	// below delays the header until the first write.
	lw := &lazyWriter{w: w, header: func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, app.ExportFileName(format)))
	}}
	if err := s.svc.ExportResultsWith(r.Context(), lw, format, q, opt); err != nil {
		if !lw.started {
			writeError(w, s.log, r, err)
			return
		}
		s.log.Warn("export interrupted", slog.Any("err", err))
		panic(http.ErrAbortHandler) // cut the response so the client sees it is incomplete
	}
	if !lw.started {
		lw.header()
		w.WriteHeader(http.StatusOK)
	}
}

// lazyWriter calls header before its first write.
type lazyWriter struct {
	w       http.ResponseWriter
	header  func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.header()
	}
	return l.w.Write(p)
}
