package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

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
// Service's codes (app.CodeOf).
func statusOf(err error) (int, app.ErrorCode) {
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge, app.CodeBodyTooLarge
	case errors.Is(err, errBadJSON):
		return http.StatusBadRequest, app.CodeBadJSON
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, app.CodeUnauthorized
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, app.CodeMethodNotAllowed
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, app.CodeForbidden
	case errors.Is(err, errForbiddenHost):
		return http.StatusForbidden, app.CodeForbiddenHost
	case errors.Is(err, errCrossOrigin), errors.Is(err, errCSRF):
		return http.StatusForbidden, app.CodeCrossOrigin
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType, app.CodeUnsupportedMediaType
	case errors.Is(err, errSlowBody):
		return http.StatusRequestTimeout, app.CodeSlowBody
	}
	code := app.CodeOf(err)
	return codeStatus[code], code
}

// codeStatus is the HTTP status of each of CodeOf's codes.
var codeStatus = map[app.ErrorCode]int{
	app.CodeTextTooLong:  http.StatusRequestEntityTooLarge,
	app.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	app.CodeEmptyText:    http.StatusBadRequest,
	app.CodeInvalidUTF8:  http.StatusBadRequest,
	app.CodeUnknownModel: http.StatusBadRequest,
	app.CodeBadModel:     http.StatusBadRequest,
	app.CodeBadRequest:   http.StatusBadRequest,
	app.CodeNotFound:     http.StatusNotFound,
	app.CodeConflict:     http.StatusConflict,
	app.CodeOverloaded:   http.StatusTooManyRequests,
	app.CodeNotReady:     http.StatusServiceUnavailable,
	app.CodeNoStorage:    http.StatusServiceUnavailable,
	app.CodeShuttingDown: http.StatusServiceUnavailable,
	app.CodeTimeout:      http.StatusGatewayTimeout,
	app.CodeCanceled:     499, // the client went away; nobody reads this
	app.CodeInternal:     http.StatusInternalServerError,
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
		w.Header().Set("Retry-After", retryAfter(err))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nlpscope"`)
	}
	writeJSON(w, status, app.ErrorBody{Error: app.ErrorDetail{Code: code, Message: msg}})
}

// retryAfter is the Retry-After of an overload, in whole seconds (at least
// 1): the expected queue wait beyond the bound, when the engine said.
func retryAfter(err error) string {
	var oe *engine.OverloadError
	if errors.As(err, &oe) {
		return strconv.Itoa(max(1, int(math.Ceil(oe.RetryAfter().Seconds()))))
	}
	return "1"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
