package netstack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// procDevFromLink computes the 16 columns of /proc/net/dev from the
// rtnl_link_stats64 of a link, as net/core/net-procfs.c
// dev_seq_printf_stats prints them.
func procDevFromLink(s *nic.LinkStats) [16]uint64 {
	return [16]uint64{s.RxBytes, s.RxPackets, s.RxErrors, s.RxDropped + s.RxMissedErrors, s.RxFIFOErrors,
		s.RxLengthErrors + s.RxOverErrors + s.RxCRCErrors + s.RxFrameErrors, s.RxCompressed, s.Multicast,
		s.TxBytes, s.TxPackets, s.TxErrors, s.TxDropped, s.TxFIFOErrors, s.Collisions,
		s.TxCarrierErrors + s.TxAbortedErrors + s.TxWindowErrors + s.TxHeartbeatErrors, s.TxCompressed}
}

func procDevColumnsOf(d *procparse.NetDevStats) [16]uint64 {
	return [16]uint64{d.RxBytes, d.RxPackets, d.RxErrors, d.RxDropped, d.RxFIFO, d.RxFrame, d.RxCompressed, d.RxMulticast,
		d.TxBytes, d.TxPackets, d.TxErrors, d.TxDropped, d.TxFIFO, d.TxCollisions, d.TxCarrier, d.TxCompressed}
}

// TestProcNetDevMatchesRtnetlink makes a veth really drop on receive and
// checks the kernel's /proc/net/dev against rtnetlink in the same
// namespace: every column equals the rtnl_link_stats64 fields it is built
// from, the drop column included. The drops: ppd0 (MTU 9000) sends
// 4000-byte datagrams to its peer ppd1 (MTU 1500) in another namespace;
// the veth's forward refuses frames longer than the receiver's MTU
// (is_skb_forwardable) and counts them in ppd1's core rx_dropped.
//
// Then a two-frame bundle of the receiving namespace, captured around the
// drops and stripped of its netlink dumps and sys/ as a /proc-only copy is,
// gives the rx-nic finding first, on ppd1, from the drop column.
func TestProcNetDevMatchesRtnetlink(t *testing.T) {
	a := netnstest.New(t, netnstest.WithVeth("ppd0", "ppd1", "10.79.0.1/24", ""))
	b := netnstest.New(t)
	a.Run("ip", "link", "set", "ppd1", "netns", b.Name)
	b.Run("ip", "addr", "add", "10.79.0.2/24", "dev", "ppd1")
	b.Run("ip", "link", "set", "ppd1", "up")
	a.Run("ip", "link", "set", "ppd0", "mtu", "9000")
	var tx int
	if err := a.Do(func() error {
		tx = udpSocket(t, [4]byte{10, 79, 0, 1}, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sendBig := func(n int) {
		payload := make([]byte, 4000)
		for range n {
			if err := unix.Sendto(tx, payload, 0, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{10, 79, 0, 2}}); err != nil {
				t.Fatalf("sendto: %v", err)
			}
		}
	}
	// Resolve the neighbour with a small datagram first: ARP frames pass.
	sendN(t, tx, [4]byte{10, 79, 0, 2}, 9, 1)
	time.Sleep(100 * time.Millisecond)

	// The bundle of b: frames 600 ms apart, the drops between them.
	dir := filepath.Join(t.TempDir(), "b")
	live, err := NewCollector(Config{NetNS: b.Path, Sources: SourceLinks | SourceSNMP})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	var s0 Snapshot
	if err := live.Collect(context.Background(), &s0); err != nil {
		t.Fatal(err)
	}
	var base uint64 // drops before ours (a frame that arrived while ppd1 was down)
	for _, l := range s0.Sources.Links {
		if l.Name == "ppd1" {
			base = l.Stats.RxDropped
		}
	}
	const drops = 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(200 * time.Millisecond)
		payload := make([]byte, 4000)
		for range drops {
			unix.Sendto(tx, payload, 0, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{10, 79, 0, 2}})
		}
	}()
	if err := live.WriteBundle(context.Background(), dir, CaptureOptions{Frames: 2, Interval: 600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	<-done
	sendBig(drops) // and as many again before comparing with rtnetlink

	// /proc/net/dev and rtnetlink of b, read until two reads of the file
	// agree around the dump (nothing else moves the counters here).
	var nd, nd2 procparse.NetDev
	var s Snapshot
	for try := 0; ; try++ {
		if err := b.Do(func() error {
			fs, err := procparse.NewDefaultFS()
			if err != nil {
				return err
			}
			nd, err = fs.NetDev()
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := live.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		b.Do(func() error {
			fs, _ := procparse.NewDefaultFS()
			nd2, _ = fs.NetDev()
			return nil
		})
		same := len(nd.Devices) == len(nd2.Devices)
		for i := 0; same && i < len(nd.Devices); i++ {
			same = nd.Devices[i] == nd2.Devices[i]
		}
		if same || try == 5 {
			break
		}
	}
	if len(s.Sources.Links) != len(nd.Devices) {
		t.Fatalf("%d links over rtnetlink, %d devices in /proc/net/dev", len(s.Sources.Links), len(nd.Devices))
	}
	for i := range s.Sources.Links {
		l := &s.Sources.Links[i]
		d, ok := nd.Device(l.Name)
		if !ok {
			t.Errorf("%s is not in /proc/net/dev", l.Name)
			continue
		}
		want, got := procDevFromLink(&l.Stats), procDevColumnsOf(d)
		if want != got {
			t.Errorf("%s: /proc/net/dev %v, rtnetlink sums %v", l.Name, got, want)
		}
		t.Logf("%s: /proc/net/dev = rtnetlink: %v (rx_dropped %d, rx_missed_errors %d)", l.Name, got, l.Stats.RxDropped, l.Stats.RxMissedErrors)
		if l.Name == "ppd1" && (l.Stats.RxDropped != base+2*drops || d.RxDropped != base+2*drops) {
			t.Errorf("ppd1: rx_dropped %d, drop column %d, want %d+%d", l.Stats.RxDropped, d.RxDropped, base, 2*drops)
		}
	}

	// The captured bundle read as a /proc-only tree.
	for _, fr := range []string{"frame-000", "frame-001"} {
		if err := os.RemoveAll(filepath.Join(dir, fr, "netlink")); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(dir, fr, "sys"))
	}
	c, err := NewCollector(Config{Bundle: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var p0, p1 Snapshot
	c.Collect(context.Background(), &p0)
	c.Collect(context.Background(), &p1)
	var dl Delta
	ComputeDelta(&p0, &p1, &dl)
	fs := Diagnose(&dl)
	if len(fs) == 0 || fs[0].Stage != StageNIC || fs[0].Object != "ppd1" || fs[0].Drops != drops ||
		!hasEvidence(fs[0], SourceLinks, ProcNetDevRxDrop, drops) {
		t.Fatalf("first finding should be ppd1's drop column +%d:\n%s", drops, findingsText(fs))
	}
	ring := false
	for _, k := range fs[0].Knobs {
		ring = ring || k.Name == "RX ring size"
	}
	if !ring {
		t.Errorf("no RX ring knob: %+v", fs[0].Knobs)
	}
	t.Logf("\n%s", findingsText(fs))
}
