package netstack

import (
	"context"
	"slices"
	"sync"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/socketstats"
)

// OwnSocket is the state of one of the process's own socketstats sockets.
type OwnSocket struct {
	// Name is the name given to AddSocket (e.g. the group and port).
	Name  string            `json:"name"`
	Stats socketstats.Stats `json:"stats"`
}

// ownSockets holds the sockets registered with AddSocket. It has its own
// lock because sockets come and go from other goroutines.
type ownSockets struct {
	mu    sync.Mutex
	names []string
	conns []*socketstats.Conn
}

// AddSocket adds one of the process's instrumented sockets to the
// snapshots (SourceSockets), under name (which becomes the counters'
// Object, e.g. "239.1.1.1:5000"). The richer per-socket view (drops per
// batch, pending datagram, buffer fill, queueing delay) then joins the
// diagnosis. Remove it with RemoveSocket before closing the socket.
//
// Each collection reads the socket's kernel state with one
// getsockopt(SO_MEMINFO) (socketstats.Conn.SampleStats), so these counters
// are the kernel's at collection time, whether or not the application is
// reading: drops (sk_drops, SK_MEMINFO_DROPS, widened to 64 bits),
// rmem_alloc (SK_MEMINFO_RMEM_ALLOC, bytes of skb truesize queued), rcvbuf
// (SK_MEMINFO_RCVBUF, bytes) and rmem_high_water (the largest rmem_alloc
// any sample saw). These come from the read path (Conn.ReadBatch)
// and move only as the application reads through it: packets, bytes,
// batches, truncated, pending (the last SIOCINQ reading, taken after each
// batch and by Conn.Sample: the length in bytes of the next queued
// datagram) and queue_delay_max_ns.
//
// When the sample fails (a socket closed without RemoveSocket) the
// snapshot has an error for the socket (Source SourceSockets, Object name)
// and leaves out its kernel-side counters (drops, rmem_alloc, rcvbuf,
// rmem_high_water; Stats.DropsKnown and BufferKnown are false): an earlier
// sample's values are not the kernel's now. The read-path counters stay.
func (c *Collector) AddSocket(name string, conn *socketstats.Conn) {
	c.own.mu.Lock()
	defer c.own.mu.Unlock()
	c.own.names = append(c.own.names, name)
	c.own.conns = append(c.own.conns, conn)
}

// RemoveSocket removes a socket added with AddSocket.
func (c *Collector) RemoveSocket(conn *socketstats.Conn) {
	c.own.mu.Lock()
	defer c.own.mu.Unlock()
	if i := slices.Index(c.own.conns, conn); i >= 0 {
		c.own.names = slices.Delete(c.own.names, i, i+1)
		c.own.conns = slices.Delete(c.own.conns, i, i+1)
	}
}

type ownSource struct{ c *Collector }

func (s ownSource) kind() Source { return SourceSockets }

func (s ownSource) collect(_ context.Context, snap *Snapshot) error {
	o := &s.c.own
	o.mu.Lock()
	defer o.mu.Unlock()
	d := &snap.Sources
	for i, conn := range o.conns {
		var k *OwnSocket
		d.Sockets, k = reuse.Next(d.Sockets)
		k.Name = o.names[i]
		// One getsockopt(SO_MEMINFO): drops and buffer use as the kernel
		// has them now, not as the reader's last batch left them.
		if err := conn.SampleStats(&k.Stats); err != nil {
			snap.addErr(SourceSockets, k.Name, err)
			// The kernel was not asked: what Stats holds of it is an
			// earlier sample's. Leave it out rather than show it as now.
			k.Stats.DropsKnown = false
			k.Stats.BufferKnown = false
		}
	}
	appendOwn(snap, d.Sockets)
	return nil
}

func (s ownSource) close() error { return nil }

func appendOwn(snap *Snapshot, socks []OwnSocket) {
	for i := range socks {
		k := &socks[i]
		st := &k.Stats
		add := func(id counterID, v uint64) { snap.put(id, -1, v, 0, k.Name, "") }
		add(cSocketPackets, st.Packets)
		add(cSocketBytes, st.Bytes)
		add(cSocketBatches, st.Batches)
		if st.DropsKnown {
			add(cSocketDrops, st.Drops)
		}
		add(cSocketTruncated, st.Truncated)
		if st.UnjoinedKnown {
			add(cSocketUnjoined, st.Unjoined)
		}
		add(cSocketPending, st.NextDatagram)
		if st.BufferKnown {
			add(cSocketRmemAlloc, st.Buffer.Used)
			add(cSocketRcvbuf, st.Buffer.Size)
			add(cSocketRmemHighWater, st.HighWater)
		}
		if st.QueueDelay.Count > 0 {
			add(cSocketQueueDelayMax, st.QueueDelay.Max)
		}
	}
}
