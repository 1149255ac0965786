package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

func (s *Server) insightsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/insights", s.api(s.handleInsights))
	mux.HandleFunc("GET /v1/insights/imports", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.StoredImports(r.Context())
	}))
}

// insightsQuery reads the selection with searchQuery (the filters of
// /v1/results, including repeated entity=LABEL:key) and bucket, sort, top
// and co_top.
func insightsQuery(r *http.Request) (app.InsightsQuery, error) {
	sq, err := searchQuery(r)
	if err != nil {
		return app.InsightsQuery{}, err
	}
	v := r.URL.Query()
	q := app.InsightsQuery{SearchQuery: sq, Bucket: v.Get("bucket"), Sort: v.Get("sort")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"top", &q.Top}, {"co_top", &q.CoTop}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return q, fmt.Errorf("%w: %s: want a positive whole number", app.ErrBadRequest, p.name)
			}
			*p.dst = n
		}
	}
	if !utf8.ValidString(q.Bucket) || !utf8.ValidString(q.Sort) {
		return q, fmt.Errorf("query: %w", engine.ErrInvalidUTF8)
	}
	return q, nil
}

func (s *Server) handleInsights(w http.ResponseWriter, r *http.Request) (any, error) {
	q, err := insightsQuery(r)
	if err != nil {
		return nil, err
	}
	return s.svc.Insights(r.Context(), q)
}
