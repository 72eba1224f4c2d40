package smdr

import (
	"errors"
	"fmt"
)

// Error codes of the domain. One place, the HTTP adapter, maps them to
// status codes; the command line maps them to exit codes.
const (
	EInvalid     = "invalid"     // the input is malformed or a field is not allowed (HTTP 400)
	EConflict    = "conflict"    // the input contradicts the state, e.g. an event on an ended call (HTTP 409)
	ETooLarge    = "too_large"   // the input is over a limit (HTTP 413)
	EUnavailable = "unavailable" // the server cannot accept input now, e.g. the disk is full (HTTP 503)
	EInternal    = "internal"    // a bug or an unexpected failure (HTTP 500)
)

// Error is a domain error: a code, a message for the user, and where known
// the field it is about and the index of the event in a batch (0-based; -1
// when not about one event).
type Error struct {
	Code    string
	Field   string
	Index   int
	Message string
}

// Error returns the message, prefixed with the event index when there is one.
func (e *Error) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("event %d: %s", e.Index, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with the code, field and formatted message, about
// no event in particular.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Index: -1, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EInvalid for a
// *ParseError (a line that is not a record is bad input), or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return EInvalid
	}
	return EInternal
}
