package socketstats

import (
	"context"
	"net/netip"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// BenchmarkSampleStats is the kernel read a netstack collection makes per
// own socket: one getsockopt(SO_MEMINFO) and the counters' snapshot.
// BenchmarkMetricsCollect is one OpenTelemetry collection of one Conn's
// instruments (SO_MEMINFO and SIOCINQ in the callback, plus the SDK).
func BenchmarkSampleStats(b *testing.B) {
	ns := netnstest.New(b, netnstest.WithMulticastLoopback())
	_ = ns.Do(func() error {
		c, err := Open(Config{Interface: "lo", Port: 6510, Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		newSender(b, loopback1).send(b, netip.AddrPortFrom(testGroup4, 6510), []byte("x"))
		var st Stats
		b.Run("SampleStats", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.SampleStats(&st); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("ReadStats", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.ReadStats(&st)
			}
		})
		b.Run("MetricsCollect", func(b *testing.B) {
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			defer mp.Shutdown(context.Background())
			if err := c.RegisterMetrics(mp); err != nil {
				b.Fatal(err)
			}
			var rm metricdata.ResourceMetrics
			b.ReportAllocs()
			for b.Loop() {
				if err := reader.Collect(context.Background(), &rm); err != nil {
					b.Fatal(err)
				}
			}
		})
		return nil
	})
}
