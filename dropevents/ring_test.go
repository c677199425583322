package dropevents

import (
	"encoding/binary"
	"testing"
)

// kfreeRecord builds a PERF_RECORD_SAMPLE carrying a 6.18 kfree_skb raw
// record (reason u32 at 36, location at 16), padded to 8 bytes as the
// kernel does.
func kfreeRecord(id uint16, reason uint32, loc uint64) []byte {
	raw := make([]byte, 40)
	binary.NativeEndian.PutUint16(raw, id)
	binary.NativeEndian.PutUint64(raw[16:], loc)
	binary.NativeEndian.PutUint32(raw[36:], reason)
	body := binary.NativeEndian.AppendUint32(nil, uint32(len(raw)+4))
	body = append(body, raw...)
	body = append(body, 0, 0, 0, 0)
	return header(recordSample, body)
}

func header(typ uint32, body []byte) []byte {
	rec := binary.NativeEndian.AppendUint32(nil, typ)
	rec = binary.NativeEndian.AppendUint16(rec, 0)
	rec = binary.NativeEndian.AppendUint16(rec, uint16(8+len(body)))
	return append(rec, body...)
}

func lostRecord(n uint64) []byte {
	body := binary.NativeEndian.AppendUint64(nil, 7)
	body = binary.NativeEndian.AppendUint64(body, n)
	return header(recordLost, body)
}

func newTestAggregator() *aggregator {
	a := &aggregator{eventID: 2310, reasonOff: 36, reasonSize: 4, locOff: 16,
		counts: make([]uint64, 129), known: make([]bool, 129)}
	for v := 2; v < 128; v++ {
		a.known[v] = true
	}
	return a
}

// ringOf lays records into a ring of size bytes starting at byte offset
// start (so records can wrap) and returns the ring, tail and head.
func ringOf(size int, start uint64, recs ...[]byte) ([]byte, uint64, uint64) {
	data := make([]byte, size)
	pos := start
	for _, r := range recs {
		for _, b := range r {
			data[pos%uint64(size)] = b
			pos++
		}
	}
	return data, start, pos
}

func TestWalkRing(t *testing.T) {
	recs := [][]byte{
		kfreeRecord(2310, 6, 0xffffffff81000010),
		kfreeRecord(2310, 6, 0xffffffff81000010),
		kfreeRecord(2310, 3, 0xffffffff81000020),
		lostRecord(5),
		kfreeRecord(2310, 64, 0xffffffff81000030),
		kfreeRecord(2310, 1<<16|3, 0xffffffff81000030), // subsystem reason
		header(14, make([]byte, 16)),                   // another record type: ignored
	}
	for _, start := range []uint64{0, 3, 100, 250, 1<<32 - 7} {
		a := newTestAggregator()
		data, tail, head := ringOf(512, start, recs...)
		scratch := make([]byte, 1<<16)
		if got := walkRing(data, tail, head, scratch, a); got != head {
			t.Errorf("start %d: tail = %d; want %d", start, got, head)
		}
		if a.counts[6] != 2 || a.counts[3] != 1 || a.counts[64] != 1 || a.other != 1 || a.samples != 5 || a.lost != 5 || a.malformed != 0 {
			t.Errorf("start %d: counts 6=%d 3=%d 64=%d other=%d samples=%d lost=%d malformed=%d",
				start, a.counts[6], a.counts[3], a.counts[64], a.other, a.samples, a.lost, a.malformed)
		}
		if a.nlocs != 3 || a.locs[0].count != 2 || a.locs[2].count != 2 {
			t.Errorf("start %d: locations %v", start, a.locs[:a.nlocs])
		}
	}
}

func TestWalkRingPartialAndBad(t *testing.T) {
	rec := kfreeRecord(2310, 6, 1)
	a := newTestAggregator()
	data, tail, head := ringOf(256, 0, rec, rec)
	// The kernel publishes head at record boundaries only: a record longer
	// than what is published is corrupt and the walk skips to head.
	if got := walkRing(data, tail, head-4, make([]byte, 1<<16), a); got != head-4 || a.samples != 1 || a.malformed != 1 {
		t.Errorf("partial: tail %d samples %d malformed %d", got, a.samples, a.malformed)
	}
	// A zero size header cannot advance: the walk stops at head.
	a = newTestAggregator()
	data, tail, head = ringOf(256, 0, make([]byte, 16))
	if got := walkRing(data, tail, head, make([]byte, 1<<16), a); got != head || a.malformed != 1 {
		t.Errorf("zero size: tail %d malformed %d", got, a.malformed)
	}
	// head more than a ring ahead of tail: skipped as malformed.
	a = newTestAggregator()
	if got := walkRing(make([]byte, 64), 0, 1000, nil, a); got != 1000 || a.malformed != 1 {
		t.Errorf("overrun: tail %d malformed %d", got, a.malformed)
	}
	// Records of another event id, or too short for the format, are malformed.
	a = newTestAggregator()
	a.record(kfreeRecord(99, 6, 1))
	a.record(header(recordSample, []byte{4, 0, 0, 0, 1, 2, 3, 4}))
	a.record(header(recordSample, []byte{200, 0, 0, 0}))
	a.record(header(recordLost, []byte{1}))
	a.record([]byte{1, 2})
	if a.malformed != 5 || a.samples != 0 {
		t.Errorf("malformed = %d, samples %d; want 5, 0", a.malformed, a.samples)
	}
}

func TestWalkRingAllocs(t *testing.T) {
	a := newTestAggregator()
	data, tail, head := ringOf(512, 500, kfreeRecord(2310, 6, 1), kfreeRecord(2310, 3, 2), lostRecord(1))
	scratch := make([]byte, 1<<16)
	if n := testing.AllocsPerRun(100, func() { walkRing(data, tail, head, scratch, a) }); n != 0 {
		t.Errorf("walkRing allocates %v times per run", n)
	}
}

func TestDelta(t *testing.T) {
	prev := Counts{UDPFailQueueRcvSkb: Tracepoint{true, 10}, KfreeSkb: Tracepoint{true, 100},
		Reasons: []ReasonCount{{6, "SOCKET_RCVBUFF", 10}, {3, "NO_SOCKET", 5}}, Lost: 1, Samples: 50}
	cur := Counts{UDPFailQueueRcvSkb: Tracepoint{true, 25}, KfreeSkb: Tracepoint{true, 180},
		SockRcvqueueFull: Tracepoint{Present: true},
		Reasons:          []ReasonCount{{6, "SOCKET_RCVBUFF", 30}, {3, "NO_SOCKET", 4}}, Lost: 3, Samples: 120}
	var d Counts
	Delta(&d, &prev, &cur)
	if d.UDPFailQueueRcvSkb != (Tracepoint{true, 15}) || d.KfreeSkb.Count != 80 || !d.SockRcvqueueFull.Present ||
		d.SockExceedBufLimit.Present || d.Lost != 2 || d.Samples != 70 {
		t.Errorf("Delta = %+v", d)
	}
	if n, _ := d.Reason("SOCKET_RCVBUFF"); n != 20 {
		t.Errorf("SOCKET_RCVBUFF delta = %d", n)
	}
	if n, ok := d.Reason("NO_SOCKET"); n != 0 || !ok {
		t.Errorf("NO_SOCKET delta (went backwards) = %d, %v; want 0", n, ok)
	}
	if _, ok := d.Reason("QDISC_DROP"); ok {
		t.Error("QDISC_DROP present")
	}
	if n := testing.AllocsPerRun(100, func() { Delta(&d, &prev, &cur) }); n != 0 {
		t.Errorf("Delta allocates %v times", n)
	}
}
