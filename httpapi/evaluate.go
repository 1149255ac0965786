package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// maxGoldBytes bounds the gold file of POST /v1/evaluate.
const maxGoldBytes = 64 << 20

func (s *Server) evaluateRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/evaluate", s.api(s.handleEvaluate))
}

// handleEvaluate serves POST /v1/evaluate: a JSON EvaluateRequest
// ({"docs": [{"text", "sentiment"?, "entities"?: [{"start", "end",
// "label"}]}], "aggregation"?}), or multipart/form-data with a part "file"
// (or "files": a gold file in any format of package gold) and optional
// fields "format" (default: detected) and "aggregation". Answers an Evaluation with one run,
// the active models.
func (s *Server) handleEvaluate(w http.ResponseWriter, r *http.Request) (any, error) {
	var req app.EvaluateRequest
	if isJSON(r.Header.Get("Content-Type")) {
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
	} else {
		docsReq, err := s.goldUpload(w, r)
		if err != nil {
			return nil, err
		}
		req = docsReq
	}
	run, err := s.svc.Evaluate(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return app.Evaluation{Docs: run.Report.Docs, Runs: []app.EvaluationRun{run}}, nil
}

// goldUpload reads the multipart form of POST /v1/evaluate.
func (s *Server) goldUpload(w http.ResponseWriter, r *http.Request) (app.EvaluateRequest, error) {
	var req app.EvaluateRequest
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return req, fmt.Errorf("%w: POST /v1/evaluate wants application/json or multipart/form-data, got %q", errMediaType, r.Header.Get("Content-Type"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxGoldBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return req, fmt.Errorf("%w: multipart: %v", app.ErrBadRequest, err)
	}
	var file []byte
	var name, format string
	seen := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return req, fmt.Errorf("%w: multipart: %w", app.ErrBadRequest, err)
		}
		switch p.FormName() {
		case "file", "files":
			if seen {
				return req, fmt.Errorf("%w: one gold file per evaluation", app.ErrBadRequest)
			}
			seen, name = true, p.FileName()
			file, err = io.ReadAll(io.LimitReader(p, maxGoldBytes+1))
			if err != nil {
				return req, fmt.Errorf("%w: multipart: %w", app.ErrBadRequest, err)
			}
			if len(file) > maxGoldBytes {
				return req, fmt.Errorf("%w: gold file over %d MiB", app.ErrTooLarge, maxGoldBytes>>20)
			}
		case "format", "aggregation":
			b, err := io.ReadAll(io.LimitReader(p, 256))
			if err != nil {
				return req, fmt.Errorf("%w: multipart: %w", app.ErrBadRequest, err)
			}
			if !utf8.Valid(b) {
				return req, fmt.Errorf("%s: %w", p.FormName(), engine.ErrInvalidUTF8)
			}
			if p.FormName() == "format" {
				format = strings.TrimSpace(string(b))
			} else {
				req.Aggregation = strings.TrimSpace(string(b))
			}
		}
	}
	if !seen {
		return req, fmt.Errorf("%w: no part named file (the gold file)", app.ErrBadRequest)
	}
	docs, err := app.ReadGold(bytes.NewReader(file), name, format)
	if err != nil {
		return req, err
	}
	req.Docs = docs
	return req, nil
}
