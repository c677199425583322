package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzBundleExtract feeds tar streams to the extractor: whatever the
// archive holds, nothing is created outside the extraction directory (a
// sibling directory stays as it was), and inside it there are only
// directories, regular files within the member cap and symbolic links
// that resolve inside. Seeds: members of the bundle-rx fixture and the
// malicious entries of TestBundleMaliciousArchive. Each run creates and
// removes directories, so minimizing an input is slow: fuzz with
// -fuzzminimizetime 2s (at the default 60 s the progress line stalls while
// a worker minimizes).
func FuzzBundleExtract(f *testing.F) {
	var fixture []tarEntry
	for _, p := range []string{"frame-000/proc/net/snmp", "frame-000/proc/net/softnet_stat", "frame-000/sys/class/net/eth0/statistics/rx_missed_errors"} {
		b, err := os.ReadFile(filepath.Join("..", "netstack", "testdata", "bundle-rx", p))
		if err != nil {
			f.Fatal(err)
		}
		fixture = append(fixture, reg(p, string(b)))
	}
	seeds := [][]tarEntry{
		fixture,
		{{name: "escape", typ: tar.TypeSymlink, link: "../victim"}, reg("escape/file", "x")},
		{{name: "a/up", typ: tar.TypeSymlink, link: ".."}, {name: "a/up2", typ: tar.TypeSymlink, link: "up/.."}, reg("a/up2/victim/file", "x")},
		{{name: "d", typ: tar.TypeDir}, {name: "d/l", typ: tar.TypeLink, link: "../victim/file"}, {name: "d/f", typ: tar.TypeFifo}, {name: "d/c", typ: tar.TypeChar}},
		{reg("f", "one"), reg("f", "two"), {name: "f", typ: tar.TypeSymlink, link: "../victim/file"}},
		{reg("../victim/file", "x"), reg("/abs", "x"), reg(strings.Repeat("d/", 40)+"f", "x")},
	}
	for _, s := range seeds {
		var b bytes.Buffer
		writeTar(f, &b, s)
		f.Add(b.Bytes())
	}
	lim := extractLimits{member: 1 << 20, total: 4 << 20, entries: 1000}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dir := filepath.Join(base, "x")
		victim := filepath.Join(base, "victim")
		os.Mkdir(dir, 0o755)
		os.Mkdir(victim, 0o755)
		os.WriteFile(filepath.Join(victim, "file"), []byte("original"), 0o644)
		extractTar(context.Background(), bytes.NewReader(data), "fuzz.tar", dir, lim)
		ents, _ := os.ReadDir(base)
		if len(ents) != 2 {
			t.Fatalf("%d entries beside the extraction directory", len(ents))
		}
		if ents, _ := os.ReadDir(victim); len(ents) != 1 {
			t.Fatalf("victim holds %d entries", len(ents))
		}
		if b, _ := os.ReadFile(filepath.Join(victim, "file")); string(b) != "original" {
			t.Fatalf("victim/file is %q", b)
		}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			st, err := os.Lstat(p)
			if err != nil {
				return nil
			}
			switch m := st.Mode(); {
			case m.IsDir():
			case m.IsRegular():
				if st.Size() > lim.member {
					t.Fatalf("%s: %d bytes", p, st.Size())
				}
			case m&fs.ModeSymlink != 0:
				if real, err := filepath.EvalSymlinks(p); err == nil && real != dir && !strings.HasPrefix(real, dir+"/") {
					t.Fatalf("%s resolves to %s", p, real)
				}
			default:
				t.Fatalf("%s: mode %v", p, m)
			}
			return nil
		})
	})
}
