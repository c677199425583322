package netstack

import (
	"context"

	"github.com/packetpath/packetpath/dropevents"
)

// dropSource counts kernel drop events (tracepoints and skb drop reasons).
// Tracepoints see every network namespace of the host, whatever Config.NetNS
// says; a port filter (dropevents.Config.Port) narrows the UDP tracepoint.
type dropSource struct {
	dc *dropevents.Collector
}

func openDropSource(opts dropevents.Config) source {
	dc, err := dropevents.Open(opts)
	if err != nil {
		return failedSource{SourceDropEvents, err}
	}
	return &dropSource{dc: dc}
}

func (s *dropSource) kind() Source { return SourceDropEvents }

func (s *dropSource) collect(_ context.Context, snap *Snapshot) error {
	d := &snap.Sources.Drops
	if err := s.dc.Snapshot(d); err != nil {
		return err
	}
	appendDrops(snap, d)
	return nil
}

func (s *dropSource) close() error { return s.dc.Close() }

// appendDrops flattens drop-event counts: tracepoints by their
// "system:name", reasons by the kernel's reason name.
func appendDrops(snap *Snapshot, d *dropevents.Counts) {
	tp := func(name string, stage Stage, t dropevents.Tracepoint) {
		if t.Present {
			snap.next().set(SourceDropEvents, stage, 64, false, -1, t.Count, 0, "", name, "")
		}
	}
	tp("udp:udp_fail_queue_rcv_skb", StageSocket, d.UDPFailQueueRcvSkb)
	tp("sock:sock_rcvqueue_full", StageSocket, d.SockRcvqueueFull)
	tp("sock:sock_exceed_buf_limit", StageSocket, d.SockExceedBufLimit)
	tp("skb:kfree_skb", StageIP, d.KfreeSkb)
	for i := range d.Reasons {
		r := &d.Reasons[i]
		st, ok := reasonStage(r.Name)
		if !ok {
			st = StageIP
		}
		snap.next().set(SourceDropEvents, st, 64, false, -1, r.Count, 0, "", r.Name, "")
	}
}
