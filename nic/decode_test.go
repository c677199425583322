package nic

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nlmsg builds one netlink message (test helper).
func nlmsg(typ, flags uint16, seq uint32, body []byte) []byte {
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(body)+3)
	binary.NativeEndian.PutUint32(b[0:], uint32(nlmsgHdrLen+len(body)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], flags)
	binary.NativeEndian.PutUint32(b[8:], seq)
	b = append(b, body...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nlattr(typ uint16, v []byte) []byte {
	b := make([]byte, 4, 4+len(v)+3)
	binary.NativeEndian.PutUint16(b[0:], uint16(4+len(v)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32b(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// linkMsg builds an RTM_NEWLINK body with an IFLA_STATS64 of nstats
// counters numbered 1..nstats.
func linkMsg(index int32, name string, nstats int) []byte {
	body := make([]byte, ifinfomsgLen)
	binary.NativeEndian.PutUint32(body[4:], uint32(index))
	body = append(body, nlattr(iflaIfname, append([]byte(name), 0))...)
	body = append(body, nlattr(iflaMTU, u32b(1500))...)
	body = append(body, nlattr(iflaOperstate, []byte{6})...)
	body = append(body, nlattr(iflaQdisc, []byte("mq\x00"))...)
	var st []byte
	for i := range nstats {
		st = binary.NativeEndian.AppendUint64(st, uint64(i+1))
	}
	body = append(body, nlattr(iflaStats64|0x8000, st)...) // flag bits ignored
	return body
}

func TestDecodeLinkDumpFixture(t *testing.T) {
	b := readFile(t, "testdata/rtm_getlink_dump.bin")
	links, done, err := decodeLinkDump(b, 8, nil)
	if err != nil || !done {
		t.Fatalf("done %v err %v", done, err)
	}
	// Values as `ip -s -s -j link` printed them at capture time.
	if len(links) != 4 {
		t.Fatalf("%d links", len(links))
	}
	e := links[3]
	if e.Name != "eth0" || e.Index != 4 || e.MTU != 1400 || e.Qdisc != "pfifo_fast" || e.OperState != OperUp ||
		e.TxQueueLen != 1000 || e.NumTxQueues != 1 || e.NumRxQueues != 1 || e.CarrierChanges != 2 ||
		e.Stats.RxPackets != 3996 || e.Stats.RxBytes != 84202401 || e.Stats.TxPackets != 3622 || e.Stats.TxBytes != 409629 ||
		!e.Stats.HasRxNohandler || !e.Stats.HasRxOtherhostDropped {
		t.Errorf("eth0 = %+v", e)
	}
	if links[0].Name != "lo" || links[0].Stats.RxPackets != 129 || links[0].Qdisc != "noqueue" || links[0].OperState.String() != "UNKNOWN" {
		t.Errorf("lo = %+v", links[0])
	}
	// Another sequence number: every message is skipped.
	if links, _, err := decodeLinkDump(b, 9, nil); err != nil || len(links) != 0 {
		t.Errorf("seq 9: %d links, %v", len(links), err)
	}
	// Re-decoding into the same slice allocates nothing.
	allocs := testing.AllocsPerRun(100, func() {
		links, _, err = decodeLinkDump(b, 8, links[:0])
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per decode", allocs)
	}
}

func TestDecodeStatsLengths(t *testing.T) {
	for _, n := range []int{23, 24, 25, 27} {
		b := nlmsg(rtmNewLink, 2, 1, linkMsg(5, "x", n))
		links, _, err := decodeLinkDump(b, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := links[0].Stats
		if s.RxPackets != 1 || s.TxCompressed != 23 || s.HasRxNohandler != (n >= 24) || s.HasRxOtherhostDropped != (n >= 25) {
			t.Errorf("%d counters: %+v", n, s)
		}
		if n >= 25 && (s.RxNohandler != 24 || s.RxOtherhostDropped != 25) {
			t.Errorf("%d counters: %+v", n, s)
		}
	}
}

func TestDecodeLinkDumpErrors(t *testing.T) {
	errMsg := nlmsg(nlmsgError, 0, 1, append(u32b(uint32(0x100000000-int64(syscall.EPERM))), make([]byte, 16)...))
	if _, _, err := decodeLinkDump(errMsg, 1, nil); !errors.Is(err, syscall.EPERM) {
		t.Errorf("NLMSG_ERROR: %v", err)
	}
	doneErr := nlmsg(nlmsgDone, 2, 1, u32b(uint32(0x100000000-int64(syscall.EINTR))))
	if _, _, err := decodeLinkDump(doneErr, 1, nil); !errors.Is(err, syscall.EINTR) {
		t.Errorf("NLMSG_DONE error: %v", err)
	}
	good := nlmsg(rtmNewLink, 2, 1, linkMsg(1, "a", 24))
	for name, b := range map[string][]byte{
		"short header":   good[:10],
		"length past":    good[:len(good)-8],
		"short stats":    nlmsg(rtmNewLink, 2, 1, linkMsg(1, "a", 5)),
		"short ifinfo":   nlmsg(rtmNewLink, 2, 1, make([]byte, 8)),
		"short mtu":      nlmsg(rtmNewLink, 2, 1, append(make([]byte, ifinfomsgLen), nlattr(iflaMTU, []byte{1})...)),
		"attr overflows": nlmsg(rtmNewLink, 2, 1, append(make([]byte, ifinfomsgLen), 0xff, 0, 4, 0)),
	} {
		if _, _, err := decodeLinkDump(b, 1, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecodeEthtoolFixtures(t *testing.T) {
	info, err := DecodeDriverInfo(readFile(t, "testdata/ethtool/gdrvinfo_eth0.bin"))
	if err != nil || info.Driver != "virtio_net" || info.Version != "1.0.0" || info.BusInfo != "0000:00:03.0" ||
		info.NumStats != 20 || info.SupportsTest() || !info.SupportsStatistics() {
		t.Errorf("drvinfo = %+v, %v", info, err)
	}
	r, err := DecodeRings(readFile(t, "testdata/ethtool/gringparam_eth0.bin"))
	if err != nil || r != (Rings{RxMax: 256, TxMax: 256, Rx: 256, Tx: 256}) {
		t.Errorf("rings = %+v, %v", r, err)
	}
	ch, err := DecodeChannels(readFile(t, "testdata/ethtool/gchannels_eth0.bin"))
	if err != nil || ch != (Channels{MaxCombined: 1, Combined: 1}) {
		t.Errorf("channels = %+v, %v", ch, err)
	}
	co, err := DecodeCoalesce(readFile(t, "testdata/ethtool/gcoalesce_eth0.bin"))
	if err != nil || co.RxMaxFrames != 1 || co.TxMaxFrames != 1 || co.RxUsecs != 0 || co.AdaptiveRx {
		t.Errorf("coalesce = %+v, %v", co, err)
	}
	n, ok, err := DecodeSSetInfo(readFile(t, "testdata/ethtool/gsset_info_eth0.bin"))
	if err != nil || !ok || n != 20 {
		t.Errorf("sset_info = %d %v %v", n, ok, err)
	}
	names, err := DecodeStrings(readFile(t, "testdata/ethtool/gstrings_eth0.bin"), nil)
	if err != nil || len(names) != 20 || names[0] != "rx_drops" || names[19] != "tx0_tx_timeouts" {
		t.Errorf("strings = %q, %v", names, err)
	}
	vals, err := DecodeStats(readFile(t, "testdata/ethtool/gstats_eth0.bin"), nil)
	if err != nil || len(vals) != 20 || vals[5] != vals[15] || vals[8] != vals[18] {
		t.Errorf("stats = %v, %v (rx_kicks must equal rx0_kicks on one queue)", vals, err)
	}
}

func TestDecodeEthtoolShort(t *testing.T) {
	if _, err := DecodeDriverInfo(make([]byte, 100)); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	if _, err := DecodeRings(make([]byte, 8)); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	if _, err := DecodeChannels(nil); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	if _, err := DecodeCoalesce(make([]byte, 91)); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	if _, _, err := DecodeSSetInfo(make([]byte, 4)); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	// A set bit with no length word.
	b := make([]byte, 16)
	binary.NativeEndian.PutUint64(b[8:], 1<<ethSSStats)
	if _, _, err := DecodeSSetInfo(b); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	// Mask clear: no statistics, not an error.
	if _, ok, err := DecodeSSetInfo(make([]byte, 20)); ok || err != nil {
		t.Error(ok, err)
	}
	// GSTRINGS claiming more strings than bytes.
	s := make([]byte, gstringsHdrLen+32)
	binary.NativeEndian.PutUint32(s[8:], 2)
	if _, err := DecodeStrings(s, nil); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
	g := make([]byte, gstatsHdrLen+8)
	binary.NativeEndian.PutUint32(g[4:], 2)
	if _, err := DecodeStats(g, nil); !errors.Is(err, ErrMalformed) {
		t.Error(err)
	}
}

// TestDecodeStringsKeepsDuplicatesAndFullWidth: names repeat on some
// drivers; a 32-byte name has no NUL.
func TestDecodeStringsKeepsDuplicatesAndFullWidth(t *testing.T) {
	full := "abcdefghijklmnopqrstuvwxyz012345"
	s := make([]byte, gstringsHdrLen)
	binary.NativeEndian.PutUint32(s[8:], 3)
	for _, n := range []string{"rx_packets", "rx_packets", full} {
		var f [32]byte
		copy(f[:], n)
		s = append(s, f[:]...)
	}
	names, err := DecodeStrings(s, nil)
	if err != nil || len(names) != 3 || names[0] != names[1] || names[2] != full {
		t.Errorf("%q %v", names, err)
	}
}

func FuzzDecodeLinkDump(f *testing.F) {
	f.Add(readFile(f, "testdata/rtm_getlink_dump.bin"), uint32(8))
	for _, n := range []int{22, 23, 24, 25} {
		f.Add(nlmsg(rtmNewLink, 2, 1, linkMsg(3, "veth0", n)), uint32(1))
	}
	f.Add(nlmsg(nlmsgError, 0, 1, u32b(0xffffffff)), uint32(1))
	f.Add(nlmsg(nlmsgDone, 2, 1, u32b(0)), uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		links, _, err := decodeLinkDump(b, seq, nil)
		if err != nil && len(links) > 0 && links[len(links)-1].Name == "\x00never" {
			t.Fatal("unreachable")
		}
		// Decoding again into the used slice gives the same links.
		again, _, err2 := decodeLinkDump(b, seq, links[:0])
		if (err == nil) != (err2 == nil) || len(again) != len(links) {
			t.Fatalf("second decode differs: %v / %v, %d / %d links", err, err2, len(links), len(again))
		}
	})
}

func FuzzDecodeEthtool(f *testing.F) {
	for _, name := range []string{"gdrvinfo_eth0", "gringparam_eth0", "gchannels_eth0", "gcoalesce_eth0",
		"gsset_info_eth0", "gstrings_eth0", "gstats_eth0"} {
		f.Add(readFile(f, "testdata/ethtool/"+name+".bin"))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err1 := DecodeDriverInfo(b)
		_, err2 := DecodeRings(b)
		_, err3 := DecodeChannels(b)
		_, err4 := DecodeCoalesce(b)
		_, _, err5 := DecodeSSetInfo(b)
		names, err6 := DecodeStrings(b, nil)
		vals, err7 := DecodeStats(b, nil)
		for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		}
		if len(names)*ethGStringLen > len(b) || len(vals)*8 > len(b) {
			t.Fatalf("%d names / %d values from %d bytes", len(names), len(vals), len(b))
		}
	})
}

// TestDecodeManyStrings: no cap on the number of statistics (an mlx5 NIC
// exposed 19,338).
func TestDecodeManyStrings(t *testing.T) {
	const n = 25000
	s := make([]byte, gstringsHdrLen+n*ethGStringLen)
	binary.NativeEndian.PutUint32(s[8:], n)
	for i := range n {
		copy(s[gstringsHdrLen+i*ethGStringLen:], "rx"+itoa(i%64)+"_packets")
	}
	names, err := DecodeStrings(s, nil)
	if err != nil || len(names) != n || names[n-1] != "rx"+itoa((n-1)%64)+"_packets" {
		t.Fatalf("%d names, %v", len(names), err)
	}
	v := make([]byte, gstatsHdrLen+n*8)
	binary.NativeEndian.PutUint32(v[4:], n)
	binary.NativeEndian.PutUint64(v[gstatsHdrLen+(n-1)*8:], 1<<63)
	vals, err := DecodeStats(v, nil)
	if err != nil || len(vals) != n || vals[n-1] != 1<<63 {
		t.Fatalf("%d values, %v", len(vals), err)
	}
	if qs := QueueStats(names, nil); len(qs) != n {
		t.Errorf("%d queue stats", len(qs))
	}
}

func TestDecodeLinksReplay(t *testing.T) {
	b := readFile(t, "testdata/rtm_getlink_dump.bin")
	links, err := DecodeLinks(b, nil)
	if err != nil || len(links) != 4 || links[3].Name != "eth0" || links[3].Stats.RxPackets != 3996 || links[0].Stats.RxPackets != 129 {
		t.Fatalf("%d links, %v", len(links), err)
	}
}
