package netstack

import (
	"testing"
	"time"
)

func snap(t0 time.Time, cs ...Counter) *Snapshot {
	return &Snapshot{Time: t0, Counters: cs}
}

func TestComputeDelta(t *testing.T) {
	t0 := time.Unix(1000, 0)
	prev := snap(t0,
		Counter{Source: SourceSoftnet, Index: 0, Name: "dropped", Value: 0xfffffff0, Bits: 32},
		Counter{Source: SourceLinks, Object: "eth0", Index: -1, Name: "rx_packets", Value: 100, Bits: 64, Gen: 2},
		Counter{Source: SourceLinks, Object: "veth0", Index: -1, Name: "rx_packets", Value: 5000, Bits: 64, Gen: 7},
		Counter{Source: SourceUDP, Object: "0.0.0.0:5000", Index: -1, Name: "drops", Value: 10, Bits: 32, Gen: 111},
		Counter{Source: SourceQdisc, Object: "eth0", Index: 0x80010000, Name: "backlog", Value: 300, Gauge: true},
		Counter{Source: SourceSNMP, Index: -1, Name: "Udp.NoPorts", Value: 900, Bits: 64},
	)
	cur := snap(t0.Add(2*time.Second),
		// Order changed on purpose: the delta must match by key.
		Counter{Source: SourceLinks, Object: "eth0", Index: -1, Name: "rx_packets", Value: 300, Bits: 64, Gen: 2},
		Counter{Source: SourceSoftnet, Index: 0, Name: "dropped", Value: 0x10, Bits: 32},
		Counter{Source: SourceLinks, Object: "veth0", Index: -1, Name: "rx_packets", Value: 40, Bits: 64, Gen: 9},
		Counter{Source: SourceUDP, Object: "0.0.0.0:5000", Index: -1, Name: "drops", Value: 3, Bits: 32, Gen: 222},
		Counter{Source: SourceQdisc, Object: "eth0", Index: 0x80010000, Name: "backlog", Value: 120, Gauge: true},
		Counter{Source: SourceSNMP, Index: -1, Name: "Udp.NoPorts", Value: 800, Bits: 64},
		Counter{Source: SourceSNMP, Index: -1, Name: "Udp.MemErrors", Value: 7, Bits: 64},
	)
	var d Delta
	ComputeDelta(prev, cur, &d)
	if d.Interval != 2*time.Second {
		t.Fatalf("interval %v", d.Interval)
	}
	type want struct {
		delta                 uint64
		rate                  float64
		isNew, reset, wrapped bool
	}
	wants := []want{
		{200, 100, false, false, false}, // 64-bit counter
		{0x20, 16, false, false, true},  // 32-bit wrap: 0xfffffff0 -> 0x10
		{40, 20, false, true, false},    // device re-created (ifindex changed)
		{3, 1.5, false, true, false},    // socket re-created (inode changed)
		{0, 0, false, false, false},     // gauge
		{800, 400, false, true, false},  // 64-bit counter went backwards: reset
		{0, 0, true, false, false},      // new counter
	}
	if len(d.Counters) != len(wants) {
		t.Fatalf("%d deltas, want %d", len(d.Counters), len(wants))
	}
	for i, w := range wants {
		c := d.Counters[i]
		if c.Delta != w.delta || c.Rate != w.rate || c.New != w.isNew || c.Reset != w.reset || c.Wrapped != w.wrapped {
			t.Errorf("%s %s: got delta=%d rate=%v new=%v reset=%v wrapped=%v, want %+v",
				c.Object, c.Name, c.Delta, c.Rate, c.New, c.Reset, c.Wrapped, w)
		}
	}
	if c := d.Find(SourceQdisc, "eth0", 0x80010000, "backlog"); c == nil || c.Value != 120 {
		t.Errorf("gauge value not carried: %+v", c)
	}
	if n, ok := d.Sum(SourceSoftnet, "dropped"); !ok || n != 0x20 {
		t.Errorf("Sum = %d, %v", n, ok)
	}

	// Steady state: the same pair again allocates nothing.
	allocs := testing.AllocsPerRun(100, func() { ComputeDelta(prev, cur, &d) })
	if allocs != 0 {
		t.Errorf("ComputeDelta allocates %.1f times per call in steady state", allocs)
	}
}
