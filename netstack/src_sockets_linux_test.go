package netstack

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/procparse"
	"github.com/packetpath/packetpath/socketstats"
)

// ownCounter finds a SourceSockets counter of object by name.
func ownCounter(s *Snapshot, object, name string) (uint64, bool) {
	for i := range s.Counters {
		c := &s.Counters[i]
		if c.Source == SourceSockets && c.Object == object && c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// procUDPOf reads the rx_queue and drops columns of the socket with the
// given inode from the calling thread's /proc/thread-self/net/udp.
func procUDPOf(t *testing.T, inode uint64) (rxQueue, drops uint64) {
	t.Helper()
	fs, err := procparse.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := fs.UDP(procparse.FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tab.Sockets {
		if s.Inode == inode {
			return s.RxQueue, s.Drops
		}
	}
	t.Fatalf("no socket with inode %d in /proc/net/udp", inode)
	return 0, 0
}

// TestOwnSocketLiveKernelValues: the counters of a socket added with
// AddSocket are read from the kernel at collection time. The socket's
// reader never runs, yet drops, rmem_alloc and rcvbuf are there and equal
// /proc/net/udp's drops and rx_queue for its inode; the collection
// allocates nothing; a closed socket is reported as an error of its own
// and its kernel-side counters are left out (the read path's stay).
func TestOwnSocketLiveKernelValues(t *testing.T) {
	const port, name = 6420, "127.0.0.1:6420"
	ns := netnstest.New(t)
	err := ns.Do(func() error {
		conn, err := socketstats.Open(socketstats.Config{Bind: netip.MustParseAddr("127.0.0.1"), Port: port, ReceiveBuffer: 16384})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var inode uint64
		rc, err := conn.UDPConn().SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		rc.Control(func(fd uintptr) {
			var st unix.Stat_t
			if unix.Fstat(int(fd), &st) == nil {
				inode = st.Ino
			}
		})
		c, err := NewCollector(Config{Sources: SourceSockets})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.AddSocket(name, conn)
		ctx := context.Background()
		var s Snapshot

		tx := udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
		sent := sendN(t, tx, [4]byte{127, 0, 0, 1}, port, 2000)
		c.Collect(ctx, &s)
		if len(s.Errors) != 0 {
			t.Fatalf("errors: %v", s.Err())
		}
		rxq, pdrops := procUDPOf(t, inode)
		drops, okD := ownCounter(&s, name, "drops")
		used, okU := ownCounter(&s, name, "rmem_alloc")
		size, okS := ownCounter(&s, name, "rcvbuf")
		packets, _ := ownCounter(&s, name, "packets")
		if !okD || !okU || !okS || drops != pdrops || used != rxq || size != 32768 || drops == 0 || packets != 0 {
			t.Errorf("no read yet: drops %d (%v) /proc %d, rmem_alloc %d (%v) /proc rx_queue %d, rcvbuf %d (%v), packets %d; sent %d",
				drops, okD, pdrops, used, okU, rxq, size, okS, packets, sent)
		}
		t.Logf("reader never ran: sent %d, drops %d = /proc/net/udp %d, rmem_alloc %d = rx_queue %d, rcvbuf %d", sent, drops, pdrops, used, rxq, size)

		// One batch read, more traffic: drops move past the batch's value.
		msgs := make([]socketstats.Message, 8)
		for i := range msgs {
			msgs[i].Buf = make([]byte, 2048)
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := conn.ReadBatch(rctx, msgs)
		cancel()
		if err != nil || n != 8 {
			t.Fatalf("ReadBatch: %d, %v", n, err)
		}
		lastBatch := conn.LastBatch().Drops
		sent += sendN(t, tx, [4]byte{127, 0, 0, 1}, port, 1000)
		c.Collect(ctx, &s)
		_, pdrops = procUDPOf(t, inode)
		drops, _ = ownCounter(&s, name, "drops")
		packets, _ = ownCounter(&s, name, "packets")
		if drops != pdrops || drops <= lastBatch || packets != 8 {
			t.Errorf("after a batch and 1000 more: drops %d, /proc %d, last batch's %d, packets %d", drops, pdrops, lastBatch, packets)
		}

		if a := testing.AllocsPerRun(100, func() { c.Collect(ctx, &s) }); a != 0 {
			t.Errorf("Collect with an own socket: %.1f allocs, want 0", a)
		}

		// Closed without RemoveSocket: an error for that socket only.
		conn.Close()
		c.Collect(ctx, &s)
		if len(s.Errors) != 1 || s.Errors[0].Source != SourceSockets || s.Errors[0].Object != name || !errors.Is(s.Errors[0].Err, net.ErrClosed) {
			t.Errorf("closed socket: errors %v", s.Err())
		}
		// The kernel-side counters are left out (no stale values); the
		// read path's stay.
		for _, n := range []string{"drops", "rmem_alloc", "rcvbuf", "rmem_high_water"} {
			if v, ok := ownCounter(&s, name, n); ok {
				t.Errorf("closed socket: %s = %d (an earlier sample's), want it left out", n, v)
			}
		}
		if p, ok := ownCounter(&s, name, "packets"); !ok || p != 8 {
			t.Errorf("closed socket: packets %d (%v), want the read path's 8", p, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
