package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/nlpscope/nlpscope/engine"
)

// apiError is the body of every error response:
// {"error": {"code": "...", "message": "..."}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errBadJSON marks a request body that is not the expected JSON.
var errBadJSON = errors.New("bad JSON")

// errUnauthorized marks a missing or wrong API token.
var errUnauthorized = errors.New("missing or wrong API token (Authorization: Bearer …)")

// errForbidden marks a request that this listener never serves (pprof off loopback).
var errForbidden = errors.New("forbidden")

// errMethod marks a method the route does not serve.
var errMethod = errors.New("method not allowed")

// statusOf maps an error to its HTTP status and error code. It is the one
// place where errors meet HTTP.
func statusOf(err error) (int, string) {
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge, "body_too_large"
	case errors.Is(err, engine.ErrTextTooLong):
		return http.StatusRequestEntityTooLarge, "text_too_long"
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, errBadJSON):
		return http.StatusBadRequest, "bad_json"
	case errors.Is(err, engine.ErrEmptyText):
		return http.StatusBadRequest, "empty_text"
	case errors.Is(err, engine.ErrInvalidUTF8):
		return http.StatusBadRequest, "invalid_utf8"
	case errors.Is(err, ErrUnknownModel):
		return http.StatusBadRequest, "unknown_model"
	case errors.Is(err, engine.ErrBadModel):
		return http.StatusBadRequest, "bad_model"
	case errors.Is(err, ErrBadInput), errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "method_not_allowed"
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, ErrNotFound), isStorageNotFound(err):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, ErrLoadTestActive):
		return http.StatusConflict, "conflict"
	case errors.Is(err, engine.ErrOverloaded):
		return http.StatusTooManyRequests, "overloaded"
	case errors.Is(err, engine.ErrNotReady):
		return http.StatusServiceUnavailable, "not_ready"
	case errors.Is(err, ErrNoStorage):
		return http.StatusServiceUnavailable, "no_storage"
	case errors.Is(err, ErrServiceClosed), errors.Is(err, engine.ErrClosed):
		return http.StatusServiceUnavailable, "shutting_down"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timeout"
	case errors.Is(err, context.Canceled):
		return 499, "canceled" // the client went away; nobody reads this
	}
	return http.StatusInternalServerError, "internal"
}

// writeError writes err as a JSON error with its status; 429 carries
// Retry-After, 500 is logged and its message hidden.
func writeError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	status, code := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		msg = "internal error"
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nlpscope"`)
	}
	writeJSON(w, status, apiError{Error: apiErrorBody{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
