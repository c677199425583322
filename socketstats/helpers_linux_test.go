package socketstats

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/procparse"
	"golang.org/x/sys/unix"
)

// sender is a UDP socket that sends multicast out of lo from a chosen
// source address.
type sender struct {
	fd int
	v6 bool
}

func newSender(t testing.TB, src netip.Addr) *sender {
	t.Helper()
	return newSenderOn(t, src, "lo")
}

// newSenderOn sends IPv6 multicast out of dev (IPv4 always uses lo).
func newSenderOn(t testing.TB, src netip.Addr, dev string) *sender {
	t.Helper()
	s := &sender{v6: src.Is6()}
	fam := unix.AF_INET
	if s.v6 {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("sender socket: %v", err)
	}
	s.fd = fd
	t.Cleanup(func() { unix.Close(fd) })
	if s.v6 {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifi.Index); err != nil {
			t.Fatalf("IPV6_MULTICAST_IF: %v", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet6{Addr: src.As16()}); err != nil {
			t.Fatalf("sender bind %s: %v", src, err)
		}
		return s
	}
	if err := unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
		t.Fatalf("IP_MULTICAST_IF: %v", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: src.As4()}); err != nil {
		t.Fatalf("sender bind %s: %v", src, err)
	}
	return s
}

func (s *sender) send(t testing.TB, dst netip.AddrPort, payload []byte) {
	t.Helper()
	var sa unix.Sockaddr
	if s.v6 {
		sa = &unix.SockaddrInet6{Addr: dst.Addr().As16(), Port: int(dst.Port())}
	} else {
		sa = &unix.SockaddrInet4{Addr: dst.Addr().As4(), Port: int(dst.Port())}
	}
	if err := unix.Sendto(s.fd, payload, 0, sa); err != nil {
		t.Fatalf("sendto %s: %v", dst, err)
	}
}

// inNS runs fn inside a fresh namespace with multicast on lo.
func inNS(t *testing.T, fn func()) {
	t.Helper()
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	if err := ns.Do(func() error { fn(); return nil }); err != nil {
		t.Fatal(err)
	}
}

// drain reads until nothing arrives for idle, returning the datagrams read.
func drain(t testing.TB, c *Conn, msgs []Message, idle time.Duration) int {
	t.Helper()
	total := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), idle)
		n, err := c.ReadBatch(ctx, msgs)
		cancel()
		total += n
		if errors.Is(err, context.DeadlineExceeded) {
			return total
		}
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
	}
}

func newMessages(n, size int) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i].Buf = make([]byte, size)
	}
	return msgs
}

// udpDrops returns the drops column of /proc/thread-self/net/udp (or udp6)
// for the socket bound to local, parsed with procparse.
func udpDrops(t testing.TB, file procparse.UDPFile, local netip.AddrPort) uint64 {
	t.Helper()
	fs, err := procparse.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := fs.UDP(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tab.Sockets {
		if s.Local == local {
			if !s.HasDrops {
				t.Fatalf("%s has no drops column", file)
			}
			return s.Drops
		}
	}
	t.Fatalf("no socket bound to %s in %s (%d sockets)", local, file, len(tab.Sockets))
	return 0
}

// snmpUDP returns a counter of the Udp group of /proc/thread-self/net/snmp.
func snmpUDP(t testing.TB, key string) uint64 {
	t.Helper()
	fs, err := procparse.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	snmp, err := fs.SNMP()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := snmp.Get("Udp", key)
	if !ok {
		t.Fatalf("no Udp %s in snmp", key)
	}
	return f.Value
}
