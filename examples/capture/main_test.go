package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/netstack"
)

// TestCaptureArchive captures two frames of this host into a .tar.gz and
// reads it back: each frame holds /proc/net/dev beside the raw RTM_GETLINK,
// RTM_GETQDISC and sock_diag dumps and the ethtool replies, the archive
// opens through the safe extraction with no member left out, and the
// devices of proc/net/dev are those of the rtnetlink dump.
func TestCaptureArchive(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"-o", out, "-frames", "2", "-interval", "20ms"}, &stdout, &stderr); rc != 0 {
		t.Fatalf("capture: exit %d: %s", rc, stderr.String())
	}
	if !strings.Contains(stdout.String(), "2 frames") {
		t.Errorf("stdout %q", stdout.String())
	}
	c, err := netstack.NewCollectorContext(context.Background(), netstack.Config{Bundle: out, Sources: netstack.SourceLinks})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 2 {
		var s netstack.Snapshot
		if err := c.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		for _, e := range s.Errors {
			t.Errorf("frame %d: %v", i, e)
		}
		if len(s.Sources.NetDev.Devices) == 0 || len(s.Sources.NetDev.Devices) != len(s.Sources.Links) {
			t.Errorf("frame %d: %d devices in proc/net/dev, %d links", i, len(s.Sources.NetDev.Devices), len(s.Sources.Links))
		}
		for _, l := range s.Sources.Links {
			if _, ok := s.Sources.NetDev.Device(l.Name); !ok {
				t.Errorf("frame %d: %s is not in proc/net/dev", i, l.Name)
			}
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	// The frames hold the kernel's bytes: the dumps and ethtool replies.
	b, err := bundle.OpenBundle(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if f := b.Info().Format; f != bundle.Format {
		t.Errorf("format %q, want %q", f, bundle.Format)
	}
	for _, fr := range b.Frames() {
		for _, rel := range []string{bundle.LinkDump, bundle.QdiscDump, bundle.UDPDump, "proc/net/dev"} {
			if raw, err := fr.ReadFile(rel); err != nil || len(raw) == 0 {
				t.Errorf("%s: %s: %d bytes, %v", fr.Dir, rel, len(raw), err)
			}
		}
		if !fr.Has("ethtool") {
			t.Errorf("%s: no ethtool replies", fr.Dir)
		}
	}
}

func TestCaptureFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"-frames", "2"}, &stdout, &stderr); rc != 2 || !strings.Contains(stderr.String(), "-o is required") {
		t.Errorf("no -o: exit %d, %q", rc, stderr.String())
	}
	stderr.Reset()
	if rc := run([]string{"-o", "x", "-frames", "0"}, &stdout, &stderr); rc != 2 || !strings.Contains(stderr.String(), "at least 1") {
		t.Errorf("-frames 0: exit %d, %q", rc, stderr.String())
	}
}

// TestCaptureOutputChecks: -o refuses a non-empty directory, an existing
// file that is not a .tar.gz and an unknown extension before collecting,
// and accepts an empty directory.
func TestCaptureOutputChecks(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(filepath.Join(full, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ out, want string }{
		{full, "directory is not empty (1 entries, e.g. notes)"},
		{plain, "exists and is not a directory or a .tar.gz"},
		{filepath.Join(dir, "b.zip"), `unknown extension ".zip"`},
		{filepath.Join(dir, "b.tgz"), `unknown extension ".tgz"`},
	} {
		var stdout, stderr bytes.Buffer
		if rc := run([]string{"-o", tc.out, "-frames", "1"}, &stdout, &stderr); rc != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("-o %s: exit %d, stderr %q, want %q", tc.out, rc, stderr.String(), tc.want)
		}
		if _, err := os.Stat(filepath.Join(tc.out, "frame-000")); err == nil {
			t.Errorf("-o %s: wrote a frame", tc.out)
		}
	}
	if err := checkOutput(filepath.Join(dir, "b.tar.gz")); err != nil {
		t.Errorf("new .tar.gz: %v", err)
	}
	if err := checkOutput(filepath.Join(dir, "new-bundle")); err != nil {
		t.Errorf("new directory: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkOutput(empty); err != nil {
		t.Errorf("empty directory: %v", err)
	}
}

func TestCaptureVersionAndNetNSErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"-version"}, &stdout, &stderr); rc != 0 || !strings.HasPrefix(stdout.String(), "capture ") {
		t.Errorf("-version: exit %d, stdout %q, stderr %q", rc, stdout.String(), stderr.String())
	}
	notNS := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(notNS, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ns, want string }{
		{notNS, "not a network namespace"},
		{"pp-no-such-namespace", "ip netns list"},
	} {
		stderr.Reset()
		out := filepath.Join(t.TempDir(), "b")
		if rc := run([]string{"-o", out, "-netns", tc.ns}, &stdout, &stderr); rc != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("-netns %s: exit %d, stderr %q, want %q", tc.ns, rc, stderr.String(), tc.want)
		}
	}
}

// TestCaptureNetNSName captures one frame of a namespace named as ip netns
// names it: the bundle's links are the namespace's (lo only).
func TestCaptureNetNSName(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t)
	out := filepath.Join(t.TempDir(), "b")
	var stdout, stderr bytes.Buffer
	if rc := run([]string{"-o", out, "-frames", "1", "-netns", ns.Name}, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	c, err := netstack.NewCollectorContext(context.Background(), netstack.Config{Bundle: out, Sources: netstack.SourceLinks})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s netstack.Snapshot
	if err := c.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Sources.Links) != 1 || s.Sources.Links[0].Name != "lo" {
		t.Errorf("links of %s: %+v, want lo only", ns.Name, s.Sources.Links)
	}
}
