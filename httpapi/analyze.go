package httpapi

import (
	"fmt"
	"net/http"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

func (s *Server) analyzeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/analyze", s.api(s.handleAnalyze))
}

// textRequest is the body of the single-task endpoints.
type textRequest struct {
	Text        string          `json:"text"`
	Texts       []string        `json:"texts"`
	Aggregation app.Aggregation `json:"aggregation"`
	Model       string          `json:"model"`
	NoStore     bool            `json:"no_store"`
}

func (s *Server) single(task engine.Task) func(w http.ResponseWriter, r *http.Request) (any, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req textRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		if len(req.Texts) > 0 {
			return nil, fmt.Errorf("%w: this endpoint takes one text; use the batch endpoint for texts", app.ErrBadRequest)
		}
		if req.Text == "" {
			return nil, fmt.Errorf("text: %w", engine.ErrEmptyText)
		}
		res, err := s.svc.Analyze(r.Context(), app.AnalyzeRequest{Text: req.Text, Tasks: []engine.Task{task}, Aggregation: req.Aggregation, Model: req.Model, NoStore: req.NoStore})
		if err != nil {
			return nil, err
		}
		return res.Results[0], nil
	}
}

func (s *Server) batch(task engine.Task) func(w http.ResponseWriter, r *http.Request) (any, error) {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req textRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		if req.Text != "" {
			return nil, fmt.Errorf("%w: this endpoint takes texts (an array)", app.ErrBadRequest)
		}
		if len(req.Texts) == 0 {
			return nil, fmt.Errorf("%w: texts is empty", app.ErrBadRequest)
		}
		return s.svc.Analyze(r.Context(), app.AnalyzeRequest{Texts: req.Texts, Tasks: []engine.Task{task}, Aggregation: req.Aggregation, Model: req.Model, NoStore: req.NoStore})
	}
}

func (s *Server) handleAnalyze(w http.ResponseWriter, r *http.Request) (any, error) {
	var req app.AnalyzeRequest
	if err := s.decode(w, r, &req); err != nil {
		return nil, err
	}
	if req.Text == "" && len(req.Texts) == 0 {
		return nil, fmt.Errorf("text: %w", engine.ErrEmptyText)
	}
	return s.svc.Analyze(r.Context(), req)
}
