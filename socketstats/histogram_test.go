package socketstats

import "testing"

func TestHistogram(t *testing.T) {
	var h atomicHistogram
	var l localHistogram
	for _, v := range []uint64{0, 1, 2, 3, 1000, 1 << 40} {
		l.observe(v)
	}
	h.merge(&l)
	l.reset()
	if l.count != 0 || l.counts[BucketOf(1000)] != 0 {
		t.Fatal("reset left counts")
	}
	h.observe(5)
	var s Histogram
	h.snapshot(&s)
	if s.Count != 7 || s.Max != 1<<40 || s.Sum != 0+1+2+3+1000+1<<40+5 {
		t.Fatalf("snapshot %+v", s)
	}
	want := map[int]uint64{0: 1, 1: 1, 2: 2, 3: 1, 10: 1, 41: 1}
	for i, c := range s.Counts {
		if c != want[i] {
			t.Errorf("bucket %d = %d, want %d", i, c, want[i])
		}
	}
	if BucketUpperBound(0) != 0 || BucketUpperBound(3) != 7 || BucketUpperBound(64) != ^uint64(0) {
		t.Error("bucket bounds")
	}
	if q := s.Quantile(0.5); q != 3 {
		t.Errorf("median bound %d, want 3", q)
	}
	if q := s.Quantile(1); q != 1<<40 {
		t.Errorf("max quantile %d", q)
	}
	var empty Histogram
	if empty.Quantile(0.9) != 0 {
		t.Error("empty quantile")
	}
}
