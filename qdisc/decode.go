package qdisc

// rtnetlink TC attribute types (include/uapi/linux/rtnetlink.h, enum TCA_*).
const (
	tcaKind      = 1
	tcaOptions   = 2
	tcaStats     = 3
	tcaXstats    = 4
	tcaStats2    = 7
	tcaHWOffload = 12
)

// TCA_STATS2 nested attribute types (include/uapi/linux/gen_stats.h).
const (
	tcaStatsBasic     = 1
	tcaStatsRateEst   = 2
	tcaStatsQueue     = 3
	tcaStatsApp       = 4
	tcaStatsRateEst64 = 5
	tcaStatsPad       = 6
	tcaStatsBasicHW   = 7
	tcaStatsPkt64     = 8
)

// Sizes of the kernel structures carried in the attributes.
const (
	sizeGnetBasic     = 12 // u64 bytes, u32 packets (16 with tail padding)
	sizeGnetRateEst   = 8  // u32 bps, u32 pps
	sizeGnetRateEst64 = 16 // u64 bps, u64 pps
	sizeGnetQueue     = 20 // u32 qlen, backlog, drops, requeues, overlimits
	sizeTcStats       = 36 // struct tc_stats without tail padding
)

// decodeMessage decodes the payload of an RTM_NEWQDISC or RTM_NEWTCLASS
// message (everything after struct nlmsghdr) into q, reusing q's Options
// and XStats capacity. names interns kind strings. Device is not touched.
func decodeMessage(b []byte, q *Qdisc, kinds map[string]string) error {
	const what = "tc message"
	if len(b) < tcmsgLen {
		return malformed(what, 0, "%d bytes, shorter than struct tcmsg (%d)", len(b), tcmsgLen)
	}
	q.Ifindex = int(int32(ne.Uint32(b[4:])))
	q.Handle = Handle(ne.Uint32(b[8:]))
	q.Parent = Handle(ne.Uint32(b[12:]))
	q.Refcnt = ne.Uint32(b[16:])
	q.HWOffload, q.HWOffloadReported = false, false
	q.Stats = Stats{}
	q.Options = q.Options[:0]
	q.XStats = q.XStats[:0]
	oldKind := q.Kind
	q.Kind = ""

	var legacy, xstats, app []byte
	var haveStats2, haveApp, haveXstats bool
	// The attribute walk is written out (rather than using attrIter) because
	// it runs once per qdisc per poll: see bench/results/qdisc.md.
	a, off := b[tcmsgLen:], tcmsgLen
	for len(a) >= nlaHdrLen {
		l := int(ne.Uint16(a))
		if l < nlaHdrLen || l > len(a) {
			return malformed(what, off, "attribute length %d outside 4..%d", l, len(a))
		}
		data := a[nlaHdrLen:l:l]
		switch ne.Uint16(a[2:]) & nlaTypeMask {
		case tcaKind:
			q.Kind = internKind(data, oldKind, kinds)
		case tcaOptions:
			q.Options = append(q.Options, data...)
		case tcaStats:
			legacy = data
		case tcaXstats:
			xstats, haveXstats = data, true
		case tcaHWOffload:
			if len(data) >= 1 {
				q.HWOffload = data[0] != 0
				q.HWOffloadReported = true
			}
		case tcaStats2:
			haveStats2 = true
			var err error
			app, haveApp, err = decodeStats2(data, off+nlaHdrLen, &q.Stats)
			if err != nil {
				return err
			}
		}
		adv := min((l+3)&^3, len(a))
		a, off = a[adv:], off+adv
	}
	if err := trailing(what, a, off); err != nil {
		return err
	}
	if !haveStats2 && legacy != nil {
		if err := decodeLegacy(legacy, &q.Stats); err != nil {
			return err
		}
	}
	switch {
	case haveApp:
		q.XStats = append(q.XStats, app...)
	case haveXstats:
		q.XStats = append(q.XStats, xstats...)
	}
	return nil
}

// decodeStats2 decodes the nested TCA_STATS2 attribute (gnet_stats_copy_*
// in net/core/gen_stats.c) and returns the raw TCA_STATS_APP payload.
func decodeStats2(b []byte, off int, s *Stats) (app []byte, haveApp bool, err error) {
	const what = "TCA_STATS2"
	s.Present |= HasStats2
	var pkt64 uint64
	var havePkt64 bool
	for len(b) >= nlaHdrLen {
		l := int(ne.Uint16(b))
		if l < nlaHdrLen || l > len(b) {
			return nil, false, malformed(what, off, "attribute length %d outside 4..%d", l, len(b))
		}
		d := b[nlaHdrLen:l:l]
		switch ne.Uint16(b[2:]) & nlaTypeMask {
		case tcaStatsBasic:
			if len(d) < sizeGnetBasic {
				return nil, false, malformed(what, off, "TCA_STATS_BASIC is %d bytes, want %d", len(d), sizeGnetBasic)
			}
			s.Bytes = ne.Uint64(d)
			s.Packets = uint64(ne.Uint32(d[8:]))
			s.Present |= HasBasic
		case tcaStatsRateEst:
			if len(d) < sizeGnetRateEst {
				return nil, false, malformed(what, off, "TCA_STATS_RATE_EST is %d bytes, want %d", len(d), sizeGnetRateEst)
			}
			if s.Present&HasRateEst64 == 0 {
				s.RateBytes = uint64(u32(d, 0))
				s.RatePackets = uint64(u32(d, 1))
			}
			s.Present |= HasRateEst
		case tcaStatsRateEst64:
			if len(d) < sizeGnetRateEst64 {
				return nil, false, malformed(what, off, "TCA_STATS_RATE_EST64 is %d bytes, want %d", len(d), sizeGnetRateEst64)
			}
			s.RateBytes = ne.Uint64(d)
			s.RatePackets = ne.Uint64(d[8:])
			s.Present |= HasRateEst64
		case tcaStatsQueue:
			if len(d) < sizeGnetQueue {
				return nil, false, malformed(what, off, "TCA_STATS_QUEUE is %d bytes, want %d", len(d), sizeGnetQueue)
			}
			s.Qlen = uint64(u32(d, 0))
			s.Backlog = uint64(u32(d, 1))
			s.Drops = uint64(u32(d, 2))
			s.Requeues = uint64(u32(d, 3))
			s.Overlimits = uint64(u32(d, 4))
			s.Present |= HasQueue
		case tcaStatsApp:
			app, haveApp = d, true
		case tcaStatsPkt64:
			if len(d) < 8 {
				return nil, false, malformed(what, off, "TCA_STATS_PKT64 is %d bytes, want 8", len(d))
			}
			pkt64, havePkt64 = ne.Uint64(d), true
		case tcaStatsBasicHW:
			if len(d) < sizeGnetBasic {
				return nil, false, malformed(what, off, "TCA_STATS_BASIC_HW is %d bytes, want %d", len(d), sizeGnetBasic)
			}
			s.HWBytes = ne.Uint64(d)
			s.HWPackets = uint64(ne.Uint32(d[8:]))
			s.Present |= HasBasicHW
		}
		// TCA_STATS_PAD and unknown types are skipped.
		adv := min((l+3)&^3, len(b))
		b, off = b[adv:], off+adv
	}
	if err := trailing(what, b, off); err != nil {
		return nil, false, err
	}
	if havePkt64 {
		s.Packets = pkt64
		s.Present |= HasPkt64 | HasBasic
	}
	return app, haveApp, nil
}

// decodeLegacy decodes struct tc_stats (include/uapi/linux/pkt_sched.h),
// which the kernel still appends after TCA_STATS2 (gnet_stats_finish_copy).
func decodeLegacy(d []byte, s *Stats) error {
	if len(d) < sizeTcStats {
		return malformed("TCA_STATS", 0, "%d bytes, want %d (struct tc_stats)", len(d), sizeTcStats)
	}
	s.Bytes = ne.Uint64(d)
	s.Packets = uint64(ne.Uint32(d[8:]))
	s.Drops = uint64(ne.Uint32(d[12:]))
	s.Overlimits = uint64(ne.Uint32(d[16:]))
	s.RateBytes = uint64(ne.Uint32(d[20:]))
	s.RatePackets = uint64(ne.Uint32(d[24:]))
	s.Qlen = uint64(ne.Uint32(d[28:]))
	s.Backlog = uint64(ne.Uint32(d[32:]))
	s.Present |= HasLegacy | HasBasic | HasQueue
	return nil
}

// Kind names built into common kernels, interned without allocating.
var knownKinds = [...]string{
	"pfifo_fast", "pfifo", "bfifo", "pfifo_head_drop", "htb", "tbf", "mq",
	"mqprio", "noqueue", "noop", "ingress", "clsact", "fq_codel", "fq",
	"codel", "pie", "fq_pie", "red", "choke", "sfq", "sfb", "hhf", "cake",
	"prio", "multiq", "netem", "hfsc", "drr", "ets", "qfq", "cbs", "etf",
	"taprio", "skbprio", "gred", "plug", "blackhole",
}

// internKind returns a string equal to b: a constant for known kinds, old
// when equal, or an entry of kinds (added on first sight).
func internKind(b []byte, old string, kinds map[string]string) string {
	if n := len(b); n > 0 && b[n-1] == 0 {
		b = b[:n-1]
	}
	if old == string(b) {
		return old
	}
	for _, k := range knownKinds {
		if k == string(b) {
			return k
		}
	}
	if kinds == nil {
		return string(b)
	}
	if s, ok := kinds[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(kinds) < 1024 { // bound the table against garbage kinds
		kinds[s] = s
	}
	return s
}
