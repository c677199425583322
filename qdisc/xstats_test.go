package qdisc

import (
	"errors"
	"testing"
)

func TestXStatsVectors(t *testing.T) {
	t.Run("htb", func(t *testing.T) {
		x, err := DecodeHTB(u32s(5488, 4850, 1, uint32(0xFFFFF9AD), uint32(0xFFFFFB3D)))
		if err != nil || x != (HTBXStats{5488, 4850, 1, -1619, -1219}) {
			t.Errorf("%+v %v", x, err)
		}
	})
	t.Run("fq_codel class", func(t *testing.T) {
		x, err := DecodeFQCodel(u32s(1, uint32(0xFFFFFFF6), 120, 3, 2, 1, uint32(0xFFFFFF9C)))
		want := FQCodelClassStats{-10, 120, 3, 2, 1, -100}
		if err != nil || x.Type != FQCodelXStatsClass || x.Class != want {
			t.Errorf("%+v %v", x, err)
		}
	})
	t.Run("fq_codel old qdisc layout", func(t *testing.T) {
		// 3.5-era struct without ce_mark, memory_usage, drop_overmemory.
		x, err := DecodeFQCodel(u32s(0, 1514, 2, 3, 4, 5, 6))
		if err != nil || x.Qdisc != (FQCodelQdiscStats{1514, 2, 3, 4, 5, 6, 0, 0, 0}) || x.Len != 28 {
			t.Errorf("%+v %v", x, err)
		}
	})
	t.Run("fq 6.7+", func(t *testing.T) {
		b := cat(u64s(1, 2, 3, 4, 5, 6, 7, uint64(1<<63+5)), u32s(8, 9, 10, 11),
			u64s(12, 13, 14, 15, 16, 17, 18), u32s(19, 20, 21, 0))
		x, err := DecodeFQ(b)
		if err != nil {
			t.Fatal(err)
		}
		if x.GCFlows != 1 || x.AllocationErrors != 7 || x.TimeNextDelayedFlow >= 0 || x.Flows != 8 || x.UnthrottleLatencyNs != 11 ||
			x.CEMark != 12 || x.HorizonCaps != 14 || x.FastpathPackets != 15 || x.BandDrops != [3]uint64{16, 17, 18} ||
			x.BandPktCount != [3]uint32{19, 20, 21} || x.Len != 152 {
			t.Errorf("%+v", x)
		}
		// The 3.12 layout (80 bytes) leaves the later fields zero.
		x, err = DecodeFQ(b[:80])
		if err != nil || x.CEMark != 0 || x.BandDrops != [3]uint64{} || x.UnthrottleLatencyNs != 11 {
			t.Errorf("%+v %v", x, err)
		}
	})
	t.Run("codel", func(t *testing.T) {
		x, err := DecodeCodel(u32s(1514, 2, 3, 4, uint32(0xFFFFFFFF), 6, 7, 1, 9))
		if err != nil || x.DropNext != -1 || x.CEMark != 9 || x.Dropping != 1 {
			t.Errorf("%+v %v", x, err)
		}
	})
	t.Run("pie", func(t *testing.T) {
		x, err := DecodePIE(cat(u64s(1<<40), u32s(20, 125000, 1, 100, 5, 6, 80, 7)))
		if err != nil || x.Prob != 1<<40 || x.Delay != 20 || x.DqRateEstimating != 1 || x.PacketsIn != 100 || x.ECNMark != 7 {
			t.Errorf("%+v %v", x, err)
		}
		x, err = DecodePIE(u32s(77, 20, 125000, 100, 5, 6, 80, 7))
		if err != nil || x.Prob != 77 || x.PacketsIn != 100 || x.ECNMark != 7 {
			t.Errorf("old layout %+v %v", x, err)
		}
	})
	t.Run("fq_pie", func(t *testing.T) {
		x, err := DecodeFQPIE(u32s(1, 2, 3, 4, 5, 6, 7, 8, 9))
		if err != nil || x != (FQPIEXStats{1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Errorf("%+v %v", x, err)
		}
	})
	t.Run("red choke sfb hhf", func(t *testing.T) {
		r, err := DecodeRED(u32s(1, 2, 3, 4))
		if err != nil || r != (REDXStats{1, 2, 3, 4}) {
			t.Errorf("red %+v %v", r, err)
		}
		c, err := DecodeChoke(u32s(1, 2, 3, 4, 5))
		if err != nil || c != (ChokeXStats{1, 2, 3, 4, 5}) {
			t.Errorf("choke %+v %v", c, err)
		}
		s, err := DecodeSFB(u32s(1, 2, 3, 4, 5, 6, 7, 0xFFFF, 9))
		if err != nil || s.MaxProb != 0xFFFF || s.ChildDrop != 5 {
			t.Errorf("sfb %+v %v", s, err)
		}
		h, err := DecodeHHF(u32s(1, 2, 3, 4))
		if err != nil || h != (HHFXStats{1, 2, 3, 4}) {
			t.Errorf("hhf %+v %v", h, err)
		}
	})
	t.Run("short", func(t *testing.T) {
		for name, err := range map[string]error{
			"htb":          second(DecodeHTB(u32s(1, 2))),
			"fqcodel":      second(DecodeFQCodel(u32s(0, 1))),
			"fqcodel type": second(DecodeFQCodel(u32s(7, 1, 2, 3, 4, 5, 6, 7))),
			"fq":           second(DecodeFQ(u64s(1, 2))),
			"codel":        second(DecodeCodel(u32s(1))),
			"pie":          second(DecodePIE(u32s(1))),
			"fq_pie":       second(DecodeFQPIE(u32s(1))),
			"red":          second(DecodeRED(u32s(1))),
			"choke":        second(DecodeChoke(u32s(1))),
			"sfq":          second(DecodeSFQ(nil)),
			"sfb":          second(DecodeSFB(u32s(1))),
			"hhf":          second(DecodeHHF(u32s(1))),
		} {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

func cakeTin(sent uint32, bytes uint64, dropped uint32, backlog uint32) []byte {
	return cat(
		nla(cakeTinSentPackets, u32s(sent)),
		nla(cakeTinSentBytes64, u64s(bytes)),
		nla(cakeTinDroppedPackets, u32s(dropped)),
		nla(cakeTinDroppedBytes64, u64s(uint64(dropped)*1500)),
		nla(cakeTinBacklogBytes, u32s(backlog)),
		nla(cakeTinThresholdRate64, u64s(1<<33)),
		nla(cakeTinPeakDelayUs, u32s(900)),
		nla(cakeTinSparseFlows, u32s(2)),
	)
}

func TestCakeVectors(t *testing.T) {
	app := cat(
		nla(cakeCapacityEstimate64, u64s(12_500_000)),
		nla(cakeMemoryLimit, u32s(4<<20)),
		nla(cakeMemoryUsed, u32s(123456)),
		nla(cakeAvgNetoff, u32s(14)),
		nla(cakeTinStats,
			nla(1, cakeTin(100, 150000, 3, 0)),
			nla(2, cakeTin(200, 1<<34, 4, 3000)),
			nla(3, cakeTin(0, 0, 0, 0)),
		),
	)
	msg := cat(tcmsg(4, 0x80010000, uint32(HandleRoot), 2), kind("cake"),
		nla(tcaStats2, nla(tcaStatsBasic, gnetBasic(1<<34+150000, 300)), nla(tcaStatsQueue, u32s(2, 3000, 7, 0, 0)), nla(tcaStatsApp, app)))
	q := decodeOne(t, msg)
	var cs CakeStats
	if err := DecodeCake(q.XStats, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.CapacityEstimate != 12_500_000 || cs.MemoryLimit != 4<<20 || cs.MemoryUsed != 123456 || len(cs.Tins) != 3 {
		t.Fatalf("%+v", cs)
	}
	if tin := cs.Tins[1]; tin.SentPackets != 200 || tin.SentBytes != 1<<34 || tin.DroppedBytes != 6000 || tin.BacklogBytes != 3000 ||
		tin.ThresholdRate != 1<<33 || tin.PeakDelayUs != 900 || tin.SparseFlows != 2 {
		t.Errorf("tin 1: %+v", tin)
	}
	allocs := testing.AllocsPerRun(50, func() { _ = DecodeCake(q.XStats, &cs) })
	if allocs != 0 {
		t.Errorf("DecodeCake reusing Tins: %v allocs", allocs)
	}
	cl, err := DecodeCakeClass(cat(nla(cakeDeficit, u32s(uint32(0xFFFFFF00))), nla(cakeCobaltCount, u32s(3)),
		nla(cakeDropping, u32s(1)), nla(cakeDropNextUs, u32s(uint32(0xFFFFFFF0))), nla(cakePDrop, u32s(5)), nla(cakeBlueTimerUs, u32s(7))))
	if err != nil || cl != (CakeClassStats{-256, 3, true, -16, 5, 7}) {
		t.Errorf("class %+v %v", cl, err)
	}
	if err := DecodeCake(nla(cakeTinStats, nla(9, nil)), &cs); !errors.Is(err, ErrMalformed) {
		t.Errorf("tin 9: %v", err)
	}
}

func TestOptionsVectors(t *testing.T) {
	ratespec := func(rate uint32) []byte { return cat([]byte{3, 1, 0, 0, 0, 0, 0, 0}, u32s(rate)) }
	tbf := cat(nla(tcaTBFParms, ratespec(2_500_000), ratespec(0), u32s(30720, 409600, 0)), nla(tcaTBFRate64, u64s(1<<33)))
	o, err := DecodeTBF(tbf)
	if err != nil || o.Rate != 1<<33 || o.Limit != 30720 || o.BufferTicks != 409600 {
		t.Errorf("tbf %+v %v", o, err)
	}
	o, _ = DecodeTBF(nla(tcaTBFParms, ratespec(2_500_000), ratespec(0), u32s(30720, 102400, 0)))
	// 2.5 MB/s x 102400 ticks x 64 ns = 16384 bytes ("burst 16Kb").
	if o.BurstBytes() != 16384 {
		t.Errorf("burst %d", o.BurstBytes())
	}
	h, err := DecodeHTBOptions(cat(nla(tcaHTBInit, u32s(3, 10, 0x10, 0, 42)), nla(tcaHTBDirectQlen, u32s(1000))))
	if err != nil || h != (HTBOptions{3, 10, 0x10, 42, 1000}) {
		t.Errorf("htb %+v %v", h, err)
	}
	hc, err := DecodeHTBClassOptions(cat(nla(tcaHTBParms, ratespec(625000), ratespec(1250000), u32s(1, 2, 3, 0, 7)), nla(tcaHTBCeil64, u64s(1<<35))))
	if err != nil || hc.Rate != 625000 || hc.Ceil != 1<<35 || hc.Quantum != 3 || hc.Prio != 7 {
		t.Errorf("htb class %+v %v", hc, err)
	}
	if l, err := DecodeFIFOLimit(u32s(50)); err != nil || l != 50 {
		t.Errorf("fifo %d %v", l, err)
	}
	p, err := DecodePrio(cat(u32s(3), []byte{1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}))
	if err != nil || p.Bands != 3 || p.PrioMap[6] != 0 {
		t.Errorf("prio %+v %v", p, err)
	}
	for name, err := range map[string]error{
		"tbf":       second(DecodeTBF(nil)),
		"tbf short": second(DecodeTBF(nla(tcaTBFParms, u32s(1)))),
		"htb":       second(DecodeHTBOptions(nil)),
		"htb class": second(DecodeHTBClassOptions(nla(tcaHTBParms, u32s(1)))),
		"fifo":      second(DecodeFIFOLimit(nil)),
		"prio":      second(DecodePrio(u32s(3))),
	} {
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
