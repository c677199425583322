package procparse

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// ErrClosed is wrapped by the error of every method of a closed reader
// ([Reader], [SysctlsReader], [UDPScanFile]), Close included. errors.Is
// matches it, net.ErrClosed (the closed-handle error of every packetpath
// package) and os.ErrClosed (the handles are files).
var ErrClosed = fmt.Errorf("procparse: reader closed: %w (%w)", net.ErrClosed, os.ErrClosed)

// ErrMalformed is wrapped by every error about content the parser cannot
// accept: a missing header, a short line, a number that does not parse.
var ErrMalformed = errors.New("malformed kernel file")

// ParseError says which file, which line (1-based; 0 when the error is about
// the file as a whole), which column of that line (1-based; 0 when the
// error is about the line as a whole) and why. It wraps ErrMalformed and,
// where a number failed to parse, the cause from the number parser.
//
// A column is a whitespace-separated field of the line, counted from 1 as
// the kernel's format prints them: in softnet_stat column 2 is dropped, in a
// UDP table column 13 is drops, in an snmp value line column 1 is the
// "Name:" prefix and column 2 the first value.
type ParseError struct {
	File   string
	Line   int
	Column int
	Reason string
	Err    error
}

func (e *ParseError) Error() string {
	msg := "procparse: " + e.File
	if e.Line > 0 {
		msg += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Column > 0 {
		msg += fmt.Sprintf(" column %d", e.Column)
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

// malformedAt is malformed for an error about one column (1-based field) of
// a line.
func malformedAt(file string, line, column int, cause error, format string, args ...any) error {
	return &ParseError{File: file, Line: line, Column: column, Reason: fmt.Sprintf(format, args...), Err: cause}
}
