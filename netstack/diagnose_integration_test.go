package netstack

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// udpSocket opens a bound IPv4 UDP socket with the given receive buffer
// (0 keeps the default) on the current thread's namespace.
func udpSocket(t *testing.T, addr [4]byte, port int, rcvbuf int) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
			t.Fatal(err)
		}
	}
	if port >= 0 {
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: addr}); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

func sendN(t *testing.T, fd int, to [4]byte, port, n int) int {
	t.Helper()
	payload := make([]byte, 64)
	sent := 0
	for i := range n {
		payload[0] = byte(i)
		if err := unix.Sendto(fd, payload, 0, &unix.SockaddrInet4{Port: port, Addr: to}); err != nil {
			if err == unix.ENOBUFS || err == unix.EAGAIN {
				continue
			}
			t.Fatalf("sendto: %v", err)
		}
		sent++
	}
	return sent
}

func collectPair(t *testing.T, c *Collector, induce func()) *Delta {
	t.Helper()
	ctx := context.Background()
	var a, b Snapshot
	if err := c.Collect(ctx, &a); err != nil {
		t.Fatal(err)
	}
	induce()
	time.Sleep(50 * time.Millisecond)
	if err := c.Collect(ctx, &b); err != nil {
		t.Fatal(err)
	}
	for _, e := range b.Errors {
		t.Logf("source error (tolerated): %v", e)
	}
	d := new(Delta)
	ComputeDelta(&a, &b, d)
	return d
}

func findingsText(fs []Finding) string {
	var sb strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&sb, "  %s [%s] drops=%d: %s\n", f.Stage, f.Object, f.Drops, f.Summary)
		for _, e := range f.Evidence {
			fmt.Fprintf(&sb, "      %s\n", e)
		}
	}
	return sb.String()
}

func hasEvidence(f Finding, source Source, name string, delta uint64) bool {
	for _, e := range f.Evidence {
		if e.Source == source && e.Name == name && (e.Delta == delta || e.Gauge) {
			return true
		}
	}
	return false
}

// TestDiagnoseSocketBufferOverflow overflows a socket that never reads and
// checks that the socket stage comes first, with the socket's drops and Udp
// RcvbufErrors as evidence.
func TestDiagnoseSocketBufferOverflow(t *testing.T) {
	ns := netnstest.New(t)
	const port, n = 5301, 3000
	var rx, tx int
	if err := ns.Do(func() error {
		rx = udpSocket(t, [4]byte{127, 0, 0, 1}, port, 4096)
		tx = udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = rx
	c, err := NewCollector(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sent int
	d := collectPair(t, c, func() { sent = sendN(t, tx, [4]byte{127, 0, 0, 1}, port, n) })
	fs := Diagnose(d)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	first := fs[0]
	if first.Stage != StageSocket {
		t.Fatalf("first finding at %s, want %s:\n%s", first.Stage, StageSocket, findingsText(fs))
	}
	rcvbuf := d.Find(SourceSNMP, "", -1, "Udp.RcvbufErrors")
	sock := findUDP(d, "127.0.0.1:5301", "drops")
	if rcvbuf == nil || sock == nil {
		t.Fatalf("missing counters: RcvbufErrors %v socket drops %v", rcvbuf, sock)
	}
	if rcvbuf.Delta == 0 || rcvbuf.Delta != sock.Delta || first.Drops != sock.Delta {
		t.Errorf("drops: finding %d, Udp.RcvbufErrors +%d, socket +%d (sent %d)", first.Drops, rcvbuf.Delta, sock.Delta, sent)
	}
	if !hasEvidence(first, SourceSNMP, "Udp.RcvbufErrors", rcvbuf.Delta) || !hasEvidence(first, SourceUDP, "drops", sock.Delta) || !hasEvidence(first, SourceUDP, "rcvbuf", 0) {
		t.Errorf("evidence incomplete:\n%s", findingsText(fs))
	}
	if len(first.Knobs) == 0 || !strings.Contains(first.Knobs[0].Command, "net.core.rmem_max") {
		t.Errorf("knobs: %+v", first.Knobs)
	}
	t.Logf("sent %d, dropped %d\n%s", sent, sock.Delta, findingsText(fs))
}

// TestDiagnoseClosedPort sends to a port nobody listens on: the UDP stage
// comes first with Udp.NoPorts equal to the datagrams sent.
func TestDiagnoseClosedPort(t *testing.T) {
	ns := netnstest.New(t)
	const port, n = 5302, 500
	var tx int
	if err := ns.Do(func() error {
		tx = udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sent int
	d := collectPair(t, c, func() { sent = sendN(t, tx, [4]byte{127, 0, 0, 1}, port, n) })
	fs := Diagnose(d)
	if len(fs) == 0 || fs[0].Stage != StageUDP {
		t.Fatalf("want the UDP stage first:\n%s", findingsText(fs))
	}
	if fs[0].Drops != uint64(sent) || !hasEvidence(fs[0], SourceSNMP, "Udp.NoPorts", uint64(sent)) {
		t.Errorf("NoPorts finding drops=%d, sent %d:\n%s", fs[0].Drops, sent, findingsText(fs))
	}
}

// TestDiagnoseQdiscDrops shapes a veth with a tiny tbf and floods through
// it: the qdisc stage is the only losing stage, with its drops as evidence.
func TestDiagnoseQdiscDrops(t *testing.T) {
	a := netnstest.New(t, netnstest.WithVeth("ppq0", "ppq1", "10.77.0.1/24", ""))
	b := netnstest.New(t)
	a.Run("ip", "link", "set", "ppq1", "netns", b.Name)
	b.Run("ip", "addr", "add", "10.77.0.2/24", "dev", "ppq1")
	b.Run("ip", "link", "set", "ppq1", "up")
	a.Run("tc", "qdisc", "add", "dev", "ppq0", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst", "1600", "limit", "3000")
	var tx int
	if err := a.Do(func() error {
		tx = udpSocket(t, [4]byte{10, 77, 0, 1}, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: a.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := collectPair(t, c, func() {
		// Warm the neighbour entry, then flood.
		sendN(t, tx, [4]byte{10, 77, 0, 2}, 9, 1)
		time.Sleep(100 * time.Millisecond)
		sendN(t, tx, [4]byte{10, 77, 0, 2}, 9, 2000)
	})
	fs := Diagnose(d)
	var q *Finding
	for i := range fs {
		if fs[i].Stage < StageTxSocket {
			t.Errorf("unexpected receive-side finding: %s", fs[i].Summary)
		}
		if fs[i].Stage == StageQdisc && q == nil {
			q = &fs[i]
		}
	}
	if q == nil {
		t.Fatalf("no qdisc finding:\n%s", findingsText(fs))
	}
	drops := d.Find(SourceQdisc, "ppq0", 0x10000, "drops")
	if fs[0].Stage != StageQdisc {
		t.Errorf("first finding at %s, want the qdisc (SndbufErrors are its ENOBUFS)", fs[0].Stage)
	}
	if drops == nil || drops.Delta == 0 || q.Drops != drops.Delta {
		t.Fatalf("tbf drops %+v, finding drops %d:\n%s", drops, q.Drops, findingsText(fs))
	}
	// The tc peer agrees.
	out := a.Run("tc", "-s", "qdisc", "show", "dev", "ppq0")
	if !strings.Contains(out, fmt.Sprintf("dropped %d,", drops.Value)) {
		t.Errorf("tc shows a different drop count than %d:\n%s", drops.Value, out)
	}
	t.Logf("\n%s", findingsText(fs))
}

// TestDiagnoseBacklogDrops overflows the per-CPU input backlog. A veth
// without NAPI (GRO off on the receiving end, the default) hands each frame
// to netif_rx, which queues it on the sending CPU's backlog; a UDP GSO send
// through a veth whose GSO is off is cut into its segments inside one
// dev_queue_xmit, before NET_RX can run, so all of them meet the backlog at
// once. With net.core.netdev_max_backlog at 4, most of each 32-segment send
// is dropped and counted in softnet_stat's dropped column.
//
// netdev_max_backlog is machine-wide (the kernel shows it only in the
// initial namespace): the test lowers it for the burst alone, a few
// milliseconds, and restores it before the second snapshot. Because that
// touches the host, it runs only with PACKETPATH_TEST_HOST_SYSCTLS set. The collector
// looks into the receiving namespace, which has no such sysctl; the value
// in force comes from the caller's namespace.
func TestDiagnoseBacklogDrops(t *testing.T) {
	if os.Getenv("PACKETPATH_TEST_HOST_SYSCTLS") == "" {
		t.Skip("lowers the machine-wide net.core.netdev_max_backlog for a few milliseconds; " +
			"set PACKETPATH_TEST_HOST_SYSCTLS=1 to run it (.ci/run does)")
	}
	netnstest.RequireTool(t, "ethtool")
	const sysctl = "/proc/sys/net/core/netdev_max_backlog"
	old, err := os.ReadFile(sysctl)
	if err != nil {
		t.Skipf("%s: %v (not in the initial namespace?)", sysctl, err)
	}
	restore := func() {
		if err := os.WriteFile(sysctl, old, 0o644); err != nil {
			t.Errorf("restoring netdev_max_backlog: %v", err)
		}
	}
	t.Cleanup(restore)

	a := netnstest.New(t, netnstest.WithVeth("ppb0", "ppb1", "10.78.0.1/24", ""))
	b := netnstest.New(t)
	a.Run("ip", "link", "set", "ppb1", "netns", b.Name)
	b.Run("ip", "addr", "add", "10.78.0.2/24", "dev", "ppb1")
	b.Run("ip", "link", "set", "ppb1", "up")
	a.Run("ethtool", "-K", "ppb0", "tx-udp-segmentation", "off", "gso", "off")
	const port, segment, sends = 5311, 1000, 20
	var tx int
	if err := b.Do(func() error {
		udpSocket(t, [4]byte{10, 78, 0, 2}, port, 4<<20)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Do(func() error {
		tx = udpSocket(t, [4]byte{10, 78, 0, 1}, 0, 0)
		return unix.SetsockoptInt(tx, unix.SOL_UDP, unix.UDP_SEGMENT, segment)
	}); err != nil {
		t.Skipf("UDP_SEGMENT: %v", err)
	}
	to := &unix.SockaddrInet4{Port: port, Addr: [4]byte{10, 78, 0, 2}}
	payload := make([]byte, 32*segment)
	// Warm the neighbour entry with one small datagram first.
	if err := unix.Sendto(tx, payload[:segment], 0, to); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)

	c, err := NewCollector(Config{NetNS: b.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s0, s1 Snapshot
	if err := c.Collect(ctx, &s0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sysctl, []byte("4\n"), 0o644); err != nil {
		t.Skipf("lowering netdev_max_backlog: %v", err)
	}
	for range sends {
		if err := unix.Sendto(tx, payload, 0, to); err != nil && err != unix.ENOBUFS {
			restore()
			t.Fatal(err)
		}
	}
	restore()
	time.Sleep(20 * time.Millisecond)
	if err := c.Collect(ctx, &s1); err != nil {
		t.Fatal(err)
	}
	var d Delta
	ComputeDelta(&s0, &s1, &d)
	fs := Diagnose(&d)
	var dropped uint64
	for i := range d.Counters {
		if cd := &d.Counters[i]; cd.Source == SourceSoftnet && cd.Name == "dropped" {
			dropped += cd.Delta
		}
	}
	if dropped == 0 {
		t.Fatalf("no backlog drops produced:\n%s", findingsText(fs))
	}
	if len(fs) == 0 || fs[0].Stage != StageSoftirq {
		t.Fatalf("want the softirq stage first:\n%s", findingsText(fs))
	}
	first := fs[0]
	if first.Drops != dropped || !strings.Contains(first.Summary, "backlog") {
		t.Errorf("finding drops %d, softnet_stat dropped +%d:\n%s", first.Drops, dropped, findingsText(fs))
	}
	want, _ := strconv.ParseInt(strings.TrimSpace(string(old)), 10, 64)
	if !hasEvidence(first, SourceSysctls, "net.core.netdev_max_backlog", 0) {
		t.Errorf("no netdev_max_backlog in the evidence:\n%s", findingsText(fs))
	}
	for _, e := range first.Evidence {
		if e.Name == "net.core.netdev_max_backlog" && int64(e.Value) != want {
			t.Errorf("netdev_max_backlog evidence %d, in force %d", e.Value, want)
		}
	}
	if len(first.Knobs) == 0 || !strings.Contains(first.Knobs[0].Command, "net.core.netdev_max_backlog") {
		t.Errorf("knobs: %+v", first.Knobs)
	}
	t.Logf("%d segments sent in %d GSO sends, %d dropped at the backlog\n%s", sends*32, sends, dropped, findingsText(fs))
}
