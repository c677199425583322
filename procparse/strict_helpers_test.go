package procparse

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// requireParseErrorAt checks that err is a *ParseError wrapping ErrMalformed
// about line and column, and that its message names both.
func requireParseErrorAt(t testing.TB, err error, line, column int) {
	t.Helper()
	requireParseError(t, err, line)
	var pe *ParseError
	errors.As(err, &pe)
	if pe.Column != column {
		t.Fatalf("error %v names column %d, want %d", err, pe.Column, column)
	}
	if want := fmt.Sprintf(" line %d column %d: ", line, column); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
}
