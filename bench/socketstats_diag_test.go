package bench

// The UDP socket table at 1,000 and 10,000 sockets, in one run:
//
//   - sockdiag-all: udptable.Table.Dump of every UDP socket (IPv4 and
//     IPv6 dumps, SKMEMINFO included), into a reused slice.
//   - sockdiag-port: the same with a kernel filter for one local port.
//   - netlink-all: the same dump request through github.com/mdlayher/netlink
//     Conn.Execute, receive only (no decoding): the cost of its per-message
//     allocations.
//   - procfs-NetUDP: github.com/prometheus/procfs NewDefaultFS().NetUDP(),
//     the usual way to read per-socket drops from Go (IPv4 only).
//
// The sockets are opened by the benchmark process on 127.0.0.1 with
// ephemeral ports inside a namespace of its own (so that no other process's
// sockets count); procfs reads that namespace's /proc/thread-self/net/udp
// from a thread moved into it. Needs root (it skips otherwise) and a file
// descriptor limit above 10,000, which it raises to the hard limit.
//
// Besides ns/op, each benchmark reports cpu-ns/op, the process's CPU time
// (user + system, getrusage) per op: on a shared, loaded machine wall time
// mostly measures waiting for a CPU.
//
//	go test -run '^$' -bench 'UDPTable' -count 6 -benchmem .

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/udptable"
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

// diagCPU returns the CPU time (user + system) the process has used: under
// a loaded machine, wall time per op mostly measures waiting for a CPU, so
// each benchmark also reports cpu-ns/op.
func diagCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// diagLoop runs op in b.Loop and reports its CPU time per op.
func diagLoop(b *testing.B, op func()) {
	b.ReportAllocs()
	b.ResetTimer()
	start := diagCPU()
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64((diagCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkUDPTable(b *testing.B) {
	diagRaiseNoFile(b, 10_100)
	nsPath := diagNetns(b)
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	tab, err := udptable.Open(udptable.Config{NetNS: nsPath})
	if err != nil {
		b.Skipf("sock_diag: %v", err)
	}
	defer tab.Close()
	nsFile, err := os.Open(nsPath)
	if err != nil {
		b.Fatal(err)
	}
	defer nsFile.Close()
	nl, err := netlink.Dial(unix.NETLINK_SOCK_DIAG, &netlink.Config{NetNS: int(nsFile.Fd())})
	if err != nil {
		b.Skipf("netlink: %v", err)
	}
	defer nl.Close()
	// Read through thread-self: the thread reading must be in the namespace.
	fs, err := procfs.NewFS("/proc/thread-self")
	if err != nil {
		b.Skipf("procfs: %v", err)
	}
	ctx := context.Background()

	for _, n := range []int{1000, 10000} {
		leave := diagEnter(b, nsPath)
		fds = diagOpenSockets(b, fds, n-len(fds))
		leave()
		port := diagPort(b, fds[0])
		var buf []udptable.UDPSocket

		// Every benchmark first checks that it sees the sockets.
		b.Run(fmt.Sprintf("sockets=%d/sockdiag-all", n), func(b *testing.B) {
			buf, err = tab.Dump(ctx, buf[:0], udptable.Filter{})
			if err != nil || len(buf) != n {
				b.Fatalf("dump: %d sockets, %v", len(buf), err)
			}
			diagLoop(b, func() {
				buf, err = tab.Dump(ctx, buf[:0], udptable.Filter{})
				if err != nil {
					b.Fatal(err)
				}
			})
		})
		filter := udptable.FilterLocalPort(port)
		b.Run(fmt.Sprintf("sockets=%d/sockdiag-port", n), func(b *testing.B) {
			buf, err = tab.Dump(ctx, buf[:0], filter)
			if err != nil || len(buf) != 1 {
				b.Fatalf("dump one port: %d sockets, %v", len(buf), err)
			}
			diagLoop(b, func() {
				buf, err = tab.Dump(ctx, buf[:0], filter)
				if err != nil {
					b.Fatal(err)
				}
			})
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
			if got := execute(); got != n {
				b.Fatalf("netlink dump: %d messages", got)
			}
			diagLoop(b, func() { execute() })
		})
		b.Run(fmt.Sprintf("sockets=%d/procfs-NetUDP", n), func(b *testing.B) {
			defer diagEnter(b, nsPath)()
			udp, err := fs.NetUDP()
			if err != nil || len(udp) != n {
				b.Fatalf("procfs: %d sockets, %v", len(udp), err)
			}
			diagLoop(b, func() {
				if _, err := fs.NetUDP(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
