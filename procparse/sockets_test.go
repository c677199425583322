package procparse

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseSocketLink(t *testing.T) {
	for in, want := range map[string]uint64{
		"socket:[12345]": 12345, "socket:[0]": 0, "socket:[]": 0, "pipe:[5]": 0, "socket:[1x]": 0,
		"socket:[99999999999999999999]": 0, "/dev/null": 0, "socket:[7": 0,
		"socket:[18446744073709551615]": 18446744073709551615,
	} {
		got, ok := parseSocketLink(in)
		if got != want || ok != (want != 0 || in == "socket:[0]") {
			t.Errorf("parseSocketLink(%q) = %d, %v", in, got, ok)
		}
	}
}

// TestSocketOwnersFixture maps sockets to processes on a fixture tree whose
// fd links point at sockets, a pipe and a file: process 100 holds sockets
// 51368 and 51369, process 200 holds 51369 (shared) and 51370.
func TestSocketOwnersFixture(t *testing.T) {
	fs, err := NewFS(filepath.Join("testdata", "fdproc"))
	if err != nil {
		t.Fatal(err)
	}
	inodes, err := fs.SocketInodes(100, nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(inodes)
	if !slices.Equal(inodes, []uint64{51368, 51369}) {
		t.Errorf("SocketInodes(100) = %v, want [51368 51369]", inodes)
	}
	owners, err := fs.SocketOwners(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64][]int{51368: {100}, 51369: {100, 200}, 51370: {200}}
	if len(owners) != len(want) {
		t.Errorf("SocketOwners = %v, want %v", owners, want)
	}
	for ino, pids := range want {
		if !slices.Equal(owners[ino], pids) {
			t.Errorf("owners of %d: %v, want %v", ino, owners[ino], pids)
		}
	}
	some, err := fs.SocketOwners([]uint64{51370})
	if err != nil || len(some) != 1 || !slices.Equal(some[51370], []int{200}) {
		t.Errorf("SocketOwners([51370]) = %v, %v", some, err)
	}
	_, err = fs.SocketInodes(999, nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join("testdata", "fdproc", "999", "fd")) {
		t.Errorf("missing pid: %v, want os.ErrNotExist naming the fd directory", err)
	}
	gone := FS{root: filepath.Join("testdata", "fdproc", "nope")}
	if _, err := gone.SocketOwners(nil); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing root: %v, want os.ErrNotExist naming the root", err)
	}
}

// TestSocketInodesLive opens a UDP socket and finds its inode, as fstat(2)
// reports it, among the calling process's sockets (pid 0 and its own pid),
// and finds the process as the socket's only owner.
func TestSocketInodesLive(t *testing.T) {
	fs, err := NewFS(DefaultRoot)
	if err != nil {
		t.Skipf("no %s: %v", DefaultRoot, err)
	}
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	f, err := uc.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	ino := st.Ino
	for _, pid := range []int{0, os.Getpid()} {
		got, err := fs.SocketInodes(pid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := countOf(got, ino); n != 2 { // uc and its duplicate f
			t.Errorf("SocketInodes(%d): inode %d listed %d times in %v, want 2 (uc and its dup)", pid, ino, n, got)
		}
	}
	owners, err := fs.SocketOwners([]uint64{ino})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(owners[ino], []int{os.Getpid()}) {
		t.Errorf("owners of %d: %v, want [%d]", ino, owners[ino], os.Getpid())
	}
}

func countOf(s []uint64, v uint64) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

func FuzzParseSocketLink(f *testing.F) {
	for _, s := range []string{"socket:[12345]", "pipe:[1]", "socket:[]", "/dev/null", "socket:[18446744073709551615]", "socket:[51369]", "anon_inode:[eventfd]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ino, ok := parseSocketLink(s)
		if !ok {
			return
		}
		mid, found := strings.CutPrefix(s, "socket:[")
		mid, found2 := strings.CutSuffix(mid, "]")
		if !found || !found2 || mid == "" || strings.TrimLeft(mid, "0123456789") != "" {
			t.Fatalf("%q accepted as %d", s, ino)
		}
		if strings.TrimLeft(mid, "0") != strings.TrimLeft(strconv.FormatUint(ino, 10), "0") {
			t.Fatalf("%q parsed as %d", s, ino)
		}
	})
}

// TestComm reads command names from the fixture tree (whitespace kept
// inside the name, only the kernel's final newline dropped) and the
// caller's own, which the test binary names after itself.
func TestComm(t *testing.T) {
	fs, err := NewFS(filepath.Join("testdata", "fdproc"))
	if err != nil {
		t.Fatal(err)
	}
	for pid, want := range map[int]string{100: "mcast-recv", 200: "worker thread"} {
		if got, err := fs.Comm(pid); err != nil || got != want {
			t.Errorf("Comm(%d) = %q, %v; want %q", pid, got, err, want)
		}
	}
	if _, err := fs.Comm(999); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join("999", "comm")) {
		t.Errorf("Comm(999) error %v, want os.ErrNotExist naming the file", err)
	}
	live, err := NewFS(DefaultRoot)
	if err != nil {
		t.Skip(err)
	}
	want, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip(err)
	}
	for _, pid := range []int{0, os.Getpid()} {
		if got, err := live.Comm(pid); err != nil || got+"\n" != string(want) {
			t.Errorf("live Comm(%d) = %q, %v; want %q", pid, got, err, want)
		}
	}
}
