package bench

// The UDP socket table at 1,000 and 10,000 sockets, in one run:
//
//   - sockdiag-all: socketstats.Table.Dump of every UDP socket (IPv4 and
//     IPv6 dumps, SKMEMINFO included), into a reused slice.
//   - sockdiag-port: the same with a kernel filter for one local port.
//   - netlink-all: the same dump request through github.com/mdlayher/netlink
//     Conn.Execute, receive only (no decoding): the cost of its per-message
//     allocations.
//   - procfs-NetUDP: github.com/prometheus/procfs NewDefaultFS().NetUDP(),
//     the usual way to read per-socket drops from Go (IPv4 only).
//
// The sockets are opened by the benchmark process on 127.0.0.1 with
// ephemeral ports, in the host namespace (the one /proc/net/udp shows).
// Needs no privileges beyond a file descriptor limit above 10,000, which
// the benchmark raises to the hard limit; it skips when that is too low.
//
//	go test -run '^$' -bench 'UDPTable' -count 6 -benchmem .

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/socketstats"
)

// diagOpenSockets opens n more UDP sockets bound to 127.0.0.1:0 and
// returns their descriptors and the port of the first.
func diagOpenSockets(b *testing.B, fds []int, n int) []int {
	b.Helper()
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatalf("socket: %v", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			unix.Close(fd)
			b.Fatalf("bind: %v", err)
		}
		fds = append(fds, fd)
	}
	return fds
}

func diagPort(b *testing.B, fd int) uint16 {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		b.Fatal(err)
	}
	return uint16(sa.(*unix.SockaddrInet4).Port)
}

func diagRaiseNoFile(b *testing.B, need uint64) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		b.Skipf("getrlimit: %v", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
		_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < need {
		b.Skipf("skipped: RLIMIT_NOFILE %d < %d", lim.Cur, need)
	}
}

// diagRequest is a SOCK_DIAG_BY_FAMILY dump request body
// (struct inet_diag_req_v2) for UDP with SKMEMINFO.
func diagRequest(family uint8) []byte {
	r := make([]byte, 56)
	r[0] = family
	r[1] = unix.IPPROTO_UDP
	r[2] = 1 << (7 - 1) // INET_DIAG_SKMEMINFO
	binary.NativeEndian.PutUint32(r[4:8], 0xffffffff)
	return r
}

func BenchmarkUDPTable(b *testing.B) {
	diagRaiseNoFile(b, 10_100)
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	tab, err := socketstats.OpenTable(nil)
	if err != nil {
		b.Skipf("sock_diag: %v", err)
	}
	defer tab.Close()
	nl, err := netlink.Dial(unix.NETLINK_SOCK_DIAG, nil)
	if err != nil {
		b.Skipf("netlink: %v", err)
	}
	defer nl.Close()
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		b.Skipf("procfs: %v", err)
	}
	ctx := context.Background()

	for _, n := range []int{1000, 10000} {
		fds = diagOpenSockets(b, fds, n-len(fds))
		port := diagPort(b, fds[0])
		var buf []socketstats.UDPSocket

		// Every benchmark first checks that it sees the sockets.
		b.Run(fmt.Sprintf("sockets=%d/sockdiag-all", n), func(b *testing.B) {
			buf, err = tab.Dump(ctx, buf[:0], socketstats.Filter{})
			if err != nil || len(buf) < n {
				b.Fatalf("dump: %d sockets, %v", len(buf), err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf, err = tab.Dump(ctx, buf[:0], socketstats.Filter{})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		filter := socketstats.FilterLocalPort(port)
		b.Run(fmt.Sprintf("sockets=%d/sockdiag-port", n), func(b *testing.B) {
			buf, err = tab.Dump(ctx, buf[:0], filter)
			if err != nil || len(buf) != 1 {
				b.Fatalf("dump one port: %d sockets, %v", len(buf), err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf, err = tab.Dump(ctx, buf[:0], filter)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("sockets=%d/netlink-all", n), func(b *testing.B) {
			execute := func() int {
				total := 0
				for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
					msgs, err := nl.Execute(netlink.Message{
						Header: netlink.Header{Type: 20, Flags: netlink.Request | netlink.Dump},
						Data:   diagRequest(fam),
					})
					if err != nil {
						b.Fatal(err)
					}
					total += len(msgs)
				}
				return total
			}
			if got := execute(); got < n {
				b.Fatalf("netlink dump: %d messages", got)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				execute()
			}
		})
		b.Run(fmt.Sprintf("sockets=%d/procfs-NetUDP", n), func(b *testing.B) {
			udp, err := fs.NetUDP()
			if err != nil || len(udp) < n {
				b.Fatalf("procfs: %d sockets, %v", len(udp), err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := fs.NetUDP(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
