package httpapi

import (
	"net/http"

	"github.com/nlpscope/nlpscope/engine"
)

// entitiesRoutes registers the entity endpoints (handlers in analyze.go).
func (s *Server) entitiesRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/entities/extract", s.api(s.single(engine.TaskEntities)))
	mux.HandleFunc("POST /v1/entities/batch", s.api(s.batch(engine.TaskEntities)))
}
