//go:build linux

package udptable

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/internal/nl"
	"github.com/packetpath/packetpath/procparse"
)

// diagSock is a socket a test opened, with what it was made to look like.
type diagSock struct {
	name  string
	fd    int
	local netip.AddrPort // after bind, from getsockname
	sent  int            // datagrams sent to it
}

// diagOpenUDP opens a UDP socket in the calling thread's namespace, applies
// opts and binds it to addr (port 0: ephemeral).
func diagOpenUDP(t testing.TB, name string, addr netip.AddrPort, rcvbuf int, opts func(fd int) error) *diagSock {
	t.Helper()
	fam := unix.AF_INET
	if addr.Addr().Is6() {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		t.Fatalf("%s: socket: %v", name, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
			t.Fatalf("%s: SO_RCVBUF: %v", name, err)
		}
	}
	if opts != nil {
		if err := opts(fd); err != nil {
			t.Fatalf("%s: options: %v", name, err)
		}
	}
	var sa unix.Sockaddr
	if fam == unix.AF_INET {
		sa = &unix.SockaddrInet4{Addr: addr.Addr().As4(), Port: int(addr.Port())}
	} else {
		sa = &unix.SockaddrInet6{Addr: addr.Addr().As16(), Port: int(addr.Port())}
	}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("%s: bind %s: %v", name, addr, err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("%s: getsockname: %v", name, err)
	}
	s := &diagSock{name: name, fd: fd}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		s.local = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		s.local = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return s
}

func diagSockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	}
	return &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
}

// diagSend sends n datagrams of 64 bytes from fd to dst.
func diagSend(t testing.TB, fd int, dst netip.AddrPort, n int) {
	t.Helper()
	payload := make([]byte, 64)
	sa := diagSockaddr(dst)
	for range n {
		if err := unix.Sendto(fd, payload, 0, sa); err != nil {
			t.Fatalf("sendto %s: %v", dst, err)
		}
	}
}

// diagScene is the socket population of the agreement and filter tests.
type diagScene struct {
	ns      *netnstest.NS
	socks   map[string]*diagSock
	vethIdx uint32
}

// newDiagScene builds, inside a fresh namespace: IPv4 and IPv6 receivers on
// loopback with a tiny buffer that overflow (drops), receivers that hold a
// few datagrams without dropping, idle wildcard sockets, a connected socket
// and a socket bound to a veth with SO_BINDTODEVICE. Nothing reads, so once
// the senders stop every number stays put.
func newDiagScene(t *testing.T) *diagScene {
	t.Helper()
	ns := netnstest.New(t, netnstest.WithVeth("ppd0", "ppd1", "10.77.0.1/24", "10.77.0.2/24"))
	sc := &diagScene{ns: ns, socks: make(map[string]*diagSock)}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName("ppd0")
		if err != nil {
			return err
		}
		sc.vethIdx = uint32(ifi.Index)
		add := func(s *diagSock) { sc.socks[s.name] = s }
		add(diagOpenUDP(t, "drop4", netip.MustParseAddrPort("127.0.0.1:0"), 2048, nil))
		add(diagOpenUDP(t, "drop6", netip.MustParseAddrPort("[::1]:0"), 2048, nil))
		add(diagOpenUDP(t, "queue4", netip.MustParseAddrPort("127.0.0.2:0"), 0, nil))
		add(diagOpenUDP(t, "queue6", netip.MustParseAddrPort("[::1]:0"), 0, nil))
		add(diagOpenUDP(t, "idle4", netip.MustParseAddrPort("0.0.0.0:0"), 0, nil))
		add(diagOpenUDP(t, "idle6", netip.MustParseAddrPort("[::]:0"), 0, func(fd int) error {
			return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		}))
		add(diagOpenUDP(t, "dev4", netip.MustParseAddrPort("10.77.0.1:0"), 0, func(fd int) error {
			return unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, "ppd0")
		}))
		conn := diagOpenUDP(t, "conn4", netip.MustParseAddrPort("127.0.0.1:0"), 0, nil)
		if err := unix.Connect(conn.fd, diagSockaddr(sc.socks["queue4"].local)); err != nil {
			return err
		}
		add(conn)
		send4 := diagOpenUDP(t, "send4", netip.MustParseAddrPort("127.0.0.1:0"), 0, nil)
		send6 := diagOpenUDP(t, "send6", netip.MustParseAddrPort("[::1]:0"), 0, nil)
		add(send4)
		add(send6)
		for _, x := range []struct {
			from *diagSock
			to   string
			n    int
		}{{send4, "drop4", 300}, {send6, "drop6", 300}, {send4, "queue4", 7}, {send6, "queue6", 5}} {
			diagSend(t, x.from.fd, sc.socks[x.to].local, x.n)
			sc.socks[x.to].sent += x.n
		}
		// The connected socket sends too: it gets a cookie-stable peer.
		diagSend(t, conn.fd, sc.socks["queue4"].local, 3)
		sc.socks["queue4"].sent += 3
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func openDiagTable(t testing.TB, ns *netnstest.NS) *Table {
	t.Helper()
	tab, err := Open(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { tab.Close() })
	return tab
}

func diagByInode(socks []UDPSocket) map[uint64]UDPSocket {
	m := make(map[uint64]UDPSocket, len(socks))
	for _, s := range socks {
		m[s.Inode] = s
	}
	return m
}

func diagInodeOf(t testing.TB, fd int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatalf("fstat: %v", err)
	}
	return st.Ino
}

// TestDiagAgreesWithProcAndSS is the acceptance test: every socket's drops,
// queues and inode agree with /proc/net/udp{,6} and with ss -uamne, all read
// while no traffic flows.
func TestDiagAgreesWithProcAndSS(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ss")
	sc := newDiagScene(t)
	tab := openDiagTable(t, sc.ns)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var capture []byte
	tab.nl.Tap = func(b []byte) { capture = append(capture, b...) }
	got, err := tab.Dump(ctx, nil, Filter{})
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	tab.nl.Tap = nil
	var udp, udp6 []byte
	if err := sc.ns.Do(func() error { udp, udp6 = diagReadProcUDP(t); return nil }); err != nil {
		t.Fatal(err)
	}
	ssOut := sc.ns.Run("ss", "-u", "-a", "-m", "-n", "-e")
	again, err := tab.Dump(ctx, nil, Filter{})
	if err != nil {
		t.Fatalf("second Dump: %v", err)
	}
	if *diagUpdate {
		diagWriteFixture(t, "scene.bin", capture)
		diagWriteFixture(t, "scene.udp", udp)
		diagWriteFixture(t, "scene.udp6", udp6)
		diagWriteFixture(t, "scene.ss", []byte(ssOut))
	}
	if len(got) != len(sc.socks) {
		t.Errorf("dump has %d sockets, the scene opened %d", len(got), len(sc.socks))
	}
	if !slices.Equal(diagSorted(got), diagSorted(again)) {
		t.Errorf("two dumps with no traffic differ:\n%+v\n%+v", got, again)
	}
	diagCheckAgreement(t, got, diagParseProcUDP(t, udp, udp6), diagParseSS(t, ssOut), func(uint32) string { return "ppd0" })
	diagCheckProcparse(t, got, udp, udp6)
	dumped := diagByInode(got)
	for _, want := range sc.socks {
		ino := diagInodeOf(t, want.fd)
		s, ok := dumped[ino]
		if !ok {
			t.Errorf("%s (inode %d) missing from the dump", want.name, ino)
			continue
		}
		if s.Local != want.local {
			t.Errorf("%s: local %v, want %v", want.name, s.Local, want.local)
		}
	}

	// The scene itself: overflowing receivers dropped, the others did not;
	// every datagram sent is either queued or dropped.
	for name, wantDrops := range map[string]bool{"drop4": true, "drop6": true, "queue4": false, "queue6": false, "idle4": false} {
		s := dumped[diagInodeOf(t, sc.socks[name].fd)]
		if (s.Mem.Drops > 0) != wantDrops {
			t.Errorf("%s: %d drops, want drops: %v", name, s.Mem.Drops, wantDrops)
		}
		if s.Mem.Drops > uint64(sc.socks[name].sent) {
			t.Errorf("%s: %d drops of %d sent", name, s.Mem.Drops, sc.socks[name].sent)
		}
		if sc.socks[name].sent > 0 && s.RxQueue == 0 {
			t.Errorf("%s: nothing queued after %d datagrams", name, sc.socks[name].sent)
		}
	}
	conn := dumped[diagInodeOf(t, sc.socks["conn4"].fd)]
	if conn.State != procparse.UDPStateConnected || conn.Remote != sc.socks["queue4"].local {
		t.Errorf("conn4: state %d remote %v, want connected to %v", conn.State, conn.Remote, sc.socks["queue4"].local)
	}
	if dev := dumped[diagInodeOf(t, sc.socks["dev4"].fd)]; dev.Interface != sc.vethIdx {
		t.Errorf("dev4: interface %d, want %d", dev.Interface, sc.vethIdx)
	}
	if idle6 := dumped[diagInodeOf(t, sc.socks["idle6"].fd)]; !idle6.HasV6Only || idle6.V6Only {
		t.Errorf("idle6: v6only %v present %v, want false present", idle6.V6Only, idle6.HasV6Only)
	}
}

var diagUpdate = flag.Bool("diag.update", false, "rewrite testdata/diag from a live namespace")

func diagWriteFixture(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join("testdata", "diag"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "diag", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func diagSorted(s []UDPSocket) []UDPSocket {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b UDPSocket) int {
		switch {
		case a.Inode < b.Inode:
			return -1
		case a.Inode > b.Inode:
			return 1
		}
		return 0
	})
	return s
}

// TestDiagFilters checks that kernel filters return exactly the sockets a
// Go predicate over the full dump selects.
func TestDiagFilters(t *testing.T) {
	sc := newDiagScene(t)
	tab := openDiagTable(t, sc.ns)
	ctx := context.Background()
	all, err := tab.Dump(ctx, nil, Filter{})
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	p := func(name string) uint16 { return sc.socks[name].local.Port() }
	lo4 := netip.MustParsePrefix("127.0.0.0/8")
	v6lo := netip.MustParseAddr("::1")
	cases := []struct {
		name string
		f    Filter
		want func(s UDPSocket) bool
		min  int
	}{
		{"port", FilterLocalPort(p("drop4")), func(s UDPSocket) bool { return s.Local.Port() == p("drop4") }, 1},
		{"port6", FilterLocalPort(p("drop6")), func(s UDPSocket) bool { return s.Local.Port() == p("drop6") }, 1},
		{"no such port", FilterLocalPort(1), func(s UDPSocket) bool { return false }, 0},
		{"port range", FilterLocalPortRange(min(p("drop4"), p("queue4")), max(p("drop4"), p("queue4"))),
			func(s UDPSocket) bool {
				lo, hi := min(p("drop4"), p("queue4")), max(p("drop4"), p("queue4"))
				return s.Local.Port() >= lo && s.Local.Port() <= hi
			}, 2},
		{"v4 prefix", FilterLocalPrefix(lo4), func(s UDPSocket) bool { return s.Family == FamilyIPv4 && lo4.Contains(s.Local.Addr()) }, 4},
		{"v6 addr", FilterLocalAddr(v6lo), func(s UDPSocket) bool { return s.Local.Addr() == v6lo }, 3},
		{"v4 host", FilterLocalAddr(netip.MustParseAddr("127.0.0.2")), func(s UDPSocket) bool { return s.Local.Addr() == netip.MustParseAddr("127.0.0.2") }, 1},
		{"interface", FilterInterface(sc.vethIdx), func(s UDPSocket) bool { return s.Interface == sc.vethIdx }, 1},
		{"unbound to a device", FilterInterface(0), func(s UDPSocket) bool { return s.Interface == 0 }, 8},
		{"remote port", FilterRemotePort(p("queue4")), func(s UDPSocket) bool { return s.Remote.Port() == p("queue4") }, 1},
		{"remote addr", FilterRemoteAddr(netip.MustParseAddr("127.0.0.2")), func(s UDPSocket) bool { return s.Remote.Addr() == netip.MustParseAddr("127.0.0.2") }, 1},
		{"port or port", FilterOr(FilterLocalPort(p("drop4")), FilterLocalPort(p("queue6"))),
			func(s UDPSocket) bool { return s.Local.Port() == p("drop4") || s.Local.Port() == p("queue6") }, 2},
		{"prefix and not port", FilterAnd(FilterLocalPrefix(lo4), FilterNot(FilterLocalPort(p("drop4")))),
			func(s UDPSocket) bool {
				return s.Family == FamilyIPv4 && lo4.Contains(s.Local.Addr()) && s.Local.Port() != p("drop4")
			}, 3},
		{"addr and port", FilterAnd(FilterLocalAddr(v6lo), FilterLocalPort(p("queue6"))),
			func(s UDPSocket) bool { return s.Local.Addr() == v6lo && s.Local.Port() == p("queue6") }, 1},
		{"(iface or v6) and not wildcard", FilterAnd(FilterOr(FilterInterface(sc.vethIdx), FilterLocalPrefix(netip.MustParsePrefix("::/0"))),
			FilterNot(FilterLocalAddr(netip.IPv6Unspecified()))),
			func(s UDPSocket) bool {
				return (s.Interface == sc.vethIdx || s.Family == FamilyIPv6) && s.Local.Addr() != netip.IPv6Unspecified()
			}, 4},
		{"nothing", FilterOr(), func(s UDPSocket) bool { return false }, 0},
		{"not nothing", FilterNot(FilterOr()), func(s UDPSocket) bool { return true }, len(sc.socks)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tab.Dump(ctx, nil, c.f)
			if err != nil {
				t.Fatalf("Dump: %v", err)
			}
			var want []uint64
			for _, s := range all {
				if c.want(s) {
					want = append(want, s.Inode)
				}
			}
			var have []uint64
			for _, s := range got {
				have = append(have, s.Inode)
			}
			slices.Sort(want)
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Errorf("filter returned inodes %v, want %v", have, want)
			}
			if len(want) < c.min {
				t.Errorf("scene gives %d matching sockets, the case needs at least %d", len(want), c.min)
			}
		})
	}
}

func TestDiagInvalidFilter(t *testing.T) {
	tab, err := Open(Config{})
	if err != nil {
		t.Skipf("no sock_diag here: %v", err)
	}
	defer tab.Close()
	if _, err := tab.Dump(context.Background(), nil, FilterLocalPortRange(10, 5)); err == nil {
		t.Error("empty port range accepted")
	}
	if _, err := tab.Dump(context.Background(), nil, FilterAnd(FilterLocalPort(1), FilterLocalPrefix(netip.Prefix{}))); err == nil {
		t.Error("invalid prefix accepted")
	}
}

func TestDiagSocketsOfProcess(t *testing.T) {
	sc := newDiagScene(t)
	tab := openDiagTable(t, sc.ns)
	got, err := tab.SocketsOfProcess(context.Background(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// This test process holds every socket of the scene.
	if len(got) != len(sc.socks) {
		t.Errorf("SocketsOfProcess: %d sockets, want %d", len(got), len(sc.socks))
	}
	owners, err := SocketOwners("", []uint64{diagInodeOf(t, sc.socks["drop4"].fd)})
	if err != nil {
		t.Fatal(err)
	}
	if pids := owners[diagInodeOf(t, sc.socks["drop4"].fd)]; !slices.Equal(pids, []int{os.Getpid()}) {
		t.Errorf("SocketOwners: %v, want [%d]", pids, os.Getpid())
	}
	if _, err := SocketInodes("", 1<<30, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing process: %v, want os.ErrNotExist", err)
	}
}

func TestDiagUDPLite(t *testing.T) {
	ns := netnstest.New(t)
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDPLITE)
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	})
	if err != nil {
		t.Skipf("no UDP-Lite sockets on this kernel: %v", err)
	}
	defer unix.Close(fd)
	tab := openDiagTable(t, ns)
	got, err := tab.DumpUDPLite(context.Background(), nil, Filter{})
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("kernel without UDP-Lite diag: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Protocol != ProtocolUDPLite || got[0].Inode != diagInodeOf(t, fd) {
		t.Errorf("UDP-Lite dump %+v, want the one socket (inode %d)", got, diagInodeOf(t, fd))
	}
	udp, err := tab.Dump(context.Background(), nil, Filter{})
	if err != nil || len(udp) != 0 {
		t.Errorf("UDP dump in a namespace with only UDP-Lite: %v, %v", udp, err)
	}
}

func TestDiagContext(t *testing.T) {
	ns := netnstest.New(t)
	tab := openDiagTable(t, ns)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tab.Dump(ctx, nil, Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	// The Table still works, with a deadline and with a cancelable context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, err := tab.Dump(ctx2, nil, Filter{}); err != nil {
		t.Errorf("after cancel: %v", err)
	}
	tab.Close()
	if _, err := tab.Dump(context.Background(), nil, Filter{}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// TestDiagAbandonedDump interrupts a dump mid-reply and checks that the
// next dump drains the leftovers and returns the right sockets.
func TestDiagAbandonedDump(t *testing.T) {
	ns := netnstest.New(t)
	const n = 600 // several netlink datagrams
	err := ns.Do(func() error {
		for range n {
			diagOpenUDP(t, "many", netip.MustParseAddrPort("127.0.0.1:0"), 0, nil)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tab := openDiagTable(t, ns)
	// Start a dump and leave it after its first message.
	stop := errors.New("stop")
	body := buildDiagBody(nil, FamilyIPv4, ProtocolUDP, Filter{})
	if err := tab.nl.Dump(context.Background(), nl.Request{Type: diagSockDiagByFamily, Body: body},
		func(netlink.Message) error { return stop }); err != stop {
		t.Fatalf("abandoned dump: %v", err)
	}
	got, err := tab.Dump(context.Background(), nil, Filter{})
	if err != nil {
		t.Fatalf("Dump after an abandoned dump: %v", err)
	}
	if len(got) != n {
		t.Errorf("got %d sockets, want %d", len(got), n)
	}
	// A dump left at its last socket, whose NLMSG_DONE was in the datagram
	// already read, leaves nothing to drain: the next Dump must not wait.
	seen := 0
	if err := tab.nl.Dump(context.Background(), nl.Request{Type: diagSockDiagByFamily, Body: body},
		func(netlink.Message) error {
			if seen++; seen == n {
				return stop
			}
			return nil
		}); err != stop {
		t.Fatalf("dump left at its last socket: %v", err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if got, err = tab.Dump(ctx, got[:0], Filter{}); err != nil || len(got) != n {
		t.Errorf("Dump after a finished dump marked abandoned: %d sockets, %v", len(got), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Dump after a finished, abandoned dump took %v", d)
	}
}

func TestDiagMissingNamespace(t *testing.T) {
	_, err := Open(Config{NetNS: "/var/run/netns/pp-does-not-exist"})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing namespace: %v, want os.ErrNotExist", err)
	}
}

// TestDiagDumpAllocs checks that repeated dumps of many sockets, with and
// without a filter, allocate nothing once dst has grown.
func TestDiagDumpAllocs(t *testing.T) {
	if diagRace {
		t.Skip("skipped: allocation counts are not meaningful under -race")
	}
	ns := netnstest.New(t)
	var port uint16
	err := ns.Do(func() error {
		for i := range 500 {
			s := diagOpenUDP(t, "many", netip.MustParseAddrPort("127.0.0.1:0"), 0, nil)
			if i == 0 {
				port = s.local.Port()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tab := openDiagTable(t, ns)
	ctx := context.Background()
	buf, err := tab.Dump(ctx, nil, Filter{})
	if err != nil || len(buf) != 500 {
		t.Fatalf("Dump: %d sockets, %v", len(buf), err)
	}
	f := FilterLocalPort(port)
	for name, filter := range map[string]Filter{"all": {}, "one port": f} {
		allocs := testing.AllocsPerRun(20, func() {
			buf, err = tab.Dump(ctx, buf[:0], filter)
			if err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Dump, want 0", name, allocs)
		}
	}
}

// TestDiagRandomFiltersInKernel sends filters built from random input to
// the kernel: the kernel must accept every valid program and return exactly
// the sockets that the Go predicate and the bytecode model select.
func TestDiagRandomFiltersInKernel(t *testing.T) {
	sc := newDiagScene(t)
	tab := openDiagTable(t, sc.ns)
	ctx := context.Background()
	all, err := tab.Dump(ctx, nil, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	var got []UDPSocket
	tried, nonTrivial := 0, 0
	var palette []uint16
	for _, s := range all {
		palette = append(palette, s.Local.Port(), s.Remote.Port())
	}
	for range 1200 {
		data := make([]byte, 4+rng.IntN(40))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		// Ports are mostly drawn from the scene's.
		tree, _, ok := diagBuildTree(data, palette)
		if !ok || tree.f.Err() != nil {
			continue
		}
		tried++
		got, err = tab.Dump(ctx, got[:0], tree.f)
		if err != nil {
			t.Fatalf("kernel refused %x: %v", tree.f.prog, err)
		}
		var want, have []uint64
		for i := range all {
			if tree.pred(&all[i]) {
				want = append(want, all[i].Inode)
			}
			if len(tree.f.prog) > 0 {
				if m, ok := diagBCRun(tree.f.prog, diagEntryOf(&all[i])); !ok || m != tree.pred(&all[i]) {
					t.Errorf("model disagrees with the predicate on %v for %x", all[i].Local, tree.f.prog)
				}
			}
		}
		for _, s := range got {
			have = append(have, s.Inode)
		}
		slices.Sort(want)
		slices.Sort(have)
		if !slices.Equal(have, want) {
			t.Fatalf("program %x: kernel returned %v, want %v", tree.f.prog, have, want)
		}
		if len(want) > 0 && len(want) < len(all) {
			nonTrivial++
		}
	}
	t.Logf("%d filters checked against the kernel, %d selecting some but not all sockets", tried, nonTrivial)
	if tried < 200 || nonTrivial < 20 {
		t.Errorf("too few useful filters: %d tried, %d non-trivial", tried, nonTrivial)
	}
}

func TestDiagBuildRequest(t *testing.T) {
	for _, c := range []struct {
		name  string
		f     Filter
		len   int
		sport uint16
	}{
		{"all", Filter{}, 72, 0},
		{"one port: exact id, no program", FilterLocalPort(5000), 72, 5000},
		{"port 0: program", FilterLocalPort(0), 72 + 4 + 16, 0},
		{"compound: program", FilterOr(FilterLocalPort(1), FilterLocalPort(2)), 72 + 4 + 36, 0},
		{"negated port: program", FilterNot(FilterLocalPort(5000)), 72 + 4 + 20, 0},
	} {
		b := buildDiagRequest(nil, 9, FamilyIPv6, ProtocolUDP, c.f)
		if len(b) != c.len || int(binary.NativeEndian.Uint32(b)) != c.len {
			t.Errorf("%s: %d bytes (header says %d), want %d", c.name, len(b), binary.NativeEndian.Uint32(b), c.len)
			continue
		}
		r := b[diagNlmsgHdrLen:]
		if r[0] != FamilyIPv6 || r[1] != ProtocolUDP || r[2] != 1<<6 || binary.BigEndian.Uint16(r[8:10]) != c.sport {
			t.Errorf("%s: request % x", c.name, r[:12])
		}
		if c.len > 72 {
			a := r[diagReqLen:]
			if int(binary.NativeEndian.Uint16(a)) != 4+len(c.f.prog) || binary.NativeEndian.Uint16(a[2:]) != diagReqAttrBytecode {
				t.Errorf("%s: attribute header % x", c.name, a[:4])
			}
		}
	}
}

func TestDiagErrorMapping(t *testing.T) {
	var tab Table
	for _, c := range []struct {
		errno unix.Errno
		want  error
	}{
		{unix.ENOENT, errors.ErrUnsupported}, // no inet_diag handler for the protocol
		{unix.EOPNOTSUPP, errors.ErrUnsupported},
		{unix.EPERM, os.ErrPermission},
		{unix.EINVAL, unix.EINVAL}, // e.g. a program the kernel refused
	} {
		err := tab.opError(FamilyIPv6, ProtocolUDPLite, c.errno)
		if !errors.Is(err, c.want) {
			t.Errorf("%v: %v does not answer %v", c.errno, err, c.want)
		}
	}
}
