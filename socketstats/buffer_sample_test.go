package socketstats

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestBufferSampleCoherent races four writers, serialised as the Conn's
// samplers and reader are (one mutex, taken around "read the kernel, then
// publish"), against four readers that snapshot the counters. Sample k
// is {Used: k, Size: 3k+7, Drops: k}, published in increasing k: every
// snapshot must hold one sample's three values (a torn read mixes two k),
// its sequence number must be k, k must never go back from one snapshot
// to the next, and HighWater must never be below Buffer.Used.
func TestBufferSampleCoherent(t *testing.T) {
	const writers, readers, samples = 4, 4, 40000
	var (
		c    counters
		mu   sync.Mutex
		next uint64
		done atomic.Bool
		wg   sync.WaitGroup
	)
	for range writers {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == samples {
					mu.Unlock()
					return
				}
				next++
				k := next
				c.observeBuffer(BufferUsage{Used: k, Size: 3*k + 7, Drops: uint32(k)})
				mu.Unlock()
			}
		})
	}
	var rwg sync.WaitGroup
	errs := make([]error, readers)
	seen := make([]int, readers)
	for r := range readers {
		rwg.Go(func() {
			var st Stats
			var last uint64
			for !done.Load() {
				c.snapshot(&st)
				_, seq := c.buf.load()
				b := st.Buffer
				switch {
				case !st.BufferKnown && b != (BufferUsage{}):
					errs[r] = fmt.Errorf("sample %+v while BufferKnown is false", b)
				case !st.BufferKnown:
					continue
				case b.Size != 3*b.Used+7 || uint64(b.Drops) != b.Used:
					errs[r] = fmt.Errorf("torn sample %+v", b)
				case b.Used < last:
					errs[r] = fmt.Errorf("sample %d after sample %d", b.Used, last)
				case seq < b.Used:
					errs[r] = fmt.Errorf("sequence %d after sample %d", seq, b.Used)
				case st.HighWater < b.Used:
					errs[r] = fmt.Errorf("HighWater %d below Buffer.Used %d", st.HighWater, b.Used)
				}
				if errs[r] != nil {
					return
				}
				if b.Used != last {
					seen[r]++
				}
				last = b.Used
			}
		})
	}
	wg.Wait()
	done.Store(true)
	rwg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Errorf("reader %d: %v", r, err)
		}
	}
	b, seq := c.buf.load()
	if want := (BufferUsage{Used: samples, Size: 3*samples + 7, Drops: samples}); b != want || seq != samples {
		t.Errorf("final sample %+v, sequence %d; want %+v, %d", b, seq, want, samples)
	}
	t.Logf("%d samples published; distinct samples seen per reader: %v", seq, seen)
}

// TestBufferSampleLoadAllocs: a snapshot of the buffer sample allocates
// nothing.
func TestBufferSampleLoadAllocs(t *testing.T) {
	var c counters
	c.observeBuffer(BufferUsage{Used: 1, Size: 2, Drops: 3})
	var st Stats
	if a := testing.AllocsPerRun(100, func() {
		c.observeBuffer(BufferUsage{Used: 4, Size: 5, Drops: 6})
		c.snapshot(&st)
	}); a != 0 {
		t.Errorf("%.1f allocs, want 0", a)
	}
}
