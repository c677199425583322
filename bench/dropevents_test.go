package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packetpath/packetpath/dropevents"
	"golang.org/x/sys/unix"
)

// BenchmarkDropEvents measures what attaching to the drop tracepoints costs
// per dropped packet. Each op is one 64-byte sendto(2) on loopback to a
// socket whose receive buffer is full: the datagram is dropped in the
// sender's context, firing udp:udp_fail_queue_rcv_skb and skb:kfree_skb
// (reason SOCKET_RCVBUFF) once each. Sub-benchmarks, run in the same
// invocation so their ratios are comparable:
//
//   - none: nothing attached (baseline).
//   - dropevents-seeds: Open{Port}: the four seed tracepoints counted per
//     CPU (udp_fail_queue_rcv_skb filtered on the port).
//   - dropevents-counting: Open{Port, Reasons: 3 reasons}: the four seed
//     tracepoints plus three reason-filtered kfree_skb counters per CPU.
//   - perf-stat: `perf stat -a` with the same seven events and filters.
//   - dropevents-sampling-64p / -1024p: Open{AllReasons, RingPages: 64 or
//     1024}: every kfree_skb record copied to the per-CPU ring (256 KiB or
//     4 MiB) and drained by a goroutine (Wait + Snapshot).
//
// cpu-ns/op is the process's user+system CPU per op (getrusage), which
// includes the draining goroutine; perf's own process is not included, but
// perf stat only reads counters when it exits.
func BenchmarkDropEvents(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("skipped: perf tracepoints need root")
	}
	fs, err := dropevents.FindTraceFS()
	if err != nil {
		b.Skipf("skipped: %v", err)
	}
	recv, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(recv)
	_ = unix.SetsockoptInt(recv, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
	if err := unix.Bind(recv, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	sa, err := unix.Getsockname(recv)
	if err != nil {
		b.Fatal(err)
	}
	port := sa.(*unix.SockaddrInet4).Port
	send, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(send)
	if err := unix.Connect(send, sa); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 64)
	for i := 0; i < 100; i++ { // fill the receive buffer: from now on every datagram drops
		_ = unix.Send(send, payload, 0)
	}
	reasons := []string{"SOCKET_RCVBUFF", "NO_SOCKET", "QDISC_DROP"}

	loop := func(b *testing.B) {
		var ru0, ru1 unix.Rusage
		_ = unix.Getrusage(unix.RUSAGE_SELF, &ru0)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_ = unix.Send(send, payload, 0)
		}
		b.StopTimer()
		_ = unix.Getrusage(unix.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}

	b.Run("attached=none", loop)

	b.Run("attached=dropevents-seeds", func(b *testing.B) {
		c, err := dropevents.Open(dropevents.Config{TraceFS: fs, Port: uint16(port)})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		loop(b)
	})

	b.Run("attached=dropevents-counting", func(b *testing.B) {
		c, err := dropevents.Open(dropevents.Config{TraceFS: fs, Port: uint16(port), Reasons: reasons})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var c0, c1 dropevents.Counts
		_ = c.Snapshot(&c0)
		loop(b)
		_ = c.Snapshot(&c1)
		if got := c1.UDPFailQueueRcvSkb.Count - c0.UDPFailQueueRcvSkb.Count; got < uint64(b.N) {
			b.Fatalf("counted %d drops of %d", got, b.N)
		}
	})

	b.Run("attached=perf-stat", func(b *testing.B) {
		args := []string{"stat", "-a", "-x", ",",
			"-e", "udp:udp_fail_queue_rcv_skb", "--filter", "dport == " + strconv.Itoa(port),
			"-e", "sock:sock_rcvqueue_full", "-e", "sock:sock_exceed_buf_limit", "-e", "skb:kfree_skb"}
		for _, r := range reasons {
			v := reasonValue(b, fs, r)
			args = append(args, "-e", "skb:kfree_skb", "--filter", "reason == "+strconv.FormatUint(v, 10))
		}
		// With -a and no workload perf stat counts until SIGINT.
		cmd := exec.Command("perf", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			b.Skipf("skipped: perf: %v", err)
		}
		time.Sleep(500 * time.Millisecond) // perf attaches before it starts the workload
		loop(b)
		_ = cmd.Process.Signal(syscall.SIGINT)
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
			b.Fatalf("perf stat did not exit on SIGINT:\n%s", stderr.String())
		}
		got := perfCount(stderr.String(), "udp:udp_fail_queue_rcv_skb")
		if got < uint64(b.N) {
			b.Fatalf("perf stat counted %d drops of %d:\n%s", got, b.N, stderr.String())
		}
	})

	sampling := func(pages int) func(b *testing.B) {
		return func(b *testing.B) {
			c, err := dropevents.Open(dropevents.Config{TraceFS: fs, AllReasons: true, RingPages: pages})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			var counts dropevents.Counts
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					_ = c.Wait(ctx)
					_ = c.Snapshot(&counts)
				}
			}()
			loop(b)
			cancel()
			<-done
			_ = c.Snapshot(&counts)
			n, _ := counts.Reason("SOCKET_RCVBUFF")
			b.ReportMetric(float64(counts.Lost)/float64(counts.Samples+counts.Lost), "lost/record")
			if n+counts.Lost < uint64(b.N) {
				b.Fatalf("sampled %d + lost %d < %d drops", n, counts.Lost, b.N)
			}
		}
	}
	b.Run("attached=dropevents-sampling-64p", sampling(64))
	b.Run("attached=dropevents-sampling-1024p", sampling(1024))
}

func reasonValue(b *testing.B, fs *dropevents.TraceFS, name string) uint64 {
	f, err := fs.Format("skb", "kfree_skb")
	if err != nil {
		b.Skipf("skipped: %v", err)
	}
	syms, err := f.Symbols("reason")
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	b.Skipf("skipped: no reason %s on this kernel", name)
	return 0
}

// perfCount returns the count of event from perf stat -x, output
// ("count,unit,event,...").
func perfCount(out, event string) uint64 {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, ",")
		if len(f) >= 3 && f[2] == event {
			v, _ := strconv.ParseUint(f[0], 10, 64)
			return v
		}
	}
	return 0
}
