package bench

// netstack snapshots against their raw read floor, in one run:
//
//	go test -run '^$' -bench 'Netstack' -benchmem -count 6 .
//	go test -run '^$' -bench 'FastProfile1kHz' -benchtime 1x .   # one minute each
//
// host: a Collector with every source but drop events on this machine.
// ns200: a namespace with 100 veth pairs, a pfifo on each of the 200 ends
// (200 qdiscs) and 1,000 UDP sockets. fast: the fast sampling profile
// (softnet_stat, snmp, snmp6, link counters, and the application's own
// sockets: four socketstats receivers added with AddSocket, as a feed
// handler with four multicast feeds would have; the collector reads each
// one's drops and buffer use from the kernel with one getsockopt
// (SO_MEMINFO), and so does the floor).
// The floor of each reads the same files and dumps with no decoding
// (netstack_floor_test.go).

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/netstack"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/qdisc"
	"github.com/packetpath/packetpath/socketstats"
)

// ownFeeds is how many instrumented receive sockets the fast profile's
// benchmarks add to the Collector.
const ownFeeds = 4

// addOwnSockets opens ownFeeds socketstats receivers on lo (each joined to
// its own group, bound to the unspecified address), gives each one datagram
// and one ReadBatch so every counter a live feed has is present, and adds
// them to c. It returns their descriptors, for the floor.
func addOwnSockets(b *testing.B, c *netstack.Collector) []int {
	var fds []int
	send, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer send.Close()
	msgs := make([]socketstats.Message, 4)
	for i := range msgs {
		msgs[i].Buf = make([]byte, 2048)
	}
	for i := range ownFeeds {
		g := netip.AddrFrom4([4]byte{239, 77, 1, byte(i + 1)})
		conn, err := socketstats.Open(socketstats.Config{Interface: "lo", Bind: netip.IPv4Unspecified(),
			Groups: []socketstats.Group{{Addr: g}}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.RemoveSocket(conn); conn.Close() })
		port := conn.UDPConn().LocalAddr().(*net.UDPAddr).Port
		if _, err := send.WriteToUDP([]byte("feed"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = conn.ReadBatch(ctx, msgs)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		c.AddSocket(fmt.Sprintf("%s:%d", g, port), conn)
		rc, err := conn.UDPConn().SyscallConn()
		if err != nil {
			b.Fatal(err)
		}
		rc.Control(func(fd uintptr) { fds = append(fds, int(fd)) })
	}
	return fds
}

// ns200 creates the namespace of the ns200 benchmarks and returns its path
// and a cleanup.
func ns200(b *testing.B) (path string, cleanup func()) {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	name := fmt.Sprintf("pp-bench-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Skipf("ip netns add: %v %s", err, out)
	}
	cleanup = func() { exec.Command("ip", "netns", "del", name).Run() }
	var batch strings.Builder
	batch.WriteString("link set lo up\n")
	for i := range 100 {
		fmt.Fprintf(&batch, "link add pb%da type veth peer name pb%db\n", i, i)
		fmt.Fprintf(&batch, "link set pb%da up\nlink set pb%db up\n", i, i)
	}
	cmd := exec.Command("ip", "-n", name, "-batch", "-")
	cmd.Stdin = strings.NewReader(batch.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		b.Fatalf("ip -batch: %v %s", err, out)
	}
	var tc strings.Builder
	for i := range 100 {
		fmt.Fprintf(&tc, "qdisc add dev pb%da root pfifo limit 100\nqdisc add dev pb%db root pfifo limit 100\n", i, i)
	}
	cmd = exec.Command("tc", "-n", name, "-batch", "-")
	cmd.Stdin = strings.NewReader(tc.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		b.Fatalf("tc -batch: %v %s", err, out)
	}
	path = "/var/run/netns/" + name
	// 1,000 UDP sockets held by a helper process inside the namespace, so
	// that they do not count against this process and vanish with it.
	holder := exec.Command("ip", "netns", "exec", name, "python3", "-c",
		"import socket,sys,time\n"+
			"ss=[]\n"+
			"for i in range(1000):\n"+
			" s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',0)); ss.append(s)\n"+
			"print('ready',flush=True)\n"+
			"time.sleep(3600)\n")
	out, err := holder.StdoutPipe()
	if err != nil {
		cleanup()
		b.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		cleanup()
		b.Skipf("python3 needed to hold the sockets: %v", err)
	}
	ready := make([]byte, 6)
	if _, err := io.ReadFull(out, ready); err != nil {
		holder.Process.Kill()
		cleanup()
		b.Fatalf("socket holder: %v", err)
	}
	del := cleanup
	return path, func() {
		holder.Process.Kill()
		holder.Wait()
		del()
	}
}

// floorFor opens the floor matching a collector of the given namespace,
// with the collector's own sockets (descriptors own).
func floorFor(b *testing.B, nsPath string, fast bool, own []int) *snapshotFloor {
	b.Helper()
	var f *snapshotFloor
	err := netns.Do(nsPath, func() error {
		cl, err := nic.Open(nic.Config{})
		if err != nil {
			return err
		}
		defer cl.Close()
		links, err := cl.Links(context.Background(), nil)
		if err != nil {
			return err
		}
		var devs []string
		for _, l := range links {
			devs = append(devs, l.Name)
		}
		// Class dumps go to the devices with a classful qdisc, as the
		// collector asks them.
		qc, err := qdisc.Open(qdisc.Config{})
		if err != nil {
			return err
		}
		defer qc.Close()
		qs, err := qc.Qdiscs(context.Background(), nil)
		if err != nil {
			return err
		}
		var idx []int32
		for _, q := range qs {
			if !qdisc.Classless(q.Kind) && !slices.Contains(idx, int32(q.Ifindex)) {
				idx = append(idx, int32(q.Ifindex))
			}
		}
		nstats := func(dev string) int {
			di, err := cl.DriverInfo(dev)
			if err != nil {
				return 0
			}
			return int(di.NumStats)
		}
		sysfs := []string{}
		if nsPath == "" {
			sysfs = dynamicSysfsFiles("/sys", devs)
		}
		f, err = openSnapshotFloor(fast, devs, idx, nstats, sysfs)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.addOwn(own); err != nil {
		f.close()
		b.Fatal(err)
	}
	if nsPath != "" && !fast {
		// The collector reads the machine-wide sysctls the namespace does
		// not show in the caller's namespace; so does the floor.
		var missing []string
		netns.Do(nsPath, func() error {
			for _, name := range sysctlFiles {
				if _, err := os.Stat(sysctlPath(name)); err != nil {
					missing = append(missing, name)
				}
			}
			return nil
		})
		for _, name := range missing {
			if ff, err := openFloorFile(sysctlPath(name)); err == nil && ff.read() == nil {
				f.files = append(f.files, ff)
			}
		}
	}
	return f
}

func benchPair(b *testing.B, nsPath string, sources netstack.Source, fast bool) {
	c, err := netstack.NewCollector(netstack.Config{NetNS: nsPath, Sources: sources})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var own []int
	if fast {
		own = addOwnSockets(b, c)
	}
	floor := floorFor(b, nsPath, fast, own)
	defer floor.close()
	ctx := context.Background()
	var s netstack.Snapshot
	c.Collect(ctx, &s)
	c.Collect(ctx, &s)
	for _, e := range s.Errors {
		b.Logf("source error: %v", e)
	}
	if err := floor.read(); err != nil {
		b.Fatal(err)
	}
	b.Run("collect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Collect(ctx, &s)
		}
		b.ReportMetric(float64(len(s.Counters)), "counters")
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := floor.read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// pair alternates one collection and one floor read on a locked thread
	// (in alternating order)
	// and reports the thread CPU time of each: on a shared, noisy machine
	// the ratio of CPU times is what wall time cannot give.
	b.Run("pair", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var cpuC, cpuF time.Duration
		i := 0
		for b.Loop() {
			// Alternate the order: whichever runs second finds warm caches.
			if i%2 == 0 {
				t0 := nsThreadCPU()
				c.Collect(ctx, &s)
				t1 := nsThreadCPU()
				floor.read()
				t2 := nsThreadCPU()
				cpuC += t1 - t0
				cpuF += t2 - t1
			} else {
				t0 := nsThreadCPU()
				floor.read()
				t1 := nsThreadCPU()
				c.Collect(ctx, &s)
				t2 := nsThreadCPU()
				cpuF += t1 - t0
				cpuC += t2 - t1
			}
			i++
		}
		b.ReportMetric(float64(cpuC.Nanoseconds())/float64(b.N), "collect-cpu-ns/op")
		b.ReportMetric(float64(cpuF.Nanoseconds())/float64(b.N), "floor-cpu-ns/op")
		b.ReportMetric(float64(cpuC)/float64(cpuF), "ratio")
		b.ReportMetric(float64(len(s.Counters)), "counters")
	})
}

func BenchmarkNetstack(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	all := netstack.SourceAll &^ netstack.SourceDropEvents
	b.Run("host", func(b *testing.B) { benchPair(b, "", all, false) })
	b.Run("fast", func(b *testing.B) { benchPair(b, "", netstack.FastSources, true) })
	b.Run("ns200", func(b *testing.B) {
		path, cleanup := ns200(b)
		defer cleanup()
		benchPair(b, path, all, false)
	})
}

// nsThreadCPU is the CPU time of the calling thread, from
// CLOCK_THREAD_CPUTIME_ID: unlike getrusage(RUSAGE_THREAD), which advances
// only at scheduler ticks, it includes the time since the last tick.
func nsThreadCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// tickLoop calls a then b at rate Hz for d, on one locked thread, and
// returns the thread CPU time per call of each and the ticks served.
// Interleaving the two keeps their ratio honest on a noisy machine.
func tickLoop(d time.Duration, hz int, a, b func()) (perA, perB time.Duration, ticks int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	end := time.Now().Add(d)
	var cpuA, cpuB time.Duration
	for time.Now().Before(end) {
		<-t.C
		// Alternate which goes first: the second of the two finds the
		// kernel's and the CPU's caches warmed by the first.
		if ticks%2 == 0 {
			t0 := nsThreadCPU()
			a()
			t1 := nsThreadCPU()
			b()
			t2 := nsThreadCPU()
			cpuA += t1 - t0
			cpuB += t2 - t1
		} else {
			t0 := nsThreadCPU()
			b()
			t1 := nsThreadCPU()
			a()
			t2 := nsThreadCPU()
			cpuB += t1 - t0
			cpuA += t2 - t1
		}
		ticks++
	}
	return cpuA / time.Duration(ticks), cpuB / time.Duration(ticks), ticks
}

// BenchmarkFastProfile1kHz runs the fast sampling profile and its floor at
// 1 kHz for a minute (each tick: one collection, then one floor read, in
// alternating order) and reports the thread CPU per sample of each, their
// ratio, the ticks served per second, and the CPU share the profile takes
// at 100 Hz estimated from the per-sample cost.
func BenchmarkFastProfile1kHz(b *testing.B) { fastProfileAt(b, 1000) }

// BenchmarkFastProfile100Hz is the same at 100 Hz, where each sample finds
// caches even colder: its cpu%@100Hz is measured, not estimated.
func BenchmarkFastProfile100Hz(b *testing.B) { fastProfileAt(b, 100) }

// fastProfileAt runs the fast profile and its floor at hz for a minute, or
// for $PP_FAST_DURATION.
func fastProfileAt(b *testing.B, hz int) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	dur := time.Minute
	if s := os.Getenv("PP_FAST_DURATION"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			dur = d
		}
	}
	c, err := netstack.NewCollector(netstack.Config{Sources: netstack.FastSources})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	floor := floorFor(b, "", true, addOwnSockets(b, c))
	defer floor.close()
	ctx := context.Background()
	var s netstack.Snapshot
	for b.Loop() {
		collect, fl, n := tickLoop(dur, hz, func() { c.Collect(ctx, &s) }, func() { floor.read() })
		b.ReportMetric(float64(collect.Nanoseconds()), "collect-cpu-ns/sample")
		b.ReportMetric(float64(fl.Nanoseconds()), "floor-cpu-ns/sample")
		b.ReportMetric(float64(collect)/float64(fl), "ratio")
		b.ReportMetric(float64(n)/dur.Seconds(), "ticks/s")
		b.ReportMetric(100*float64(collect)*100/float64(time.Second), "cpu%@100Hz")
	}
}
