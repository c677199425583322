package netstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/udptable"
)

// findUDP returns the delta of the UDP-table counter name of the only socket
// bound to object, whatever its inode (Counter.Index); nil when no socket or
// several sockets have that address.
func findUDP(d *Delta, object, name string) *CounterDelta {
	var found *CounterDelta
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == SourceUDP && c.Object == object && c.Name == name {
			if found != nil {
				return nil
			}
			found = c
		}
	}
	return found
}

// procUDP reads /proc/net/udp inside ns: the drops column by socket inode,
// the kernel's own count to compare with.
func procUDP(t *testing.T, ns *netnstest.NS) map[uint64]uint64 {
	t.Helper()
	out := ns.Run("cat", "/proc/net/udp")
	drops := map[uint64]uint64{}
	for _, line := range strings.Split(out, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) != 13 {
			continue
		}
		ino, err1 := strconv.ParseUint(f[9], 10, 64)
		d, err2 := strconv.ParseUint(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("/proc/net/udp line %q: %v %v", line, err1, err2)
		}
		drops[ino] = d
	}
	return drops
}

// procSNMP reads one Udp counter of /proc/net/snmp inside ns.
func procSNMP(t *testing.T, ns *netnstest.NS, key string) uint64 {
	t.Helper()
	lines := strings.Split(ns.Run("cat", "/proc/net/snmp"), "\n")
	for i := 0; i+1 < len(lines); i++ {
		h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(h) == 0 || h[0] != "Udp:" || len(v) != len(h) || v[0] != "Udp:" {
			continue
		}
		for j := range h {
			if h[j] == key {
				n, err := strconv.ParseUint(v[j], 10, 64)
				if err != nil {
					t.Fatalf("/proc/net/snmp Udp %s %q: %v", key, v[j], err)
				}
				return n
			}
		}
	}
	t.Fatalf("/proc/net/snmp has no Udp %s", key)
	return 0
}

// mcastReceiver opens a UDP socket with SO_REUSEADDR bound to 0.0.0.0:port
// and joined to group on lo, the usual setup of several receivers of one
// multicast feed. force asks for the buffer with SO_RCVBUFFORCE (above
// rmem_max); it returns the socket and its inode.
func mcastReceiver(t *testing.T, group [4]byte, port, rcvbuf int, force bool) (fd int, inode uint64) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	opt := unix.SO_RCVBUF
	if force {
		opt = unix.SO_RCVBUFFORCE
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, rcvbuf); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port}); err != nil {
		t.Fatal(err)
	}
	mreq := &unix.IPMreq{Multiaddr: group, Interface: [4]byte{127, 0, 0, 1}}
	if err := unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return fd, st.Ino
}

func rcvbufOf(t *testing.T, fd int) uint64 {
	t.Helper()
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(v)
}

// mcastSender opens a socket that sends to groups through lo.
func mcastSender(t *testing.T) int {
	t.Helper()
	fd := udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
	if err := unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	return fd
}

func selfComm(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\n")
}

// TestSocketsSharingAnAddress reproduces issue 17 item 1: two receivers on
// 0.0.0.0:5002 joined to one group, one with an 8 MiB buffer that keeps up
// and one with the 2,304-byte minimum that drops. Deltas, the finding and
// the metrics must keep them apart, and the finding must quote the dropping
// socket's own buffer.
func TestSocketsSharingAnAddress(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	const port, n = 5002, 2000
	group := [4]byte{239, 17, 1, 1}
	var bigFD, smallFD, tx int
	var bigIno, smallIno uint64
	if err := ns.Do(func() error {
		bigFD, bigIno = mcastReceiver(t, group, port, 4<<20, true)  // doubled: 8 MiB
		smallFD, smallIno = mcastReceiver(t, group, port, 1, false) // the minimum, 2304
		tx = mcastSender(t)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bigBuf, smallBuf := rcvbufOf(t, bigFD), rcvbufOf(t, smallFD)
	if bigBuf != 8<<20 || smallBuf != 2304 {
		t.Fatalf("SO_RCVBUF: big %d, small %d; want 8388608 and 2304", bigBuf, smallBuf)
	}
	c, err := NewCollector(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The metrics: a second collector of the same namespace, read by a
	// ManualReader before and after the burst.
	mc, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceUDP | SourceSNMP})
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := mc.RegisterMetrics(MetricOptions{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}

	var sent int
	d := collectPair(t, c, func() { sent = sendN(t, tx, group, port, n) })
	kernel := procUDP(t, ns)
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	if kernel[smallIno] == 0 || kernel[bigIno] != 0 {
		t.Fatalf("/proc/net/udp drops: small socket %d, big socket %d (sent %d): want drops at the small one only", kernel[smallIno], kernel[bigIno], sent)
	}

	// Deltas: two counters on one address, one per inode, each with the
	// kernel's count and its own cookie.
	var socks []*CounterDelta
	for i := range d.Counters {
		if cd := &d.Counters[i]; cd.Source == SourceUDP && cd.Object == "0.0.0.0:5002" && cd.Name == "drops" {
			socks = append(socks, cd)
		}
	}
	if len(socks) != 2 {
		t.Fatalf("%d drop counters for 0.0.0.0:5002, want 2: %+v", len(socks), socks)
	}
	if socks[0].Gen == 0 || socks[1].Gen == 0 || socks[0].Gen == socks[1].Gen {
		t.Errorf("cookies (Gen) %d and %d: want two distinct non-zero", socks[0].Gen, socks[1].Gen)
	}
	for _, ino := range []uint64{smallIno, bigIno} {
		cd := d.Find(SourceUDP, "0.0.0.0:5002", int64(ino), "drops")
		if cd == nil {
			t.Fatalf("no drops counter for inode %d", ino)
		}
		if cd.Value != kernel[ino] || cd.Delta != kernel[ino] {
			t.Errorf("inode %d: drops %d (+%d), /proc/net/udp %d", ino, cd.Value, cd.Delta, kernel[ino])
		}
		buf := d.Find(SourceUDP, "0.0.0.0:5002", int64(ino), "rcvbuf")
		if want := map[uint64]uint64{smallIno: smallBuf, bigIno: bigBuf}[ino]; buf == nil || buf.Value != want {
			t.Errorf("inode %d: rcvbuf %+v, want %d", ino, buf, want)
		}
	}

	// The finding names the dropping socket and quotes its buffer.
	fs := Diagnose(d)
	var f *Finding
	for i := range fs {
		if fs[i].Stage == StageSocket {
			f = &fs[i]
		}
	}
	if f == nil {
		t.Fatalf("no socket finding:\n%s", findingsText(fs))
	}
	rcvbufErrors := d.Find(SourceSNMP, "", -1, "Udp.RcvbufErrors")
	if rcvbufErrors == nil || f.Drops != rcvbufErrors.Delta || f.Drops != kernel[smallIno] {
		t.Errorf("finding drops %d, Udp.RcvbufErrors %+v, socket %d", f.Drops, rcvbufErrors, kernel[smallIno])
	}
	smallRef := fmt.Sprintf("0.0.0.0:5002 (inode %d)", smallIno)
	if f.Object != smallRef || !strings.Contains(f.Summary, smallRef+fmt.Sprintf(" +%d with rcvbuf 2304", kernel[smallIno])) {
		t.Errorf("finding object %q summary %q: want the small socket %s", f.Object, f.Summary, smallRef)
	}
	var quoted []uint64
	for _, e := range f.Evidence {
		if e.Source == SourceUDP && e.Name == "rcvbuf" {
			quoted = append(quoted, e.Value)
			if e.Inode != smallIno || e.Value != 2304 {
				t.Errorf("rcvbuf evidence %s: want the dropping socket's 2304 (inode %d)", e, smallIno)
			}
		}
		if e.Source == SourceUDP && e.Name == "drops" && (e.Inode != smallIno || e.Delta != kernel[smallIno]) {
			t.Errorf("drops evidence %s: want inode %d +%d", e, smallIno, kernel[smallIno])
		}
	}
	if len(quoted) != 1 {
		t.Errorf("rcvbuf quoted %v, want the dropping socket's only:\n%s", quoted, findingsText(fs))
	}
	// The owner: this process, found through /proc/PID/fd.
	owners := NewOwnerCache("")
	if err := owners.Annotate(fs); err != nil {
		t.Fatal(err)
	}
	comm := selfComm(t)
	ownerRef := fmt.Sprintf("0.0.0.0:5002 (inode %d, pid %d %s)", smallIno, os.Getpid(), comm)
	if f.Object != ownerRef || !strings.Contains(f.Summary, ownerRef) {
		t.Errorf("annotated object %q summary %q: want %s", f.Object, f.Summary, ownerRef)
	}
	for _, e := range f.Evidence {
		if e.Inode != 0 && (e.PID != os.Getpid() || e.Comm != comm) {
			t.Errorf("evidence %s: owner pid %d comm %q, want %d %q", e, e.PID, e.Comm, os.Getpid(), comm)
		}
	}
	js, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), fmt.Sprintf(`"inode":%d,"pid":%d,"comm":%q`, smallIno, os.Getpid(), comm)) {
		t.Errorf("finding JSON lacks the socket's inode and owner: %s", js)
	}

	// Metrics: one series per socket, with the kernel's values and owner.
	drops, ok := findMetric(&rm, MetricSocketDrops)
	if !ok {
		t.Fatal("no socket drops metric")
	}
	mem, _ := findMetric(&rm, MetricSocketReceiveBuffer)
	series := 0
	for _, p := range drops.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := p.Attributes.Value(AttrLocalPort); v.AsInt64() == 5002 {
			series++
		}
	}
	if series != 2 {
		t.Errorf("%d drop series for 0.0.0.0:5002, want 2", series)
	}
	for ino, buf := range map[uint64]uint64{smallIno: smallBuf, bigIno: bigBuf} {
		id := []attribute.KeyValue{AttrLocalAddress.String("0.0.0.0"), AttrLocalPort.Int(5002), AttrSocketInode.Int64(int64(ino)),
			AttrPID.Int(os.Getpid()), AttrExecutable.String(comm)}
		if v, ok := point(t, drops, id...); !ok || uint64(v) != kernel[ino] {
			t.Errorf("inode %d: drops series %d (found %v), /proc/net/udp %d", ino, v, ok, kernel[ino])
		}
		if v, ok := point(t, mem, id...); !ok || uint64(v) != buf {
			t.Errorf("inode %d: rcvbuf series %d (found %v), want %d", ino, v, ok, buf)
		}
	}
	t.Logf("sent %d to 239.17.1.1:5002: inode %d (rcvbuf %d) dropped %d, inode %d (rcvbuf %d) dropped %d\n%s",
		sent, smallIno, smallBuf, kernel[smallIno], bigIno, bigBuf, kernel[bigIno], findingsText(fs))
}

func udpSock(local string, inode, cookie, drops, rcvbuf uint64) udptable.UDPSocket {
	return udptable.UDPSocket{Local: netip.MustParseAddrPort(local), Inode: inode, Cookie: cookie,
		Mem: udptable.SockMemInfo{Drops: drops, RcvBuf: rcvbuf, RmemAlloc: 832, Fields: 9}}
}

// TestUDPCountersKeyedByInode checks the counter identity without a
// kernel: two sockets on one address are two counters; a socket re-created
// on the address (new inode) is a new counter, not a reset; an inode reused
// by another socket (new cookie) is a reset.
func TestUDPCountersKeyedByInode(t *testing.T) {
	names := map[netip.AddrPort]string{}
	var s0, s1 Snapshot
	s0.Time = time.Unix(100, 0)
	s1.Time = time.Unix(101, 0)
	appendUDP(&s0, []udptable.UDPSocket{
		udpSock("0.0.0.0:5002", 7001, 11, 0, 8388608),
		udpSock("0.0.0.0:5002", 7002, 12, 100, 2304),
		udpSock("0.0.0.0:5003", 7003, 13, 50, 2304),
	}, names)
	appendUDP(&s1, []udptable.UDPSocket{
		udpSock("0.0.0.0:5002", 7001, 11, 0, 8388608),
		udpSock("0.0.0.0:5002", 7002, 12, 400, 2304),
		udpSock("0.0.0.0:5003", 7003, 99, 5, 2304),  // inode 7003 reused by another socket
		udpSock("0.0.0.0:5003", 7004, 14, 20, 2304), // a new socket on the address
	}, names)
	var d Delta
	ComputeDelta(&s0, &s1, &d)
	for _, ck := range []struct {
		object         string
		inode          int64
		delta          uint64
		gen            uint64
		isNew, isReset bool
	}{
		{"0.0.0.0:5002", 7001, 0, 11, false, false},
		{"0.0.0.0:5002", 7002, 300, 12, false, false},
		{"0.0.0.0:5003", 7003, 5, 99, false, true},
		{"0.0.0.0:5003", 7004, 0, 14, true, false},
	} {
		c := d.Find(SourceUDP, ck.object, ck.inode, "drops")
		if c == nil {
			t.Errorf("%s inode %d: no drops counter", ck.object, ck.inode)
			continue
		}
		if c.Delta != ck.delta || c.Gen != ck.gen || c.New != ck.isNew || c.Reset != ck.isReset {
			t.Errorf("%s inode %d: delta %d gen %d new %v reset %v, want %d %d %v %v",
				ck.object, ck.inode, c.Delta, c.Gen, c.New, c.Reset, ck.delta, ck.gen, ck.isNew, ck.isReset)
		}
	}
	fs := Diagnose(&d)
	if len(fs) != 1 || fs[0].Stage != StageSocket {
		t.Fatalf("want one socket finding:\n%s", findingsText(fs))
	}
	f := fs[0]
	// Most drops first; each socket quotes its own buffer.
	wantObj := "0.0.0.0:5002 (inode 7002), 0.0.0.0:5003 (inode 7003)"
	if f.Object != wantObj || f.Drops != 305 {
		t.Errorf("object %q drops %d, want %q 305", f.Object, f.Drops, wantObj)
	}
	if !strings.Contains(f.Summary, "at 0.0.0.0:5002 (inode 7002) +300 with rcvbuf 2304, 0.0.0.0:5003 (inode 7003) +5 with rcvbuf 2304") {
		t.Errorf("summary %q", f.Summary)
	}
	for _, e := range f.Evidence {
		if e.Name == "rcvbuf" && e.Value != 2304 {
			t.Errorf("evidence %s quotes another socket's buffer", e)
		}
		if e.Source == SourceUDP && e.Inode != uint64(e.Index) {
			t.Errorf("evidence %s: inode %d, index %d", e, e.Inode, e.Index)
		}
	}
	if got := f.Evidence[0].String(); got != "udp drops [0.0.0.0:5002 inode 7002] +300 (300.0/s)" {
		t.Errorf("evidence text %q", got)
	}
}

// TestOwnerCacheAnnotate resolves owners from a made-up /proc tree: the
// lowest PID of a shared socket, its comm, no second scan for a known
// inode, and nothing for a socket no process holds.
func TestOwnerCacheAnnotate(t *testing.T) {
	root := t.TempDir()
	proc := func(pid int, comm string, inodes ...uint64) {
		dir := filepath.Join(root, strconv.Itoa(pid))
		if err := os.MkdirAll(filepath.Join(dir, "fd"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "comm"), []byte(comm+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for i, ino := range inodes {
			if err := os.Symlink(fmt.Sprintf("socket:[%d]", ino), filepath.Join(dir, "fd", strconv.Itoa(3+i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	proc(812, "feed-a", 7002)
	proc(90, "feed-b", 7002, 7003) // 7002 shared: pid 90 is the lowest
	fs := []Finding{{Stage: StageSocket, Object: "0.0.0.0:5002 (inode 7002), 0.0.0.0:5003 (inode 7003), 0.0.0.0:5004 (inode 7004)",
		Summary: "x; at 0.0.0.0:5002 (inode 7002) +300",
		Evidence: []Evidence{{Source: SourceUDP, Object: "0.0.0.0:5002", Index: 7002, Inode: 7002, Name: "drops", Delta: 300},
			{Source: SourceUDP, Object: "0.0.0.0:5003", Index: 7003, Inode: 7003, Name: "drops", Delta: 5},
			{Source: SourceUDP, Object: "0.0.0.0:5004", Index: 7004, Inode: 7004, Name: "drops", Delta: 1}}}}
	oc := NewOwnerCache(root)
	if err := oc.Annotate(fs); err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	if f.Object != "0.0.0.0:5002 (inode 7002, pid 90 feed-b), 0.0.0.0:5003 (inode 7003, pid 90 feed-b), 0.0.0.0:5004 (inode 7004)" ||
		f.Summary != "x; at 0.0.0.0:5002 (inode 7002, pid 90 feed-b) +300" {
		t.Errorf("object %q summary %q", f.Object, f.Summary)
	}
	if e := f.Evidence[0]; e.PID != 90 || e.Comm != "feed-b" || e.String() != "udp drops [0.0.0.0:5002 inode 7002, pid 90 feed-b] +300 (0.0/s)" {
		t.Errorf("evidence %+v: %s", e, e)
	}
	if e := f.Evidence[2]; e.PID != 0 || e.Comm != "" {
		t.Errorf("inode 7004 has no owner, got %+v", e)
	}
	// Known inodes, found or not, are not looked up again: a scan of a
	// root that no longer exists would fail.
	oc.procRoot = filepath.Join(root, "gone")
	if err := oc.Resolve([]uint64{7002, 7003, 7004}); err != nil {
		t.Errorf("known inodes scanned again: %v", err)
	}
	if err := oc.Resolve([]uint64{7005}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new inode with a missing root: %v, want os.ErrNotExist", err)
	}
	oc.Retain(func(ino uint64) bool { return ino == 7002 })
	if _, ok := oc.Owner(7003); ok || len(oc.known) != 1 {
		t.Errorf("Retain kept %v", oc.known)
	}
}
