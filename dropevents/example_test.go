package dropevents_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/packetpath/packetpath/dropevents"
)

// Reason numbers and field offsets come from the kernel's format file: here
// the one of a 6.18 kernel.
func ExampleParseFormat() {
	b, err := os.ReadFile("testdata/linux-6.18/kfree_skb.format")
	if err != nil {
		log.Fatal(err)
	}
	f, err := dropevents.ParseFormat("kfree_skb/format", b)
	if err != nil {
		log.Fatal(err)
	}
	reason, _ := f.Field("reason")
	fmt.Printf("%s id %d: %s at offset %d, %d bytes\n", f.Name, f.ID, reason.Type, reason.Offset, reason.Size)
	syms, err := f.Symbols("reason")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range syms {
		switch s.Name {
		case "NO_SOCKET", "SOCKET_RCVBUFF", "QDISC_DROP", "CPU_BACKLOG":
			fmt.Println(s.Value, s.Name)
		}
	}
	// Output:
	// kfree_skb id 2310: enum skb_drop_reason at offset 36, 4 bytes
	// 3 NO_SOCKET
	// 6 SOCKET_RCVBUFF
	// 64 QDISC_DROP
	// 71 CPU_BACKLOG
}

// Count UDP buffer drops of one port and three drop reasons exactly, and
// print what moved every ten seconds.
func ExampleOpen() {
	c, err := dropevents.Open(dropevents.Config{
		Port:    5000,
		Reasons: []string{"SOCKET_RCVBUFF", "NO_SOCKET", "QDISC_DROP"},
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, os.ErrPermission) without root or CAP_PERFMON
	}
	defer c.Close()
	var prev, cur, d dropevents.Counts
	if err := c.Snapshot(&prev); err != nil {
		log.Fatal(err)
	}
	for range time.Tick(10 * time.Second) {
		if err := c.Snapshot(&cur); err != nil {
			log.Fatal(err)
		}
		dropevents.Delta(&d, &prev, &cur)
		prev, cur = cur, prev
		fmt.Println("port 5000 buffer drops:", d.UDPFailQueueRcvSkb.Count)
		for _, r := range d.Reasons {
			fmt.Println(r.Name, r.Count)
		}
	}
}

// Sample every drop by reason, draining the ring buffers when they fill.
func ExampleCollector_Wait() {
	c, err := dropevents.Open(dropevents.Config{AllReasons: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var counts dropevents.Counts
	for ctx.Err() == nil {
		_ = c.Wait(ctx) // a ring is half full, or the minute is over
		if err := c.Snapshot(&counts); err != nil {
			log.Fatal(err)
		}
	}
	for _, r := range counts.Reasons {
		if r.Count > 0 {
			fmt.Println(r.Name, r.Count)
		}
	}
	fmt.Println("lost:", counts.Lost)
}
