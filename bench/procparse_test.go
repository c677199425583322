package bench

// Comparisons of procparse with github.com/prometheus/procfs, in one run:
//
//	go test -run '^$' -bench 'Procparse' -benchmem -count 6 .
//
// For every file there are three groups of sub-benchmarks:
//
//   - bytes/packetpath: parsing content already in memory (procparse's pure
//     parser into a reused value). procfs has no parser over bytes, so
//     tmpfile/procfs reads the same content from a regular file in a temp
//     directory laid out like /proc, and tmpfile/read-floor is that read
//     alone, done the way procfs reads (open, io.ReadAll, close): procfs's
//     parsing cost is tmpfile/procfs - tmpfile/read-floor.
//     tmpfile/packetpath is procparse's one-shot read of the same file.
//   - live/reread-packetpath: a procparse Reader re-reading the live /proc
//     file into a reused value; live/read-floor: the same file re-read into
//     a reused buffer with no parsing (the floor); live/paired: both
//     alternated in one loop, reporting the reread/floor time ratio (robust
//     against the load of a shared machine); live/procfs: procfs reading
//     the live file.
//
// The udp benchmarks open 1,000 UDP sockets bound to 127.0.0.1 (no traffic)
// so that /proc/net/udp holds 1,000 real lines.

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/procparse"
)

const procparseFixtures = "../procparse/testdata"

// procparseRawReader re-reads a file from offset 0 into a reused buffer: the
// floor any parser of the live file pays.
type procparseRawReader struct {
	f   *os.File
	buf []byte
}

func (r *procparseRawReader) read() ([]byte, error) {
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b := r.buf[:0]
	for {
		if cap(b)-len(b) < 4096 {
			nb := make([]byte, len(b), 2*cap(b)+4096)
			copy(nb, b)
			b = nb
		}
		n, err := r.f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF || (err == nil && n == 0) {
			r.buf = b
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func procparseOpenRaw(b *testing.B, path string) *procparseRawReader {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("skipped: %v", err)
	}
	b.Cleanup(func() { f.Close() })
	return &procparseRawReader{f: f}
}

// procparseTree writes content at root/rel inside a fresh temp directory and
// returns root.
func procparseTree(b testing.TB, rel string, content []byte) string {
	b.Helper()
	root := b.TempDir()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		b.Fatal(err)
	}
	return root
}

func procparseFixture(b testing.TB, rel string) []byte {
	b.Helper()
	c, err := os.ReadFile(filepath.Join(procparseFixtures, rel))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// procparseUDPSockets opens n UDP sockets on 127.0.0.1 for the benchmark's
// duration.
func procparseUDPSockets(b *testing.B, n int) {
	b.Helper()
	for range n {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			b.Skipf("skipped: cannot open %d UDP sockets: %v", n, err)
		}
		b.Cleanup(func() { c.Close() })
	}
}

// procparseReadFloor runs the tmpfile/read-floor benchmark for path: the
// file read the way procfs reads it before parsing (open, io.ReadAll through
// a 1 MiB io.LimitReader, close; procfs's internal ReadFileNoStat), so that
// tmpfile/procfs minus this is what procfs spends on parsing.
func procparseReadFloor(b *testing.B, path string) {
	defer procparseCPUMetric(b)()
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(io.LimitReader(f, 1<<20)); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func BenchmarkProcparseSoftnet(b *testing.B) {
	content := procparseFixture(b, "linux-6.18-vm/proc/net/softnet_stat")
	root := procparseTree(b, "net/softnet_stat", content)
	b.Run("bytes/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		var st procparse.SoftnetStat
		b.ReportAllocs()
		b.SetBytes(int64(len(content)))
		for b.Loop() {
			if err := procparse.ParseSoftnetStat(content, &st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procparse.NewFS(root)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.SoftnetStat(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/procfs", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procfs.NewFS(root)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.NetSoftnetStat(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/read-floor", func(b *testing.B) { procparseReadFloor(b, filepath.Join(root, "net/softnet_stat")) })
	procparseLive(b, "softnet_stat",
		func(fs procparse.FS) (func() error, func() error) {
			r, err := fs.SoftnetStatReader()
			if err != nil {
				b.Skip(err)
			}
			var st procparse.SoftnetStat
			return func() error { return r.Read(&st) }, r.Close
		},
		func(fs procfs.FS) error { _, err := fs.NetSoftnetStat(); return err })
}

func BenchmarkProcparseSNMP(b *testing.B) {
	content := procparseFixture(b, "linux-6.18-vm/proc/net/snmp")
	root := procparseTree(b, "1/net/snmp", content)
	b.Run("bytes/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		var s procparse.SNMP
		b.ReportAllocs()
		b.SetBytes(int64(len(content)))
		for b.Loop() {
			if err := procparse.ParseSNMP(content, &s); err != nil {
				b.Fatal(err)
			}
			_ = s.UDP()
		}
	})
	b.Run("tmpfile/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procparse.NewFS(filepath.Join(root, "1"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.SNMP(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/procfs", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procfs.NewFS(root)
		p, err := fs.Proc(1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Snmp(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/read-floor", func(b *testing.B) { procparseReadFloor(b, filepath.Join(root, "1/net/snmp")) })
	procparseLive(b, "snmp",
		func(fs procparse.FS) (func() error, func() error) {
			r, err := fs.SNMPReader()
			if err != nil {
				b.Skip(err)
			}
			var s procparse.SNMP
			return func() error { return r.Read(&s) }, r.Close
		},
		func(fs procfs.FS) error {
			p, err := fs.Self()
			if err != nil {
				return err
			}
			_, err = p.Snmp()
			return err
		})
}

func BenchmarkProcparseDev(b *testing.B) {
	content := procparseFixture(b, "linux-6.18-vm/proc/net/dev")
	root := procparseTree(b, "net/dev", content)
	b.Run("bytes/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		var d procparse.NetDev
		b.ReportAllocs()
		b.SetBytes(int64(len(content)))
		for b.Loop() {
			if err := procparse.ParseNetDev(content, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procparse.NewFS(root)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.NetDev(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/procfs", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procfs.NewFS(root)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.NetDev(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/read-floor", func(b *testing.B) { procparseReadFloor(b, filepath.Join(root, "net/dev")) })
	procparseLive(b, "dev",
		func(fs procparse.FS) (func() error, func() error) {
			r, err := fs.NetDevReader()
			if err != nil {
				b.Skip(err)
			}
			var d procparse.NetDev
			return func() error { return r.Read(&d) }, r.Close
		},
		func(fs procfs.FS) error { _, err := fs.NetDev(); return err })
}

func BenchmarkProcparseUDP1000(b *testing.B) {
	procparseUDPSockets(b, 1000)
	live, err := os.ReadFile("/proc/self/net/udp")
	if err != nil {
		b.Skip(err)
	}
	var check procparse.UDPSockets
	if err := procparse.ParseUDP(live, &check); err != nil {
		b.Fatal(err)
	}
	if len(check.Sockets) < 1000 {
		b.Fatalf("/proc/net/udp holds %d sockets, want at least 1000", len(check.Sockets))
	}
	root := procparseTree(b, "net/udp", live)
	b.Run("bytes/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		var u procparse.UDPSockets
		b.ReportAllocs()
		b.SetBytes(int64(len(live)))
		for b.Loop() {
			if err := procparse.ParseUDP(live, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bytes/packetpath-scan", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		var sc procparse.UDPScanner
		b.ReportAllocs()
		b.SetBytes(int64(len(live)))
		for b.Loop() {
			sc.Reset(live, procparse.UDPFilter{})
			for sc.Next() {
			}
			if err := sc.Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procparse.NewFS(root)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.UDP(procparse.FileUDP); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/procfs", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		fs, _ := procfs.NewFS(root)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.NetUDP(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tmpfile/read-floor", func(b *testing.B) { procparseReadFloor(b, filepath.Join(root, "net/udp")) })
	procparseLive(b, "udp",
		func(fs procparse.FS) (func() error, func() error) {
			r, err := fs.UDPReader(procparse.FileUDP)
			if err != nil {
				b.Skip(err)
			}
			var u procparse.UDPSockets
			return func() error { return r.Read(&u) }, r.Close
		},
		func(fs procfs.FS) error { _, err := fs.NetUDP(); return err })
}

// procparseThreadCPU is the calling thread's CPU time.
func procparseThreadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// procparseCPUMetric locks the benchmark to its OS thread and, when the
// returned function runs, reports the thread's CPU time per operation
// (cpu-ns/op). Unlike ns/op it does not count time spent waiting for a CPU
// on a loaded machine; it does not count background GC work either.
func procparseCPUMetric(b *testing.B) func() {
	runtime.LockOSThread()
	start := procparseThreadCPU()
	return func() {
		d := procparseThreadCPU() - start
		runtime.UnlockOSThread()
		if b.N > 0 {
			b.ReportMetric(float64(d)/float64(b.N), "cpu-ns/op")
		}
	}
}

// procparseLive runs the live/ sub-benchmarks for /proc/net/<name>.
func procparseLive(b *testing.B, name string,
	open func(procparse.FS) (read, close func() error),
	viaProcfs func(procfs.FS) error) {
	fs, err := procparse.NewDefaultFS()
	if err != nil {
		b.Skip(err)
	}
	b.Run("live/reread-packetpath", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		read, closeFn := open(fs)
		defer closeFn()
		if err := read(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("live/read-floor", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		r := procparseOpenRaw(b, fs.NetPath(name))
		if _, err := r.read(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// paired alternates batches of 8 re-reads and 8 floor reads in one loop
	// on one locked OS thread and reports the ratio of their per-read costs:
	// in thread CPU time (CLOCK_THREAD_CPUTIME_ID: what the reader costs,
	// whatever the load of the machine) and in wall time.
	b.Run("live/paired", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		read, closeFn := open(fs)
		defer closeFn()
		r := procparseOpenRaw(b, fs.NetPath(name))
		if _, err := r.read(); err != nil {
			b.Fatal(err)
		}
		if err := read(); err != nil {
			b.Fatal(err)
		}
		const batch = 8
		var cpu, wall [2]time.Duration // [0] re-read, [1] floor
		var count [2]int
		i := 0
		cpu0, wall0 := procparseThreadCPU(), time.Now()
		for b.Loop() {
			phase := (i / batch) % 2
			if phase == 0 {
				if err := read(); err != nil {
					b.Fatal(err)
				}
			} else if _, err := r.read(); err != nil {
				b.Fatal(err)
			}
			count[phase]++
			i++
			if i%batch == 0 {
				cpu1, wall1 := procparseThreadCPU(), time.Now()
				cpu[phase] += cpu1 - cpu0
				wall[phase] += wall1.Sub(wall0)
				cpu0, wall0 = cpu1, wall1
			}
		}
		if count[0] < batch || count[1] < batch {
			return
		}
		per := func(d [2]time.Duration) float64 {
			return (float64(d[0]) / float64(count[0]-count[0]%batch)) / (float64(d[1]) / float64(count[1]-count[1]%batch))
		}
		b.ReportMetric(per(cpu), "reread/floor-cpu")
		b.ReportMetric(per(wall), "reread/floor-wall")
	})
	b.Run("live/procfs", func(b *testing.B) {
		defer procparseCPUMetric(b)()
		pfs, err := procfs.NewDefaultFS()
		if err != nil {
			b.Skip(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := viaProcfs(pfs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestProcparseAgreesWithProcfs cross-checks procparse against procfs on the
// fixtures both can read: where they overlap, the numbers must be equal.
func TestProcparseAgreesWithProcfs(t *testing.T) {
	// softnet_stat: procfs reads up to 13 columns. The corpus's softnet_stat
	// mixes row widths, which no kernel prints and procparse rejects: compare
	// on the 6.18 VM's (15 columns).
	root := filepath.Join(procparseFixtures, "procfs-corpus/proc")
	pfs, err := procfs.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := procparse.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	vmRoot := filepath.Join(procparseFixtures, "linux-6.18-vm/proc")
	vmPfs, err := procfs.NewFS(vmRoot)
	if err != nil {
		t.Fatal(err)
	}
	vmFS, err := procparse.NewFS(vmRoot)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := vmPfs.NetSoftnetStat()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := vmFS.SoftnetStat()
	if err != nil {
		t.Fatal(err)
	}
	if len(theirs) != len(ours.CPUs) {
		t.Fatalf("softnet: %d rows, procfs %d", len(ours.CPUs), len(theirs))
	}
	for i, p := range theirs {
		o := ours.CPUs[i]
		if o.Processed != uint64(p.Processed) || o.Dropped != uint64(p.Dropped) || o.TimeSqueeze != uint64(p.TimeSqueezed) ||
			o.CPU != p.Index || o.Width != p.Width || o.ReceivedRPS.Value != uint64(p.ReceivedRps) || o.FlowLimitCount.Value != uint64(p.FlowLimitCount) {
			t.Errorf("softnet row %d: ours %+v, procfs %+v", i, o, p)
		}
	}

	// net/dev.
	devTheirs, err := pfs.NetDev()
	if err != nil {
		t.Fatal(err)
	}
	devOurs, err := fs.NetDev()
	if err != nil {
		t.Fatal(err)
	}
	if len(devTheirs) != len(devOurs.Devices) {
		t.Errorf("dev: %d devices, procfs %d", len(devOurs.Devices), len(devTheirs))
	}
	for _, o := range devOurs.Devices {
		p := devTheirs[o.Name]
		if o.RxBytes != p.RxBytes || o.RxPackets != p.RxPackets || o.RxDropped != p.RxDropped || o.TxBytes != p.TxBytes ||
			o.TxPackets != p.TxPackets || o.TxCarrier != p.TxCarrier || o.TxCompressed != p.TxCompressed {
			t.Errorf("dev %s: ours %+v, procfs %+v", o.Name, o, p)
		}
	}

	// snmp Udp, from a pid directory as procfs wants it.
	proc, err := pfs.Proc(26231)
	if err != nil {
		t.Fatal(err)
	}
	snmpTheirs, err := proc.Snmp()
	if err != nil {
		t.Fatal(err)
	}
	fs26231, err := procparse.NewFS(filepath.Join(root, "26231"))
	if err != nil {
		t.Fatal(err)
	}
	snmpOurs, err := fs26231.SNMP()
	if err != nil {
		t.Fatal(err)
	}
	u := snmpOurs.UDP()
	if float64(u.InDatagrams.Value) != *snmpTheirs.Udp.InDatagrams || float64(u.NoPorts.Value) != *snmpTheirs.Udp.NoPorts ||
		float64(u.IgnoredMulti.Value) != *snmpTheirs.Udp.IgnoredMulti || float64(u.OutDatagrams.Value) != *snmpTheirs.Udp.OutDatagrams {
		t.Errorf("snmp Udp: ours %+v, procfs %+v", u, snmpTheirs.Udp)
	}

	// udp with drops: the namespace fixture.
	nsRoot := filepath.Join(procparseFixtures, "linux-6.18-netns-udp-drops/proc")
	nsPfs, err := procfs.NewFS(nsRoot)
	if err != nil {
		t.Fatal(err)
	}
	nsFs, err := procparse.NewFS(nsRoot)
	if err != nil {
		t.Fatal(err)
	}
	udpTheirs, err := nsPfs.NetUDP()
	if err != nil {
		t.Fatal(err)
	}
	udpOurs, err := nsFs.UDP(procparse.FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	if len(udpTheirs) != len(udpOurs.Sockets) {
		t.Fatalf("udp: %d sockets, procfs %d", len(udpOurs.Sockets), len(udpTheirs))
	}
	for i, p := range udpTheirs {
		o := udpOurs.Sockets[i]
		if o.Slot != p.Sl || !net.IP(o.Local.Addr().AsSlice()).Equal(p.LocalAddr) || uint64(o.Local.Port()) != p.LocalPort ||
			uint64(o.State) != p.St || o.RxQueue != p.RxQueue || o.TxQueue != p.TxQueue || uint64(o.UID) != p.UID ||
			o.Inode != p.Inode || p.Drops == nil || o.Drops != *p.Drops {
			t.Errorf("udp socket %d: ours %+v, procfs %+v", i, o, *p)
		}
	}
}
