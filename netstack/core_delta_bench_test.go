package netstack

import (
	"context"
	"os"
	"testing"
)

// BenchmarkComputeDelta takes the delta between two snapshots of this
// machine (every source but drop events), the work a sampling loop does
// after each collection. It must not allocate.
func BenchmarkComputeDelta(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	c, err := NewCollector(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s0, s1 Snapshot
	c.Collect(ctx, &s0)
	c.Collect(ctx, &s1)
	var d Delta
	ComputeDelta(&s0, &s1, &d)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ComputeDelta(&s0, &s1, &d)
	}
	b.ReportMetric(float64(len(d.Counters)), "counters")
}
