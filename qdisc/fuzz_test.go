package qdisc

import (
	"github.com/mdlayher/netlink"
	"github.com/packetpath/packetpath/internal/nl"

	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds returns the payloads of every message in the captured real
// dumps plus the hand-built vectors.
func fuzzSeeds(t interface {
	Helper()
	Fatal(...any)
}) (msgs, bufs [][]byte) {
	t.Helper()
	files, _ := filepath.Glob("testdata/scenario/*.nl")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bufs = append(bufs, b)
		_, _ = nl.Messages(b, func(m netlink.Message) error {
			if m.Header.Type == rtmNewQdisc || m.Header.Type == rtmNewClass {
				msgs = append(msgs, m.Data)
			}
			return nil
		})
	}
	vec := [][]byte{
		cat(tcmsg(7, 0x10000, uint32(HandleRoot), 2), kind("fq_codel"),
			nla(tcaStats2, nla(tcaStatsBasic, gnetBasic(7e12, 0xFFFFFFFF)), nla(tcaStatsQueue, u32s(3, 4500, 11, 22, 33)),
				nla(tcaStatsApp, u32s(0, 1514, 5, 6, 7, 1, 2, 9, 4096, 0)), nla(tcaStatsPad), nla(tcaStatsPkt64, u64s(5e9))),
			nla(tcaStats, tcStats(7e12, 0xFFFFFFFF, 11, 33, 0, 0, 3, 4500)), nla(tcaXstats, u32s(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))),
		cat(tcmsg(2, 0x20000, uint32(HandleRoot), 1), kind("sfq"), nla(tcaStats, tcStats(999, 9, 8, 7, 6, 5, 4, 3)), nla(tcaXstats, u32s(1))),
		cat(tcmsg(3, 0x10000, uint32(HandleRoot), 1), kind("mqprio"), nla(tcaHWOffload, []byte{1}),
			nla(tcaStats2, nla(tcaStatsRateEst, u32s(1, 2)), nla(tcaStatsRateEst64, u64s(1, 2)), nla(tcaStatsBasicHW, gnetBasic(1, 1)))),
		cat(tcmsg(4, 0x80010000, uint32(HandleRoot), 2), kind("cake"), nla(tcaStats2, nla(tcaStatsApp,
			nla(cakeMemoryUsed, u32s(5)), nla(cakeTinStats, nla(1, cakeTin(1, 2, 3, 4)), nla(2, cakeTin(5, 6, 7, 8)))))),
	}
	msgs = append(msgs, vec...)
	for _, m := range vec {
		bufs = append(bufs, nlmsg(rtmNewQdisc, m))
	}
	return msgs, bufs
}

// exerciseDecoders runs every kind decoder over q's raw bytes; none may
// panic whatever the input.
func exerciseDecoders(q *Qdisc) {
	x := q.XStats
	_, _ = DecodeHTB(x)
	_, _ = DecodeFQCodel(x)
	_, _ = DecodeFQ(x)
	_, _ = DecodeCodel(x)
	_, _ = DecodePIE(x)
	_, _ = DecodeFQPIE(x)
	_, _ = DecodeRED(x)
	_, _ = DecodeChoke(x)
	_, _ = DecodeSFQ(x)
	_, _ = DecodeSFB(x)
	_, _ = DecodeHHF(x)
	var cs CakeStats
	_ = DecodeCake(x, &cs)
	_, _ = DecodeCakeClass(x)
	o := q.Options
	_, _ = DecodeTBF(o)
	_, _ = DecodeHTBOptions(o)
	_, _ = DecodeHTBClassOptions(o)
	_, _ = DecodeFIFOLimit(o)
	_, _ = DecodePrio(o)
}

func FuzzDecodeQdiscMessage(f *testing.F) {
	msgs, _ := fuzzSeeds(f)
	for _, m := range msgs {
		f.Add(m)
	}
	kinds := map[string]string{}
	f.Fuzz(func(t *testing.T, b []byte) {
		var q Qdisc
		err := decodeMessage(b, &q, kinds)
		if err == nil {
			if q.Stats.Has(HasLegacy) && q.Stats.Has(HasStats2) {
				t.Fatal("legacy stats used although TCA_STATS2 was present")
			}
			exerciseDecoders(&q)
		}
		// Decoding again into the used element gives the same result.
		var q2 = q
		q2.Options, q2.XStats = append([]byte(nil), q.Options...), append([]byte(nil), q.XStats...)
		err2 := decodeMessage(b, &q2, kinds)
		if (err == nil) != (err2 == nil) || (err == nil && (q2.Stats != q.Stats || q2.Kind != q.Kind)) {
			t.Fatalf("decode not repeatable: %v / %v", err, err2)
		}
	})
}

func FuzzDecodeQdiscs(f *testing.F) {
	_, bufs := fuzzSeeds(f)
	for _, b := range bufs {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		qs, _ := DecodeQdiscs(b, nil)
		for i := range qs {
			exerciseDecoders(&qs[i])
		}
		cs, _ := DecodeClasses(b, nil)
		for i := range cs {
			exerciseDecoders((*Qdisc)(&cs[i]))
		}
		Totals(qs, nil)
		for i := range qs {
			BuildTree(qs[i].Ifindex, qs, cs)
		}
	})
}

func FuzzDecodeXStats(f *testing.F) {
	msgs, _ := fuzzSeeds(f)
	for _, m := range msgs {
		var q Qdisc
		if decodeMessage(m, &q, nil) == nil {
			f.Add(q.XStats, q.Options)
		}
	}
	f.Fuzz(func(t *testing.T, xstats, options []byte) {
		exerciseDecoders(&Qdisc{XStats: xstats, Options: options})
	})
}
