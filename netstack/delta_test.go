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

// TestComputeDeltaWrapRule covers the plausibility rule for 32-bit
// decreases and the re-creation of whole objects (issue 20, item 2).
func TestComputeDeltaWrapRule(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type tc struct {
		name                string
		interval            time.Duration
		bits                uint8
		gauge               bool
		prev, cur           uint64
		delta               uint64
		reset, wrapped, new bool
	}
	cases := []tc{
		{name: "true wrap near 2^32", interval: time.Second, bits: 32, prev: 0xffffff00, cur: 0x10, delta: 0x110, wrapped: true},
		{name: "wrap to exactly 0", interval: time.Second, bits: 32, prev: 1<<32 - 1, cur: 0, delta: 1, wrapped: true},
		{name: "qdisc re-created: 2996 drops back to 0", interval: time.Second, bits: 32, prev: 2996, cur: 0, delta: 0, reset: true},
		{name: "small decrease", interval: time.Second, bits: 32, prev: 3000, cur: 2990, delta: 2990, reset: true},
		{name: "wrap just below half the range over 10s", interval: 10 * time.Second, bits: 32, prev: 1<<31 + 10, cur: 5, delta: 1<<31 - 5, wrapped: true},
		{name: "wrap of half the range", interval: 10 * time.Second, bits: 32, prev: 1 << 31, cur: 0, delta: 0, reset: true},
		{name: "wrap too large for 1ms", interval: time.Millisecond, bits: 32, prev: 1<<31 + 10, cur: 5, delta: 5, reset: true},
		{name: "wrap plausible for 1ms", interval: time.Millisecond, bits: 32, prev: 1<<32 - 1000, cur: 1000, delta: 2000, wrapped: true},
		{name: "no interval: half-range rule only", interval: 0, bits: 32, prev: 1<<32 - 1000, cur: 1000, delta: 2000, wrapped: true},
		{name: "64-bit decrease", interval: time.Second, bits: 64, prev: 0xffffff00, cur: 0x10, delta: 0x10, reset: true},
		{name: "64-bit increase across 2^32", interval: time.Second, bits: 64, prev: 0xffffff00, cur: 1<<32 + 0x10, delta: 0x110},
		{name: "32-bit counter above 2^32 went back", interval: time.Second, bits: 32, prev: 1<<32 + 5, cur: 3, delta: 3, reset: true},
		{name: "gauge going down", interval: time.Second, bits: 32, gauge: true, prev: 300, cur: 120, delta: 0},
		{name: "gauge going up", interval: time.Second, bits: 32, gauge: true, prev: 120, cur: 300, delta: 0},
	}
	for _, c := range cases {
		prev := snap(t0, Counter{Source: SourceSoftnet, Index: 0, Name: "dropped", Bits: c.bits, Gauge: c.gauge, Value: c.prev})
		cur := snap(t0.Add(c.interval), Counter{Source: SourceSoftnet, Index: 0, Name: "dropped", Bits: c.bits, Gauge: c.gauge, Value: c.cur})
		var d Delta
		ComputeDelta(prev, cur, &d)
		g := d.Counters[0]
		if g.Delta != c.delta || g.Reset != c.reset || g.Wrapped != c.wrapped || g.New != c.new {
			t.Errorf("%s: %d -> %d: got delta=%d reset=%v wrapped=%v, want delta=%d reset=%v wrapped=%v",
				c.name, c.prev, c.cur, g.Delta, g.Reset, g.Wrapped, c.delta, c.reset, c.wrapped)
		}
		if g.Delta > g.Value && !g.Wrapped {
			t.Errorf("%s: delta %d exceeds the value %d the kernel counted", c.name, g.Delta, g.Value)
		}
	}
}

// qdiscCounters is one qdisc's counters in the order the collector emits
// them.
func qdiscCounters(dev string, gen, bytes, packets, drops, overlimits, qlen uint64) []Counter {
	mk := func(name string, bits uint8, gauge bool, v uint64) Counter {
		return Counter{Source: SourceQdisc, Stage: StageQdisc, Object: dev, Index: 0x10000, Gen: gen,
			Name: name, Bits: bits, Gauge: gauge, Value: v, Label: "tbf"}
	}
	return []Counter{
		mk("bytes", 64, false, bytes), mk("packets", 32, false, packets),
		mk("drops", 32, false, drops), mk("overlimits", 32, false, overlimits),
		mk("qlen", 32, true, qlen),
	}
}

func TestComputeDeltaRecreatedObject(t *testing.T) {
	t0 := time.Unix(1000, 0)
	other := Counter{Source: SourceSNMP, Index: -1, Name: "Udp.InDatagrams", Bits: 64, Value: 10}
	otherCur := other
	otherCur.Value = 25
	// tc qdisc del and add with the same handle, parent and kind between
	// the snapshots: the new qdisc's counters started again. Its drops came back
	// just past a value that would read as a plausible wrap, and its
	// overlimits are above the old qdisc's: all of them count from zero.
	prev := snap(t0, append(qdiscCounters("ppq0", 7<<32|1, 1_000_000, 2000, 0xfffffff0, 10, 3), other)...)
	cur := snap(t0.Add(2*time.Second), append(qdiscCounters("ppq0", 7<<32|1, 500, 5, 5, 20, 1), otherCur)...)
	var d Delta
	ComputeDelta(prev, cur, &d)
	want := map[string]uint64{"bytes": 500, "packets": 5, "drops": 5, "overlimits": 20, "qlen": 0, "Udp.InDatagrams": 15}
	for _, c := range d.Counters {
		if c.Delta != want[c.Name] {
			t.Errorf("%s: delta %d, want %d", c.Name, c.Delta, want[c.Name])
		}
		wantReset := !c.Gauge && c.Source == SourceQdisc
		if c.Reset != wantReset || c.Wrapped {
			t.Errorf("%s: reset=%v wrapped=%v, want reset=%v", c.Name, c.Reset, c.Wrapped, wantReset)
		}
		if c.Source == SourceQdisc && !c.Gauge && c.Rate != float64(c.Value)/2 {
			t.Errorf("%s: rate %v", c.Name, c.Rate)
		}
	}

	// Only packets went back (a 32-bit packet count wrapped while bytes,
	// 64-bit, grew): not a re-creation; drops wrap as usual.
	prev = snap(t0, qdiscCounters("ppq0", 7<<32|1, 1_000_000, 0xfffffff0, 0xfffffff0, 10, 3)...)
	cur = snap(t0.Add(2*time.Second), qdiscCounters("ppq0", 7<<32|1, 2_000_000, 0x20, 0x5, 20, 1)...)
	ComputeDelta(prev, cur, &d)
	want = map[string]uint64{"bytes": 1_000_000, "packets": 0x30, "drops": 0x15, "overlimits": 10, "qlen": 0}
	for _, c := range d.Counters {
		if c.Delta != want[c.Name] || c.Reset {
			t.Errorf("packets wrap: %s: delta %d reset %v, want delta %d", c.Name, c.Delta, c.Reset, want[c.Name])
		}
	}

	// A different qdisc of the same device (another handle) is another
	// object: its counters are untouched by the neighbour's re-creation.
	a := qdiscCounters("ppq0", 7<<32|1, 1_000_000, 2000, 2996, 10, 3)
	b := qdiscCounters("ppq0", 7<<32|1, 9000, 90, 7, 1, 0)
	for i := range b {
		b[i].Index = 0x20000
	}
	a2 := qdiscCounters("ppq0", 7<<32|1, 100, 1, 0, 0, 0)
	b2 := qdiscCounters("ppq0", 7<<32|1, 9500, 95, 9, 1, 0)
	for i := range b2 {
		b2[i].Index = 0x20000
	}
	prev = snap(t0, append(a, b...)...)
	cur = snap(t0.Add(time.Second), append(a2, b2...)...)
	ComputeDelta(prev, cur, &d)
	for _, c := range d.Counters {
		if c.Index == 0x20000 && c.Reset {
			t.Errorf("neighbour qdisc %s reset", c.Name)
		}
		if c.Index == 0x10000 && !c.Gauge && (!c.Reset || c.Delta != c.Value) {
			t.Errorf("replaced qdisc %s: delta %d reset %v", c.Name, c.Delta, c.Reset)
		}
	}
	if n, _ := d.Sum(SourceQdisc, "drops"); n != 2 {
		t.Errorf("drops summed over both qdiscs: %d, want 0 (new qdisc) + 2", n)
	}
}

// An mq root sums its children at each dump: when a child is re-created
// its counters fall back, and the delta is 0, not the other children's
// counts since boot; the new child's own delta is its value.
func TestComputeDeltaAggregate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	mq := func(bytes, packets, drops uint64) []Counter {
		cs := qdiscCounters("mq0", 9<<32|5, bytes, packets, drops, 0, 0)
		for i := range cs {
			cs[i].Label = "mq"
		}
		return cs
	}
	child := func(gen, bytes, packets, drops uint64) []Counter {
		cs := qdiscCounters("mq0", gen, bytes, packets, drops, 0, 0)
		for i := range cs {
			cs[i].Index = 2 << 32 // handle 0 below 1:2
			cs[i].Label = "pfifo_fast"
		}
		return cs
	}
	// Child 1:2 replaced by a new one (another Gen: another kind) that
	// counted 4 drops; the mq sum fell from 5000 to 3004.
	prev := snap(t0, append(mq(1_000_000, 9000, 5000), child(9<<32|7, 400_000, 3000, 2000)...)...)
	cur := snap(t0.Add(time.Second), append(mq(600_500, 6010, 3004), child(9<<32|8, 500, 10, 4)...)...)
	var d Delta
	ComputeDelta(prev, cur, &d)
	for _, c := range d.Counters {
		var want uint64
		if c.Label == "pfifo_fast" && !c.Gauge {
			want = c.Value
		}
		if c.Delta != want || (!c.Gauge && !c.Reset) {
			t.Errorf("%s %s: delta %d reset %v, want delta %d", c.Label, c.Name, c.Delta, c.Reset, want)
		}
	}
	// Only the mq's 32-bit drops fell back (its packets and bytes grew):
	// still not a count of the interval.
	prev = snap(t0, mq(1_000_000, 9000, 5000)...)
	cur = snap(t0.Add(time.Second), mq(1_100_000, 9100, 3004)...)
	ComputeDelta(prev, cur, &d)
	if c := d.Find(SourceQdisc, "mq0", 0x10000, "drops"); c == nil || c.Delta != 0 || !c.Reset {
		t.Errorf("mq drops fell back: %+v", c)
	}
	if c := d.Find(SourceQdisc, "mq0", 0x10000, "bytes"); c == nil || c.Delta != 100_000 || c.Reset {
		t.Errorf("mq bytes grew: %+v", c)
	}
}
