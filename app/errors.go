package app

import (
	"context"
	"errors"

	"github.com/nlpscope/nlpscope/engine"
)

// Errors the Service returns for bad requests. ErrorCode names them (and the
// engine's typed errors) in one place; the shells map the codes to HTTP
// statuses or to the desktop's rejected promises.
var (
	ErrBadRequest     = errors.New("bad request")
	ErrTooLarge       = errors.New("request too large")
	ErrNotFound       = errors.New("not found")
	ErrNoStorage      = errors.New("no database: history is unavailable (start without --no-db)")
	ErrUnknownModel   = errors.New("model is not active")
	ErrServiceClosed  = errors.New("service closed")
	ErrLoadTestActive = errors.New("a load test is already running")
)

// ErrorCode names err for users and for the profiler's error counts: the
// "code" of the HTTP API's error body (app/API.md), also carried by the
// desktop bindings' errors. Unknown errors are "internal".
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, engine.ErrTextTooLong):
		return "text_too_long"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, engine.ErrEmptyText):
		return "empty_text"
	case errors.Is(err, engine.ErrInvalidUTF8):
		return "invalid_utf8"
	case errors.Is(err, ErrUnknownModel):
		return "unknown_model"
	case errors.Is(err, engine.ErrBadModel):
		return "bad_model"
	case errors.Is(err, ErrBadInput), errors.Is(err, ErrBadRequest):
		return "bad_request"
	case errors.Is(err, ErrNotFound), isStorageNotFound(err):
		return "not_found"
	case errors.Is(err, ErrLoadTestActive):
		return "conflict"
	case errors.Is(err, engine.ErrOverloaded):
		return "overloaded"
	case errors.Is(err, engine.ErrNotReady):
		return "not_ready"
	case errors.Is(err, ErrNoStorage):
		return "no_storage"
	case errors.Is(err, ErrServiceClosed), errors.Is(err, engine.ErrClosed):
		return "shutting_down"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "internal"
}
