package socketstats

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestOpenNetNS opens a socket with Config.NetNS, by name and by path: the
// socket belongs to the namespace (SIOCGSKNS names the same namespace file
// as /var/run/netns/NAME), ss inside the namespace lists its port, a
// datagram sent inside the namespace is read, and the calling thread stays
// in its own namespace. A namespace that does not exist fails with
// os.ErrNotExist.
func TestOpenNetNS(t *testing.T) {
	ns := netnstest.New(t)
	var want unix.Stat_t
	if err := unix.Stat(ns.Path, &want); err != nil {
		t.Fatal(err)
	}
	before := threadNetNS(t)
	for i, spec := range []string{ns.Name, ns.Path} {
		port := uint16(6470 + i)
		c, err := Open(Config{NetNS: spec, Port: port, Bind: netip.MustParseAddr("127.0.0.1")})
		if err != nil {
			t.Fatalf("Open(NetNS %q): %v", spec, err)
		}
		if got := threadNetNS(t); got != before {
			t.Errorf("NetNS %q: calling thread's namespace changed: inode %d, was %d", spec, got, before)
		}
		if got := socketNetNS(t, c); got != want.Ino {
			t.Errorf("NetNS %q: socket's namespace inode %d, want %d (%s)", spec, got, want.Ino, ns.Path)
		}
		if out := ns.Run("ss", "-Huan", "sport", "= :"+strconv.Itoa(int(port))); !strings.Contains(out, "127.0.0.1:"+strconv.Itoa(int(port))) {
			t.Errorf("NetNS %q: ss in %s does not list port %d: %q", spec, ns.Name, port, out)
		}
		if err := ns.Do(func() error {
			s, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = s.Write([]byte("inside"))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		msgs := []Message{{Buf: make([]byte, 64)}}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := c.ReadBatch(ctx, msgs)
		cancel()
		if err != nil || n != 1 || string(msgs[0].Buf[:msgs[0].N]) != "inside" {
			t.Errorf("NetNS %q: ReadBatch = %d, %v (%q), want the 1 datagram sent inside", spec, n, err, msgs[0].Buf[:msgs[0].N])
		}
		c.Close()
	}
	_, err := Open(Config{NetNS: "pp-no-such-namespace", Port: 6479})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "pp-no-such-namespace") {
		t.Errorf("missing namespace: %v, want os.ErrNotExist naming it", err)
	}
}

func threadNetNS(t *testing.T) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// socketNetNS is the inode of the network namespace the socket belongs to
// (ioctl SIOCGSKNS returns a descriptor for it; net/socket.c).
func socketNetNS(t *testing.T, c *Conn) uint64 {
	t.Helper()
	rc, err := c.UDPConn().SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var nsfd int
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		nsfd, ierr = unix.IoctlRetInt(int(fd), unix.SIOCGSKNS)
	}); err != nil {
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatalf("SIOCGSKNS: %v", ierr)
	}
	defer syscall.Close(nsfd)
	var st unix.Stat_t
	if err := unix.Fstat(nsfd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}
