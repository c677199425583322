package procparse

import (
	"fmt"
	"testing"
)

// syntheticUDP builds a /proc/net/udp of n sockets in the kernel's format
// (udp4_format_sock, padded to 127 characters), varying slot, port, inode
// and drops.
func syntheticUDP(n int) []byte {
	b := []byte(fmt.Sprintf("%-127s\n", "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"))
	for i := range n {
		line := fmt.Sprintf("%5d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d",
			i%65536, 0x0100007F, 1024+i%60000, 0, 0, 7, 0, i%4096*8, 0, 0, 0, 1000, 0, 1000000+i, 2, 0xffff888000000000+uint64(i)*64, i%7)
		b = append(b, fmt.Sprintf("%-127s\n", line)...)
	}
	return b
}

func TestUDP100kSockets(t *testing.T) {
	b := syntheticUDP(100000)
	var u UDPSockets
	if err := ParseUDP(b, &u); err != nil {
		t.Fatal(err)
	}
	if len(u.Sockets) != 100000 {
		t.Fatalf("%d sockets, want 100000", len(u.Sockets))
	}
	last := u.Sockets[99999]
	if last.Inode != 1099999 || last.Local.Port() != 1024+99999%60000 || last.Drops != 99999%7 || last.RxQueue != 99999%4096*8 {
		t.Errorf("last socket = %+v", last)
	}
	if a := testing.AllocsPerRun(3, func() {
		if err := ParseUDP(b, &u); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("re-parsing 100,000 sockets allocates %.0f times, want 0", a)
	}
	var sc UDPScanner
	sc.Reset(b, UDPFilter{Inode: 1050000})
	n := 0
	for sc.Next() {
		n++
	}
	if n != 1 || sc.Err() != nil {
		t.Errorf("inode filter: %d matches, %v", n, sc.Err())
	}
}

func BenchmarkParseUDP(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		in := syntheticUDP(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var u UDPSockets
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := ParseUDP(in, &u); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprint(n, "/filter-port"), func(b *testing.B) {
			var sc UDPScanner
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				sc.Reset(in, UDPFilter{LocalPort: 5000})
				for sc.Next() {
				}
			}
		})
	}
}
