package httpapi

import (
	"net/http"

	"github.com/nlpscope/nlpscope/app"
)

func (s *Server) modelsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/models", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Models(), nil
	}))
	mux.HandleFunc("POST /v1/models/active", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req app.SetModelRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		return s.svc.SetActiveModel(r.Context(), req)
	}))
}
