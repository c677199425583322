package bundle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRoundTrip writes a two-frame bundle, as a directory and as a .tar.gz,
// and reads it back: the same info, frames, file bytes, ethtool replies
// and errnos, and links.
func TestRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	files := map[string][]byte{
		"proc/net/snmp":   []byte("Udp: InDatagrams RcvbufErrors\nUdp: 10 3\n"),
		LinkDump:          {20, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		QdiscDump:         bytes.Repeat([]byte{0xa5}, 4096),
		ClassDump(7):      {1, 2, 3, 4},
		UDPDump:           {},
		"sys/class/net/x": []byte("1\n"),
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "b.tar.gz")} {
		w, err := Create(path, Info{Hostname: "h", Kernel: "6.18", Format: "ignored"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			fw := w.Frame(t0.Add(time.Duration(i) * time.Second))
			for rel, b := range files {
				if err := fw.WriteFile(rel, b); err != nil {
					t.Fatal(err)
				}
			}
			if !fw.CopyFile(src, "proc/copied") || fw.CopyFile(filepath.Join(t.TempDir(), "missing"), "proc/missing") {
				t.Fatal("CopyFile")
			}
			fw.WriteEthtool("eth0", EthtoolDrvInfo, []byte{3, 0, 0, 0, byte(i)}, nil)
			fw.WriteEthtool("lo", EthtoolDrvInfo, nil, &os.SyscallError{Syscall: "ioctl", Err: syscall.EOPNOTSUPP})
			fw.WriteEthtool("lo", EthtoolRings, nil, errors.New("no errno: not recorded"))
			if err := fw.Symlink("../x", "sys/class/net/eth0/device"); err != nil {
				t.Fatal(err)
			}
			if err := fw.WriteFile("../escape", nil); err == nil {
				t.Error("WriteFile ../escape: no error")
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := OpenBundle(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		info := b.Info()
		if info.Format != Format || info.Hostname != "h" || info.Kernel != "6.18" || len(info.Frames) != 2 || len(b.Frames()) != 2 {
			t.Fatalf("%s: info %+v", path, info)
		}
		for i := range b.Frames() {
			fr := &b.Frames()[i]
			if fr.Dir != info.Frames[i].Dir || !fr.Time.Equal(t0.Add(time.Duration(i)*time.Second)) || !fr.Raw() {
				t.Errorf("%s frame %d: dir %q time %v raw %v", path, i, fr.Dir, fr.Time, fr.Raw())
			}
			for rel, want := range files {
				got, err := fr.ReadFile(rel)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s frame %d: %s: %d bytes, %v; want %d bytes", path, i, rel, len(got), err, len(want))
				}
			}
			if got, err := fr.ReadFile("proc/copied"); err != nil || string(got) != "copied\n" {
				t.Errorf("%s: proc/copied %q %v", path, got, err)
			}
			if _, err := fr.ReadFile("proc/missing"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: proc/missing: %v", path, err)
			}
			if got, err := fr.EthtoolReply("eth0", EthtoolDrvInfo); err != nil || !bytes.Equal(got, []byte{3, 0, 0, 0, byte(i)}) {
				t.Errorf("%s: eth0 drvinfo %v %v", path, got, err)
			}
			_, err := fr.EthtoolReply("lo", EthtoolDrvInfo)
			if !errors.Is(err, syscall.EOPNOTSUPP) || !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("%s: lo drvinfo: %v, want EOPNOTSUPP", path, err)
			}
			if _, err := fr.EthtoolReply("lo", EthtoolRings); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: lo rings: %v, want not recorded", path, err)
			}
			if l, err := os.Readlink(filepath.Join(fr.SysRoot(), "class/net/eth0/device")); err != nil || l != "../x" {
				t.Errorf("%s: link %q %v", path, l, err)
			}
			var v struct{}
			if ok, err := fr.Legacy(&v); ok || err != nil {
				t.Errorf("%s: Legacy %v %v", path, ok, err)
			}
			if p := b.Problems(i); len(p) != 0 {
				t.Errorf("%s: problems %v", path, p)
			}
		}
		root := b.Frames()[0].Root()
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = os.Stat(root)
		if archive := filepath.Ext(path) == ".gz"; archive != errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: after Close, %s: %v", path, root, err)
		}
		t.Logf("%s: %d frames of %d files each read back", filepath.Base(path), len(info.Frames), len(files)+4)
	}
}

// TestOpenOldAndBare opens a format-1 bundle and a bare proc tree.
func TestOpenOldAndBare(t *testing.T) {
	b, err := OpenBundle(context.Background(), filepath.Join("..", "netstack", "testdata", "bundle-v1.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Info().Format != FormatV1 || len(b.Frames()) != 2 || b.Frames()[0].Raw() {
		t.Fatalf("info %+v", b.Info())
	}
	var v struct {
		Links []struct{ Name string } `json:"links"`
	}
	if ok, err := b.Frames()[1].Legacy(&v); !ok || err != nil || len(v.Links) == 0 {
		t.Fatalf("Legacy: %v %v, %d links", ok, err, len(v.Links))
	}
	t.Logf("format 1: %d links in frame-001's netlink.json", len(v.Links))

	dir := t.TempDir()
	if _, err := OpenBundle(context.Background(), dir); !errors.Is(err, ErrNotBundle) {
		t.Errorf("empty dir: %v, want ErrNotBundle", err)
	}
	os.MkdirAll(filepath.Join(dir, "proc", "net"), 0o755)
	bare, err := OpenBundle(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if fs := bare.Frames(); len(fs) != 1 || fs[0].Dir != "." || fs[0].ProcRoot() != filepath.Join(dir, "proc") {
		t.Errorf("bare tree frames %+v", fs)
	}
	os.WriteFile(filepath.Join(dir, "bundle.json"), []byte(`{"format":"packetpath-bundle/9","frames":[{"dir":"."}]}`), 0o644)
	if _, err := OpenBundle(context.Background(), dir); !errors.Is(err, ErrNotBundle) {
		t.Errorf("format 9: %v, want ErrNotBundle", err)
	}
	os.WriteFile(filepath.Join(dir, "bundle.json"), []byte(`{"format":"packetpath-bundle/2","frames":[{"dir":"../x"}]}`), 0o644)
	if _, err := OpenBundle(context.Background(), dir); !errors.Is(err, ErrNotBundle) {
		t.Errorf("frame outside: %v, want ErrNotBundle", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := OpenBundle(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
