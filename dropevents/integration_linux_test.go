package dropevents

import (
	"encoding/json"
	"errors"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"golang.org/x/sys/unix"
)

// requirePerf skips unless the test runs as root on a kernel with tracefs
// and the kfree_skb tracepoint. It mounts tracefs at /sys/kernel/tracing
// when nothing is mounted there (minimal VMs and containers).
func requirePerf(t *testing.T) *TraceFS {
	t.Helper()
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "tc")
	netnstest.RequireTool(t, "nsenter")
	fs, err := FindTraceFS()
	if errors.Is(err, errors.ErrUnsupported) {
		if merr := unix.Mount("nodev", "/sys/kernel/tracing", "tracefs", 0, ""); merr != nil {
			t.Skipf("skipped: no tracefs and cannot mount it: %v", merr)
		}
		fs, err = FindTraceFS()
	}
	if err != nil {
		t.Skipf("skipped: %v", err)
	}
	if _, err := fs.Format("skb", "kfree_skb"); err != nil {
		t.Skipf("skipped: %v", err)
	}
	return fs
}

var testReasons = []string{"SOCKET_RCVBUFF", "NO_SOCKET", "QDISC_DROP"}

// interval holds what one measurement saw: the deltas of a counting and a
// sampling Collector, of a counting Collector filtered on the byte-swapped
// port, and of every namespace's counters around them.
type interval struct {
	counted, sampled, swapped Counts
	host                      nsCounters
	vanished                  bool
}

// measure brackets induce with host counter readings outside and collector
// snapshots inside, so that host deltas bound the collectors' deltas.
func measure(t *testing.T, fs *TraceFS, port uint16, induce func()) interval {
	t.Helper()
	open := func(o Config) *Collector {
		o.TraceFS = fs
		c, err := Open(o)
		if err != nil {
			t.Fatalf("Open(%+v): %v", o, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	counting := open(Config{Port: port, Reasons: testReasons})
	sampling := open(Config{Port: port, AllReasons: true})
	swapped := open(Config{Port: bits.ReverseBytes16(port)})
	var c0, c1, s0, s1, w0, w1 Counts
	snap := func(c *Collector, dst *Counts) {
		if err := c.Snapshot(dst); err != nil {
			t.Fatal(err)
		}
	}
	hb := readHostCounters(t)
	snap(counting, &c0)
	snap(sampling, &s0)
	snap(swapped, &w0)
	induce()
	time.Sleep(20 * time.Millisecond) // let softirqs on the other CPU finish
	snap(counting, &c1)
	snap(sampling, &s1)
	snap(swapped, &w1)
	ha := readHostCounters(t)
	var iv interval
	Delta(&iv.counted, &c0, &c1)
	Delta(&iv.sampled, &s0, &s1)
	Delta(&iv.swapped, &w0, &w1)
	iv.host, iv.vanished = ha.delta(hb)
	return iv
}

// checkReason checks that both collectors counted at least induced and at
// most bound drops with the reason. It returns false, asking for another
// measurement, when only the upper bound failed and last is false.
func checkReason(t *testing.T, iv interval, name string, induced, bound uint64, last bool) bool {
	t.Helper()
	counted, ok := iv.counted.Reason(name)
	if !ok {
		t.Fatalf("counting collector has no %s", name)
	}
	sampled, ok := iv.sampled.Reason(name)
	if !ok {
		t.Fatalf("sampling collector has no %s", name)
	}
	t.Logf("%s: induced %d, counted %d, sampled %d (lost %d), host-wide bound %d", name, induced, counted, sampled, iv.sampled.Lost, bound)
	if counted < induced {
		t.Errorf("%s counted %d < induced %d", name, counted, induced)
	}
	if sampled+iv.sampled.Lost < induced {
		t.Errorf("%s sampled %d + lost %d < induced %d", name, sampled, iv.sampled.Lost, induced)
	}
	if counted <= bound && sampled <= bound {
		return true
	}
	// Other tests (go test runs packages in parallel) create, flood and
	// delete namespaces; one created and deleted inside the interval, or
	// a TCP segment to a closed port (NO_SOCKET without a Udp counter),
	// escapes the bound. Measure again before calling it a failure.
	if !last {
		t.Logf("%s above the host bound (namespace vanished: %v): measuring again", name, iv.vanished)
		return false
	}
	t.Errorf("%s counted %d / sampled %d > host-wide bound %d", name, counted, sampled, bound)
	return true
}

func testPort() uint16 {
	for {
		p := uint16(20000 + rand.IntN(30000))
		if bits.ReverseBytes16(p) != p {
			return p
		}
	}
}

func udpSocket(t *testing.T, port uint16, rcvbuf int) int {
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
	if port != 0 {
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
	}
	return fd
}

func sendN(fd int, to unix.Sockaddr, n, size int) {
	payload := make([]byte, size)
	for i := 0; i < n; i++ {
		_ = unix.Sendto(fd, payload, 0, to) // ENOBUFS from a dropping qdisc is expected
	}
}

func TestIntegrationSocketBufferDrops(t *testing.T) {
	fs := requirePerf(t)
	ns := netnstest.New(t)
	port := testPort()
	var send int
	var snmp0 []byte
	if err := ns.Do(func() error {
		_ = udpSocket(t, port, 4096) // doubled to 8192: a handful of datagrams
		send = udpSocket(t, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		var sockDrops0, sockDrops1, rcvbuf0, rcvbuf1 uint64
		iv := measure(t, fs, port, func() {
			if err := ns.Do(func() error {
				sockDrops0 = socketDrops(t, port)
				snmp0 = readFile(t, "/proc/thread-self/net/snmp")
				rcvbuf0 = snmpValue(snmp0, "Udp", "RcvbufErrors")
				sendN(send, &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}, 2000, 64)
				sockDrops1 = socketDrops(t, port)
				rcvbuf1 = snmpValue(readFile(t, "/proc/thread-self/net/snmp"), "Udp", "RcvbufErrors")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
		drops := sockDrops1 - sockDrops0
		t.Logf("socket drops %d, Udp RcvbufErrors in namespace +%d, udp_fail_queue_rcv_skb(dport == %d) counted %d sampled-collector %d, byte-swapped port %d",
			drops, rcvbuf1-rcvbuf0, port, iv.counted.UDPFailQueueRcvSkb.Count, iv.sampled.UDPFailQueueRcvSkb.Count, iv.swapped.UDPFailQueueRcvSkb.Count)
		if drops < 1000 {
			t.Fatalf("only %d socket drops induced; want most of 2000", drops)
		}
		if rcvbuf1-rcvbuf0 != drops {
			t.Errorf("Udp RcvbufErrors moved %d, socket drops %d", rcvbuf1-rcvbuf0, drops)
		}
		if got := iv.counted.UDPFailQueueRcvSkb.Count; got != drops {
			t.Errorf("udp_fail_queue_rcv_skb filtered on port %d = %d; socket drops %d", port, got, drops)
		}
		if got := iv.sampled.UDPFailQueueRcvSkb.Count; got != drops {
			t.Errorf("second collector: udp_fail_queue_rcv_skb = %d; socket drops %d", got, drops)
		}
		if got := iv.swapped.UDPFailQueueRcvSkb.Count; got != 0 {
			t.Errorf("filter on the byte-swapped port counted %d: dport is not host order", got)
		}
		if iv.counted.SockRcvqueueFull.Present && iv.counted.SockRcvqueueFull.Count != 0 {
			t.Logf("sock_rcvqueue_full moved %d elsewhere on the host", iv.counted.SockRcvqueueFull.Count)
		}
		if checkReason(t, iv, "SOCKET_RCVBUFF", drops, iv.host.rcvbuf, attempt == 2) {
			return
		}
	}
}

func TestIntegrationClosedPortDrops(t *testing.T) {
	fs := requirePerf(t)
	ns := netnstest.New(t)
	port := testPort()
	var send int
	if err := ns.Do(func() error { send = udpSocket(t, 0, 0); return nil }); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		var noPorts0, noPorts1 uint64
		iv := measure(t, fs, port, func() {
			if err := ns.Do(func() error {
				noPorts0 = snmpValue(readFile(t, "/proc/thread-self/net/snmp"), "Udp", "NoPorts")
				sendN(send, &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}, 1000, 32)
				noPorts1 = snmpValue(readFile(t, "/proc/thread-self/net/snmp"), "Udp", "NoPorts")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
		induced := noPorts1 - noPorts0
		if induced != 1000 {
			t.Errorf("Udp NoPorts moved %d; want 1000", induced)
		}
		if checkReason(t, iv, "NO_SOCKET", induced, iv.host.noPorts, attempt == 2) {
			return
		}
	}
}

func TestIntegrationQdiscDrops(t *testing.T) {
	fs := requirePerf(t)
	ns1, ns2 := netnstest.New(t), netnstest.New(t)
	ns1.Run("ip", "link", "add", "v0", "address", "02:00:00:00:00:01", "type", "veth",
		"peer", "name", "v1", "address", "02:00:00:00:00:02", "netns", ns2.Name)
	ns1.Run("ip", "addr", "add", "10.9.0.1/24", "dev", "v0")
	ns2.Run("ip", "addr", "add", "10.9.0.2/24", "dev", "v1")
	ns1.Run("ip", "link", "set", "v0", "up")
	ns2.Run("ip", "link", "set", "v1", "up")
	ns1.Run("ip", "neigh", "replace", "10.9.0.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent")
	ns1.Run("tc", "qdisc", "add", "dev", "v0", "root", "tbf", "rate", "1mbit", "burst", "1600", "limit", "3000")
	port := testPort()
	var send int
	if err := ns1.Do(func() error { send = udpSocket(t, 0, 0); return nil }); err != nil {
		t.Fatal(err)
	}
	tbfDrops := func() uint64 {
		var qs []struct {
			Kind  string `json:"kind"`
			Drops uint64 `json:"drops"`
		}
		if err := json.Unmarshal([]byte(ns1.Run("tc", "-s", "-j", "qdisc", "show", "dev", "v0")), &qs); err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if q.Kind == "tbf" {
				return q.Drops
			}
		}
		t.Fatal("no tbf qdisc on v0")
		return 0
	}
	for attempt := 0; ; attempt++ {
		var d0, d1 uint64
		iv := measure(t, fs, port, func() {
			d0 = tbfDrops()
			if err := ns1.Do(func() error {
				sendN(send, &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{10, 9, 0, 2}}, 3000, 1000)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			d1 = tbfDrops()
		})
		induced := d1 - d0
		if induced < 1000 {
			t.Fatalf("tbf dropped only %d of 3000", induced)
		}
		if checkReason(t, iv, "QDISC_DROP", induced, iv.host.qdisc, attempt == 2) {
			return
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := readAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
