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

// addStrictSeeds adds the good and bad inputs of the strictCases whose name
// starts with prefix to a fuzz target's seed corpus.
func addStrictSeeds(f *testing.F, prefix string, extra ...any) {
	for _, tc := range strictCases() {
		if strings.HasPrefix(tc.name, prefix) {
			f.Add(append([]any{[]byte(tc.good)}, extra...)...)
			f.Add(append([]any{[]byte(tc.bad)}, extra...)...)
		}
	}
}
