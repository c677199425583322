package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestLiveSocketsShareAddress: two sockets bound to one address with
// SO_REUSEADDR are two rows, with their inodes (as fstat gives them) and
// this process as their owner, in text and JSON. It runs in its own
// namespace so that the table holds only these sockets.
func TestLiveSocketsShareAddress(t *testing.T) {
	ns := netnstest.New(t)
	var fds [2]int
	var inodes, rcvbufs [2]uint64
	if err := ns.Do(func() error {
		for i := range fds {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			if err != nil {
				return err
			}
			fds[i] = fd
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
				return err
			}
			if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 5470, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
				return err
			}
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				return err
			}
			inodes[i] = st.Ino
			rb, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
			if err != nil {
				return err
			}
			rcvbufs[i] = uint64(rb)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	r := runTop(t, "-once", "-json", "-interval", "100ms", "-netns", ns.Name, "-sources", "udp,snmp")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var d struct {
		Sockets []sockRow `json:"sockets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(os.Getpid())
	got := map[uint64]sockRow{}
	for _, s := range d.Sockets {
		if s.Local == "127.0.0.1:5470" {
			got[s.Inode] = s
		}
	}
	if len(d.Sockets) != 2 || len(got) != 2 {
		t.Fatalf("sockets %+v, want two rows for 127.0.0.1:5470 with inodes %v", d.Sockets, inodes)
	}
	for i, ino := range inodes {
		s, ok := got[ino]
		// rcvbuf as getsockopt(SO_RCVBUF) reads it: the same sk_rcvbuf.
		if !ok || !strings.HasPrefix(s.Owners, pid+" (") || s.Rcvbuf == nil || *s.Rcvbuf != rcvbufs[i] {
			t.Errorf("inode %d: %+v (owner should be %s, rcvbuf %d)", ino, s, pid, rcvbufs[i])
		}
	}
	// The text table: one row per inode, the owner last.
	r = runTop(t, "-once", "-interval", "100ms", "-netns", ns.Name, "-sources", "udp,snmp")
	for _, ino := range inodes {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^  127\.0\.0\.1:5470 +%d +0 +0 +0 +\d+ %s \(`, ino, pid))
		if !re.MatchString(r.stdout) {
			t.Errorf("no row for inode %d owned by %s:\n%s", ino, pid, r.stdout)
		}
	}
	for _, s := range d.Sockets {
		t.Logf("row: %s inode %d rcvbuf %d owner %s", s.Local, s.Inode, *s.Rcvbuf, s.Owners)
	}
}
