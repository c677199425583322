package nic_test

import (
	"fmt"

	"github.com/packetpath/packetpath/nic"
)

// Map a whole string table whose queue numbers are statistic values:
// vmxnet3 puts a "Tx Queue#"/"Rx Queue#" marker, whose value is the queue
// number, before each queue's indented names. Stats.QueueStats does this
// with the values it reads once.
func ExampleMapQueueStats() {
	names := []string{"Tx Queue#", "  ucast pkts tx", "  pkts tx discard", "Rx Queue#", "  pkts rx OOB", "tx timeout count",
		"tx-xdp-cpu-1.tx_packets", "[2]: tpa_packets", "rxq0: rx_drops_no_frags"}
	values := []uint64{3, 10, 0, 3, 7, 0, 0, 0, 0}
	for _, q := range nic.MapQueueStats(names, values, nil) {
		fmt.Printf("%-26q %-8s queue %d %s %q\n", names[q.Index], q.Kind, q.Queue, q.Dir, q.Counter)
	}
	// Output:
	// "  ucast pkts tx"          device   queue 3 tx "ucast pkts tx"
	// "  pkts tx discard"        device   queue 3 tx "pkts tx discard"
	// "  pkts rx OOB"            device   queue 3 rx "pkts rx OOB"
	// "tx-xdp-cpu-1.tx_packets"  xdp-cpu  queue 1 tx "packets"
	// "[2]: tpa_packets"         device   queue 2 rx "tpa_packets"
	// "rxq0: rx_drops_no_frags"  device   queue 0 rx "drops_no_frags"
}
