package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
)

func payload(n uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func TestSequence(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []uint64
		want seqCounts
	}{
		{"in order", []uint64{5, 6, 7, 8}, seqCounts{Checked: 4}},
		{"one gap", []uint64{1, 2, 5, 6}, seqCounts{Checked: 4, Gaps: 1, Missing: 2}},
		{"two gaps", []uint64{0, 2, 3, 10}, seqCounts{Checked: 4, Gaps: 2, Missing: 7}},
		{"reorder fills gap", []uint64{1, 3, 2, 4}, seqCounts{Checked: 4, Gaps: 1, Missing: 0, Reorders: 1}},
		{"duplicate", []uint64{1, 2, 2, 3}, seqCounts{Checked: 4, Duplicates: 1}},
		{"late duplicate", []uint64{1, 3, 2, 2}, seqCounts{Checked: 4, Gaps: 1, Reorders: 1, Duplicates: 1}},
		{"older than first", []uint64{10, 11, 9}, seqCounts{Checked: 3, Reorders: 1}},
		{"too old", []uint64{0, seqWindow + 5, 1}, seqCounts{Checked: 3, Gaps: 1, Missing: seqWindow + 4, TooOld: 1}},
		{"jump clears window", []uint64{0, 1, seqWindow + 1, seqWindow}, seqCounts{Checked: 4, Gaps: 1, Missing: seqWindow - 2, Reorders: 1}},
	} {
		var s stream
		for _, n := range tc.seqs {
			s.observe(payload(n))
		}
		if s.seqCounts != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, s.seqCounts, tc.want)
		}
	}
}

func TestSequencePerSender(t *testing.T) {
	c := newSeqChecker()
	a := netip.MustParseAddrPort("10.0.0.1:1000")
	b := netip.MustParseAddrPort("10.0.0.2:1000")
	for n := range uint64(10) {
		c.observe(a, payload(n))
		c.observe(b, payload(100+n*2)) // every other number: 9 gaps of 1
	}
	c.observe(b, []byte{1, 2, 3})
	tot := c.total()
	if tot.Checked != 20 || tot.Gaps != 9 || tot.Missing != 9 || tot.Short != 1 || len(c.streams) != 2 {
		t.Errorf("%+v streams %d", tot, len(c.streams))
	}
}

func TestSequenceNoAllocs(t *testing.T) {
	c := newSeqChecker()
	a := netip.MustParseAddrPort("10.0.0.1:1000")
	p := payload(0)
	var n uint64
	c.observe(a, p)
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		binary.BigEndian.PutUint64(p, n)
		c.observe(a, p)
	})
	if allocs != 0 {
		t.Errorf("%v allocs per datagram", allocs)
	}
}

func FuzzSequence(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s stream
		var received uint64
		for len(data) >= 8 {
			s.observe(data[:8])
			data = data[8:]
			received++
		}
		s.observe(data)
		if s.Checked != received || s.Reorders+s.Duplicates+s.TooOld > received {
			t.Fatalf("counts %+v for %d datagrams", s.seqCounts, received)
		}
	})
}

// Example_sequence shows how gaps, late datagrams and duplicates are
// counted for one sender.
func Example_sequence() {
	c := newSeqChecker()
	sender := netip.MustParseAddrPort("10.0.0.1:40000")
	for _, n := range []uint64{1, 2, 5, 3, 3, 6} {
		c.observe(sender, payload(n))
	}
	t := c.total()
	fmt.Printf("gaps %d, missing %d, reorders %d, duplicates %d\n", t.Gaps, t.Missing, t.Reorders, t.Duplicates)
	// Output: gaps 1, missing 1, reorders 1, duplicates 1
}

// BenchmarkSequence is the cost of the -seq check per datagram.
func BenchmarkSequence(b *testing.B) {
	c := newSeqChecker()
	a := netip.MustParseAddrPort("10.0.0.1:1000")
	p := payload(0)
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		n++
		if n%1000 == 0 {
			n++ // a gap now and then
		}
		binary.BigEndian.PutUint64(p, n)
		c.observe(a, p)
	}
}
