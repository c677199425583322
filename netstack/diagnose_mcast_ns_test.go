package netstack

import (
	"encoding/binary"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// mcastSources are the sources the multicast cause rules read.
const mcastSources = SourceSNMP | SourceNetstat | SourceSysctls

// firstFinding diagnoses d and checks that the first finding is at stage
// with the drops of counter (source, name), whose delta must equal want,
// and that the finding quotes that counter.
func firstFinding(t *testing.T, d *Delta, stage Stage, source Source, name string, want uint64) Finding {
	t.Helper()
	fs := Diagnose(d)
	t.Logf("\n%s", findingsText(fs))
	if len(fs) == 0 || fs[0].Stage != stage {
		t.Fatalf("want %s first", stage)
	}
	c := d.Find(source, "", -1, name)
	if c == nil {
		t.Fatalf("no counter %s", name)
	}
	if c.Delta != want {
		t.Errorf("%s +%d, want +%d", name, c.Delta, want)
	}
	if !hasEvidence(fs[0], source, name, c.Delta) {
		t.Errorf("the first finding does not quote %s +%d", name, c.Delta)
	}
	return fs[0]
}

func knobCurrent(t *testing.T, f Finding, name, want string) {
	t.Helper()
	for _, k := range f.Knobs {
		if k.Name == name {
			if k.Current != want {
				t.Errorf("knob %s current %q, want %q", name, k.Current, want)
			}
			return
		}
	}
	t.Errorf("no knob %s in %+v", name, f.Knobs)
}

// loMcastSender opens a UDP socket that sends multicast out of lo.
func loMcastSender(t *testing.T) int {
	fd := udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
	if err := unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	return fd
}

func joinLo(t *testing.T, fd int, group [4]byte) {
	mreq := &unix.IPMreqn{Multiaddr: group, Ifindex: 1}
	if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
		t.Fatal(err)
	}
}

// TestDiagnoseMcastIgnoredMulti: a receiver joined 239.7.1.1 on lo and
// bound to port 5601; the sender sends to the group's port 5602, which no
// socket has. Udp IgnoredMulti counts every datagram, NoPorts none, and
// the UDP stage names the unjoined group first.
func TestDiagnoseMcastIgnoredMulti(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	const n = 300
	group := [4]byte{239, 7, 1, 1}
	var rx, tx int
	if err := ns.Do(func() error {
		rx = udpSocket(t, [4]byte{}, 5601, 0)
		joinLo(t, rx, group)
		tx = loMcastSender(t)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: mcastSources})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sent int
	d := collectPair(t, c, func() { sent = sendN(t, tx, group, 5602, n) })
	if sent != n {
		t.Fatalf("sent %d of %d", sent, n)
	}
	f := firstFinding(t, d, StageUDP, SourceSNMP, "Udp.IgnoredMulti", n)
	if f.Drops != n {
		t.Errorf("finding drops %d, want %d", f.Drops, n)
	}
	if np := d.Find(SourceSNMP, "", -1, "Udp.NoPorts"); np == nil || np.Delta != 0 {
		t.Errorf("NoPorts %+v, want +0", np)
	}
	if got, _ := unix.IoctlGetInt(rx, unix.SIOCINQ); got != 0 {
		t.Errorf("the joined socket on the other port has %d bytes queued", got)
	}
}

// udpChecksum is the RFC 768 checksum over the IPv4 pseudo-header and the
// UDP header and payload.
func udpChecksum(src, dst [4]byte, udp []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	sum += unix.IPPROTO_UDP + uint32(len(udp))
	add(udp)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// TestDiagnoseMcastChecksum sends UDP datagrams with a wrong checksum
// through a raw socket (the kernel then verifies it on receive: raw packets
// carry no offload state) to a port with no socket. Udp InCsumErrors counts
// each, and the UDP checksum finding comes first with its knob.
func TestDiagnoseMcastChecksum(t *testing.T) {
	ns := netnstest.New(t)
	const n, port = 120, 5611
	lo := [4]byte{127, 0, 0, 1}
	var raw int
	if err := ns.Do(func() error {
		var err error
		raw, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(raw)
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: mcastSources})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := collectPair(t, c, func() {
		pkt := make([]byte, 8+32)
		binary.BigEndian.PutUint16(pkt[0:], 40000)
		binary.BigEndian.PutUint16(pkt[2:], port)
		binary.BigEndian.PutUint16(pkt[4:], uint16(len(pkt)))
		good := udpChecksum(lo, lo, pkt)
		binary.BigEndian.PutUint16(pkt[6:], good^0x00ff) // wrong, and not 0 (no checksum)
		for range n {
			if err := unix.Sendto(raw, pkt, 0, &unix.SockaddrInet4{Addr: lo}); err != nil {
				t.Fatal(err)
			}
		}
	})
	f := firstFinding(t, d, StageUDP, SourceSNMP, "Udp.InCsumErrors", n)
	if f.Drops != n {
		t.Errorf("finding drops %d, want %d", f.Drops, n)
	}
	if np := d.Find(SourceSNMP, "", -1, "Udp.NoPorts"); np == nil || np.Delta != 0 {
		t.Errorf("NoPorts %+v, want +0: the checksum is checked first", np)
	}
	found := false
	for _, k := range f.Knobs {
		found = found || k.Command == "ethtool -K <iface> rx off"
	}
	if !found {
		t.Errorf("no checksum offload knob: %+v", f.Knobs)
	}
}

// TestDiagnoseMcastReassembly: lo's MTU is 1500 and the namespace's
// ipfrag_high_thresh is 0 (reassembly refuses every fragment), then 4000-byte
// datagrams (3 fragments each) are sent over lo. Ip ReasmReqds and
// ReasmFails count every fragment; the IP stage's reassembly finding comes
// first with ipfrag_high_thresh = 0 quoted.
func TestDiagnoseMcastReassembly(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("ip", "link", "set", "lo", "mtu", "1500")
	ns.Run("sysctl", "-q", "-w", "net.ipv4.ipfrag_low_thresh=0")
	ns.Run("sysctl", "-q", "-w", "net.ipv4.ipfrag_high_thresh=0")
	const n, port, size = 50, 5621, 4000
	lo := [4]byte{127, 0, 0, 1}
	var rx, tx int
	if err := ns.Do(func() error {
		rx = udpSocket(t, lo, port, 0)
		tx = udpSocket(t, lo, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: mcastSources})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := collectPair(t, c, func() {
		payload := make([]byte, size)
		for range n {
			if err := unix.Sendto(tx, payload, 0, &unix.SockaddrInet4{Port: port, Addr: lo}); err != nil {
				t.Fatal(err)
			}
		}
	})
	// 4000 bytes of payload + 8 of UDP header in 1480-byte fragments: 3.
	frags := uint64(n * ((size + 8 + 1479) / 1480))
	f := firstFinding(t, d, StageIP, SourceSNMP, "Ip.ReasmFails", frags)
	if r := d.Find(SourceSNMP, "", -1, "Ip.ReasmReqds"); r == nil || r.Delta != frags {
		t.Errorf("ReasmReqds %+v, want +%d", r, frags)
	}
	if f.Drops != frags {
		t.Errorf("finding drops %d, want %d", f.Drops, frags)
	}
	knobCurrent(t, f, "net.ipv4.ipfrag_high_thresh", "0")
	knobCurrent(t, f, "net.ipv4.ipfrag_time", "30")
	if got, _ := unix.IoctlGetInt(rx, unix.SIOCINQ); got != 0 {
		t.Errorf("a datagram was reassembled: next %d bytes", got)
	}
}

// rpFilterPair makes two namespaces: the receiver rx and the sender tx,
// joined by veth mr0 (rx, 10.61.0.1/24) <-> ms0 (tx, 10.61.0.2/24), which
// carries multicast, and by ur0 (rx, 10.62.0.1/24) <-> us0 (tx,
// 10.62.0.2/24), the route rx has back to the sender's source 10.63.0.2
// (on ms0 in tx). Multicast from 10.63.0.2 arrives on mr0 while the route
// back leaves by ur0: an asymmetric path.
func rpFilterPair(t *testing.T) (rx, tx *netnstest.NS) {
	rx, tx = netnstest.New(t), netnstest.New(t)
	for _, l := range [][2]string{{"mr0", "ms0"}, {"ur0", "us0"}} {
		if out, err := exec.Command("ip", "link", "add", l[0], "netns", rx.Name, "type", "veth", "peer", "name", l[1], "netns", tx.Name).CombinedOutput(); err != nil {
			t.Fatalf("ip link add: %v: %s", err, out)
		}
	}
	rx.Run("ip", "addr", "add", "10.61.0.1/24", "dev", "mr0")
	rx.Run("ip", "addr", "add", "10.62.0.1/24", "dev", "ur0")
	tx.Run("ip", "addr", "add", "10.61.0.2/24", "dev", "ms0")
	tx.Run("ip", "addr", "add", "10.63.0.2/32", "dev", "ms0")
	tx.Run("ip", "addr", "add", "10.62.0.2/24", "dev", "us0")
	for _, dev := range []string{"mr0", "ur0"} {
		rx.Run("ip", "link", "set", dev, "up")
	}
	for _, dev := range []string{"ms0", "us0"} {
		tx.Run("ip", "link", "set", dev, "up")
	}
	rx.Run("ip", "route", "add", "10.63.0.0/24", "via", "10.62.0.2", "dev", "ur0")
	tx.Run("ip", "route", "add", "224.0.0.0/4", "dev", "ms0")
	rx.Run("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1")
	return rx, tx
}

// TestDiagnoseMcastRPFilter: with strict reverse-path filtering (all = 1),
// multicast from the asymmetric source is dropped; TcpExt
// IPReversePathFilter counts every datagram and the IP stage's reverse-path
// finding comes first, quoting net.ipv4.conf.all.rp_filter = 1.
func TestDiagnoseMcastRPFilter(t *testing.T) {
	rx, tx := rpFilterPair(t)
	const n, port = 200, 5631
	group := [4]byte{239, 7, 3, 1}
	var rfd, sfd int
	if err := rx.Do(func() error {
		rfd = udpSocket(t, [4]byte{}, port, 0)
		ifi, err := ifIndex("mr0")
		if err != nil {
			return err
		}
		return unix.SetsockoptIPMreqn(rfd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreqn{Multiaddr: group, Ifindex: int32(ifi)})
	}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Do(func() error {
		sfd = udpSocket(t, [4]byte{10, 63, 0, 2}, 0, 0)
		return unix.SetsockoptInet4Addr(sfd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{10, 63, 0, 2})
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: rx.Path, Sources: mcastSources})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sent int
	d := collectPair(t, c, func() { sent = sendN(t, sfd, group, port, n) })
	if sent != n {
		t.Fatalf("sent %d of %d", sent, n)
	}
	f := firstFinding(t, d, StageIP, SourceNetstat, "TcpExt.IPReversePathFilter", n)
	if f.Drops != n {
		t.Errorf("finding drops %d, want %d", f.Drops, n)
	}
	knobCurrent(t, f, "net.ipv4.conf.all.rp_filter", "1")
	// The interface the multicast arrives on: its own value and the one in
	// force (the larger of all and it) as the namespace's /proc says.
	dev := strings.TrimSpace(rx.Run("cat", "/proc/sys/net/ipv4/conf/mr0/rp_filter"))
	inForce := "1"
	if dev == "2" {
		inForce = "2"
	}
	var k *Knob
	for i := range f.Knobs {
		if f.Knobs[i].Name == "net.ipv4.conf.mr0.rp_filter" {
			k = &f.Knobs[i]
		}
	}
	if k == nil {
		t.Fatalf("no knob net.ipv4.conf.mr0.rp_filter in %+v", f.Knobs)
	}
	if k.Current != dev || k.InForce != inForce {
		t.Errorf("mr0 knob current %q in force %q, want %q (cat) and %s (max of all 1 and %s)", k.Current, k.InForce, dev, inForce, dev)
	}
	t.Logf("mr0: all 1, iface %s (cat %s), in force %s; %s", k.Current, dev, k.InForce, k.Advice)
	if got, _ := unix.IoctlGetInt(rfd, unix.SIOCINQ); got != 0 {
		t.Errorf("the receiver got a datagram (%d bytes)", got)
	}
}

func ifIndex(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("SIOCGIFINDEX %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}
