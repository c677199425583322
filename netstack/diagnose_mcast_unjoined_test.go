package netstack

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/socketstats"
)

// TestDiagnoseMcastUnjoinedGroups: an own socket (socketstats, PacketInfo)
// bound to 0.0.0.0:5651 with IP_MULTICAST_ALL on joined 239.7.5.1; another
// socket joined 239.7.5.2 on port 5652. 80 datagrams to 239.7.5.1:5651 and
// 60 to 239.7.5.2:5651 are read: the socket finding is first, naming the
// own socket with unjoined +60, equal to the datagrams whose IP_PKTINFO
// destination was 239.7.5.2.
func TestDiagnoseMcastUnjoinedGroups(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	g1, g2 := netip.MustParseAddr("239.7.5.1"), netip.MustParseAddr("239.7.5.2")
	var conn *socketstats.Conn
	var tx int
	if err := ns.Do(func() error {
		var err error
		conn, err = socketstats.Open(socketstats.Config{Interface: "lo", Port: 5651, Bind: netip.IPv4Unspecified(),
			Groups: []socketstats.Group{{Addr: g1}}, MulticastAll: true, PacketInfo: true})
		if err != nil {
			return err
		}
		other := udpSocket(t, [4]byte{}, 5652, 0)
		if err := unix.SetsockoptIPMreqn(other, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreqn{Multiaddr: g2.As4(), Ifindex: 1}); err != nil {
			return err
		}
		tx = loMcastSender(t)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: mcastSources | SourceSockets})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.AddSocket("feed", conn)
	byDst := map[netip.Addr]int{}
	d := collectPair(t, c, func() {
		sendN(t, tx, g1.As4(), 5651, 80)
		sendN(t, tx, g2.As4(), 5651, 60)
		msgs := make([]socketstats.Message, 64)
		for i := range msgs {
			msgs[i].Buf = make([]byte, 256)
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			n, err := conn.ReadBatch(ctx, msgs)
			cancel()
			for _, m := range msgs[:n] {
				byDst[m.Dst]++
			}
			if err != nil {
				return
			}
		}
	})
	if byDst[g1] != 80 || byDst[g2] != 60 {
		t.Fatalf("read by destination %v, want 80 and 60", byDst)
	}
	fs := Diagnose(d)
	t.Logf("\n%s", findingsText(fs))
	if len(fs) == 0 || fs[0].Stage != StageSocket || fs[0].Object != "feed" {
		t.Fatalf("want the own socket's finding first")
	}
	u := d.Find(SourceSockets, "feed", -1, SocketUnjoined)
	if u == nil || u.Delta != 60 || conn.Unjoined() != 60 {
		t.Fatalf("unjoined %+v, Conn.Unjoined %d, want +60", u, conn.Unjoined())
	}
	if !hasEvidence(fs[0], SourceSockets, SocketUnjoined, 60) || fs[0].Knobs[0].Name != "IP_MULTICAST_ALL" {
		t.Errorf("finding %+v", fs[0])
	}
}
