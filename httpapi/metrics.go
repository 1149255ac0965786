package httpapi

import (
	"net/http"
	"time"

	"github.com/nlpscope/nlpscope/app"
)

func (s *Server) metricsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/metrics", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Metrics(), nil
	}))
	mux.HandleFunc("GET /v1/metrics/stream", s.handleStream) // sse.go
	mux.Handle("GET /metrics", s.svc.PrometheusHandler())
}

// observeRoutes records every API request's latency under its route pattern
// (e.g. "POST /v1/analyze"); the live stream and static files are skipped.
func (s *Server) observeRoutes(next http.Handler, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(app.WithSource(r.Context(), app.SourceHTTP))
		_, pattern := mux.Handler(r)
		if pattern == "" || pattern == "/" || pattern == "GET /v1/metrics/stream" || pattern == "/debug/pprof/" {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(sw, r)
		s.svc.ObserveRoute(pattern, time.Since(start), sw.status)
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
