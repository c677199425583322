package qdisc

// Qdisc is one queueing discipline of one device, decoded from an
// RTM_NEWQDISC message (net/sched/sch_api.c tc_fill_qdisc).
type Qdisc struct {
	// Ifindex is the device's interface index (struct tcmsg tcm_ifindex).
	Ifindex int
	// Device is the device's name in the namespace, "" when the device
	// vanished before its name could be learned.
	Device string
	// Kind is TCA_KIND: "pfifo_fast", "htb", "mq", "fq_codel", ...
	Kind string
	// Handle is tcm_handle ("1:"; 0 for a default qdisc without handle).
	Handle Handle
	// Parent is tcm_parent: HandleRoot, HandleIngress or the parent class.
	Parent Handle
	// Refcnt is tcm_info for qdiscs (the qdisc's reference count, tc's
	// "refcnt"); for classes it is the class's leaf qdisc handle.
	Refcnt uint32
	// HWOffload is TCA_HW_OFFLOAD: the qdisc is offloaded to hardware.
	// HWOffloadReported tells whether the kernel sent the attribute.
	HWOffload         bool
	HWOffloadReported bool
	// Stats holds the generic counters (TCA_STATS2, or TCA_STATS on
	// kernels/objects without it).
	Stats Stats
	// Options holds the raw TCA_OPTIONS payload (kind-specific, nested
	// attributes for most kinds, a bare struct for pfifo/bfifo/pfifo_fast).
	// Decode with DecodeTBF, DecodeHTBOptions, DecodeHTBClassOptions,
	// DecodeFIFOLimit or DecodePrio. Empty when the kernel sent none. The
	// slice is reused by the next dump into the same destination.
	Options []byte
	// XStats holds the raw kind-specific statistics: TCA_STATS_APP, or the
	// legacy TCA_XSTATS when STATS_APP is absent. Empty when the kind has
	// none. Decode with the kind's decoder (DecodeHTB for htb classes,
	// DecodeFQCodel, DecodeFQ, DecodeCodel, DecodePIE, DecodeFQPIE,
	// DecodeRED, DecodeChoke, DecodeSFQ, DecodeSFB, DecodeHHF, DecodeCake,
	// DecodeCakeClass). Reused like Options.
	XStats []byte
}

// Class is one traffic class of a classful qdisc, decoded from an
// RTM_NEWTCLASS message (net/sched/sch_api.c tc_fill_tclass). Fields mean
// the same as in Qdisc; Handle is the class id, Refcnt the leaf qdisc's
// handle (tcm_info). Kind is the owning qdisc's kind.
type Class Qdisc

// IsRoot reports whether q is a device's root egress qdisc.
func (q *Qdisc) IsRoot() bool { return q.Parent == HandleRoot }

// IsIngress reports whether q hangs off the ingress hook (ingress, clsact).
func (q *Qdisc) IsIngress() bool { return q.Parent == HandleIngress }

// StatsFields records which statistics the kernel reported.
type StatsFields uint16

// Bits of StatsFields.
const (
	// HasBasic: Bytes and Packets came from TCA_STATS_BASIC (or TCA_STATS).
	HasBasic StatsFields = 1 << iota
	// HasPkt64: Packets came from TCA_STATS_PKT64 (count above 2^32-1).
	HasPkt64
	// HasQueue: Qlen, Backlog, Drops, Requeues and Overlimits came from
	// TCA_STATS_QUEUE (or Drops, Overlimits, Qlen, Backlog from TCA_STATS).
	HasQueue
	// HasRateEst: RateBytes and RatePackets came from TCA_STATS_RATE_EST.
	HasRateEst
	// HasRateEst64: RateBytes and RatePackets came from TCA_STATS_RATE_EST64.
	HasRateEst64
	// HasBasicHW: HWBytes and HWPackets came from TCA_STATS_BASIC_HW.
	HasBasicHW
	// HasLegacy: the message had no TCA_STATS2 and the counters came from
	// the legacy struct tc_stats. Requeues is then not reported by the
	// kernel (left 0), and RateBytes/RatePackets are the legacy bps/pps.
	HasLegacy
	// HasStats2: the message had a TCA_STATS2 attribute.
	HasStats2
)

// Stats are the generic counters of a qdisc or class.
type Stats struct {
	// Bytes and Packets the qdisc/class dequeued or passed on
	// (bstats; gnet_stats_basic.bytes u64, packets u32 or PKT64 u64).
	Bytes   uint64
	Packets uint64
	// Drops: packets dropped (qstats.drops, u32 in the kernel).
	Drops uint64
	// Overlimits: enqueue or dequeue attempts refused by a shaper or
	// policer (qstats.overlimits, u32).
	Overlimits uint64
	// Requeues: packets put back because the driver was busy
	// (qstats.requeues, u32; dev_requeue_skb in net/sched/sch_generic.c).
	Requeues uint64
	// Qlen: packets queued now (gauge, u32).
	Qlen uint64
	// Backlog: bytes queued now (gauge, u32).
	Backlog uint64
	// RateBytes (bytes/s) and RatePackets (packets/s) from the rate
	// estimator (net/core/gen_estimator.c), when configured.
	RateBytes   uint64
	RatePackets uint64
	// HWBytes and HWPackets: the hardware-offloaded share
	// (TCA_STATS_BASIC_HW).
	HWBytes   uint64
	HWPackets uint64
	// Present tells which of the fields the kernel reported: a field whose
	// bit is clear is "not reported", not zero.
	Present StatsFields
}

// Has reports whether all the given bits are set in s.Present.
func (s *Stats) Has(f StatsFields) bool { return s.Present&f == f }

// Recreated reports whether cur, from a later dump, cannot be prev
// continued, so that its counters started again: it is on another device,
// has another handle, parent or kind, or its bytes and packets are both
// below prev's. A live qdisc never decreases either count (bstats, updated
// as packets leave it), but `tc qdisc del` followed by `tc qdisc add` with
// the same handle and kind makes a new qdisc that counts from 0. (`tc qdisc
// replace` with the same handle and kind changes the qdisc in place and
// keeps its counters.) For mq and mqprio roots, whose counters are sums of
// their children's taken at each dump, falling counts mean that a child was
// re-created, not the root.
func Recreated(prev, cur *Qdisc) bool {
	if prev.Ifindex != cur.Ifindex || prev.Handle != cur.Handle || prev.Parent != cur.Parent || prev.Kind != cur.Kind {
		return true
	}
	return cur.Stats.Bytes < prev.Stats.Bytes && cur.Stats.Packets < prev.Stats.Packets
}
