package procparse_test

import (
	"fmt"
	"log"

	"github.com/packetpath/packetpath/procparse"
)

// Example_multicastAndBuffers reads, from a fixture tree captured in a
// network namespace after a UDP drop test, which multicast groups lo has
// joined, how much memory UDP holds against its limits, and the NET_RX
// softirq count per CPU. On a live machine use procparse.NewDefaultFS().
func Example_multicastAndBuffers() {
	fs, err := procparse.NewFS("testdata/b/linux-6.18-netns-udp-drops/proc")
	if err != nil {
		log.Fatal(err)
	}

	igmp, err := fs.IGMP()
	if err != nil {
		log.Fatal(err)
	}
	for _, ifc := range igmp.Interfaces {
		for _, g := range ifc.Groups {
			fmt.Printf("%s (ifindex %d) joined %s, %d user(s)\n", ifc.Name, ifc.Index, g.Group, g.Users)
		}
	}

	ss, err := fs.Sockstat()
	if err != nil {
		log.Fatal(err)
	}
	ss.PageSize = 4096 // the capture's page size, for a deterministic output
	inuse, _ := ss.InUse("UDP")
	pages, _ := ss.MemPages("UDP")
	bytes, _ := ss.MemBytes("UDP")
	fmt.Printf("UDP: %d sockets, %d pages (%d bytes)\n", inuse, pages, bytes)

	sys, err := fs.Sysctls()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("rmem_max %d, udp_rmem_min %d\n", sys.RmemMax.Value, sys.UDPRmemMin.Value)
	if !sys.UDPMem.Present {
		fmt.Println("udp_mem: not exposed in this namespace")
	}

	si, err := fs.Softirqs()
	if err != nil {
		log.Fatal(err)
	}
	for i, n := range si.NetRX() {
		fmt.Printf("CPU%d NET_RX %d\n", si.CPUs[i], n)
	}
	// Output:
	// lo (ifindex 1) joined 239.1.1.1, 1 user(s)
	// lo (ifindex 1) joined 224.0.0.1, 1 user(s)
	// UDP: 3 sockets, 7 pages (28672 bytes)
	// rmem_max 4194304, udp_rmem_min 4096
	// udp_mem: not exposed in this namespace
	// CPU0 NET_RX 112987138
	// CPU1 NET_RX 96555
}

// ExampleStatTable sums per-CPU neighbour-table counters that explain TX
// drops before the qdisc.
func ExampleStatTable() {
	fs, err := procparse.NewFS("testdata/b/linux-6.18-stat/proc")
	if err != nil {
		log.Fatal(err)
	}
	arp, err := fs.StatTable(procparse.StatARPCache)
	if err != nil {
		log.Fatal(err)
	}
	entries, _ := arp.Entries()
	lookups, _ := arp.Sum("lookups")
	fulls, _ := arp.Sum("table_fulls")
	unresolved, _ := arp.Sum("unresolved_discards")
	fmt.Printf("%d CPUs, %d entries, %d lookups, table_fulls %d, unresolved_discards %d\n",
		arp.Rows(), entries, lookups, fulls, unresolved)
	// Output:
	// 2 CPUs, 2 entries, 17 lookups, table_fulls 0, unresolved_discards 0
}
