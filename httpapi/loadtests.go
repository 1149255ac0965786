package httpapi

import (
	"bytes"
	"mime"
	"net/http"

	"github.com/nlpscope/nlpscope/app"
)

// loadTestRoutes registers the load-test API (see API.md).
func (s *Server) loadTestRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/loadtests", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.LoadTests(r.Context())
	}))
	mux.HandleFunc("POST /v1/loadtests", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var c app.LoadTestConfig
		if err := s.decode(w, r, &c); err != nil {
			return nil, err
		}
		return s.svc.StartLoadTest(r.Context(), c)
	}))
	mux.HandleFunc("GET /v1/loadtests/current", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		st, ok := s.svc.CurrentLoadTest()
		if !ok {
			return jsonNull{}, nil
		}
		return st, nil
	}))
	mux.HandleFunc("GET /v1/loadtests/compare", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		q := r.URL.Query()
		return s.svc.CompareLoadTests(r.Context(), q.Get("a"), q.Get("b"))
	}))
	mux.HandleFunc("GET /v1/loadtests/{id}", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.LoadTest(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("GET /v1/loadtests/{id}/report", s.handleReport)
	mux.HandleFunc("POST /v1/loadtests/{id}/cancel", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.CancelLoadTest(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("DELETE /v1/loadtests/{id}", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		if err := s.svc.DeleteLoadTest(r.Context(), r.PathValue("id")); err != nil {
			return nil, err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil, nil
	}))
}

// jsonNull encodes as null.
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// handleReport sends a saved run as a file: ?format=json|csv|html (default
// json), with Content-Disposition so that a browser saves it.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, err := app.ParseReportFormat(r.URL.Query().Get("format"))
	if err != nil {
		writeError(w, s.log, r, err)
		return
	}
	var b bytes.Buffer
	if err := s.svc.ExportLoadTest(r.Context(), &b, id, string(f)); err != nil {
		writeError(w, s.log, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": app.ReportFileName(id, f)}))
	h.Set("X-Content-Type-Options", "nosniff")
	// The page is a file to keep, not part of this site: it runs nothing
	// and loads nothing, also when opened from here.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	w.Write(b.Bytes())
}
