package procparse

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fixtureFS returns an FS rooted at testdata/<tree>/proc (or a deeper proc
// directory such as procfs-corpus/proc/26231).
func openFixture(t testing.TB, tree string) FS {
	t.Helper()
	fs, err := NewFS(filepath.Join("testdata", tree))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// fixture returns the bytes of testdata/<path>.
func fixtureBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantMalformed checks that err is a ParseError for line wrapping
// ErrMalformed.
func requireParseError(t testing.TB, err error, line int) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want one wrapping ErrMalformed")
	}
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v does not wrap ErrMalformed", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.Line != line {
		t.Fatalf("error %v names line %d, want %d", err, pe.Line, line)
	}
}

func requireCounter(t testing.TB, name string, got Counter, want uint64) {
	t.Helper()
	if !got.Present || got.Value != want {
		t.Errorf("%s = %+v, want present %d", name, got, want)
	}
}

func requireAbsent(t testing.TB, name string, got Counter) {
	t.Helper()
	if got.Present {
		t.Errorf("%s = %+v, want absent", name, got)
	}
}
