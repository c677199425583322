package netstack

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// tcQdisc is one entry of `tc -s -j qdisc show`.
type tcQdisc struct {
	Kind       string `json:"kind"`
	Handle     string `json:"handle"`
	Bytes      uint64 `json:"bytes"`
	Packets    uint64 `json:"packets"`
	Drops      uint64 `json:"drops"`
	Overlimits uint64 `json:"overlimits"`
	Requeues   uint64 `json:"requeues"`
}

// tcRoot returns the root qdisc of dev as tc reports it.
func tcRoot(t *testing.T, ns *netnstest.NS, dev string) tcQdisc {
	t.Helper()
	var qs []tcQdisc
	if err := json.Unmarshal([]byte(ns.Run("tc", "-s", "-j", "qdisc", "show", "dev", dev, "root")), &qs); err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 {
		t.Fatalf("tc shows %d root qdiscs on %s", len(qs), dev)
	}
	return qs[0]
}

// sysfsStat reads /sys/class/net/DEV/statistics/NAME inside the namespace.
func sysfsStat(t *testing.T, ns *netnstest.NS, dev, name string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(ns.Run("cat", "/sys/class/net/"+dev+"/statistics/"+name)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestChurnNoFinding re-creates a dropping qdisc (tc qdisc del and add
// with the same handle, parent and kind: its counters restart), deletes and re-creates a
// veth under the same name, and closes and re-opens a dropping socket on the
// same port, all between two snapshots (issue 20 item 2). Nothing was lost
// between the snapshots: Diagnose must find nothing, and no counter may
// move by more than the kernel counted. Before the fix the qdisc's drops,
// going from thousands back to 0, read as a 32-bit wrap of about 4.29
// billion drops. A second re-creation as another kind (pfifo) is a new
// object by its Gen.
func TestChurnNoFinding(t *testing.T) {
	netnstest.RequireTool(t, "tc")
	a := netnstest.New(t,
		netnstest.WithVeth("cq0", "cq1", "10.81.0.1/24", ""),
		netnstest.WithVeth("cl0", "cl1", "10.82.0.1/24", ""))
	b := netnstest.New(t)
	for _, dev := range []string{"cq1", "cl1"} {
		a.Run("ip", "link", "set", dev, "netns", b.Name)
	}
	b.Run("ip", "addr", "add", "10.81.0.2/24", "dev", "cq1")
	b.Run("ip", "addr", "add", "10.82.0.2/24", "dev", "cl1")
	b.Run("ip", "link", "set", "cq1", "up")
	b.Run("ip", "link", "set", "cl1", "up")
	const tbf = "rate 1mbit burst 1600 limit 3000"
	a.Run("tc", append([]string{"qdisc", "add", "dev", "cq0", "root", "handle", "1:", "tbf"}, strings.Fields(tbf)...)...)
	const port = 5511
	var tx, rx int
	if err := a.Do(func() error {
		tx = udpSocket(t, [4]byte{}, 0, 0)
		rx = udpSocket(t, [4]byte{127, 0, 0, 1}, port, 4096)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Traffic before the first snapshot: the tbf drops, the veth counts,
	// the socket's buffer overflows.
	sendN(t, tx, [4]byte{10, 81, 0, 2}, 9, 1)
	sendN(t, tx, [4]byte{10, 82, 0, 2}, 9, 1)
	time.Sleep(100 * time.Millisecond)
	sendN(t, tx, [4]byte{10, 81, 0, 2}, 9, 2000)
	sendN(t, tx, [4]byte{10, 82, 0, 2}, 9, 300)
	sendN(t, tx, [4]byte{127, 0, 0, 1}, port, 2000)
	time.Sleep(300 * time.Millisecond) // the tbf drains its 3000 bytes
	old := tcRoot(t, a, "cq0")
	if old.Drops == 0 {
		t.Fatalf("the tbf dropped nothing: %+v", old)
	}

	c, err := NewCollector(Config{NetNS: a.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s0, s1, s2 Snapshot
	if err := c.Collect(ctx, &s0); err != nil {
		t.Fatal(err)
	}
	if q := findCounter(&s0, SourceQdisc, "cq0", 0x10000, "drops"); q == nil || q.Value != old.Drops {
		t.Fatalf("tbf drops %+v, tc says %d", q, old.Drops)
	}
	var sockDrops uint64
	for _, k := range s0.Counters {
		if k.Source == SourceUDP && k.Name == "drops" && strings.HasSuffix(k.Object, ":5511") {
			sockDrops += k.Value
		}
	}
	if sockDrops == 0 {
		t.Fatalf("the socket dropped nothing")
	}
	oldTx := findCounter(&s0, SourceLinks, "cl0", -1, "tx_packets")
	if oldTx == nil || oldTx.Value < 300 {
		t.Fatalf("cl0 tx_packets %+v", oldTx)
	}

	// The churn. `tc qdisc replace` with the same handle and kind changes
	// the qdisc in place and keeps its counters (qdisc_change); deleting
	// it and adding it again makes a new one with the same identity.
	a.Run("tc", "qdisc", "del", "dev", "cq0", "root")
	a.Run("tc", append([]string{"qdisc", "add", "dev", "cq0", "root", "handle", "1:", "tbf"}, strings.Fields(tbf)...)...)
	sendN(t, tx, [4]byte{10, 81, 0, 2}, 9, 5) // the new tbf passes a few
	a.Run("ip", "link", "del", "cl0")
	a.Run("ip", "link", "add", "cl0", "type", "veth", "peer", "name", "cl1")
	a.Run("ip", "link", "set", "cl0", "up")
	a.Run("ip", "link", "set", "cl1", "up")
	unix.Close(rx)
	if err := a.Do(func() error {
		udpSocket(t, [4]byte{127, 0, 0, 1}, port, 4096)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := c.Collect(ctx, &s1); err != nil {
		t.Fatal(err)
	}
	var d Delta
	ComputeDelta(&s0, &s1, &d)
	if fs := Diagnose(&d); len(fs) != 0 {
		t.Errorf("findings after the churn:\n%s", findingsText(fs))
	}
	now := tcRoot(t, a, "cq0")
	checkQdiscDelta(t, &d, "cq0", now, true)
	for _, name := range []string{"tx_packets", "tx_bytes", "rx_packets", "tx_dropped"} {
		l := d.Find(SourceLinks, "cl0", -1, name)
		if l == nil {
			t.Fatalf("cl0 %s missing", name)
		}
		kernel := sysfsStat(t, a, "cl0", name)
		if !l.Reset || l.Delta > kernel || l.Value > kernel {
			t.Errorf("re-created cl0 %s: delta %d (reset %v), value %d; the kernel counted %d", name, l.Delta, l.Reset, l.Value, kernel)
		}
	}
	checkNoExcess(t, &d)
	t.Logf("tbf drops %d before the replace, %d after (delta %d); cl0 tx_packets %d -> %d; socket drops %d before the churn",
		old.Drops, now.Drops, d.Find(SourceQdisc, "cq0", 0x10000, "drops").Delta, oldTx.Value,
		d.Find(SourceLinks, "cl0", -1, "tx_packets").Value, sockDrops)

	// Another kind under the same handle: a new Gen.
	a.Run("tc", "qdisc", "del", "dev", "cq0", "root")
	a.Run("tc", "qdisc", "add", "dev", "cq0", "root", "handle", "1:", "pfifo", "limit", "100")
	if err := c.Collect(ctx, &s2); err != nil {
		t.Fatal(err)
	}
	ComputeDelta(&s1, &s2, &d)
	if fs := Diagnose(&d); len(fs) != 0 {
		t.Errorf("findings after replacing tbf by pfifo:\n%s", findingsText(fs))
	}
	checkQdiscDelta(t, &d, "cq0", tcRoot(t, a, "cq0"), true)
	q0, q1 := findCounter(&s1, SourceQdisc, "cq0", 0x10000, "drops"), findCounter(&s2, SourceQdisc, "cq0", 0x10000, "drops")
	if q0 == nil || q1 == nil || q0.Gen == q1.Gen || q0.Gen>>32 != q1.Gen>>32 {
		t.Errorf("tbf -> pfifo: Gen %#x -> %#x, want the same ifindex and another identity", q0.Gen, q1.Gen)
	}
	checkNoExcess(t, &d)
}

// findCounter returns the named counter of s, or nil.
func findCounter(s *Snapshot, src Source, object string, index int64, name string) *Counter {
	for i := range s.Counters {
		c := &s.Counters[i]
		if c.Source == src && c.Object == object && c.Index == index && c.Name == name {
			return c
		}
	}
	return nil
}

// checkQdiscDelta compares the root qdisc's counters and deltas with tc's:
// after a re-creation each delta is what the new qdisc counted.
func checkQdiscDelta(t *testing.T, d *Delta, dev string, tc tcQdisc, reset bool) {
	t.Helper()
	for name, kernel := range map[string]uint64{"bytes": tc.Bytes, "packets": tc.Packets, "drops": tc.Drops,
		"overlimits": tc.Overlimits, "requeues": tc.Requeues} {
		q := d.Find(SourceQdisc, dev, 0x10000, name)
		if q == nil {
			t.Errorf("%s root qdisc %s missing", dev, name)
			continue
		}
		if q.Value != kernel || q.Delta > kernel || q.Reset != reset || q.Wrapped {
			t.Errorf("%s %s %s: value %d delta %d reset %v wrapped %v; tc says %d", dev, tc.Kind, name, q.Value, q.Delta, q.Reset, q.Wrapped, kernel)
		}
	}
}

// checkNoExcess fails for any counter delta larger than the value the
// kernel reports now, unless the counter wrapped.
func checkNoExcess(t *testing.T, d *Delta) {
	t.Helper()
	for i := range d.Counters {
		c := &d.Counters[i]
		if !c.Wrapped && c.Delta > c.Value {
			t.Errorf("%s %s %s: delta %d exceeds the value %d", c.Source, c.Object, c.Name, c.Delta, c.Value)
		}
		if c.Delta >= 1<<31 {
			t.Errorf("%s %s %s: delta %d", c.Source, c.Object, c.Name, c.Delta)
		}
	}
}
