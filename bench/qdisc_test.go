package bench

// Qdisc dump benchmarks: packetpath/qdisc against github.com/ema/qdisc,
// github.com/florianl/go-tc and github.com/vishvananda/netlink, plus a raw
// dump over the same socket strategy that walks messages and attributes
// without decoding them (the floor). Run them in ONE invocation:
//
//	go test -run='^$' -bench=BenchmarkQdiscDump -benchmem -count=6 .

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	emaqdisc "github.com/ema/qdisc"
	gotc "github.com/florianl/go-tc"
	"github.com/mdlayher/socket"
	"github.com/packetpath/packetpath/qdisc"
	vnl "github.com/vishvananda/netlink"
	vns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// qdiscNS is a throw-away namespace holding pairs veth pairs, one side with
// a pfifo and the other with a pfifo_fast root qdisc (2 x pairs + lo).
type qdiscNS struct{ name, path string }

func newQdiscNS(b *testing.B, pairs int) *qdiscNS {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("skipped: needs root to create a network namespace")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("skipped: %s not installed", tool)
		}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	ns := &qdiscNS{name: "ppqd-" + hex.EncodeToString(rnd[:])}
	ns.path = "/var/run/netns/" + ns.name
	if out, err := exec.Command("ip", "netns", "add", ns.name).CombinedOutput(); err != nil {
		b.Skipf("skipped: ip netns add: %v: %s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns.name).Run() })
	var ipb, tcb strings.Builder
	ipb.WriteString("link set lo up\n")
	for i := 0; i < pairs; i++ {
		fmt.Fprintf(&ipb, "link add qv%d type veth peer name qw%d\nlink set qv%d up\nlink set qw%d up\n", i, i, i, i)
		fmt.Fprintf(&tcb, "qdisc add dev qv%d root handle 1: pfifo limit 1000\nqdisc add dev qw%d root pfifo_fast\n", i, i)
	}
	for _, step := range []struct {
		tool, script string
	}{{"ip", ipb.String()}, {"tc", tcb.String()}} {
		cmd := exec.Command(step.tool, "-n", ns.name, "-batch", "-")
		cmd.Stdin = strings.NewReader(step.script)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s -batch: %v: %s", step.tool, err, out)
		}
	}
	return ns
}

// qdiscInNS runs fn on the calling goroutine's thread switched into the
// namespace at path ("" = current), for libraries that only dump the
// namespace of the thread that opens their socket.
func qdiscInNS(b *testing.B, path string, fn func()) {
	b.Helper()
	if path == "" {
		fn()
		return
	}
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		b.Fatal(err)
	}
	defer orig.Close()
	target, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	fn()
}

// qdiscRawDump is the floor: the same strategy as packetpath/qdisc (a
// NETLINK_ROUTE socket on the runtime poller, recvmsg into one reused
// 64 KiB buffer), walking every message, top-level attribute and
// TCA_STATS2 attribute without decoding any value.
type qdiscRawDump struct {
	sock   *socket.Conn
	rc     syscall.RawConn
	buf    []byte
	iov    unix.Iovec
	msg    unix.Msghdr
	n      int
	errno  syscall.Errno
	readFn func(fd uintptr) bool
	req    [36]byte
	seq    uint32
}

func newQdiscRawDump(b *testing.B) *qdiscRawDump {
	sock, err := socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE, "raw", nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := sock.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		b.Fatal(err)
	}
	r := &qdiscRawDump{sock: sock, buf: make([]byte, 64<<10)}
	if r.rc, err = sock.SyscallConn(); err != nil {
		b.Fatal(err)
	}
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
	r.readFn = r.read
	return r
}

func (r *qdiscRawDump) read(fd uintptr) bool {
	n, _, e := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	r.n, r.errno = int(n), e
	return true
}

// walk dumps once and returns the number of RTM_NEWQDISC messages and
// attributes seen.
func (r *qdiscRawDump) walk() (msgs, attrs int, err error) {
	ne := binary.NativeEndian
	r.seq++
	ne.PutUint32(r.req[0:], uint32(len(r.req)))
	ne.PutUint16(r.req[4:], unix.RTM_GETQDISC)
	ne.PutUint16(r.req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(r.req[8:], r.seq)
	if _, err := r.sock.Write(r.req[:]); err != nil {
		return 0, 0, err
	}
	for {
		if err := r.rc.Read(r.readFn); err != nil {
			return msgs, attrs, err
		}
		if r.errno != 0 {
			return msgs, attrs, r.errno
		}
		b := r.buf[:r.n]
		for len(b) >= 16 {
			l := int(ne.Uint32(b))
			if l < 16 || l > len(b) {
				return msgs, attrs, fmt.Errorf("bad message length %d", l)
			}
			switch ne.Uint16(b[4:]) {
			case unix.NLMSG_DONE:
				return msgs, attrs, nil
			case unix.NLMSG_ERROR:
				return msgs, attrs, fmt.Errorf("netlink error")
			case unix.RTM_NEWQDISC:
				msgs++
				a := b[16+20 : l]
				for len(a) >= 4 {
					al := int(ne.Uint16(a))
					if al < 4 || al > len(a) {
						break
					}
					attrs++
					if ne.Uint16(a[2:])&0x3fff == 7 { // TCA_STATS2: walk the nest
						s := a[4:al]
						for len(s) >= 4 {
							sl := int(ne.Uint16(s))
							if sl < 4 || sl > len(s) {
								break
							}
							attrs++
							s = s[min((sl+3)&^3, len(s)):]
						}
					}
					a = a[min((al+3)&^3, len(a)):]
				}
			}
			b = b[min((l+3)&^3, len(b)):]
		}
	}
}

// newQdiscClassNS builds devs veth pairs whose first end carries an htb
// root with two classes and a pfifo leaf (3 qdisc messages, 2 classes per
// device).
func newQdiscClassNS(b *testing.B, devs int) *qdiscNS {
	ns := newQdiscNS(b, 0)
	var ipb, tcb strings.Builder
	for i := 0; i < devs; i++ {
		fmt.Fprintf(&ipb, "link add hv%d type veth peer name hw%d\nlink set hv%d up\nlink set hw%d up\n", i, i, i, i)
		fmt.Fprintf(&tcb, "qdisc add dev hv%d root handle 1: htb default 10\n", i)
		fmt.Fprintf(&tcb, "class add dev hv%d parent 1: classid 1:1 htb rate 10mbit\n", i)
		fmt.Fprintf(&tcb, "class add dev hv%d parent 1:1 classid 1:10 htb rate 5mbit ceil 10mbit\n", i)
		fmt.Fprintf(&tcb, "qdisc add dev hv%d parent 1:10 handle 10: pfifo limit 50\n", i)
	}
	for _, step := range []struct{ tool, script string }{{"ip", ipb.String()}, {"tc", tcb.String()}} {
		cmd := exec.Command(step.tool, "-n", ns.name, "-batch", "-")
		cmd.Stdin = strings.NewReader(step.script)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s -batch: %v: %s", step.tool, err, out)
		}
	}
	return ns
}

// BenchmarkQdiscClasses dumps the classes of every device of a namespace
// with 50 htb devices (100 classes, 100 veth ends): one RTM_GETTCLASS dump
// per device, as the kernel requires.
func BenchmarkQdiscClasses(b *testing.B) {
	ns := newQdiscClassNS(b, 50)
	var ifindexes []int
	qdiscInNS(b, ns.path, func() {
		ifs, err := net.Interfaces()
		if err != nil {
			b.Fatal(err)
		}
		for _, i := range ifs {
			ifindexes = append(ifindexes, i.Index)
		}
	})
	const want = 100
	b.Run("packetpath", func(b *testing.B) {
		c, err := qdisc.Open(qdisc.Config{NetNS: ns.path})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var cs []qdisc.Class
		n := qdiscLoop(b, func() int {
			if cs, err = c.AllClasses(context.Background(), cs); err != nil {
				b.Fatal(err)
			}
			return len(cs)
		})
		if n != want {
			b.Fatalf("%d classes", n)
		}
	})
	b.Run("packetpath-per-device", func(b *testing.B) {
		// The same work as go-tc below: one class dump per known ifindex.
		c, err := qdisc.Open(qdisc.Config{NetNS: ns.path})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var cs []qdisc.Class
		n := qdiscLoop(b, func() int {
			total := 0
			for _, idx := range ifindexes {
				if cs, err = c.Classes(context.Background(), idx, cs); err != nil {
					b.Fatal(err)
				}
				total += len(cs)
			}
			return total
		})
		if n != want {
			b.Fatalf("%d classes", n)
		}
	})
	b.Run("go-tc", func(b *testing.B) {
		f, err := os.Open(ns.path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		t, err := gotc.Open(&gotc.Config{NetNS: int(f.Fd())})
		if err != nil {
			b.Fatal(err)
		}
		defer t.Close()
		n := qdiscLoop(b, func() int {
			total := 0
			for _, idx := range ifindexes {
				objs, err := t.Class().Get(&gotc.Msg{Family: unix.AF_UNSPEC, Ifindex: uint32(idx)})
				if err != nil {
					b.Fatal(err)
				}
				total += len(objs)
			}
			return total
		})
		if n != want {
			b.Fatalf("%d classes", n)
		}
	})
	b.Run("vishvananda", func(b *testing.B) {
		nh, err := vns.GetFromPath(ns.path)
		if err != nil {
			b.Fatal(err)
		}
		defer nh.Close()
		h, err := vnl.NewHandleAt(nh)
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		n := qdiscLoop(b, func() int {
			// The usual vishvananda pattern: list links, then classes per link.
			links, err := h.LinkList()
			if err != nil {
				b.Fatal(err)
			}
			total := 0
			for _, l := range links {
				cs, err := h.ClassList(l, 0)
				if err != nil {
					b.Fatal(err)
				}
				total += len(cs)
			}
			return total
		})
		if n != want {
			b.Fatalf("%d classes", n)
		}
	})
}

func BenchmarkQdiscDump(b *testing.B) {
	b.Run("host", func(b *testing.B) { benchQdiscLibraries(b, "") })
	b.Run("ns200", func(b *testing.B) {
		ns := newQdiscNS(b, 100)
		benchQdiscLibraries(b, ns.path)
	})
}

func benchQdiscLibraries(b *testing.B, nsPath string) {
	ctx := context.Background()
	// The number of qdiscs, reported as a metric by every sub-benchmark.
	var count int
	qdiscInNS(b, nsPath, func() {
		c, err := qdisc.Open(qdisc.Config{})
		if err != nil {
			b.Fatal(err)
		}
		qs, err := c.Qdiscs(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		count = len(qs)
		c.Close()
	})
	report := func(b *testing.B, n int) {
		if n != count {
			b.Fatalf("dumped %d qdiscs, want %d", n, count)
		}
		b.ReportMetric(float64(count), "qdiscs")
	}

	b.Run("packetpath", func(b *testing.B) {
		c, err := qdisc.Open(qdisc.Config{NetNS: nsPath})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var qs []qdisc.Qdisc
		report(b, qdiscLoop(b, func() int {
			if qs, err = c.Qdiscs(ctx, qs); err != nil {
				b.Fatal(err)
			}
			return len(qs)
		}))
	})
	b.Run("rawwalk", func(b *testing.B) {
		var r *qdiscRawDump
		qdiscInNS(b, nsPath, func() { r = newQdiscRawDump(b) })
		defer r.sock.Close()
		report(b, qdiscLoop(b, func() int {
			n, _, err := r.walk()
			if err != nil {
				b.Fatal(err)
			}
			return n
		}))
	})
	b.Run("ema-qdisc", func(b *testing.B) {
		// ema/qdisc.Get dials a fresh socket and lists interfaces on every
		// call (its only API), in the namespace of the calling thread.
		qdiscInNS(b, nsPath, func() {
			report(b, qdiscLoop(b, func() int {
				qs, err := emaqdisc.Get()
				if err != nil {
					b.Fatal(err)
				}
				return len(qs)
			}))
		})
	})
	b.Run("go-tc", func(b *testing.B) {
		cfg := &gotc.Config{}
		if nsPath != "" {
			f, err := os.Open(nsPath)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			cfg.NetNS = int(f.Fd())
		}
		t, err := gotc.Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer t.Close()
		report(b, qdiscLoop(b, func() int {
			objs, err := t.Qdisc().Get()
			if err != nil {
				b.Fatal(err)
			}
			return len(objs)
		}))
	})
	b.Run("vishvananda", func(b *testing.B) {
		h, err := vnl.NewHandle()
		if nsPath != "" {
			var nh vns.NsHandle
			if nh, err = vns.GetFromPath(nsPath); err == nil {
				defer nh.Close()
				h, err = vnl.NewHandleAt(nh)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		report(b, qdiscLoop(b, func() int {
			qs, err := h.QdiscList(nil)
			if err != nil {
				b.Fatal(err)
			}
			return len(qs)
		}))
	})
}

// qdiscLoop runs one dump per iteration and reports, besides ns/op, the
// process CPU time per dump (user + system, all threads, so the garbage
// collector's work on other threads counts): on this shared, heavily loaded
// VM wall time mostly measures waiting for a CPU, CPU time measures work.
func qdiscLoop(b *testing.B, dump func() int) (n int) {
	b.ReportAllocs()
	var before, after unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &before)
	iters := 0
	for b.Loop() {
		n = dump()
		iters++
	}
	_ = unix.Getrusage(unix.RUSAGE_SELF, &after)
	cpu := unix.TimevalToNsec(after.Utime) - unix.TimevalToNsec(before.Utime) +
		unix.TimevalToNsec(after.Stime) - unix.TimevalToNsec(before.Stime)
	b.ReportMetric(float64(cpu)/float64(iters), "cpu-ns/op")
	return n
}
