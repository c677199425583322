package nic_test

import (
	"fmt"
	"log"

	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// Read a device's sysfs view from a fixture tree (a sysfs captured on a
// Linux 6.18 VM).
func ExampleSysFS_Device() {
	s := nic.NewSysFS("testdata/sys")
	d, err := s.Device("eth0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("driver:", d.Driver, "speed known:", d.Speed.Present, "duplex:", d.Duplex.Value)
	for _, q := range d.TxQueues {
		fmt.Printf("tx-%d xps_cpus applicable: %v, BQL limit %d bytes\n", q.Index, q.XPSCPUs.Present, q.BQL.Limit.Value)
	}
	st, err := s.Stats("eth0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rx packets:", st.RxPackets, "rx dropped:", st.RxDropped)
	// Output:
	// driver: virtio_net speed known: false duplex: unknown
	// tx-0 xps_cpus applicable: false, BQL limit 5609 bytes
	// rx packets: 4342 rx dropped: 0
}

// Which interrupts serve which queue, and on which CPUs they run.
func ExampleDeviceIRQs() {
	proc, err := procparse.NewFS("testdata/proc")
	if err != nil {
		log.Fatal(err)
	}
	irqs, err := nic.DeviceIRQs(nic.NewSysFS("testdata/sys"), proc, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range irqs {
		fmt.Printf("IRQ %d %-16s queue %2d %-7s effective CPU %s, %d interrupts\n",
			q.IRQ, q.Action, q.Queue, q.Dir, q.Affinity.Effective, q.Total())
	}
	// Output:
	// IRQ 37 virtio2-config   queue -1 unknown effective CPU 0, 0 interrupts
	// IRQ 38 virtio2-input.0  queue  0 rx      effective CPU 1, 4905 interrupts
	// IRQ 39 virtio2-output.0 queue  0 tx      effective CPU 0, 5546 interrupts
}

// Split driver statistic names into queue, direction and counter.
func ExampleQueueStats() {
	names := []string{"rx_drops", "rx0_drops", "tx0_kicks", "rx_queue_1_xdp_packets", "[2]: rx_ucast_packets"}
	for _, q := range nic.QueueStats(names, nil) {
		fmt.Printf("%-24s queue %d %s %s\n", names[q.Index], q.Queue, q.Dir, q.Counter)
	}
	// Output:
	// rx0_drops                queue 0 rx drops
	// tx0_kicks                queue 0 tx kicks
	// rx_queue_1_xdp_packets   queue 1 rx xdp_packets
	// [2]: rx_ucast_packets    queue 2 rx ucast_packets
}
