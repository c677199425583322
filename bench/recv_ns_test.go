package bench

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvNS is a throw-away network namespace with multicast on lo, for the
// receive benchmarks (bench cannot use the main module's internal helpers).
type recvNS struct{ name, path string }

func newRecvNS(b *testing.B) *recvNS {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("skipped: needs root to create a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		b.Skip("skipped: ip(8) not installed")
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	ns := &recvNS{name: "pp-recvbench-" + hex.EncodeToString(rnd[:])}
	ns.path = "/var/run/netns/" + ns.name
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			b.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	run("netns", "add", ns.name)
	b.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns.name).Run() })
	run("-n", ns.name, "link", "set", "lo", "up")
	run("-n", ns.name, "link", "set", "lo", "multicast", "on")
	run("-n", ns.name, "route", "add", "224.0.0.0/4", "dev", "lo")
	return ns
}

// do runs fn on a new goroutine locked to a thread inside the namespace.
// The thread is never switched back: the runtime discards it when the
// goroutine exits.
func (ns *recvNS) do(b *testing.B, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		f, err := os.Open(ns.path)
		if err != nil {
			b.Error(err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			b.Error(err)
			return
		}
		fn()
	}()
	<-done
}

var (
	benchGroup = netip.MustParseAddr("239.5.5.5")
	benchPort  = 7000
)

const (
	benchRcvbuf  = 1 << 30 // SO_RCVBUFFORCE: the kernel doubles it to 2 GiB
	benchPayload = 64
	benchBatch   = 64
)

// plainReceiver opens a bare UDP socket joined to benchGroup on lo with a
// 1 GiB receive buffer: the socket the non-socketstats receivers read.
func plainReceiver(b *testing.B) *net.UDPConn {
	b.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	must := func(err error, what string) {
		if err != nil {
			unix.Close(fd)
			b.Fatalf("%s: %v", what, err)
		}
	}
	must(unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, benchRcvbuf), "SO_RCVBUFFORCE")
	must(unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0), "IP_MULTICAST_ALL")
	must(unix.Bind(fd, &unix.SockaddrInet4{Addr: benchGroup.As4(), Port: benchPort}), "bind")
	lo, err := net.InterfaceByName("lo")
	must(err, "lo")
	must(unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP,
		&unix.IPMreqn{Multiaddr: benchGroup.As4(), Ifindex: int32(lo.Index)}), "IP_ADD_MEMBERSHIP")
	f := os.NewFile(uintptr(fd), "udp")
	pc, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	return pc.(*net.UDPConn)
}

// fill sends n datagrams of benchPayload bytes to the group from
// 127.0.0.1 with sendmmsg, and checks the kernel queued them all.
func fill(b *testing.B, n int, rc controller) {
	b.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
		b.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: benchGroup.As4(), Port: benchPort}); err != nil {
		b.Fatal(err)
	}
	const vlen = 256
	payload := make([]byte, benchPayload)
	hdrs := make([]unix.Mmsghdr, vlen)
	iov := unix.Iovec{Base: &payload[0]}
	iov.SetLen(len(payload))
	for i := range hdrs {
		hdrs[i].Hdr.Iov = &iov
		hdrs[i].Hdr.SetIovlen(1)
	}
	for sent := 0; sent < n; {
		k := min(vlen, n-sent)
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(k), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			b.Fatalf("sendmmsg after %d: %v", sent, e)
		}
		sent += int(r)
	}
	// Every datagram must be queued: no drops at the socket.
	var mi [unix.SK_MEMINFO_VARS]uint32
	var gerr error
	_ = rc.Control(func(fd uintptr) {
		l := uint32(unsafe.Sizeof(mi))
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO, uintptr(unsafe.Pointer(&mi)), uintptr(unsafe.Pointer(&l)), 0)
		if e != 0 {
			gerr = e
		}
	})
	if gerr != nil {
		b.Fatal(gerr)
	}
	if mi[unix.SK_MEMINFO_DROPS] != 0 {
		b.Fatalf("the socket dropped %d of %d datagrams while filling (rmem_alloc %d, rcvbuf %d)",
			mi[unix.SK_MEMINFO_DROPS], n, mi[unix.SK_MEMINFO_RMEM_ALLOC], mi[unix.SK_MEMINFO_RCVBUF])
	}
}

// threadCPU is the calling thread's user+system CPU time.
func threadCPU(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drainBench queues b.N datagrams, then times drain (which must read
// exactly b.N) on the namespace thread and reports CPU per packet and
// packets per second. One benchmark op is one datagram, so -benchmem's
// allocs/op is allocations per packet.
func drainBench(b *testing.B, open func(b *testing.B) (controller, func(n int) error, func())) {
	ns := newRecvNS(b)
	ns.do(b, func() {
		rc, drain, closeFn := open(b)
		defer closeFn()
		fill(b, b.N, rc)
		runtime.GC()
		b.ResetTimer()
		start, cpu0 := time.Now(), threadCPU(b)
		err := drain(b.N)
		cpu, wall := threadCPU(b)-cpu0, time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/pkt")
		b.ReportMetric(float64(b.N)/wall.Seconds(), "pkts/s")
	})
}
