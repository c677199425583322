package procparse

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error about content the parser cannot
// accept: a missing header, a short line, a number that does not parse.
var ErrMalformed = errors.New("malformed kernel file")

// ParseError says which file, which line (1-based; 0 when the error is about
// the file as a whole) and why. It wraps ErrMalformed and, where a number
// failed to parse, the cause from the number parser.
type ParseError struct {
	File   string
	Line   int
	Reason string
	Err    error
}

func (e *ParseError) Error() string {
	msg := "procparse: " + e.File
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
func (e *ParseError) Unwrap() []error {
	if e.Err == nil || e.Err == ErrMalformed {
		return []error{ErrMalformed}
	}
	return []error{ErrMalformed, e.Err}
}

// malformed builds a ParseError. file is the base name a pure parser knows
// (e.g. "softnet_stat"); Reader and the FS methods replace it with the path.
func malformed(file string, line int, cause error, format string, args ...any) error {
	return &ParseError{File: file, Line: line, Reason: fmt.Sprintf(format, args...), Err: cause}
}
