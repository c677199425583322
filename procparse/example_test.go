package procparse_test

import (
	"fmt"
	"log"

	"github.com/packetpath/packetpath/procparse"
)

// Example reads, from a fixture tree captured in a network namespace after a
// UDP drop test, where UDP datagrams were lost: the UDP MIB, then the socket
// table to find which sockets dropped them. On a live machine use
// procparse.NewDefaultFS().
func Example() {
	fs, err := procparse.NewFS("testdata/linux-6.18-netns-udp-drops/proc")
	if err != nil {
		log.Fatal(err)
	}
	snmp, err := fs.SNMP()
	if err != nil {
		log.Fatal(err)
	}
	udp := snmp.UDP()
	fmt.Printf("Udp NoPorts %d, RcvbufErrors %d", udp.NoPorts.Value, udp.RcvbufErrors.Value)
	if udp.MemErrors.Present {
		fmt.Printf(", MemErrors %d", udp.MemErrors.Value)
	}
	fmt.Println()

	table, err := fs.UDP(procparse.FileUDP)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range table.Sockets {
		if s.Drops > 0 {
			fmt.Printf("%s inode %d: %d dropped, %d bytes queued\n", s.Local, s.Inode, s.Drops, s.RxQueue)
		}
	}
	// Output:
	// Udp NoPorts 5000, RcvbufErrors 9735, MemErrors 0
	// 0.0.0.0:5000 inode 1379239: 4991 dropped, 7488 bytes queued
	// 127.0.0.1:6000 inode 1379240: 4744 dropped, 212992 bytes queued
}

// ExampleFS_OpenUDPScan follows one socket's drops by re-reading the table
// and filtering on the local port: the scan allocates nothing.
func ExampleFS_OpenUDPScan() {
	fs, err := procparse.NewFS("testdata/linux-6.18-netns-udp-drops/proc")
	if err != nil {
		log.Fatal(err)
	}
	table, err := fs.OpenUDPScan(procparse.FileUDP)
	if err != nil {
		log.Fatal(err)
	}
	defer table.Close()

	sc, err := table.Scan(procparse.UDPFilter{LocalPort: 6000})
	if err != nil {
		log.Fatal(err)
	}
	for sc.Next() {
		s := sc.Socket()
		fmt.Printf("%s uid %d drops %d\n", s.Local, s.UID, s.Drops)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 127.0.0.1:6000 uid 0 drops 4744
}

// ExampleFS_SoftnetStatReader re-reads softnet_stat into the same value, as
// a poller would.
func ExampleFS_SoftnetStatReader() {
	fs, err := procparse.NewFS("testdata/linux-6.18-vm/proc")
	if err != nil {
		log.Fatal(err)
	}
	r, err := fs.SoftnetStatReader()
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	var st procparse.SoftnetStat
	if err := r.Read(&st); err != nil {
		log.Fatal(err)
	}
	for _, c := range st.CPUs {
		fmt.Printf("cpu %d (%d columns): processed %d dropped %d squeezed %d", c.CPU, c.Width, c.Processed, c.Dropped, c.TimeSqueeze)
		if c.FlowLimitCount.Present {
			fmt.Printf(" flow-limited %d", c.FlowLimitCount.Value)
		}
		fmt.Println()
	}
	// Output:
	// cpu 0 (15 columns): processed 111346120 dropped 0 squeezed 3 flow-limited 0
	// cpu 1 (15 columns): processed 99975 dropped 0 squeezed 0 flow-limited 0
}

// ExampleFS_NetDev prints each device's receive and transmit counters.
func ExampleFS_NetDev() {
	fs, err := procparse.NewFS("testdata/linux-6.18-vm/proc")
	if err != nil {
		log.Fatal(err)
	}
	dev, err := fs.NetDev()
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dev.Devices {
		fmt.Printf("%-5s rx %d packets (%d dropped), tx %d packets (%d dropped)\n", d.Name, d.RxPackets, d.RxDropped, d.TxPackets, d.TxDropped)
	}
	// Output:
	// lo    rx 229 packets (0 dropped), tx 229 packets (0 dropped)
	// ifb0  rx 0 packets (0 dropped), tx 0 packets (0 dropped)
	// ifb1  rx 0 packets (0 dropped), tx 0 packets (0 dropped)
	// eth0  rx 5343 packets (0 dropped), tx 6253 packets (0 dropped)
}

// ExampleParseSNMP6 parses snmp6 content from bytes and tells a counter this
// kernel does not print from a zero.
func ExampleParseSNMP6() {
	b := []byte("Udp6InDatagrams                 \t2016\nUdp6RcvbufErrors                \t0\n")
	var s procparse.SNMP6
	if err := procparse.ParseSNMP6(b, &s); err != nil {
		log.Fatal(err)
	}
	u := s.UDP6()
	fmt.Println("InDatagrams", u.InDatagrams.Value, u.InDatagrams.Present)
	fmt.Println("RcvbufErrors", u.RcvbufErrors.Value, u.RcvbufErrors.Present)
	fmt.Println("MemErrors", u.MemErrors.Value, u.MemErrors.Present)
	// Output:
	// InDatagrams 2016 true
	// RcvbufErrors 0 true
	// MemErrors 0 false
}
