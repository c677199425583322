package dropevents

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error about a tracefs format file (or a
// perf record) whose content the package cannot accept.
var ErrMalformed = errors.New("malformed tracefs data")

// FormatError says which format file, which line (1-based; 0 when the error
// is about the file as a whole) and why. It wraps ErrMalformed and, when a
// number failed to parse, the cause.
type FormatError struct {
	File   string
	Line   int
	Reason string
	Err    error
}

func (e *FormatError) Error() string {
	msg := "dropevents: " + e.File
	if e.Line > 0 {
		msg += fmt.Sprintf(" line %d", e.Line)
	}
	msg += ": " + e.Reason
	if e.Err != nil && e.Err != ErrMalformed {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrMalformed and, when set, the underlying cause.
func (e *FormatError) Unwrap() []error {
	if e.Err == nil || e.Err == ErrMalformed {
		return []error{ErrMalformed}
	}
	return []error{ErrMalformed, e.Err}
}

func malformed(file string, line int, cause error, format string, args ...any) error {
	return &FormatError{File: file, Line: line, Reason: fmt.Sprintf(format, args...), Err: cause}
}
