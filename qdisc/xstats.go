package qdisc

// Kind-specific statistics (TCA_STATS_APP, "xstats"). The structures come
// from include/uapi/linux/pkt_sched.h. Several grew over kernel versions:
// decoders accept any length from the first published size up, decode the
// fields present and leave later fields zero; Len reports the size the
// kernel sent so a caller can tell "not reported" from zero.

// le is a bounds-safe little reader over a kernel struct.
type le []byte

func (b le) u32(off int) uint32 {
	if off+4 > len(b) {
		return 0
	}
	return ne.Uint32(b[off:])
}

func (b le) s32(off int) int32 { return int32(b.u32(off)) }

func (b le) u64(off int) uint64 {
	if off+8 > len(b) {
		return 0
	}
	return ne.Uint64(b[off:])
}

func short(what string, b []byte, min int) error {
	if len(b) < min {
		return malformed(what, 0, "%d bytes, want at least %d", len(b), min)
	}
	return nil
}

// HTBXStats is struct tc_htb_xstats, the per-class statistics of htb
// (net/sched/sch_htb.c htb_dump_class_stats).
type HTBXStats struct {
	// Lends: packets sent within the class's own rate (tc "lended").
	Lends uint32
	// Borrows: packets sent with tokens borrowed from an ancestor.
	Borrows uint32
	// Giants: packets larger than the class's mtu.
	Giants uint32
	// Tokens and CTokens: the rate and ceil token buckets in psched ticks
	// (64 ns, PSCHED_NS2TICKS), clamped to s32; negative while over limit.
	Tokens  int32
	CTokens int32
}

// DecodeHTB decodes htb class xstats (20 bytes).
func DecodeHTB(b []byte) (HTBXStats, error) {
	if err := short("tc_htb_xstats", b, 20); err != nil {
		return HTBXStats{}, err
	}
	r := le(b)
	return HTBXStats{r.u32(0), r.u32(4), r.u32(8), r.s32(12), r.s32(16)}, nil
}

// FQCodelQdiscStats is struct tc_fq_codel_qd_stats
// (net/sched/sch_fq_codel.c fq_codel_dump_stats).
type FQCodelQdiscStats struct {
	MaxPacket      uint32 // largest packet seen, bytes
	DropOverlimit  uint32 // drops because the qdisc limit was hit
	ECNMark        uint32 // packets ECN-marked instead of dropped
	NewFlowCount   uint32 // times a packet created a new flow
	NewFlowsLen    uint32 // flows in the new list now
	OldFlowsLen    uint32 // flows in the old list now
	CEMark         uint32 // packets above ce_threshold (since 4.2)
	MemoryUsage    uint32 // bytes (since 4.9)
	DropOvermemory uint32 // drops because memory_limit was hit (since 4.9)
}

// FQCodelClassStats is struct tc_fq_codel_cl_stats (one flow,
// fq_codel_dump_class_stats).
type FQCodelClassStats struct {
	Deficit   int32  // bytes
	LDelay    uint32 // sojourn time of the last dequeued packet, us
	Count     uint32
	LastCount uint32
	Dropping  uint32 // 1 while in dropping state
	DropNext  int32  // time to the next drop, us (negative: overdue)
}

// FQCodelXStats is struct tc_fq_codel_xstats: Type 0 carries Qdisc, type 1
// carries Class.
type FQCodelXStats struct {
	Type  uint32
	Qdisc FQCodelQdiscStats
	Class FQCodelClassStats
	Len   int
}

// FQ-CoDel xstats types (TCA_FQ_CODEL_XSTATS_*).
const (
	FQCodelXStatsQdisc = 0
	FQCodelXStatsClass = 1
)

// DecodeFQCodel decodes fq_codel xstats of a qdisc or a class.
func DecodeFQCodel(b []byte) (FQCodelXStats, error) {
	if err := short("tc_fq_codel_xstats", b, 4); err != nil {
		return FQCodelXStats{}, err
	}
	r := le(b)
	x := FQCodelXStats{Type: r.u32(0), Len: len(b)}
	switch x.Type {
	case FQCodelXStatsQdisc:
		if err := short("tc_fq_codel_qd_stats", b, 4+24); err != nil {
			return x, err
		}
		x.Qdisc = FQCodelQdiscStats{r.u32(4), r.u32(8), r.u32(12), r.u32(16), r.u32(20), r.u32(24), r.u32(28), r.u32(32), r.u32(36)}
	case FQCodelXStatsClass:
		if err := short("tc_fq_codel_cl_stats", b, 4+24); err != nil {
			return x, err
		}
		x.Class = FQCodelClassStats{r.s32(4), r.u32(8), r.u32(12), r.u32(16), r.u32(20), r.s32(24)}
	default:
		return x, malformed("tc_fq_codel_xstats", 0, "unknown type %d", x.Type)
	}
	return x, nil
}

// FQXStats is struct tc_fq_qd_stats (net/sched/sch_fq.c fq_dump_stats).
type FQXStats struct {
	GCFlows             uint64
	HighprioPackets     uint64
	TCPRetrans          uint64 // unused by current kernels, kept for layout
	Throttled           uint64
	FlowsPlimit         uint64
	PktsTooLong         uint64
	AllocationErrors    uint64
	TimeNextDelayedFlow int64 // ns from now
	Flows               uint32
	InactiveFlows       uint32
	ThrottledFlows      uint32
	UnthrottleLatencyNs uint32 // since 4.9
	CEMark              uint64 // since 5.x
	HorizonDrops        uint64 // since 5.7
	HorizonCaps         uint64 // since 5.7
	FastpathPackets     uint64 // since 6.7
	BandDrops           [3]uint64
	BandPktCount        [3]uint32 // since 6.7
	Len                 int
}

// DecodeFQ decodes fq xstats (80 bytes on 3.12, 144 on 6.7+).
func DecodeFQ(b []byte) (FQXStats, error) {
	if err := short("tc_fq_qd_stats", b, 76); err != nil {
		return FQXStats{}, err
	}
	r := le(b)
	x := FQXStats{
		GCFlows: r.u64(0), HighprioPackets: r.u64(8), TCPRetrans: r.u64(16), Throttled: r.u64(24),
		FlowsPlimit: r.u64(32), PktsTooLong: r.u64(40), AllocationErrors: r.u64(48),
		TimeNextDelayedFlow: int64(r.u64(56)),
		Flows:               r.u32(64), InactiveFlows: r.u32(68), ThrottledFlows: r.u32(72), UnthrottleLatencyNs: r.u32(76),
		CEMark: r.u64(80), HorizonDrops: r.u64(88), HorizonCaps: r.u64(96), FastpathPackets: r.u64(104),
		BandDrops:    [3]uint64{r.u64(112), r.u64(120), r.u64(128)},
		BandPktCount: [3]uint32{r.u32(136), r.u32(140), r.u32(144)},
		Len:          len(b),
	}
	return x, nil
}

// CodelXStats is struct tc_codel_xstats (net/sched/sch_codel.c).
type CodelXStats struct {
	MaxPacket     uint32
	Count         uint32 // drops since entering the dropping state
	LastCount     uint32
	LDelay        uint32 // us
	DropNext      int32  // us
	DropOverlimit uint32
	ECNMark       uint32
	Dropping      uint32
	CEMark        uint32 // since 4.2
	Len           int
}

// DecodeCodel decodes codel xstats.
func DecodeCodel(b []byte) (CodelXStats, error) {
	if err := short("tc_codel_xstats", b, 32); err != nil {
		return CodelXStats{}, err
	}
	r := le(b)
	return CodelXStats{r.u32(0), r.u32(4), r.u32(8), r.u32(12), r.s32(16), r.u32(20), r.u32(24), r.u32(28), r.u32(32), len(b)}, nil
}

// PIEXStats is struct tc_pie_xstats (net/sched/sch_pie.c pie_dump_stats).
type PIEXStats struct {
	Prob             uint64 // drop probability, scaled to 2^64-1 (u32 before 5.7)
	Delay            uint32 // us
	AvgDqRate        uint32 // bytes/s
	DqRateEstimating uint32 // since 5.7
	PacketsIn        uint32
	Dropped          uint32
	Overlimit        uint32
	MaxQ             uint32
	ECNMark          uint32
	Len              int
}

// DecodePIE decodes pie xstats: the 32-byte layout before 5.7 (u32 prob,
// no dq_rate_estimating) and the 40-byte one since.
func DecodePIE(b []byte) (PIEXStats, error) {
	if err := short("tc_pie_xstats", b, 32); err != nil {
		return PIEXStats{}, err
	}
	r := le(b)
	if len(b) < 40 {
		return PIEXStats{Prob: uint64(r.u32(0)), Delay: r.u32(4), AvgDqRate: r.u32(8), PacketsIn: r.u32(12),
			Dropped: r.u32(16), Overlimit: r.u32(20), MaxQ: r.u32(24), ECNMark: r.u32(28), Len: len(b)}, nil
	}
	return PIEXStats{Prob: r.u64(0), Delay: r.u32(8), AvgDqRate: r.u32(12), DqRateEstimating: r.u32(16),
		PacketsIn: r.u32(20), Dropped: r.u32(24), Overlimit: r.u32(28), MaxQ: r.u32(32), ECNMark: r.u32(36), Len: len(b)}, nil
}

// FQPIEXStats is struct tc_fq_pie_xstats (net/sched/sch_fq_pie.c).
type FQPIEXStats struct {
	PacketsIn, Dropped, Overlimit, Overmemory, ECNMark  uint32
	NewFlowCount, NewFlowsLen, OldFlowsLen, MemoryUsage uint32
}

// DecodeFQPIE decodes fq_pie xstats (36 bytes).
func DecodeFQPIE(b []byte) (FQPIEXStats, error) {
	if err := short("tc_fq_pie_xstats", b, 36); err != nil {
		return FQPIEXStats{}, err
	}
	r := le(b)
	return FQPIEXStats{r.u32(0), r.u32(4), r.u32(8), r.u32(12), r.u32(16), r.u32(20), r.u32(24), r.u32(28), r.u32(32)}, nil
}

// REDXStats is struct tc_red_xstats (net/sched/sch_red.c); also used for
// gred's legacy xstats.
type REDXStats struct {
	Early  uint32 // early (probabilistic) drops
	PDrop  uint32 // drops because the queue limit was hit
	Other  uint32 // drops by drop() calls
	Marked uint32 // ECN-marked packets
}

// DecodeRED decodes red xstats (16 bytes).
func DecodeRED(b []byte) (REDXStats, error) {
	if err := short("tc_red_xstats", b, 16); err != nil {
		return REDXStats{}, err
	}
	r := le(b)
	return REDXStats{r.u32(0), r.u32(4), r.u32(8), r.u32(12)}, nil
}

// ChokeXStats is struct tc_choke_xstats (net/sched/sch_choke.c).
type ChokeXStats struct {
	Early, PDrop, Other, Marked uint32
	Matched                     uint32 // drops because a random packet matched the flow
}

// DecodeChoke decodes choke xstats (20 bytes).
func DecodeChoke(b []byte) (ChokeXStats, error) {
	if err := short("tc_choke_xstats", b, 20); err != nil {
		return ChokeXStats{}, err
	}
	r := le(b)
	return ChokeXStats{r.u32(0), r.u32(4), r.u32(8), r.u32(12), r.u32(16)}, nil
}

// SFQXStats is struct tc_sfq_xstats, per sfq class (flow).
type SFQXStats struct {
	Allot int32 // remaining allotment, bytes
}

// DecodeSFQ decodes sfq class xstats (4 bytes).
func DecodeSFQ(b []byte) (SFQXStats, error) {
	if err := short("tc_sfq_xstats", b, 4); err != nil {
		return SFQXStats{}, err
	}
	return SFQXStats{le(b).s32(0)}, nil
}

// SFBXStats is struct tc_sfb_xstats (net/sched/sch_sfb.c).
type SFBXStats struct {
	EarlyDrop, PenaltyDrop, BucketDrop, QueueDrop, ChildDrop, Marked uint32
	MaxQlen                                                          uint32
	MaxProb, AvgProb                                                 uint32 // Q0.16 fixed point (0xFFFF = 1)
}

// DecodeSFB decodes sfb xstats (36 bytes).
func DecodeSFB(b []byte) (SFBXStats, error) {
	if err := short("tc_sfb_xstats", b, 36); err != nil {
		return SFBXStats{}, err
	}
	r := le(b)
	return SFBXStats{r.u32(0), r.u32(4), r.u32(8), r.u32(12), r.u32(16), r.u32(20), r.u32(24), r.u32(28), r.u32(32)}, nil
}

// HHFXStats is struct tc_hhf_xstats (net/sched/sch_hhf.c).
type HHFXStats struct {
	DropOverlimit uint32
	HHOverlimit   uint32 // times the heavy-hitter table was full
	HHTotCount    uint32 // heavy hitters captured so far
	HHCurCount    uint32 // heavy hitters now
}

// DecodeHHF decodes hhf xstats (16 bytes).
func DecodeHHF(b []byte) (HHFXStats, error) {
	if err := short("tc_hhf_xstats", b, 16); err != nil {
		return HHFXStats{}, err
	}
	r := le(b)
	return HHFXStats{r.u32(0), r.u32(4), r.u32(8), r.u32(12)}, nil
}
