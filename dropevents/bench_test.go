package dropevents

import "testing"

// BenchmarkWalkRing measures parsing and counting sampled kfree_skb
// records: 64 records per op, some wrapping around the ring's end.
func BenchmarkWalkRing(b *testing.B) {
	recs := make([][]byte, 64)
	for i := range recs {
		recs[i] = kfreeRecord(2310, uint32(2+i%100), 0xffffffff81000000+uint64(i%8))
	}
	data, tail, head := ringOf(8192, 5000, recs...)
	scratch := make([]byte, 1<<16)
	a := newTestAggregator()
	b.ReportAllocs()
	for b.Loop() {
		walkRing(data, tail, head, scratch, a)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
