package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tarEntry is one member of a test archive. size, when set, declares a
// member of that many zero bytes (body is then ignored).
type tarEntry struct {
	name string
	typ  byte
	body string
	link string
	size int64
}

func reg(name, body string) tarEntry { return tarEntry{name: name, typ: tar.TypeReg, body: body} }

// writeTar writes the entries as a tar stream to w.
func writeTar(t testing.TB, w io.Writer, entries []tarEntry) {
	t.Helper()
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		var r io.Reader = strings.NewReader(e.body)
		switch {
		case e.typ != tar.TypeReg:
		case e.size > 0:
			h.Size = e.size
			r = io.LimitReader(zeros{}, e.size)
		default:
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := io.Copy(tw, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestBundleLimits checks the entry, total and member caps with small
// limits, and that what came before a cap is kept and the cap reported.
func TestBundleLimits(t *testing.T) {
	mk := func(n int, size int64) []tarEntry {
		var es []tarEntry
		for i := range n {
			es = append(es, tarEntry{name: fmt.Sprintf("proc/f%d", i), typ: tar.TypeReg, size: size})
		}
		return es
	}
	for _, tc := range []struct {
		name    string
		entries []tarEntry
		lim     extractLimits
		files   int
		want    string
	}{
		{"entries", mk(10, 1), extractLimits{member: 100, total: 1000, entries: 5}, 5, "more than 5 members"},
		{"total", mk(10, 100), extractLimits{member: 100, total: 450, entries: 100}, 4, "holds more than"},
		{"member", mk(3, 101), extractLimits{member: 100, total: 1000, entries: 100}, 0, "101 bytes: larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			writeTar(t, &buf, tc.entries)
			dir := t.TempDir()
			problems, err := extractTar(context.Background(), &buf, "test.tar", dir, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			ents, _ := os.ReadDir(filepath.Join(dir, "proc"))
			if len(ents) != tc.files {
				t.Errorf("%d files extracted, want %d", len(ents), tc.files)
			}
			if len(problems) == 0 || !strings.Contains(problems[len(problems)-1].Err.Error(), tc.want) {
				t.Errorf("problems %v, want one saying %q", problems, tc.want)
			}
		})
	}
}
