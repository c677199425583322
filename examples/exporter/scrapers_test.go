package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// nsUDPRcvbufErrors reads Udp RcvbufErrors from /proc/net/snmp in ns.
func nsUDPRcvbufErrors(t *testing.T, ns *netnstest.NS) uint64 {
	t.Helper()
	lines := strings.Split(ns.Run("cat", "/proc/net/snmp"), "\n")
	for i := 0; i+1 < len(lines); i++ {
		h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(h) == 0 || h[0] != "Udp:" || len(v) != len(h) {
			continue
		}
		for j := range h {
			if h[j] == "RcvbufErrors" {
				n, err := strconv.ParseUint(v[j], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
	}
	t.Fatal("no Udp RcvbufErrors in /proc/net/snmp")
	return 0
}

// nsUDPDrops reads the drops column of /proc/net/udp in ns by inode.
func nsUDPDrops(t *testing.T, ns *netnstest.NS) map[uint64]uint64 {
	t.Helper()
	out := map[uint64]uint64{}
	for _, line := range strings.Split(ns.Run("cat", "/proc/net/udp"), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 13 {
			continue
		}
		ino, err1 := strconv.ParseUint(f[9], 10, 64)
		d, err2 := strconv.ParseUint(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("/proc/net/udp %q", line)
		}
		out[ino] = d
	}
	return out
}

// groupReceiver binds 0.0.0.0:port with SO_REUSEADDR, joins group on lo and
// returns the socket's inode.
func groupReceiver(t *testing.T, group [4]byte, port, rcvbuf, opt int) uint64 {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	for _, err := range []error{
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, rcvbuf),
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1),
		unix.Bind(fd, &unix.SockaddrInet4{Port: port}),
		unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreq{Multiaddr: group, Interface: [4]byte{127, 0, 0, 1}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestTwoScrapersOneExporter is issue 17 items 1 and 4 end to end: two
// receivers of one group on 0.0.0.0:5002 (8 MiB and 2,304-byte buffers, the
// small one drops) in a namespace, and two Prometheus-format scrapers of one
// exporter taking turns while the group is flooded. Each scraper must read
// packetpath_stage_drops_total{packetpath_stage="rx-socket"} equal to the
// kernel's Udp RcvbufErrors since the first scrape, and the socket table
// must be two series, one per inode, each with /proc/net/udp's drops, its
// own rcvbuf and the owning process.
func TestTwoScrapersOneExporter(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	const port = 5002
	group := [4]byte{239, 17, 2, 2}
	var bigIno, smallIno uint64
	var tx int
	if err := ns.Do(func() error {
		bigIno = groupReceiver(t, group, port, 4<<20, unix.SO_RCVBUFFORCE)
		smallIno = groupReceiver(t, group, port, 1, unix.SO_RCVBUF)
		var err error
		tx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		t.Cleanup(func() { unix.Close(tx) })
		return unix.SetsockoptInet4Addr(tx, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1})
	}); err != nil {
		t.Fatal(err)
	}
	send := func(n int) {
		b := make([]byte, 64)
		for range n {
			if err := unix.Sendto(tx, b, 0, &unix.SockaddrInet4{Port: port, Addr: group}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ex, err := newExporter(&options{netns: ns.Path, maxSockets: 50}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.close()
	srv := httptest.NewServer(ex.handler())
	defer srv.Close()

	base := nsUDPRcvbufErrors(t, ns)
	const stage = "packetpath_stage_drops_total"
	last := map[string]float64{}
	var text string
	for i, s := range []struct {
		scraper string
		send    int
	}{{"A", 0}, {"B", 0}, {"A", 400}, {"B", 600}, {"A", 0}, {"A", 300}, {"B", 0}, {"B", 500}, {"A", 0}} {
		send(s.send)
		text = scrape(t, srv)
		kernel := float64(nsUDPRcvbufErrors(t, ns) - base)
		got, n := sampleValue(t, text, stage, `packetpath_stage="rx-socket"`)
		if n != 1 || got != kernel {
			t.Errorf("scrape %d by %s: %s{rx-socket} = %v (%d series), kernel Udp.RcvbufErrors +%v since the first scrape", i, s.scraper, stage, got, n, kernel)
		}
		last[s.scraper] = got
	}
	if last["A"] != last["B"] || last["A"] == 0 {
		t.Errorf("final: scraper A %v, scraper B %v; want equal and non-zero", last["A"], last["B"])
	}
	if !strings.Contains(text, "# TYPE "+stage+" counter") {
		t.Errorf("%s is not a counter:\n%s", stage, grep(text, "stage_drops"))
	}

	kernel := nsUDPDrops(t, ns)
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	owner := []string{fmt.Sprintf(`process_pid="%d"`, os.Getpid()), fmt.Sprintf(`process_executable_name=%q`, strings.TrimSpace(string(comm)))}
	if _, n := sample(text, "packetpath_udp_socket_drops_total", `network_local_address="0.0.0.0"`, `network_local_port="5002"`); n != 2 {
		t.Errorf("%d drop series for 0.0.0.0:5002, want 2", n)
	}
	for ino, rcvbuf := range map[uint64]float64{smallIno: 2304, bigIno: 8 << 20} {
		id := append([]string{`network_local_address="0.0.0.0"`, `network_local_port="5002"`, fmt.Sprintf(`packetpath_socket_inode="%d"`, ino)}, owner...)
		if v, n := sampleValue(t, text, "packetpath_udp_socket_drops_total", id...); n != 1 || v != float64(kernel[ino]) {
			t.Errorf("inode %d: drops %v (%d series), /proc/net/udp %d", ino, v, n, kernel[ino])
		}
		if v, n := sampleValue(t, text, "packetpath_udp_socket_receive_buffer_limit_bytes", id...); n != 1 || v != rcvbuf {
			t.Errorf("inode %d: rcvbuf %v (%d series), want %v", ino, v, n, rcvbuf)
		}
	}
	if kernel[smallIno] == 0 || kernel[bigIno] != 0 {
		t.Errorf("/proc/net/udp drops: small %d, big %d", kernel[smallIno], kernel[bigIno])
	}
	t.Logf("kernel Udp.RcvbufErrors +%d; scrapers A %v, B %v; inode %d dropped %d, inode %d dropped %d",
		nsUDPRcvbufErrors(t, ns)-base, last["A"], last["B"], smallIno, kernel[smallIno], bigIno, kernel[bigIno])
	if t.Failed() {
		t.Logf("/metrics:\n%s", grep(text, "udp_socket", "stage_drops"))
	}
}
