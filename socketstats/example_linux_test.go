package socketstats_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/packetpath/packetpath/socketstats"
	"golang.org/x/sys/unix"
)

// A market-data receiver: join a group on an interface, read in batches and
// watch drops, backlog and queueing delay.
func ExampleOpen() {
	c, err := socketstats.Open(socketstats.Config{
		Interface:     "eth0",
		Port:          5000,
		Groups:        []socketstats.Group{{Addr: netip.MustParseAddr("239.1.2.3")}},
		ReceiveBuffer: 64 << 20,
		Timestamps:    socketstats.TimestampsNS,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.RegisterMetrics(nil); err != nil { // the global MeterProvider
		log.Fatal(err)
	}
	msgs := make([]socketstats.Message, 64)
	for i := range msgs {
		msgs[i].Buf = make([]byte, 1500)
	}
	for {
		n, err := c.ReadBatch(context.Background(), msgs)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range msgs[:n] {
			_ = m.Buf[:m.N] // handle the datagram
		}
		if b := c.LastBatch(); b.NewDrops > 0 || b.Behind {
			log.Printf("dropped %d (total %d), behind: next datagram %d bytes, buffer %.0f%% full, max wait %v",
				b.NewDrops, b.Drops, b.NextDatagram, 100*b.Buffer.Fill(), b.MaxQueueDelay)
		}
	}
}

// Decoding the control messages of a datagram read with recvmsg(2)
// elsewhere: the drop counter and the kernel timestamp.
func ExampleParseControl() {
	// One SO_RXQ_OVFL record as the kernel writes it on 64-bit Linux.
	b := make([]byte, unix.CmsgSpace(4))
	binary.NativeEndian.PutUint64(b, uint64(unix.CmsgLen(4)))
	binary.NativeEndian.PutUint32(b[8:], unix.SOL_SOCKET)
	binary.NativeEndian.PutUint32(b[12:], unix.SO_RXQ_OVFL)
	binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], 42)

	var c socketstats.Control
	if err := socketstats.ParseControl(b, &c); err != nil {
		log.Fatal(err)
	}
	fmt.Println("drops:", c.Drops, c.HasDrops, "timestamp:", c.HasTime)
	// Output: drops: 42 true timestamp: false
}

func ExampleHistogram_Quantile() {
	h := socketstats.Histogram{Count: 4, Max: uint64(3 * time.Millisecond)}
	for _, d := range []time.Duration{20 * time.Microsecond, 30 * time.Microsecond, 40 * time.Microsecond, 3 * time.Millisecond} {
		h.Counts[socketstats.BucketOf(uint64(d))]++
	}
	fmt.Println(time.Duration(h.Quantile(0.5)), time.Duration(h.Quantile(1)))
	// Output: 32.767µs 3ms
}
