package httpapi

import (
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
