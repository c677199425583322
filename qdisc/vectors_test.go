package qdisc

import (
	"encoding/binary"
	"errors"
	"testing"
)

// Byte-level test vectors built from the uapi structures
// (include/uapi/linux/rtnetlink.h, gen_stats.h, pkt_sched.h), for kinds and
// cases this kernel cannot produce.

func u32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.NativeEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func u64s(vs ...uint64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.NativeEndian.PutUint64(b[8*i:], v)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// nla builds one attribute, padded to 4 bytes.
func nla(typ uint16, data ...[]byte) []byte {
	d := cat(data...)
	b := make([]byte, 4, 4+len(d)+3)
	binary.NativeEndian.PutUint16(b, uint16(4+len(d)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, d...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func tcmsg(ifindex int32, handle, parent, info uint32) []byte {
	return cat([]byte{0, 0, 0, 0}, u32s(uint32(ifindex), handle, parent, info))
}

func nlmsg(typ uint16, payload []byte) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint32(b, uint32(16+len(payload)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func kind(s string) []byte { return nla(tcaKind, append([]byte(s), 0)) }

// gnetBasic is struct gnet_stats_basic as the kernel copies it: 16 bytes
// (u64 bytes, u32 packets, 4 bytes of tail padding).
func gnetBasic(bytes uint64, packets uint32) []byte {
	return cat(u64s(bytes), u32s(packets, 0))
}

// tcStats is struct tc_stats (36 bytes + 4 padding).
func tcStats(bytes uint64, packets, drops, overlimits, bps, pps, qlen, backlog uint32) []byte {
	return cat(u64s(bytes), u32s(packets, drops, overlimits, bps, pps, qlen, backlog, 0))
}

func decodeOne(t *testing.T, payload []byte) Qdisc {
	t.Helper()
	var q Qdisc
	if err := decodeMessage(payload, &q, map[string]string{}); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return q
}

func TestDecodePkt64AboveTwoToThe32(t *testing.T) {
	const packets = 5_000_000_123 // > 2^32
	msg := cat(tcmsg(7, 0x10000, uint32(HandleRoot), 2),
		kind("fq_codel"),
		nla(tcaOptions, nla(2, u32s(10240))),
		nla(tcaHWOffload, []byte{0}),
		nla(tcaStats2,
			nla(tcaStatsBasic, gnetBasic(7_000_000_000_000, 0xFFFFFFFF)),
			nla(tcaStatsQueue, u32s(3, 4500, 11, 22, 33)),
			nla(tcaStatsApp, u32s(0, 1514, 5, 6, 7, 1, 2, 9, 4096, 0)),
			nla(tcaStatsPad),
			nla(tcaStatsPkt64, u64s(packets)),
		),
		// Legacy copies clamp packets to 32 bits and carry no requeues.
		nla(tcaStats, tcStats(7_000_000_000_000, 0xFFFFFFFF, 11, 33, 0, 0, 3, 4500)),
		nla(tcaXstats, u32s(0, 1514, 5, 6, 7, 1, 2, 9, 4096, 0)),
	)
	q := decodeOne(t, msg)
	s := q.Stats
	if q.Ifindex != 7 || q.Kind != "fq_codel" || q.Handle != 0x10000 || !q.IsRoot() || q.Refcnt != 2 {
		t.Fatalf("header: %+v", q)
	}
	if !q.HWOffloadReported || q.HWOffload {
		t.Errorf("hw offload: %v %v", q.HWOffload, q.HWOffloadReported)
	}
	if s.Packets != packets || s.Bytes != 7_000_000_000_000 {
		t.Errorf("packets %d bytes %d", s.Packets, s.Bytes)
	}
	if s.Qlen != 3 || s.Backlog != 4500 || s.Drops != 11 || s.Requeues != 22 || s.Overlimits != 33 {
		t.Errorf("queue: %+v", s)
	}
	if !s.Has(HasPkt64|HasBasic|HasQueue|HasStats2) || s.Has(HasLegacy) || s.Has(HasRateEst) {
		t.Errorf("present: %b", s.Present)
	}
	x, err := DecodeFQCodel(q.XStats)
	if err != nil {
		t.Fatal(err)
	}
	want := FQCodelQdiscStats{1514, 5, 6, 7, 1, 2, 9, 4096, 0}
	if x.Type != FQCodelXStatsQdisc || x.Qdisc != want {
		t.Errorf("fq_codel xstats %+v", x)
	}
	if len(q.Options) != 8 {
		t.Errorf("options %x", q.Options)
	}
}

func TestDecodeStats2WinsOverLegacy(t *testing.T) {
	// The legacy struct follows STATS2 and must not overwrite it (the
	// vishvananda/netlink bug that reads requeues as 0).
	msg := cat(tcmsg(2, 0, uint32(HandleRoot), 1), kind("pfifo_fast"),
		nla(tcaStats2,
			nla(tcaStatsBasic, gnetBasic(1000, 10)),
			nla(tcaStatsQueue, u32s(1, 100, 2, 5, 3)),
		),
		nla(tcaStats, tcStats(999, 9, 8, 7, 6, 5, 4, 3)),
	)
	s := decodeOne(t, msg).Stats
	if s.Bytes != 1000 || s.Packets != 10 || s.Qlen != 1 || s.Backlog != 100 || s.Drops != 2 || s.Requeues != 5 || s.Overlimits != 3 {
		t.Errorf("%+v", s)
	}
	if s.RateBytes != 0 || s.Has(HasRateEst) || s.Has(HasLegacy) {
		t.Errorf("legacy leaked: %+v", s)
	}
}

func TestDecodeLegacyOnly(t *testing.T) {
	msg := cat(tcmsg(2, 0x20000, uint32(HandleRoot), 1), kind("sfq"),
		nla(tcaStats, tcStats(999, 9, 8, 7, 6, 5, 4, 3)),
		nla(tcaXstats, u32s(uint32(0xFFFFFFFE))))
	q := decodeOne(t, msg)
	s := q.Stats
	if s.Bytes != 999 || s.Packets != 9 || s.Drops != 8 || s.Overlimits != 7 || s.RateBytes != 6 || s.RatePackets != 5 || s.Qlen != 4 || s.Backlog != 3 {
		t.Errorf("%+v", s)
	}
	if !s.Has(HasLegacy) || s.Has(HasStats2) {
		t.Errorf("present %b", s.Present)
	}
	// TCA_XSTATS is the fallback for app stats.
	x, err := DecodeSFQ(q.XStats)
	if err != nil || x.Allot != -2 {
		t.Errorf("sfq %+v %v", x, err)
	}
}

func TestDecodeRateEstAndHW(t *testing.T) {
	msg := cat(tcmsg(3, 0x10000, uint32(HandleRoot), 1), kind("mqprio"),
		nla(tcaHWOffload, []byte{1}),
		nla(tcaStats2,
			nla(tcaStatsBasic, gnetBasic(1<<40, 1000)),
			nla(tcaStatsRateEst, u32s(125000, 100)),
			nla(tcaStatsRateEst64, u64s(1<<35, 1<<33)),
			nla(tcaStatsQueue, u32s(0, 0, 0, 0, 0)),
			nla(tcaStatsBasicHW, gnetBasic(1<<39, 600)),
		))
	q := decodeOne(t, msg)
	s := q.Stats
	if !q.HWOffload || s.RateBytes != 1<<35 || s.RatePackets != 1<<33 || s.HWBytes != 1<<39 || s.HWPackets != 600 {
		t.Errorf("%+v", q)
	}
	if !s.Has(HasRateEst | HasRateEst64 | HasBasicHW) {
		t.Errorf("present %b", s.Present)
	}
	// RATE_EST alone (no 64-bit variant).
	q = decodeOne(t, cat(tcmsg(3, 0, uint32(HandleRoot), 1), kind("htb"),
		nla(tcaStats2, nla(tcaStatsRateEst, u32s(125000, 100)))))
	if q.Stats.RateBytes != 125000 || q.Stats.RatePackets != 100 || q.Stats.Has(HasRateEst64) {
		t.Errorf("%+v", q.Stats)
	}
}

func TestDecodeUnknownKindKeepsRaw(t *testing.T) {
	kinds := map[string]string{}
	msg := cat(tcmsg(1, 0x30000, 0x10001, 1), kind("newfangled"),
		nla(tcaOptions, []byte{1, 2, 3, 4}),
		nla(tcaStats2, nla(tcaStatsApp, []byte{9, 8, 7, 6, 5, 4, 3, 2})))
	var q Qdisc
	if err := decodeMessage(msg, &q, kinds); err != nil {
		t.Fatal(err)
	}
	if q.Kind != "newfangled" || string(q.XStats) != "\x09\x08\x07\x06\x05\x04\x03\x02" || len(q.Options) != 4 {
		t.Errorf("%+v", q)
	}
	if q.Parent.String() != "1:1" || q.Handle.String() != "3:" {
		t.Errorf("handles %s %s", q.Handle, q.Parent)
	}
	// Second decode into the same element allocates nothing (kind interned).
	allocs := testing.AllocsPerRun(100, func() {
		if err := decodeMessage(msg, &q, kinds); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decode allocates %v times", allocs)
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := cat(tcmsg(1, 0, uint32(HandleRoot), 1), kind("htb"))
	cases := map[string][]byte{
		"short tcmsg":      good[:10],
		"attr len 2":       cat(tcmsg(1, 0, 0, 0), []byte{2, 0, 1, 0}),
		"attr past end":    cat(tcmsg(1, 0, 0, 0), []byte{40, 0, 1, 0, 'h', 't', 'b', 0}),
		"short basic":      cat(good, nla(tcaStats2, nla(tcaStatsBasic, u32s(1, 2)))),
		"short queue":      cat(good, nla(tcaStats2, nla(tcaStatsQueue, u32s(1, 2, 3)))),
		"short pkt64":      cat(good, nla(tcaStats2, nla(tcaStatsPkt64, u32s(1)))),
		"short rate64":     cat(good, nla(tcaStats2, nla(tcaStatsRateEst64, u32s(1)))),
		"short legacy":     cat(good, nla(tcaStats, u32s(1, 2, 3))),
		"bad nested stats": cat(good, nla(tcaStats2, []byte{200, 0, 1, 0})),
	}
	for name, b := range cases {
		var q Qdisc
		err := decodeMessage(b, &q, nil)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestDecodeQdiscsBuffer(t *testing.T) {
	buf := cat(
		nlmsg(rtmNewQdisc, cat(tcmsg(2, 0x10000, uint32(HandleRoot), 1), kind("mq"),
			nla(tcaStats2, nla(tcaStatsBasic, gnetBasic(300, 3)), nla(tcaStatsQueue, u32s(1, 100, 1, 0, 0))))),
		nlmsg(rtmNewQdisc, cat(tcmsg(2, 0, 0x10001, 1), kind("pfifo_fast"),
			nla(tcaStats2, nla(tcaStatsBasic, gnetBasic(100, 1)), nla(tcaStatsQueue, u32s(0, 0, 1, 0, 0))))),
		nlmsg(rtmNewQdisc, cat(tcmsg(2, 0, 0x10002, 1), kind("pfifo_fast"),
			nla(tcaStats2, nla(tcaStatsBasic, gnetBasic(200, 2)), nla(tcaStatsQueue, u32s(1, 100, 0, 0, 0))))),
		nlmsg(rtmNewQdisc, cat(tcmsg(2, 0xFFFF0000, uint32(HandleIngress), 1), kind("ingress"),
			nla(tcaStats2, nla(tcaStatsBasic, gnetBasic(5000, 50))))),
		nlmsg(rtmNewQdisc, cat(tcmsg(3, 0, uint32(HandleRoot), 2), kind("noqueue"))),
		nlmsg(nlmsgDone, u32s(0)),
	)
	qs, err := DecodeQdiscs(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 5 {
		t.Fatalf("%d qdiscs", len(qs))
	}
	tot := Totals(qs, nil)
	if s := tot[2]; s.Bytes != 300 || s.Packets != 3 || s.Drops != 1 || s.Backlog != 100 {
		t.Errorf("totals of mq device count children twice or ingress: %+v", s)
	}
	tree := BuildTree(2, qs, nil)
	if tree.Root == nil || tree.Root.Qdisc.Kind != "mq" || len(tree.Root.Children) != 2 || tree.Ingress == nil || len(tree.Orphans) != 0 {
		t.Fatalf("tree: %+v", tree)
	}
	if tree.Root.Children[1].Qdisc.Parent.String() != "1:2" {
		t.Errorf("child parent %s", tree.Root.Children[1].Qdisc.Parent)
	}
	allocs := testing.AllocsPerRun(100, func() { qs, _ = DecodeQdiscs(buf, qs) })
	if allocs > 1 {
		t.Errorf("DecodeQdiscs into a reused slice: %v allocs", allocs)
	}
	if _, err := DecodeQdiscs(buf[:len(buf)-3], nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated buffer: %v", err)
	}
}
