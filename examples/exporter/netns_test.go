package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestNetNSAndJoin runs the exporter in-process against a namespace
// (-netns) with a -join socket, overflows that socket from inside the
// namespace, and checks that /metrics carries the socket's own series and
// the namespace's Udp counters with the kernel's values.
func TestNetNSAndJoin(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	const group = "239.5.5.5:5055"
	ex, err := newExporter(&options{netns: ns.Path, join: []netip.AddrPort{netip.MustParseAddrPort(group)},
		iface: "lo", rcvbuf: 4096, maxSockets: 50}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.close()
	srv := httptest.NewServer(ex.handler())
	defer srv.Close()
	// The sink is not reading yet: everything beyond the buffer drops.

	var conn *net.UDPConn
	if err := ns.Do(func() error {
		var err error
		conn, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(group)))
		if err != nil {
			return err
		}
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			return err
		}
		return ipv4.NewPacketConn(conn).SetMulticastInterface(lo)
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const sent = 500
	b := make([]byte, 64)
	for i := range uint64(sent) {
		binary.BigEndian.PutUint64(b, i)
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// The kernel's view: ss in the namespace.
	ss := ns.Run("ss", "-u", "-a", "-m", "-n")
	var drops int
	for _, f := range strings.Fields(ss) {
		if strings.HasPrefix(f, "skmem:(") {
			for _, kv := range strings.Split(strings.Trim(f[len("skmem:("):], ")"), ",") {
				// The receiver is the only socket with drops (the
				// sender's line shows d0).
				var d int
				if strings.HasPrefix(kv, "d") {
					if _, err := fmt.Sscan(kv[1:], &d); err == nil {
						drops = max(drops, d)
					}
				}
			}
		}
	}
	if drops == 0 {
		t.Fatalf("no drops in ss output:\n%s", ss)
	}

	// Read what was queued, then scrape.
	ctx, cancel := testContext(t, 2*time.Second)
	defer cancel()
	go ex.sink.run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for ex.sink.conn.Stats().Packets+uint64(drops) < sent && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_, _ = ex.sink.conn.Sample()

	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	received := sent - drops
	if want := fmt.Sprintf(`packetpath_udp_receive_buffer_errors_total{network_transport="udp",network_type="ipv4"} %d`, drops); !strings.Contains(text, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	// The instrumented socket carries the same socket labels as its row
	// of the UDP table: address, port, inode and this process.
	if v, n := sampleValue(t, text, "packetpath_socket_packets_total", `packetpath_multicast_groups="239.5.5.5"`,
		`network_local_address="239.5.5.5"`, `network_local_port="5055"`,
		fmt.Sprintf(`packetpath_socket_inode="%d"`, connInode(t, ex.sink.conn.UDPConn())), fmt.Sprintf(`process_pid="%d"`, os.Getpid())); n != 1 || v != float64(received) {
		t.Errorf("packetpath_socket_packets_total = %v (%d series), want %d", v, n, received)
	}
	// The joined socket's row of the UDP table: its own series, with its
	// inode and this process as the owner.
	if v, n := sampleValue(t, text, "packetpath_udp_socket_drops_total", `network_local_address="239.5.5.5"`, `network_local_port="5055"`,
		fmt.Sprintf(`packetpath_socket_inode="%d"`, connInode(t, ex.sink.conn.UDPConn())), fmt.Sprintf(`process_pid="%d"`, os.Getpid())); n != 1 || v != float64(drops) {
		t.Errorf("packetpath_udp_socket_drops_total for 239.5.5.5:5055 = %v (%d series), ss %d", v, n, drops)
	}
	if t.Failed() {
		t.Logf("ss:\n%s\n/metrics (packetpath_socket_*, Udp):\n%s", ss, grep(text, "packetpath_socket_", "Udp."))
	}
}

// connInode is the inode of the socket behind c (fstat), as /proc/net/udp
// and sock_diag show it.
func connInode(t *testing.T, c *net.UDPConn) uint64 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil || serr != nil {
		t.Fatalf("fstat: %v %v", err, serr)
	}
	return st.Ino
}

func grep(text string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) && !strings.HasPrefix(l, "#") {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func testContext(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), d)
}
