package dropevents

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"golang.org/x/sys/unix"
)

func TestCollectorSnapshotAllocs(t *testing.T) {
	fs := requirePerf(t)
	for _, o := range []Config{{Port: 5000, Reasons: testReasons}, {AllReasons: true}} {
		o.TraceFS = fs
		c, err := Open(o)
		if err != nil {
			t.Fatal(err)
		}
		var dst Counts
		if err := c.Snapshot(&dst); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(200, func() { _ = c.Snapshot(&dst) }); n != 0 {
			t.Errorf("Snapshot(%+v) allocates %v times per call", o, n)
		}
		if !dst.UDPFailQueueRcvSkb.Present || !dst.KfreeSkb.Present {
			t.Errorf("seed tracepoints not present: %+v", dst)
		}
		if o.AllReasons && len(dst.Reasons) < 2 {
			t.Errorf("sampling mode lists %d reasons", len(dst.Reasons))
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		if err := c.Close(); !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close = %v, want ErrClosed wrapping net.ErrClosed", err)
		}
		if err := c.Snapshot(&dst); !errors.Is(err, ErrClosed) {
			t.Errorf("Snapshot after Close = %v", err)
		}
		if err := c.Wait(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Wait after Close = %v", err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	fs := requirePerf(t)
	if _, err := Open(Config{TraceFS: fs, Reasons: []string{"NO_SUCH_REASON"}}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("unknown reason: %v; want ErrUnsupported", err)
	}
	if _, err := Open(Config{TraceFS: fs, AllReasons: true, RingPages: 3}); err == nil {
		t.Error("RingPages 3 accepted")
	}
	if _, err := Open(Config{TraceFS: NewTraceFS(t.TempDir())}); err != nil {
		t.Errorf("tracefs without the events: %v; want a Collector with nothing present", err)
	}
	// A 5.4 kernel's tracefs: seeds present, reasons unsupported.
	old := t.TempDir()
	for _, ev := range []string{"skb/kfree_skb", "udp/udp_fail_queue_rcv_skb"} {
		dir := filepath.Join(old, "events", ev)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile("testdata/linux-5.4/" + filepath.Base(ev) + ".format")
		if err := os.WriteFile(filepath.Join(dir, "format"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(Config{TraceFS: NewTraceFS(old), CPUs: []int{0}, AllReasons: true}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("reasons on a 5.4 format: %v; want ErrUnsupported", err)
	}
	if _, err := Open(Config{TraceFS: fs, CPUs: []int{4096}}); err == nil {
		t.Error("a CPU that does not exist was accepted")
	}
}

func TestWaitAndLost(t *testing.T) {
	fs := requirePerf(t)
	ns := netnstest.New(t)
	c, err := Open(Config{TraceFS: fs, AllReasons: true, RingPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	start := time.Now()
	// The host is shared (other tests, other namespaces drop packets): Wait
	// may legitimately return early because a ring filled. It must not fail
	// in any other way.
	if err := c.Wait(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v; want DeadlineExceeded on an idle host or nil on a busy one", err)
	} else if err == nil {
		var busy Counts
		if serr := c.Snapshot(&busy); serr != nil || busy.KfreeSkb.Count == 0 {
			t.Errorf("Wait returned nil with no kfree_skb events (snapshot %v, count %d)", serr, busy.KfreeSkb.Count)
		}
	}
	cancel()
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Wait returned after %v", d)
	}
	var send int
	if err := ns.Do(func() error { send = udpSocket(t, 0, 0); return nil }); err != nil {
		t.Fatal(err)
	}
	var before, after Counts
	if err := c.Snapshot(&before); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait(context.Background()) }()
	// One 4 KiB page holds about 70 records: 5,000 drops overflow it.
	if err := ns.Do(func() error {
		sendN(send, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}, 5000, 16)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Wait = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the ring filled")
	}
	time.Sleep(20 * time.Millisecond)
	if err := c.Snapshot(&after); err != nil {
		t.Fatal(err)
	}
	var d Counts
	Delta(&d, &before, &after)
	noSocket, _ := d.Reason("NO_SOCKET")
	t.Logf("1-page rings: kfree_skb %d, samples %d, lost %d, NO_SOCKET %d", d.KfreeSkb.Count, d.Samples, d.Lost, noSocket)
	if d.Lost == 0 {
		t.Error("no lost records reported with a 1-page ring and 5,000 drops")
	}
	if d.Samples+d.Lost < 5000 {
		t.Errorf("samples %d + lost %d < 5000 drops", d.Samples, d.Lost)
	}
}

// TestUnprivileged runs Open as user nobody in a child process: without
// root or CAP_PERFMON it must fail with os.ErrPermission.
func TestUnprivileged(t *testing.T) {
	if os.Getenv("DROPEVENTS_UNPRIV_CHILD") == "1" {
		unprivilegedChild(t)
		return
	}
	requirePerf(t)
	if b, _ := os.ReadFile("/proc/sys/kernel/perf_event_paranoid"); strings.TrimSpace(string(b)) == "-1" {
		t.Skip("skipped: kernel.perf_event_paranoid = -1 lets every user trace")
	}
	dir, err := os.MkdirTemp("", "dropevents-unpriv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	// A readable copy of tracefs' formats, so the child reaches perf_event_open.
	evdir := filepath.Join(dir, "tracing", "events", "skb", "kfree_skb")
	if err := os.MkdirAll(evdir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, _ := os.ReadFile("/sys/kernel/tracing/events/skb/kfree_skb/format")
	if err := os.WriteFile(filepath.Join(evdir, "format"), f, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestUnprivileged$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DROPEVENTS_UNPRIV_CHILD=1", "DROPEVENTS_TRACEFS_COPY="+filepath.Join(dir, "tracing"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	t.Logf("child as nobody:\n%s", out)
}

func unprivilegedChild(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Fatal("child runs as root")
	}
	// tracefs itself is mode 0700: unreadable.
	if _, err := os.Stat("/sys/kernel/tracing/events"); err == nil {
		t.Log("tracefs readable by nobody on this machine")
	} else if _, err := Open(Config{}); !errors.Is(err, os.ErrPermission) {
		t.Errorf("Open with tracefs unreadable = %v; want os.ErrPermission", err)
	} else {
		t.Logf("Open with tracefs unreadable: %v", err)
	}
	// Formats readable, perf_event_open refused.
	_, err := Open(Config{TraceFS: NewTraceFS(os.Getenv("DROPEVENTS_TRACEFS_COPY"))})
	if !errors.Is(err, os.ErrPermission) {
		t.Errorf("Open as nobody = %v; want os.ErrPermission", err)
	}
	t.Logf("Open as nobody: %v", err)
	// The rest of the package still works.
	if _, err := ParseFormat("x", []byte("name: x\nID: 1\n")); err != nil {
		t.Error(err)
	}
}

func TestDropSites(t *testing.T) {
	fs := requirePerf(t)
	ns := netnstest.New(t)
	k, err := LoadKallsyms()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(Config{TraceFS: fs, AllReasons: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var send int
	if err := ns.Do(func() error { send = udpSocket(t, 0, 0); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := ns.Do(func() error {
		sendN(send, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}, 500, 16)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var counts Counts
	if err := c.Snapshot(&counts); err != nil {
		t.Fatal(err)
	}
	sites, overflow, err := c.DropSites(make([]DropSite, 0, maxLocations))
	if err != nil || len(sites) == 0 {
		t.Fatalf("DropSites = %v, %v", sites, err)
	}
	// Other tests on the host drop packets too: look for our site among all.
	for _, site := range sites {
		name, off, ok := k.Lookup(site.Location)
		t.Logf("drop site %s+%#x (%v): %d drops", name, off, ok, site.Count)
	}
	t.Logf("%d sampled, %d sites, overflow %d", counts.Samples, len(sites), overflow)
	for _, site := range sites {
		if name, _, _ := k.Lookup(site.Location); strings.Contains(name, "udp") && site.Count >= 500 {
			return
		}
	}
	t.Errorf("no udp receive function among the drop sites with >= 500 drops")
}

func TestCloseWakesWait(t *testing.T) {
	fs := requirePerf(t)
	c, err := Open(Config{TraceFS: fs, AllReasons: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) && err != nil {
			t.Errorf("Wait after Close = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end Wait")
	}
}

// BenchmarkSnapshot measures one Snapshot: every counter read (one group
// read(2) per CPU) and, in sampling mode, the rings drained.
func BenchmarkSnapshot(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("skipped: needs root")
	}
	fs, err := FindTraceFS()
	if err != nil {
		b.Skipf("skipped: %v", err)
	}
	for _, bc := range []struct {
		name string
		opts Config
	}{
		{"seeds", Config{Port: 5000}},
		{"counting-3-reasons", Config{Port: 5000, Reasons: testReasons}},
		{"sampling", Config{AllReasons: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.opts.TraceFS = fs
			c, err := Open(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var dst Counts
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Snapshot(&dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
