// Package jsonapi holds the few helpers the examples' JSON endpoints share:
// strict request decoding with messages fit for clients, and JSON answers.
package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBody bounds the size of a request body Decode reads.
const MaxBody = 64 << 10

// Write answers status with v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers status with {"error": message}.
func Error(w http.ResponseWriter, status int, message string) {
	Write(w, status, struct {
		Error string `json:"error"`
	}{message})
}

// Decode reads r's body, one JSON object of at most MaxBody bytes without
// unknown fields, into v. Its error is fit for the client; answer it with
// status 400 (or 413 for a body too large, which Status tells).
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	if dec.More() {
		return &BadRequest{Status: http.StatusBadRequest, Message: "body must hold a single JSON object"}
	}
	return nil
}

// BadRequest is an error of Decode, or of a handler's validation, with the
// status to answer.
type BadRequest struct {
	Status  int
	Message string
}

func (e *BadRequest) Error() string { return e.Message }

// Invalid returns a 400 BadRequest with a formatted message.
func Invalid(format string, args ...any) error {
	return &BadRequest{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// Fail answers err: its own status for a *BadRequest, 500 otherwise (the
// error itself is then not shown, and should be logged by the caller).
func Fail(w http.ResponseWriter, err error) {
	if br, ok := errors.AsType[*BadRequest](err); ok {
		Error(w, br.Status, br.Message)
		return
	}
	Error(w, http.StatusInternalServerError, "internal error")
}

func describe(err error) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return &BadRequest{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("body larger than %d bytes", MaxBody)}
	case errors.Is(err, io.EOF):
		return Invalid("body must be a JSON object")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("body is not valid JSON")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return Invalid("body must be a JSON object")
		}
		return Invalid("%s must be %s, not %s", typeErr.Field, Article(typeErr.Type.Kind().String()), Article(typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Invalid("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return Invalid("body is not valid JSON")
	}
}

// Article names a Go kind or a JSON type (as json.UnmarshalTypeError has
// them) as a JSON type with its article: "a string", "an object", ...
func Article(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map", "object":
		return "an object"
	case "slice", "array":
		return "an array"
	default:
		return "a number"
	}
}
