package qdisc

// CAKE statistics are nested attributes inside TCA_STATS_APP
// (net/sched/sch_cake.c cake_dump_stats, cake_dump_class_stats), enum
// TCA_CAKE_STATS_* and TCA_CAKE_TIN_STATS_* in pkt_sched.h. Integers are
// u32 or u64 by attribute; both widths are accepted for every field.

// CAKE attribute types.
const (
	cakeCapacityEstimate64 = 2
	cakeMemoryLimit        = 3
	cakeMemoryUsed         = 4
	cakeAvgNetoff          = 5
	cakeMinNetlen          = 6
	cakeMaxNetlen          = 7
	cakeMinAdjlen          = 8
	cakeMaxAdjlen          = 9
	cakeTinStats           = 10
	cakeDeficit            = 11
	cakeCobaltCount        = 12
	cakeDropping           = 13
	cakeDropNextUs         = 14
	cakePDrop              = 15
	cakeBlueTimerUs        = 16
)

// CAKE per-tin attribute types.
const (
	cakeTinSentPackets        = 2
	cakeTinSentBytes64        = 3
	cakeTinDroppedPackets     = 4
	cakeTinDroppedBytes64     = 5
	cakeTinAcksDroppedPackets = 6
	cakeTinAcksDroppedBytes64 = 7
	cakeTinECNMarkedPackets   = 8
	cakeTinECNMarkedBytes64   = 9
	cakeTinBacklogPackets     = 10
	cakeTinBacklogBytes       = 11
	cakeTinThresholdRate64    = 12
	cakeTinTargetUs           = 13
	cakeTinIntervalUs         = 14
	cakeTinWayIndirectHits    = 15
	cakeTinWayMisses          = 16
	cakeTinWayCollisions      = 17
	cakeTinPeakDelayUs        = 18
	cakeTinAvgDelayUs         = 19
	cakeTinBaseDelayUs        = 20
	cakeTinSparseFlows        = 21
	cakeTinBulkFlows          = 22
	cakeTinUnresponsiveFlows  = 23
	cakeTinMaxSkblen          = 24
	cakeTinFlowQuantum        = 25
)

// CakeMaxTins is TC_CAKE_MAX_TINS.
const CakeMaxTins = 8

// CakeTinStats are the statistics of one CAKE tin (priority class).
type CakeTinStats struct {
	SentPackets, SentBytes               uint64
	DroppedPackets, DroppedBytes         uint64
	AcksDroppedPackets, AcksDroppedBytes uint64
	ECNMarkedPackets, ECNMarkedBytes     uint64
	BacklogPackets, BacklogBytes         uint64
	ThresholdRate                        uint64 // bytes/s
	TargetUs, IntervalUs                 uint64
	WayIndirectHits, WayMisses           uint64
	WayCollisions                        uint64
	PeakDelayUs, AvgDelayUs, BaseDelayUs uint64
	SparseFlows, BulkFlows               uint64
	UnresponsiveFlows                    uint64
	MaxSkblen, FlowQuantum               uint64
}

// CakeStats are a CAKE qdisc's statistics.
type CakeStats struct {
	CapacityEstimate uint64 // bytes/s
	MemoryLimit      uint64 // bytes
	MemoryUsed       uint64 // bytes
	AvgNetoff        uint64
	MinNetlen        uint64
	MaxNetlen        uint64
	MinAdjlen        uint64
	MaxAdjlen        uint64
	// Tins holds one entry per tin the kernel reported, in tin order.
	Tins []CakeTinStats
}

// CakeClassStats are one CAKE flow's statistics (cake_dump_class_stats).
type CakeClassStats struct {
	Deficit     int32
	CobaltCount uint32
	Dropping    bool
	DropNextUs  int32
	PDrop       uint32
	BlueTimerUs int32
}

func cakeUint(b []byte) uint64 {
	switch {
	case len(b) >= 8:
		return ne.Uint64(b)
	case len(b) >= 4:
		return uint64(ne.Uint32(b))
	}
	return 0
}

// DecodeCake decodes CAKE qdisc xstats into dst, reusing dst.Tins.
func DecodeCake(b []byte, dst *CakeStats) error {
	tins := dst.Tins[:0]
	*dst = CakeStats{}
	defer func() { dst.Tins = tins }()
	it := newAttrIter(b, 0, "cake stats")
	for it.next() {
		v := cakeUint(it.data)
		switch it.typ {
		case cakeCapacityEstimate64:
			dst.CapacityEstimate = v
		case cakeMemoryLimit:
			dst.MemoryLimit = v
		case cakeMemoryUsed:
			dst.MemoryUsed = v
		case cakeAvgNetoff:
			dst.AvgNetoff = v
		case cakeMinNetlen:
			dst.MinNetlen = v
		case cakeMaxNetlen:
			dst.MaxNetlen = v
		case cakeMinAdjlen:
			dst.MinAdjlen = v
		case cakeMaxAdjlen:
			dst.MaxAdjlen = v
		case cakeTinStats:
			var err error
			if tins, err = decodeCakeTins(it.data, it.off, tins); err != nil {
				return err
			}
		}
	}
	return it.err
}

func decodeCakeTins(b []byte, off int, tins []CakeTinStats) ([]CakeTinStats, error) {
	it := newAttrIter(b, off, "cake tin stats")
	for it.next() {
		// Tins are nested as attribute type i+1.
		if it.typ < 1 || it.typ > CakeMaxTins {
			return tins, malformed("cake tin stats", it.off, "tin index %d outside 1..%d", it.typ, CakeMaxTins)
		}
		tins = append(tins, CakeTinStats{})
		t := &tins[len(tins)-1]
		ti := newAttrIter(it.data, it.off, "cake tin")
		for ti.next() {
			v := cakeUint(ti.data)
			switch ti.typ {
			case cakeTinSentPackets:
				t.SentPackets = v
			case cakeTinSentBytes64:
				t.SentBytes = v
			case cakeTinDroppedPackets:
				t.DroppedPackets = v
			case cakeTinDroppedBytes64:
				t.DroppedBytes = v
			case cakeTinAcksDroppedPackets:
				t.AcksDroppedPackets = v
			case cakeTinAcksDroppedBytes64:
				t.AcksDroppedBytes = v
			case cakeTinECNMarkedPackets:
				t.ECNMarkedPackets = v
			case cakeTinECNMarkedBytes64:
				t.ECNMarkedBytes = v
			case cakeTinBacklogPackets:
				t.BacklogPackets = v
			case cakeTinBacklogBytes:
				t.BacklogBytes = v
			case cakeTinThresholdRate64:
				t.ThresholdRate = v
			case cakeTinTargetUs:
				t.TargetUs = v
			case cakeTinIntervalUs:
				t.IntervalUs = v
			case cakeTinWayIndirectHits:
				t.WayIndirectHits = v
			case cakeTinWayMisses:
				t.WayMisses = v
			case cakeTinWayCollisions:
				t.WayCollisions = v
			case cakeTinPeakDelayUs:
				t.PeakDelayUs = v
			case cakeTinAvgDelayUs:
				t.AvgDelayUs = v
			case cakeTinBaseDelayUs:
				t.BaseDelayUs = v
			case cakeTinSparseFlows:
				t.SparseFlows = v
			case cakeTinBulkFlows:
				t.BulkFlows = v
			case cakeTinUnresponsiveFlows:
				t.UnresponsiveFlows = v
			case cakeTinMaxSkblen:
				t.MaxSkblen = v
			case cakeTinFlowQuantum:
				t.FlowQuantum = v
			}
		}
		if ti.err != nil {
			return tins, ti.err
		}
	}
	return tins, it.err
}

// DecodeCakeClass decodes the xstats of one CAKE flow (class).
func DecodeCakeClass(b []byte) (CakeClassStats, error) {
	var c CakeClassStats
	it := newAttrIter(b, 0, "cake class stats")
	for it.next() {
		v := uint32(cakeUint(it.data))
		switch it.typ {
		case cakeDeficit:
			c.Deficit = int32(v)
		case cakeCobaltCount:
			c.CobaltCount = v
		case cakeDropping:
			c.Dropping = v != 0
		case cakeDropNextUs:
			c.DropNextUs = int32(v)
		case cakePDrop:
			c.PDrop = v
		case cakeBlueTimerUs:
			c.BlueTimerUs = int32(v)
		}
	}
	return c, it.err
}
