package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
	mux.HandleFunc("GET /v1/results/{id}/correction", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := resultID(r)
		if err != nil {
			return nil, err
		}
		return s.svc.Correction(r.Context(), id)
	}))
	mux.HandleFunc("PUT /v1/results/{id}/correction", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := resultID(r)
		if err != nil {
			return nil, err
		}
		var c app.Correction
		if err := s.decode(w, r, &c); err != nil {
			return nil, err
		}
		return s.svc.SetCorrection(r.Context(), id, c)
	}))
	mux.HandleFunc("DELETE /v1/results/{id}/correction", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := resultID(r)
		if err != nil {
			return nil, err
		}
		if err := s.svc.ClearCorrection(r.Context(), id); err != nil {
			return nil, err
		}
		return map[string]int64{"deleted": id}, nil
	}))
}

// resultID reads the {id} of a /v1/results/{id} path.
func resultID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%w: result id %q", app.ErrBadRequest, r.PathValue("id"))
	}
	return id, nil
}

// boolParam reads a filter that is 1/true, 0/false or absent (nil).
func boolParam(v url.Values, name string) (*bool, error) {
	s := v.Get(name)
	switch s {
	case "":
		return nil, nil
	case "1", "true":
		t := true
		return &t, nil
	case "0", "false":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("%w: %s: want 1 or 0", app.ErrBadRequest, name)
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
	for _, p := range []struct {
		name string
		dst  **bool
	}{{"reviewed", &q.Reviewed}, {"corrected", &q.Corrected}, {"disagrees", &q.Disagrees}} {
		b, err := boolParam(v, p.name)
		if err != nil {
			return q, err
		}
		*p.dst = b
	}
	for _, f := range v["meta"] {
		k, val, err := app.ParseMetaFilter(f)
		if err != nil {
			return q, err
		}
		if err := addMeta(&q, k, val); err != nil {
			return q, err
		}
	}
	for name, vals := range v {
		if k, ok := strings.CutPrefix(name, "meta."); ok {
			for _, val := range vals {
				if err := addMeta(&q, k, val); err != nil {
					return q, err
				}
			}
		}
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
	id, err := resultID(r)
	if err != nil {
		return nil, err
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

// addMeta adds the filter key=value to q; a key given twice is refused
// (no document has two values for it).
func addMeta(q *app.SearchQuery, key, value string) error {
	if _, dup := q.Meta[key]; dup {
		return fmt.Errorf("%w: meta filter %q given twice", app.ErrBadRequest, key)
	}
	if q.Meta == nil {
		q.Meta = map[string]string{}
	}
	q.Meta[key] = value
	return nil
}
