package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

func (s *Server) analyzeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/analyze", s.api(s.handleAnalyze))
}

// CacheHeader, set to "bypass" on an analysis request, makes the server
// compute every text: the in-memory cache and the stored results (the
// second-level cache) are skipped, as with "no_cache": true in the body.
// "include" (or no header) lets them answer. `nlpscope loadtest --url`
// sends it, so a URL run measures what an in-process run measures.
const CacheHeader = "X-Nlpscope-Cache"

// noCache reads CacheHeader; another value than bypass or include is a bad
// request.
func noCache(r *http.Request) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(r.Header.Get(CacheHeader))); v {
	case "", "include":
		return false, nil
	case "bypass":
		return true, nil
	default:
		return false, fmt.Errorf("%w: header %s: %q (want bypass or include)", app.ErrBadRequest, CacheHeader, v)
	}
}

// textRequest is the body of the single-task endpoints.
type textRequest struct {
	Text        string          `json:"text"`
	Texts       []string        `json:"texts"`
	Aggregation app.Aggregation `json:"aggregation"`
	Model       string          `json:"model"`
	NoStore     bool            `json:"no_store"`
	NoCache     bool            `json:"no_cache"`
}

// analyzeRequest is the request's body with the cache header applied.
func (req textRequest) analyzeRequest(r *http.Request, task engine.Task) (app.AnalyzeRequest, error) {
	nc, err := noCache(r)
	if err != nil {
		return app.AnalyzeRequest{}, err
	}
	return app.AnalyzeRequest{Text: req.Text, Texts: req.Texts, Tasks: []engine.Task{task}, Aggregation: req.Aggregation,
		Model: req.Model, NoStore: req.NoStore, NoCache: req.NoCache || nc}, nil
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
		ar, err := req.analyzeRequest(r, task)
		if err != nil {
			return nil, err
		}
		res, err := s.svc.Analyze(r.Context(), ar)
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
		ar, err := req.analyzeRequest(r, task)
		if err != nil {
			return nil, err
		}
		return s.svc.Analyze(r.Context(), ar)
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
	nc, err := noCache(r)
	if err != nil {
		return nil, err
	}
	req.NoCache = req.NoCache || nc
	return s.svc.Analyze(r.Context(), req)
}
