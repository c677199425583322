package udptable_test

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/packetpath/packetpath/udptable"
)

// Dump the sockets of port 5000 and of 127.0.0.0/8 except port 53, then
// dump again into the same slice, which allocates nothing.
func ExampleTable_Dump() {
	tab, err := udptable.Open(udptable.Config{}) // or udptable.Config{NetNS: "/var/run/netns/blue"}
	if err != nil {
		log.Fatal(err)
	}
	defer tab.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	filter := udptable.FilterOr(
		udptable.FilterLocalPort(5000),
		udptable.FilterAnd(
			udptable.FilterLocalPrefix(netip.MustParsePrefix("127.0.0.0/8")),
			udptable.FilterNot(udptable.FilterLocalPort(53)),
		),
	)
	var socks []udptable.UDPSocket
	for range 2 {
		socks, err = tab.Dump(ctx, socks[:0], filter)
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, s := range socks {
		fmt.Printf("%v queued %d of %d bytes, %d drops\n", s.Local, s.RxQueue, s.Mem.RcvBuf, s.Mem.Drops)
	}
}

// Decode a dump captured in a namespace where two receivers with a 2 KiB
// buffer were sent 300 datagrams each and never read.
func ExampleDecodeUDPSockets() {
	b, err := os.ReadFile("testdata/diag/scene.bin")
	if err != nil {
		log.Fatal(err)
	}
	socks, err := udptable.DecodeUDPSockets(nil, b, udptable.ProtocolUDP)
	if err != nil {
		log.Fatal(err)
	}
	slices.SortFunc(socks, func(a, b udptable.UDPSocket) int { return cmp.Compare(a.Inode, b.Inode) })
	for _, s := range socks {
		if s.RxQueue == 0 && s.Mem.Drops == 0 {
			continue
		}
		fmt.Printf("inode %d %-15v rx_queue %5d rcvbuf %6d drops %d\n",
			s.Inode, s.Local.Addr(), s.RxQueue, s.Mem.RcvBuf, s.Mem.Drops)
	}
	// Output:
	// inode 124488 127.0.0.1       rx_queue  3328 rcvbuf   4096 drops 296
	// inode 124489 ::1             rx_queue  3328 rcvbuf   4096 drops 296
	// inode 124490 127.0.0.2       rx_queue  8320 rcvbuf 212992 drops 0
	// inode 124491 ::1             rx_queue  4160 rcvbuf 212992 drops 0
}

// Map socket inodes to the processes that hold them, here on a fixture
// /proc tree.
func ExampleSocketOwners() {
	owners, err := udptable.SocketOwners("testdata/diag/proc", []uint64{51369, 51370})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(owners[51369], owners[51370])
	// Output: [100 200] [200]
}

// Widen per-socket drop counters across dumps: the kernel's counter is 32
// bits and wraps; the tracker's totals do not.
func ExampleDropTracker() {
	var d udptable.DropTracker
	sock := func(drops uint64) []udptable.UDPSocket {
		return []udptable.UDPSocket{{Cookie: 42, Mem: udptable.SockMemInfo{Drops: drops, Fields: 9}}}
	}
	d.Update(sock(4294967000))       // first sight: the baseline
	fmt.Println(d.Update(sock(704))) // wrapped: 296 + 704 new drops
	total, _ := d.Total(42)
	fmt.Println(total)
	// Output:
	// 1000
	// 4294968000
}
