package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// errModelUnavailable is the one answer to every model that cannot be
// activated over HTTP (not in the catalog, no such folder, not a model, a
// broken ONNX file): distinct errors would tell a web page which paths
// exist on this computer. The server log has the details.
var errModelUnavailable = fmt.Errorf("%w: that model cannot be loaded: pick a ref (and variant) that GET /v1/models lists; the server log says why", engine.ErrBadModel)

func (s *Server) modelsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/models", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return s.svc.Models(), nil
	}))
	mux.HandleFunc("POST /v1/models/active", s.api(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req app.SetModelRequest
		if err := s.decode(w, r, &req); err != nil {
			return nil, err
		}
		if tasks, err := app.ParseTasks([]engine.Task{req.Task}); err != nil || req.Task == "" || len(tasks) != 1 {
			return nil, fmt.Errorf("%w: task %q (want sentiment or entities)", app.ErrBadRequest, req.Task)
		}
		info, err := s.svc.SetActiveModel(r.Context(), req)
		if err != nil {
			if errors.Is(err, app.ErrServiceClosed) || errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
				return nil, err
			}
			s.log.Warn("model not activated", slog.String("task", string(req.Task)), slog.String("ref", req.Ref+req.Dir), slog.String("variant", req.Variant), slog.Any("err", err))
			return nil, errModelUnavailable
		}
		return info, nil
	}))
}
