package httpapi

import (
	"net/http"

	"github.com/nlpscope/nlpscope/engine"
)

// sentimentRoutes registers the sentiment endpoints (handlers in analyze.go).
func (s *Server) sentimentRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/sentiment/analyze", s.api(s.single(engine.TaskSentiment)))
	mux.HandleFunc("POST /v1/sentiment/batch", s.api(s.batch(engine.TaskSentiment)))
}
