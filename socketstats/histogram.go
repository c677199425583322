package socketstats

import (
	"math/bits"
	"sync/atomic"
)

// HistogramBuckets is the number of buckets of a Histogram: bucket 0 holds
// the value 0 and bucket i (1..64) holds values v with 2^(i-1) <= v < 2^i.
const HistogramBuckets = 65

// Histogram is a snapshot of a log2 histogram of non-negative integers
// (nanoseconds for queueing delay, datagrams for batch sizes).
type Histogram struct {
	// Counts[i] is the number of observations in bucket i (see
	// HistogramBuckets for the bounds; BucketUpperBound gives them).
	Counts [HistogramBuckets]uint64
	// Count is the number of observations and Sum their total.
	Count, Sum uint64
	// Max is the largest observation, exact (not rounded to a bucket).
	Max uint64
}

// BucketOf returns the bucket an observation v falls into.
func BucketOf(v uint64) int { return bits.Len64(v) }

// BucketUpperBound returns the largest value bucket i holds: 0 for bucket 0,
// 2^i - 1 otherwise (math.MaxUint64 for bucket 64).
func BucketUpperBound(i int) uint64 {
	if i <= 0 {
		return 0
	}
	if i >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(i) - 1
}

// Quantile returns an upper bound of the q-quantile (0 <= q <= 1): the upper
// bound of the bucket holding it, capped at Max. It returns 0 when empty.
func (h *Histogram) Quantile(q float64) uint64 {
	if h.Count == 0 {
		return 0
	}
	if q < 0 {
		q = 0
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(q * float64(h.Count))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			return min(BucketUpperBound(i), h.Max)
		}
	}
	return h.Max
}

// atomicHistogram is the live form of Histogram: updated by the reader with
// atomics, snapshotted by any goroutine.
type atomicHistogram struct {
	counts     [HistogramBuckets]atomic.Uint64
	count, sum atomic.Uint64
	max        atomic.Uint64
}

// observe records one value.
func (h *atomicHistogram) observe(v uint64) {
	h.counts[bits.Len64(v)].Add(1)
	h.count.Add(1)
	h.sum.Add(v)
	h.storeMax(v)
}

func (h *atomicHistogram) storeMax(v uint64) {
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// merge adds a batch accumulated without atomics.
func (h *atomicHistogram) merge(l *localHistogram) {
	if l.count == 0 {
		return
	}
	for i := l.lo; i <= l.hi; i++ {
		if c := l.counts[i]; c != 0 {
			h.counts[i].Add(uint64(c))
		}
	}
	h.count.Add(uint64(l.count))
	h.sum.Add(l.sum)
	h.storeMax(l.max)
}

func (h *atomicHistogram) snapshot(dst *Histogram) {
	for i := range h.counts {
		dst.Counts[i] = h.counts[i].Load()
	}
	dst.Count = h.count.Load()
	dst.Sum = h.sum.Load()
	dst.Max = h.max.Load()
}

// localHistogram accumulates one batch on the reader goroutine so the shared
// histogram takes a handful of atomic adds per batch, not per datagram.
type localHistogram struct {
	counts [HistogramBuckets]uint32
	lo, hi int
	count  uint32
	sum    uint64
	max    uint64
}

func (l *localHistogram) observe(v uint64) {
	b := bits.Len64(v)
	if l.count == 0 {
		l.lo, l.hi = b, b
	} else if b < l.lo {
		l.lo = b
	} else if b > l.hi {
		l.hi = b
	}
	l.counts[b]++
	l.count++
	l.sum += v
	if v > l.max {
		l.max = v
	}
}

func (l *localHistogram) reset() {
	if l.count == 0 {
		return
	}
	for i := l.lo; i <= l.hi; i++ {
		l.counts[i] = 0
	}
	l.count, l.sum, l.max = 0, 0, 0
}
