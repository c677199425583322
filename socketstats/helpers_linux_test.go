package socketstats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
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
// for the socket bound to port.
func udpDrops(t testing.TB, file string, port uint16) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/net/" + file)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(":%04X", port)
	lines := bytes.Split(b, []byte("\n"))
	for _, l := range lines[1:] {
		f := bytes.Fields(l)
		if len(f) < 13 {
			continue
		}
		if bytes.HasSuffix(f[1], []byte(want)) {
			v, err := strconv.ParseUint(string(f[len(f)-1]), 10, 64)
			if err != nil {
				t.Fatalf("%s drops %q: %v", file, f[len(f)-1], err)
			}
			return v
		}
	}
	t.Fatalf("no socket on port %d in %s:\n%s", port, file, b)
	return 0
}

// snmpUDP returns a field of the Udp line of /proc/thread-self/net/snmp.
func snmpUDP(t testing.TB, key string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	var head [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(l, []byte("Udp: ")) {
			continue
		}
		f := bytes.Fields(l)
		if head == nil {
			head = f
			continue
		}
		for i := range head {
			if string(head[i]) == key && i < len(f) {
				v, err := strconv.ParseUint(string(f[i]), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
	}
	t.Fatalf("no Udp %s in snmp", key)
	return 0
}
