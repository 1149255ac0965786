package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/nlpscope/nlpscope/app"
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
// place where errors meet HTTP: the web shell's own errors first, then the
// Service's codes (app.ErrorCode).
func statusOf(err error) (int, string) {
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge, "body_too_large"
	case errors.Is(err, errBadJSON):
		return http.StatusBadRequest, "bad_json"
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "method_not_allowed"
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, errForbiddenHost):
		return http.StatusForbidden, "forbidden_host"
	case errors.Is(err, errCrossOrigin), errors.Is(err, errCSRF):
		return http.StatusForbidden, "cross_origin"
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType, "unsupported_media_type"
	case errors.Is(err, errSlowBody):
		return http.StatusRequestTimeout, "slow_body"
	}
	code := app.ErrorCode(err)
	return codeStatus[code], code
}

// codeStatus is the HTTP status of each of ErrorCode's codes.
var codeStatus = map[string]int{
	"text_too_long": http.StatusRequestEntityTooLarge,
	"too_large":     http.StatusRequestEntityTooLarge,
	"empty_text":    http.StatusBadRequest,
	"invalid_utf8":  http.StatusBadRequest,
	"unknown_model": http.StatusBadRequest,
	"bad_model":     http.StatusBadRequest,
	"bad_request":   http.StatusBadRequest,
	"not_found":     http.StatusNotFound,
	"conflict":      http.StatusConflict,
	"overloaded":    http.StatusTooManyRequests,
	"not_ready":     http.StatusServiceUnavailable,
	"no_storage":    http.StatusServiceUnavailable,
	"shutting_down": http.StatusServiceUnavailable,
	"timeout":       http.StatusGatewayTimeout,
	"canceled":      499, // the client went away; nobody reads this
	"internal":      http.StatusInternalServerError,
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
