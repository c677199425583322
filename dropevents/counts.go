package dropevents

// Tracepoint is the count of one tracepoint since the Collector opened.
type Tracepoint struct {
	// Present is false when the running kernel has no such tracepoint (or
	// it was not requested), which is distinct from a count of zero.
	Present bool
	// Count is the number of times the tracepoint fired on all CPUs and in
	// all network namespaces of the host, after the kernel-side filter.
	Count uint64
}

// ReasonCount is the number of skb:kfree_skb events with one drop reason.
type ReasonCount struct {
	// Reason is the enum skb_drop_reason value on the running kernel. The
	// numbers differ between kernels: match on Name.
	Reason uint32
	// Name is the kernel's name without the SKB_DROP_REASON_ prefix
	// ("SOCKET_RCVBUFF", "NO_SOCKET", "QDISC_DROP"), taken from the
	// tracepoint's format file.
	Name string
	// Count is the number of drops with this reason.
	Count uint64
}

// Counts is one reading of a Collector. All counts are cumulative since
// Open and host-wide (every network namespace): see the package doc.
type Counts struct {
	// UDPFailQueueRcvSkb counts udp:udp_fail_queue_rcv_skb: a datagram
	// that __udp_queue_rcv_skb (net/ipv4/udp.c) could not queue to its
	// socket (receive buffer full, memory accounting failure). With
	// Config.Port it counts only datagrams for that local port and then
	// equals the drops column of that socket in /proc/net/udp.
	UDPFailQueueRcvSkb Tracepoint
	// SockRcvqueueFull counts sock:sock_rcvqueue_full, fired by
	// __sock_queue_rcv_skb (net/core/sock.c) when rmem_alloc exceeds
	// sk_rcvbuf. UDP no longer queues through that function (since 4.10
	// it uses __udp_enqueue_schedule_skb), so UDP buffer drops do not
	// show here: on 6.18 it stays 0 while UDPFailQueueRcvSkb counts them.
	// It counts raw, ICMP, L2TP and other sock_queue_rcv_skb users.
	SockRcvqueueFull Tracepoint
	// SockExceedBufLimit counts sock:sock_exceed_buf_limit, fired by
	// __sk_mem_raise_allocated (net/core/sock.c) when a protocol's memory
	// pressure limits (net.ipv4.udp_mem, tcp_mem) refuse an allocation.
	SockExceedBufLimit Tracepoint
	// KfreeSkb counts skb:kfree_skb, every packet freed as a drop
	// (kfree_skb_reason in net/core/skbuff.c; consumed packets go to
	// skb:consume_skb instead and are not counted), all reasons together.
	KfreeSkb Tracepoint
	// Reasons holds the per-reason kfree_skb counts: the reasons named in
	// Config.Reasons (exact, counted in the kernel) or, with
	// Config.AllReasons, every reason of the kernel's list in enum order
	// (sampled; see Lost).
	Reasons []ReasonCount
	// OtherReasons counts sampled kfree_skb records whose reason is not in
	// the kernel's list (subsystem reasons with high bits set, e.g.
	// mac80211 or openvswitch drop reasons).
	OtherReasons uint64
	// Samples is the number of kfree_skb records read from the ring
	// buffers (sampling mode only).
	Samples uint64
	// Lost is the number of kfree_skb records the kernel could not write
	// because a ring buffer was full, so the per-reason sampled counts fall
	// short of the drops by this much. It is the larger of the kernel's
	// PERF_RECORD_LOST reports (which arrive only once the ring has room
	// again) and the sampling events' own counts minus the records read,
	// taken just before the drain (a lower bound that is current at once).
	// Snapshot more often or give Config.RingPages more pages when it grows.
	Lost uint64
}

// Reason returns the count for the reason with the given name.
func (c *Counts) Reason(name string) (uint64, bool) {
	for i := range c.Reasons {
		if c.Reasons[i].Name == name {
			return c.Reasons[i].Count, true
		}
	}
	return 0, false
}

// Delta sets d to cur minus prev, field by field. Both must come from the
// same Collector (the same Reasons list); a counter that went backwards
// gives 0. d.Reasons reuses its capacity: in steady state Delta does not
// allocate.
func Delta(d, prev, cur *Counts) {
	sub := func(a, b uint64) uint64 {
		if b >= a {
			return b - a
		}
		return 0
	}
	tp := func(a, b Tracepoint) Tracepoint {
		return Tracepoint{Present: b.Present, Count: sub(a.Count, b.Count)}
	}
	d.UDPFailQueueRcvSkb = tp(prev.UDPFailQueueRcvSkb, cur.UDPFailQueueRcvSkb)
	d.SockRcvqueueFull = tp(prev.SockRcvqueueFull, cur.SockRcvqueueFull)
	d.SockExceedBufLimit = tp(prev.SockExceedBufLimit, cur.SockExceedBufLimit)
	d.KfreeSkb = tp(prev.KfreeSkb, cur.KfreeSkb)
	d.OtherReasons = sub(prev.OtherReasons, cur.OtherReasons)
	d.Samples = sub(prev.Samples, cur.Samples)
	d.Lost = sub(prev.Lost, cur.Lost)
	d.Reasons = d.Reasons[:0]
	for i, r := range cur.Reasons {
		if i < len(prev.Reasons) && prev.Reasons[i].Reason == r.Reason {
			r.Count = sub(prev.Reasons[i].Count, r.Count)
		}
		d.Reasons = append(d.Reasons, r)
	}
}
