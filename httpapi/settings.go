package httpapi

import (
	"net/http"

	"github.com/nlpscope/nlpscope/app"
)

func (s *Server) settingsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/settings", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Settings(), nil
	}))
	mux.HandleFunc("PUT /v1/settings", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req app.Settings
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		return s.svc.SetSettings(req)
	}))
}
