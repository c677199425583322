package socketstats

import (
	"context"
	"net/netip"
	"testing"
)

// TestReadBatchAllocs checks the steady state: a batch read with every
// piece of telemetry on allocates nothing, with a cancellable context too.
func TestReadBatchAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short")
	}
	const batch, runs = 32, 50
	for _, mode := range []TimestampMode{TimestampsOff, TimestampsNS, TimestampsSoftware} {
		inNS(t, func() {
			c, err := Open(Config{Interface: "lo", Port: 6200, Groups: []Group{{Addr: testGroup4}},
				ReceiveBuffer: 64 << 20, Timestamps: mode, MaxBatch: batch})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s := newSender(t, loopback1)
			payload := make([]byte, 64)
			for range batch * (2*runs + 10) {
				s.send(t, netip.AddrPortFrom(testGroup4, 6200), payload)
			}
			msgs := newMessages(batch, 2048)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for _, tc := range []struct {
				name string
				ctx  context.Context
			}{{"background", context.Background()}, {"cancellable", ctx}} {
				allocs := testing.AllocsPerRun(runs, func() {
					n, err := c.ReadBatch(tc.ctx, msgs)
					if err != nil || n != batch {
						t.Fatalf("ReadBatch: %d, %v", n, err)
					}
				})
				if allocs != 0 {
					t.Errorf("timestamps %d, %s context: %.1f allocs per batch, want 0", mode, tc.name, allocs)
				}
			}
			st := c.Stats()
			if st.BatchSizes.Counts[BucketOf(batch)] < 2*runs || !st.BufferKnown {
				t.Errorf("batch-size histogram %v, buffer known %v", st.BatchSizes.Counts[:8], st.BufferKnown)
			}
			if lb := c.LastBatch(); lb.Packets != batch || !lb.Behind || lb.NextDatagram != 64 || !lb.HasBuffer || lb.Buffer.Used == 0 {
				t.Errorf("LastBatch %+v", lb)
			}
		})
	}
}
