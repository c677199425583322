package netstack

import "testing"

// TestStatStagesQueueLayouts: driver statistics land on the transmit side
// by their queue's direction, including vmxnet3's indented per-queue names
// (whose direction only the "Tx Queue#" block says), bnx2x's
// driver_filtered_tx_pkt and ena's XDP transmit rings.
func TestStatStagesQueueLayouts(t *testing.T) {
	var names []string
	cases := []struct {
		name string
		want Stage
	}{
		{"Tx Queue#", StageNIC},
		{"  ucast pkts tx", StageTxDriver},
		{"     too many frags", StageTxDriver},
		{"Rx Queue#", StageNIC},
		{"  ucast pkts rx", StageNIC},
		{"     xdp tx", StageNIC},
		{"tx timeout count", StageTxDriver},
		{"[0]: driver_filtered_tx_pkt", StageTxDriver},
		{"[0]: tpa_aggregations", StageNIC},
		{"queue_4_xdp_tx_cnt", StageTxDriver},
		{"txq0: tx_pkts", StageTxDriver},
		{"rxq0: rx_bytes", StageNIC},
		{"rx_64_to_127_bytes", StageNIC},
	}
	for _, c := range cases {
		names = append(names, c.name)
	}
	prefix := []Stage{StageNIC}
	got := statStages(names, prefix)
	if len(got) != len(names)+1 || got[0] != StageNIC {
		t.Fatalf("%d stages for %d names after a prefix", len(got), len(names))
	}
	for i, c := range cases {
		if got[i+1] != c.want {
			t.Errorf("%q: stage %v, want %v", c.name, got[i+1], c.want)
		}
	}
}
