package qdisc_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/packetpath/packetpath/qdisc"
)

// Decode a captured RTM_GETQDISC dump (a real one, from the drop scenario
// of the integration test) and print each device's tree and its totals.
func ExampleDecodeQdiscs() {
	raw, err := os.ReadFile("testdata/scenario/qdisc.nl")
	if err != nil {
		log.Fatal(err)
	}
	qs, err := qdisc.DecodeQdiscs(raw, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range qs {
		if q.Ifindex != 13 { // mq0: an mq root with one qdisc per tx queue
			continue
		}
		s := q.Stats
		fmt.Printf("%-10s %-4s parent %-4s sent %d bytes %d pkt, dropped %d, requeues %d, backlog %db %dp\n",
			q.Kind, q.Handle, q.Parent, s.Bytes, s.Packets, s.Drops, s.Requeues, s.Backlog, s.Qlen)
	}
	tot := qdisc.Totals(qs, nil)[13]
	fmt.Printf("mq0 total: %d pkt, dropped %d (the mq root, not root + children)\n", tot.Packets, tot.Drops)
	// Output:
	// mq         1:   parent root sent 263312 bytes 2582 pkt, dropped 18257, requeues 3, backlog 80574b 791p
	// pfifo_fast none parent 1:4  sent 39360 bytes 386 pkt, dropped 0, requeues 1, backlog 52314b 513p
	// pfifo_fast none parent 1:3  sent 62102 bytes 609 pkt, dropped 0, requeues 1, backlog 26322b 259p
	// pfifo_fast none parent 1:1  sent 180 bytes 2 pkt, dropped 0, requeues 0, backlog 0b 0p
	// bfifo      12:  parent 1:2  sent 161670 bytes 1585 pkt, dropped 18257, requeues 1, backlog 1938b 19p
	// mq0 total: 2582 pkt, dropped 18257 (the mq root, not root + children)
}

// Poll the qdiscs of the current network namespace, reusing the slice.
func ExampleConn_Qdiscs() {
	c, err := qdisc.Open(qdisc.Config{}) // or qdisc.Config{NetNS: "/var/run/netns/blue"}
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var qs []qdisc.Qdisc
	for range 2 { // a collector would loop on a ticker
		if qs, err = c.Qdiscs(context.Background(), qs); err != nil {
			log.Fatal(err)
		}
	}
	for _, q := range qs {
		if q.IsRoot() {
			fmt.Println(q.Device, q.Kind, q.Stats.Drops)
		}
	}
}
