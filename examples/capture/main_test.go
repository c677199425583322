package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/bundle"
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
