package app

import (
	"context"
	"errors"

	"github.com/nlpscope/nlpscope/app/input"
	"github.com/nlpscope/nlpscope/engine"
)

// Errors the Service returns for bad requests. CodeOf names them (and the
// engine's typed errors) in one place; the shells map the codes to HTTP
// statuses or to the desktop's rejected promises.
var (
	ErrBadRequest     = input.ErrBadRequest // one sentinel with the input readers
	ErrTooLarge       = errors.New("request too large")
	ErrNotFound       = errors.New("not found")
	ErrNoStorage      = errors.New("no database: history is unavailable (start without --no-db)")
	ErrUnknownModel   = errors.New("model is not active")
	ErrServiceClosed  = errors.New("service closed")
	ErrLoadTestActive = errors.New("a load test is already running")
	ErrNotResumable   = errors.New("import cannot be resumed")
)

// ErrorCode is the "code" of an error: the HTTP API's error body
// (app/API.md) and the desktop bindings' rejections carry it.
type ErrorCode string

// Error codes. CodeOf names the Service's errors; the web shell adds its own
// (bad JSON, auth, request guards), listed here too so that the API has one
// list of codes.
const (
	CodeBadJSON              ErrorCode = "bad_json"
	CodeEmptyText            ErrorCode = "empty_text"
	CodeInvalidUTF8          ErrorCode = "invalid_utf8"
	CodeBadRequest           ErrorCode = "bad_request"
	CodeUnknownModel         ErrorCode = "unknown_model"
	CodeBadModel             ErrorCode = "bad_model"
	CodeUnauthorized         ErrorCode = "unauthorized"
	CodeForbidden            ErrorCode = "forbidden"
	CodeForbiddenHost        ErrorCode = "forbidden_host"
	CodeCrossOrigin          ErrorCode = "cross_origin"
	CodeNotFound             ErrorCode = "not_found"
	CodeMethodNotAllowed     ErrorCode = "method_not_allowed"
	CodeSlowBody             ErrorCode = "slow_body"
	CodeConflict             ErrorCode = "conflict"
	CodeBodyTooLarge         ErrorCode = "body_too_large"
	CodeTextTooLong          ErrorCode = "text_too_long"
	CodeTooLarge             ErrorCode = "too_large"
	CodeUnsupportedMediaType ErrorCode = "unsupported_media_type"
	CodeOverloaded           ErrorCode = "overloaded"
	CodeCanceled             ErrorCode = "canceled"
	CodeInternal             ErrorCode = "internal"
	CodeNotReady             ErrorCode = "not_ready"
	CodeNoStorage            ErrorCode = "no_storage"
	CodeShuttingDown         ErrorCode = "shutting_down"
	CodeTimeout              ErrorCode = "timeout"
)

// Values lists every error code.
func (ErrorCode) Values() []ErrorCode {
	return []ErrorCode{CodeBadJSON, CodeEmptyText, CodeInvalidUTF8, CodeBadRequest, CodeUnknownModel, CodeBadModel,
		CodeUnauthorized, CodeForbidden, CodeForbiddenHost, CodeCrossOrigin, CodeNotFound, CodeMethodNotAllowed,
		CodeSlowBody, CodeConflict, CodeBodyTooLarge, CodeTextTooLong, CodeTooLarge, CodeUnsupportedMediaType,
		CodeOverloaded, CodeCanceled, CodeInternal, CodeNotReady, CodeNoStorage, CodeShuttingDown, CodeTimeout}
}

// ErrorBody is the JSON of every error of the HTTP API:
// {"error": {"code": "...", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's code and a message for people.
type ErrorDetail struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
}

// CodeOf names err for users and for the profiler's error counts. Unknown
// errors are "internal".
func CodeOf(err error) ErrorCode {
	switch {
	case errors.Is(err, engine.ErrTextTooLong):
		return CodeTextTooLong
	case errors.Is(err, ErrTooLarge):
		return CodeTooLarge
	case errors.Is(err, engine.ErrEmptyText):
		return CodeEmptyText
	case errors.Is(err, engine.ErrInvalidUTF8):
		return CodeInvalidUTF8
	case errors.Is(err, ErrUnknownModel):
		return CodeUnknownModel
	case errors.Is(err, engine.ErrBadModel):
		return CodeBadModel
	case errors.Is(err, ErrBadInput), errors.Is(err, ErrBadRequest):
		return CodeBadRequest
	case errors.Is(err, ErrNotFound), isStorageNotFound(err):
		return CodeNotFound
	case errors.Is(err, ErrLoadTestActive), errors.Is(err, ErrNotResumable):
		return CodeConflict
	case errors.Is(err, engine.ErrOverloaded):
		return CodeOverloaded
	case errors.Is(err, engine.ErrNotReady):
		return CodeNotReady
	case errors.Is(err, ErrNoStorage):
		return CodeNoStorage
	case errors.Is(err, ErrServiceClosed), errors.Is(err, engine.ErrClosed):
		return CodeShuttingDown
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeInternal
}
