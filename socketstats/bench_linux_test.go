package socketstats

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"golang.org/x/sys/unix"
)

// BenchmarkReadBatch reads queued batches of 64 datagrams with all the
// accounting on: one op is one batch.
func BenchmarkReadBatch(b *testing.B) {
	for _, mode := range []TimestampMode{TimestampsOff, TimestampsNS} {
		name := map[TimestampMode]string{TimestampsOff: "no-timestamps", TimestampsNS: "timestamps"}[mode]
		b.Run(name, func(b *testing.B) {
			ns := netnstest.New(b, netnstest.WithMulticastLoopback())
			_ = ns.Do(func() error {
				const batch = 64
				c, err := Open(Config{Interface: "lo", Port: 6500, Groups: []Group{{Addr: testGroup4}},
					ReceiveBuffer: 1 << 30, Timestamps: mode, MaxBatch: batch})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				s := newSender(b, loopback1)
				payload := make([]byte, 64)
				for range batch * b.N {
					s.send(b, netip.AddrPortFrom(testGroup4, 6500), payload)
				}
				msgs := newMessages(batch, 2048)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if n, err := c.ReadBatch(ctx, msgs); n != batch || err != nil {
						b.Fatalf("ReadBatch: %d, %v", n, err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/pkt")
				return nil
			})
		})
	}
}

// BenchmarkReadBatchWait measures the slow path: ReadBatch with a
// cancellable context finds nothing queued and must wait (one datagram
// arrives a moment later). It shows what the context machinery allocates.
func BenchmarkReadBatchWait(b *testing.B) {
	ns := netnstest.New(b, netnstest.WithMulticastLoopback())
	_ = ns.Do(func() error {
		c, err := Open(Config{Interface: "lo", Port: 6501, Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		s := newSender(b, loopback1)
		msgs := newMessages(4, 2048)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ReportAllocs()
		for range b.N {
			t := time.AfterFunc(20*time.Microsecond, func() { s.send(b, netip.AddrPortFrom(testGroup4, 6501), []byte("x")) })
			if n, err := c.ReadBatch(ctx, msgs); n != 1 || err != nil {
				b.Fatalf("ReadBatch: %d, %v", n, err)
			}
			t.Stop()
		}
		return nil
	})
}

func BenchmarkParseControl(b *testing.B) {
	buf := append(ovflCmsg(12345), timespecCmsg(unix.SO_TIMESTAMPNS, 1700000000, 1, 1)...)
	var c Control
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseControl(buf, &c); err != nil {
			b.Fatal(err)
		}
	}
}
