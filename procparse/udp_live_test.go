//go:build linux

package procparse

import (
	"errors"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// overflowSocket creates, inside the current network namespace, a UDP
// receiver with a small buffer bound to a loopback address, sends it n
// 64-byte datagrams without reading, and returns its fd, port and inode.
// The caller closes fd.
func overflowSocket(t *testing.T, family int, loopback netip.Addr, n int) (fd int, port uint16, inode uint64) {
	t.Helper()
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096); err != nil {
		t.Fatal(err)
	}
	var sa, peer unix.Sockaddr
	if family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Addr: loopback.As4()}
	} else {
		sa = &unix.SockaddrInet6{Addr: loopback.As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		t.Skipf("skipped: cannot bind %s: %v", loopback, err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		port, peer = uint16(a.Port), &unix.SockaddrInet4{Addr: a.Addr, Port: a.Port}
	case *unix.SockaddrInet6:
		port, peer = uint16(a.Port), &unix.SockaddrInet6{Addr: a.Addr, Port: a.Port}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	tx, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(tx)
	payload := make([]byte, 64)
	for i := 0; i < n; i++ {
		if err := unix.Sendto(tx, payload, 0, peer); err != nil {
			t.Fatalf("sendto: %v", err)
		}
	}
	return fd, port, st.Ino
}

// drain reads every queued datagram without blocking and returns the count.
func drain(t *testing.T, fd int) int {
	t.Helper()
	buf := make([]byte, 128)
	n := 0
	for {
		_, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

var ssDrops = regexp.MustCompile(`,d(\d+)\)`)

// ssSocket returns Recv-Q and skmem drops of the socket on port from
// `ss -uamn` run inside ns.
func ssSocket(t *testing.T, ns *netnstest.NS, family string, port uint16) (recvQ, drops uint64) {
	t.Helper()
	out := ns.Run("ss", "-uamn", family, "sport", "= :"+strconv.Itoa(int(port)))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("ss output without the socket:\n%s", out)
	}
	f := strings.Fields(lines[1])
	if recvQ, err := strconv.ParseUint(f[1], 10, 64); err == nil {
		m := ssDrops.FindStringSubmatch(lines[2])
		if m == nil {
			t.Fatalf("no skmem drops in %q", lines[2])
		}
		drops, _ = strconv.ParseUint(m[1], 10, 64)
		return recvQ, drops
	}
	t.Fatalf("cannot read Recv-Q from %q", lines[1])
	return 0, 0
}

// TestNetnsUDPDrops overflows real sockets in a fresh namespace and checks
// that the udp table shows the socket's drops and queue exactly as ss does,
// and that they equal the Udp RcvbufErrors (Udp6RcvbufErrors) delta.
func TestNetnsUDPDrops(t *testing.T) {
	ns := netnstest.New(t)
	const sent = 3000
	for _, tc := range []struct {
		name     string
		family   int
		ssFamily string
		addr     netip.Addr
		table    UDPFile
	}{
		{"ipv4", unix.AF_INET, "-4", netip.MustParseAddr("127.0.0.1"), FileUDP},
		{"ipv6", unix.AF_INET6, "-6", netip.IPv6Loopback(), FileUDP6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				before, after UDPStats
				sock          UDPSocket
				fd            int
				port          uint16
				inode         uint64
				found         int
			)
			rcvbufErrors := func(fs FS) UDPStats {
				if tc.family == unix.AF_INET {
					s, err := fs.SNMP()
					if err != nil {
						t.Fatal(err)
					}
					return s.UDP()
				}
				s, err := fs.SNMP6()
				if err != nil {
					t.Fatal(err)
				}
				return s.UDP6()
			}
			err := ns.Do(func() error {
				fs, err := NewDefaultFS()
				if err != nil {
					return err
				}
				before = rcvbufErrors(fs)
				fd, port, inode = overflowSocket(t, tc.family, tc.addr, sent)
				after = rcvbufErrors(fs)
				sf, err := fs.OpenUDPScan(tc.table)
				if err != nil {
					return err
				}
				defer sf.Close()
				sc, err := sf.Scan(UDPFilter{Inode: inode})
				if err != nil {
					return err
				}
				for sc.Next() {
					sock = *sc.Socket()
					found++
				}
				return sc.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if found != 1 {
				t.Fatalf("found %d sockets with inode %d, want 1", found, inode)
			}
			if sock.Local != netip.AddrPortFrom(tc.addr, port) || !sock.HasDrops || sock.State != UDPStateUnconnected {
				t.Errorf("socket = %+v, want local %s", sock, netip.AddrPortFrom(tc.addr, port))
			}
			if sock.Drops == 0 || sock.Drops >= sent {
				t.Fatalf("socket drops %d of %d sent: the buffer did not overflow as expected", sock.Drops, sent)
			}
			if d := after.RcvbufErrors.Value - before.RcvbufErrors.Value; d != sock.Drops {
				t.Errorf("RcvbufErrors moved by %d, socket drops %d", d, sock.Drops)
			}
			if d := after.InErrors.Value - before.InErrors.Value; d != sock.Drops {
				t.Errorf("InErrors moved by %d, socket drops %d", d, sock.Drops)
			}
			recvQ, ssDropped := ssSocket(t, ns, tc.ssFamily, port)
			if ssDropped != sock.Drops || recvQ != sock.RxQueue {
				t.Errorf("ss: Recv-Q %d drops %d; udp table: rx_queue %d drops %d", recvQ, ssDropped, sock.RxQueue, sock.Drops)
			}
			if got := uint64(drain(t, fd)); got+sock.Drops != sent {
				t.Errorf("received %d + dropped %d != sent %d", got, sock.Drops, sent)
			}
		})
	}
}

// TestNetnsUDPPortFilter checks filtering by port on a live table.
func TestNetnsUDPPortFilter(t *testing.T) {
	ns := netnstest.New(t)
	err := ns.Do(func() error {
		fd, port, inode := overflowSocket(t, unix.AF_INET, netip.MustParseAddr("127.0.0.1"), 1)
		defer unix.Close(fd)
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		var sc UDPScanner
		u, err := fs.UDP(FileUDP)
		if err != nil {
			return err
		}
		if len(u.Sockets) != 1 || u.Sockets[0].Inode != inode || u.Sockets[0].RxQueue == 0 {
			t.Errorf("table = %+v, want one socket with inode %d and a queued datagram", u.Sockets, inode)
		}
		r, err := fs.UDPReader(FileUDP)
		if err != nil {
			return err
		}
		defer r.Close()
		var again UDPSockets
		if err := r.Read(&again); err != nil {
			return err
		}
		if len(again.Sockets) != 1 || again.Sockets[0] != u.Sockets[0] {
			t.Errorf("reader: %+v, one-shot: %+v", again.Sockets, u.Sockets)
		}
		b, err := os.ReadFile(fs.NetPath("udp"))
		if err != nil {
			return err
		}
		sc.Reset(b, UDPFilter{LocalPort: port})
		n := 0
		for sc.Next() {
			n++
		}
		sc.Reset(b, UDPFilter{LocalPort: port + 1})
		for sc.Next() {
			n += 100
		}
		if n != 1 {
			t.Errorf("port filter matched %d (x1 for the port, x100 for another port), want 1", n)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
