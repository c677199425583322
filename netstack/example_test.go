package netstack_test

import (
	"context"
	"fmt"

	"github.com/packetpath/packetpath/netstack"
)

// Diagnose a capture bundle: two frames two seconds apart in which eth0
// missed packets for lack of RX descriptors and a CPU's NET_RX ran out of
// budget. The same code runs live with netstack.Config{} (the host) or
// netstack.Config{NetNS: "/var/run/netns/NAME"}.
func ExampleDiagnose() {
	c, err := netstack.NewCollector(netstack.Config{Bundle: "testdata/bundle-rx"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	var prev, cur netstack.Snapshot
	c.Collect(ctx, &prev)
	c.Collect(ctx, &cur)

	var d netstack.Delta
	netstack.ComputeDelta(&prev, &cur, &d)
	for _, f := range netstack.Diagnose(&d) {
		fmt.Printf("%s: %s\n", f.Stage, f.Summary)
		for _, k := range f.Knobs {
			if k.Command != "" && k.Current != "" {
				fmt.Printf("  %s (now %s): %s\n", k.Name, k.Current, k.Command)
			}
		}
	}
	// Output:
	// rx-nic: eth0: the NIC dropped 1234 packets for lack of RX ring descriptors
	// rx-softirq: NET_RX ran out of budget 66 times with work left (time_squeeze)
	//   net.core.netdev_budget (now 300): sysctl -w net.core.netdev_budget=600
	//   net.core.netdev_budget_usecs (now 8000): sysctl -w net.core.netdev_budget_usecs=16000
	//   net.core.dev_weight (now 64): sysctl -w net.core.dev_weight=128
}

// Collect the fast sampling profile in a loop: each Collect reuses the
// snapshot's memory, so sampling at a high rate allocates nothing.
func ExampleCollector_Collect() {
	c, err := netstack.NewCollector(netstack.Config{Bundle: "testdata/bundle-rx", Sources: netstack.FastSources})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	var snaps [2]netstack.Snapshot
	var d netstack.Delta
	for i := range 2 {
		c.Collect(context.Background(), &snaps[i%2])
	}
	netstack.ComputeDelta(&snaps[0], &snaps[1], &d)
	dropped, _ := d.Sum(netstack.SourceLinks, "rx_missed_errors")
	squeezed, _ := d.Sum(netstack.SourceSoftnet, "time_squeeze")
	fmt.Printf("over %v: rx_missed_errors +%d, time_squeeze +%d\n", d.Interval, dropped, squeezed)
	// Output:
	// over 2s: rx_missed_errors +1234, time_squeeze +66
}
