package main

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestOneFrameWidth checks that the one-frame text view follows the live
// view's width: -width, else $COLUMNS, else 80 (stdout is a pipe here, so
// TIOCGWINSZ gives nothing). Each line but an unbreakable word fits, and
// the long NO DELTA message is wrapped at that width rather than at 110.
func TestOneFrameWidth(t *testing.T) {
	trees, err := filepath.Glob("testdata/procdev/*")
	if err != nil || len(trees) == 0 {
		t.Fatalf("trees %v: %v", trees, err)
	}
	tree := trees[0]
	for _, tc := range []struct {
		name    string
		columns string
		args    []string
		width   int
	}{
		{"flag", "", []string{"-width", "64"}, 64},
		{"columns", "72", nil, 72},
		{"default", "", nil, 80},
		{"flag over columns", "150", []string{"-width", "100"}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("COLUMNS", tc.columns)
			r := runTop(t, append([]string{"-root", tree, "-once"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			widest := 0
			for _, l := range strings.Split(r.stdout, "\n") {
				n := utf8.RuneCountInString(l)
				if n > tc.width && strings.Contains(strings.TrimSpace(l), " ") {
					t.Errorf("line of %d columns, width %d: %q", n, tc.width, l)
				}
				widest = max(widest, n)
			}
			if !strings.Contains(r.stdout, "NO DELTA: ") {
				t.Fatalf("no NO DELTA line:\n%s", r.stdout)
			}
			// The message is longer than any width here: it wraps, and a
			// wrapped line of it comes within a word of the width.
			if widest < tc.width-20 {
				t.Errorf("widest line %d columns, width %d", widest, tc.width)
			}
			t.Logf("width %d: widest line %d columns", tc.width, widest)
		})
	}
}
