package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/readfile"
)

// TestOpenBundleNotRegular: a FIFO, a character device and a socket given
// as the bundle path fail at once (the review's FIFO, opened blocking by
// the extractor, hung the open forever and SIGINT did nothing).
func TestOpenBundleNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "f.tar.gz")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.tar.gz")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, p := range []string{fifo, "/dev/null", sock} {
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := OpenBundle(context.Background(), p)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotBundle) || !errors.Is(err, readfile.ErrNotRegular) {
				t.Errorf("%s: %v, want ErrNotBundle and ErrNotRegular", p, err)
			}
			t.Logf("%s: failed after %v: %v", p, time.Since(start).Round(time.Microsecond), err)
		case <-time.After(3 * time.Second):
			t.Errorf("%s: OpenBundle still blocked after 3s", p)
			if p == fifo {
				// Release the blocked open so the test can end.
				if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
			}
		}
	}
	// The extractor itself, given a FIFO (a path swapped after the
	// stat), does not wait either.
	done := make(chan error, 1)
	go func() { _, _, err := extractTarGz(context.Background(), fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, readfile.ErrNotRegular) {
			t.Errorf("extractTarGz(FIFO): %v, want ErrNotRegular", err)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("extractTarGz(FIFO) still blocked after 3s")
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
}

// TestExtractRatioBound: an archive of zeros (here 64 MiB in a member, a
// gzip bomb) stops at maxRatio times the compressed bytes read plus the
// slack, the member being written removed, and the stop reported; a
// member of text that compresses like a kernel file extracts whole.
func TestExtractRatioBound(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.tar.gz")
	writeTarGzFile(t, bomb, []tarEntry{reg("proc/net/snmp", "Ip: x\n"), {name: "proc/net/udp", typ: tar.TypeReg, size: 64 << 20}})
	st, _ := os.Stat(bomb)
	tmp, problems, err := extractTarGz(context.Background(), bomb)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if _, err := os.Lstat(filepath.Join(tmp, "proc/net/udp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the bomb member is left in place: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(tmp, "proc/net/snmp")); string(b) != "Ip: x\n" {
		t.Errorf("snmp before the bomb: %q", b)
	}
	if len(problems) == 0 || !strings.Contains(problems[len(problems)-1].Err.Error(), "expands more than 200 times") {
		t.Fatalf("problems %v, want the ratio stop", problems)
	}
	used := dirBytes(t, tmp)
	t.Logf("%d-byte archive of a 64 MiB member: %d bytes on disk at the stop: %v", st.Size(), used, problems[len(problems)-1].Err)
	if used > ratioSlack+maxRatio*st.Size() {
		t.Errorf("%d bytes extracted from a %d-byte archive", used, st.Size())
	}

	// A UDP table of 20,000 sockets (the format of /proc/net/udp)
	// compresses far less than 200 times and extracts whole.
	var sb strings.Builder
	for i := range 20000 {
		sb.WriteString("  " + strconv.Itoa(i) + ": 0100007F:" + strconv.FormatInt(int64(1024+i), 16) + " 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 " + strconv.Itoa(100000+i*7) + " 2 0000000000000000 " + strconv.Itoa(i%7) + "\n")
	}
	text := filepath.Join(dir, "text.tar.gz")
	writeTarGzFile(t, text, []tarEntry{reg("proc/net/udp", sb.String())})
	st, _ = os.Stat(text)
	tmp2, problems, err := extractTarGz(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp2)
	if len(problems) != 0 {
		t.Errorf("problems %v", problems)
	}
	if b, _ := os.ReadFile(filepath.Join(tmp2, "proc/net/udp")); len(b) != sb.Len() {
		t.Errorf("udp: %d bytes, want %d", len(b), sb.Len())
	}
	t.Logf("udp table: %d bytes from %d compressed (ratio %.1f)", sb.Len(), st.Size(), float64(sb.Len())/float64(st.Size()))
}

// TestExtractSparseRefused: a PAX sparse member (GNU.sparse 1.0) whose
// logical size archive/tar would expand to 1 GiB of zeros from a few
// hundred bytes is left out and reported; the members after it extract.
func TestExtractSparseRefused(t *testing.T) {
	// archive/tar's Writer does not write sparse members: the PAX
	// extended header and the member's header are made by hand.
	var buf bytes.Buffer
	sparseMap := "1\n" + strconv.Itoa(1<<30-1) + "\n1\n"
	data := sparseMap + strings.Repeat("\x00", 512-len(sparseMap)) + "x"
	var pax strings.Builder
	for _, kv := range [][2]string{{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.name", "proc/net/udp"}, {"GNU.sparse.realsize", strconv.Itoa(1 << 30)}} {
		rec := " " + kv[0] + "=" + kv[1] + "\n"
		n := len(rec) + 2
		if len(strconv.Itoa(n)+rec) != n {
			n++
		}
		pax.WriteString(strconv.Itoa(n) + rec)
	}
	rawMember(&buf, "PaxHeaders/udp", 'x', pax.String())
	rawMember(&buf, "GNUSparseFile.0/udp", '0', data)
	rawMember(&buf, "proc/net/snmp", '0', "Ip: x\n")
	buf.Write(make([]byte, 1024))
	// Check that archive/tar reads it as a sparse 1 GiB member.
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	if h, err := tr.Next(); err != nil || h.Size != 1<<30 || h.Name != "proc/net/udp" {
		t.Fatalf("archive/tar reads %v %v, want a 1 GiB proc/net/udp", h, err)
	}
	dir := t.TempDir()
	problems, err := extractTar(context.Background(), bytes.NewReader(buf.Bytes()), "sparse.tar", dir, defaultExtractLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Member != "proc/net/udp" || !strings.Contains(problems[0].Err.Error(), "sparse") {
		t.Errorf("problems %v, want the sparse member left out", problems)
	}
	if _, err := os.Lstat(filepath.Join(dir, "proc/net/udp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sparse member extracted: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "proc/net/snmp")); string(b) != "Ip: x\n" {
		t.Errorf("member after the sparse one: %q", b)
	}
	t.Logf("%d-byte tar of a sparse 1 GiB member: %d bytes extracted; %v", buf.Len(), dirBytes(t, dir), problems)
}

// rawMember writes a ustar header and the padded body.
func rawMember(w *bytes.Buffer, name string, typ byte, body string) {
	h := make([]byte, 512)
	copy(h[0:], name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", len(body)))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], "ustar\x0000")
	copy(h[148:], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	w.Write(h)
	w.WriteString(body)
	if r := len(body) % 512; r != 0 {
		w.Write(make([]byte, 512-r))
	}
}

func writeTarGzFile(t *testing.T, path string, entries []tarEntry) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	writeTar(t, zw, entries)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
