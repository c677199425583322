package netstack

import (
	"context"
	"os"
	"testing"
)

// FastSources is the sampling profile for microbursts: cheap per-CPU and
// per-device counters and the process's own sockets.
func benchCollect(b *testing.B, sources Source) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	c, err := NewCollector(Config{Sources: sources})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s Snapshot
	c.Collect(ctx, &s)
	c.Collect(ctx, &s)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.Collect(ctx, &s)
	}
	b.ReportMetric(float64(len(s.Counters)), "counters")
}

func BenchmarkCollectAll(b *testing.B)  { benchCollect(b, 0) }
func BenchmarkCollectFast(b *testing.B) { benchCollect(b, FastSources) }
