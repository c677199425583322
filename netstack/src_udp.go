package netstack

import (
	"context"
	"net/netip"

	"github.com/packetpath/packetpath/procparse"
	"github.com/packetpath/packetpath/udptable"
)

// udpSource dumps the namespace's UDP sockets over sock_diag (ss -uamn).
type udpSource struct {
	c      *Collector
	table  *udptable.Table
	filter udptable.Filter
	names  map[netip.AddrPort]string
}

func openUDPSource(c *Collector) source {
	t, err := udptable.Open(udptable.Config{ProcRoot: c.cfg.ProcRoot})
	if err != nil {
		return failedSource{SourceUDP, err}
	}
	s := &udpSource{c: c, table: t, names: map[netip.AddrPort]string{}}
	if len(c.cfg.UDPPorts) > 0 {
		fs := make([]udptable.Filter, len(c.cfg.UDPPorts))
		for i, p := range c.cfg.UDPPorts {
			fs[i] = udptable.FilterLocalPort(p)
		}
		s.filter = udptable.FilterOr(fs...)
	}
	return s
}

func (s *udpSource) kind() Source { return SourceUDP }

func (s *udpSource) collect(ctx context.Context, snap *Snapshot) error {
	d := &snap.Sources
	socks, err := s.table.Dump(ctx, d.UDP[:0], s.filter)
	d.UDP = socks
	if err != nil {
		return err
	}
	if len(s.names) > 4*len(socks)+1024 {
		clear(s.names)
	}
	appendUDP(snap, socks, s.names)
	return nil
}

func (s *udpSource) close() error { return s.table.Close() }

// appendUDP flattens per-socket drops and receive memory. A socket is
// identified by its inode, not its address: several sockets can share one
// local address (SO_REUSEADDR or SO_REUSEPORT receivers of one multicast
// group), each with its own buffer and drops. So Object is the local address
// and port, Index is the socket's inode (idiag_inode, the INODE of
// /proc/PID/fd's "socket:[INODE]" and /proc/net/udp's inode column), and Gen
// is its sock_diag cookie (idiag_cookie; 0 when unknown, as from
// /proc/net/udp). A socket re-created on the same address gets a new inode
// and so new counters; an inode the kernel reuses for another socket comes
// with another cookie and reads as a reset. names caches the address
// strings.
func appendUDP(snap *Snapshot, socks []udptable.UDPSocket, names map[netip.AddrPort]string) {
	for i := range socks {
		k := &socks[i]
		obj, ok := names[k.Local]
		if !ok {
			obj = k.Local.String()
			names[k.Local] = obj
		}
		// Inodes are unsigned int in the kernel (get_next_ino): they always
		// fit; the clamp only keeps a corrupt value from going negative.
		idx := int64(min(k.Inode, 1<<63-1))
		add := func(id counterID, v uint64) { snap.put(id, idx, v, k.Cookie, obj, "") }
		if k.Mem.HasDrops() {
			add(cUDPDrops, k.Mem.Drops)
		}
		add(cUDPRxQueue, k.RxQueue)
		if k.Mem.Fields > 0 && k.Mem.RcvBuf > 0 {
			add(cUDPRmemAlloc, k.Mem.RmemAlloc)
			add(cUDPRcvbuf, k.Mem.RcvBuf)
		}
	}
}

// udpFromProc converts a /proc/net/udp line into the sock_diag form, for
// trees that have no recorded sock_diag data. /proc has no rcvbuf: the
// memory info holds only the queue and the drops.
func udpFromProc(p *procparse.UDPSocket) udptable.UDPSocket {
	u := udptable.UDPSocket{
		Protocol: udptable.ProtocolUDP,
		Local:    p.Local,
		Remote:   p.Remote,
		State:    p.State,
		UID:      p.UID,
		Inode:    p.Inode,
		RxQueue:  p.RxQueue,
		TxQueue:  p.TxQueue,
	}
	u.Family = udptable.FamilyIPv4
	if p.Local.Addr().Is6() {
		u.Family = udptable.FamilyIPv6
	}
	if p.HasDrops {
		u.Mem.Drops = p.Drops
		u.Mem.RmemAlloc = p.RxQueue
		u.Mem.WmemAlloc = p.TxQueue
		u.Mem.Fields = 9
	}
	return u
}
