package readfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKernelFilesAreRegular checks what the package relies on: procfs and
// sysfs files stat as regular files (procfs of size 0, sysfs of 4096), so
// the regular-file check at open never refuses a kernel file.
func TestKernelFilesAreRegular(t *testing.T) {
	for _, p := range []string{"/proc/net/snmp", "/proc/thread-self/net/dev", "/proc/net/udp", "/proc/sys/net/core/rmem_max", "/proc/softirqs", "/sys/class/net/lo/statistics/rx_packets", "/sys/class/net/lo/mtu"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Logf("%s: %v", p, err)
			continue
		}
		if !st.Mode().IsRegular() {
			t.Errorf("%s: mode %v, not a regular file", p, st.Mode())
		}
		want := int64(0)
		if strings.HasPrefix(p, "/sys/") {
			want = 4096
		}
		if st.Size() != want {
			t.Errorf("%s: size %d, want %d", p, st.Size(), want)
		}
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Read()
		if err != nil || len(b) == 0 {
			t.Errorf("%s: read %d bytes, %v", p, len(b), err)
		}
		f.Close()
	}
}

// TestRefusesNonRegular: a FIFO (which a plain open would wait on forever),
// a character device and a directory are refused at open, at once.
func TestRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "snmp")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero, dir} {
		done := make(chan error, 2)
		go func() {
			_, err := Open(p)
			done <- err
			_, err = ReadInto(p, nil)
			done <- err
		}()
		for range 2 {
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotRegular) {
					t.Errorf("%s: %v, want ErrNotRegular", p, err)
				} else if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name the file", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: open blocked", p)
			}
		}
	}
}

func TestTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "udp")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxSize + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	if _, err := Open(p); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "256 MiB") {
		t.Errorf("Open: %v, want ErrTooLarge naming the cap", err)
	}
	if _, err := ReadInto(p, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadInto: %v, want ErrTooLarge", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

// TestReadExact reads a file larger than the first chunk and checks its
// bytes, then a re-read after the content changed.
func TestReadExact(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	want := strings.Repeat("0123456789abcdef", 1000)
	os.WriteFile(p, []byte(want), 0o644)
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := f.Read()
	if err != nil || string(b) != want {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
	b, err = ReadInto(p, make([]byte, 0, 10))
	if err != nil || string(b) != want {
		t.Fatalf("ReadInto %d bytes, %v", len(b), err)
	}
	f.Close()
	if _, err := f.Read(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

func BenchmarkReread(b *testing.B) {
	f, err := Open("/proc/net/snmp")
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Read(); err != nil {
			b.Fatal(err)
		}
	}
}
