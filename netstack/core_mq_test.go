package netstack

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestMQChildRecreated: an mq root reports the sum of its children's
// counters, taken at each dump (net/sched/sch_mq.c mq_dump). Replacing one
// child that carried traffic by a new qdisc makes the root's bytes and
// packets fall back while the other children keep theirs. The root's delta
// must then be 0, not the other children's counts since they were made, and
// the children's deltas must be what tc counts for them.
func TestMQChildRecreated(t *testing.T) {
	netnstest.RequireTool(t, "tc")
	a := netnstest.New(t)
	b := netnstest.New(t)
	a.Run("ip", "link", "add", "mq0", "numtxqueues", "4", "numrxqueues", "4", "type", "veth",
		"peer", "name", "mq1", "numtxqueues", "4", "numrxqueues", "4")
	a.Run("ip", "link", "set", "mq1", "netns", b.Name)
	a.Run("ip", "addr", "add", "10.83.0.1/24", "dev", "mq0")
	a.Run("ip", "link", "set", "mq0", "up")
	b.Run("ip", "addr", "add", "10.83.0.2/24", "dev", "mq1")
	b.Run("ip", "link", "set", "mq1", "up")
	a.Run("tc", "qdisc", "add", "dev", "mq0", "root", "handle", "1:", "mq")
	// One socket per flow: the flows spread over the four queues.
	if err := a.Do(func() error {
		for p := range 32 {
			fd := udpSocket(t, [4]byte{}, 0, 0)
			sendN(t, fd, [4]byte{10, 83, 0, 2}, 9000+p, 20)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	c, err := NewCollector(Config{NetNS: a.Path, Sources: SourceQdisc | SourceLinks})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s0, s1 Snapshot
	if err := c.Collect(ctx, &s0); err != nil {
		t.Fatal(err)
	}
	// The busiest child (handle 0 below 1:N) and how many carried traffic.
	busy, carried := int64(-1), 0
	var most uint64
	for _, k := range s0.Counters {
		if k.Source == SourceQdisc && k.Object == "mq0" && k.Name == "packets" && k.Label != "mq" && k.Index>>32 != 0 {
			if k.Value > 0 {
				carried++
			}
			if k.Value > most {
				busy, most = k.Index, k.Value
			}
		}
	}
	if carried < 2 {
		t.Skipf("traffic reached %d of the 4 queues; need two", carried)
	}
	root := findCounter(&s0, SourceQdisc, "mq0", 0x10000, "packets")
	if root == nil || root.Label != "mq" {
		t.Fatalf("no mq root: %+v", root)
	}
	parent := uint32(uint64(busy) >> 32)
	a.Run("tc", "qdisc", "replace", "dev", "mq0", "parent", mqHandle(parent), "handle", "77:", "pfifo", "limit", "100")
	if err := c.Collect(ctx, &s1); err != nil {
		t.Fatal(err)
	}
	var d Delta
	ComputeDelta(&s0, &s1, &d)
	if fs := Diagnose(&d); len(fs) != 0 {
		t.Errorf("findings:\n%s", findingsText(fs))
	}
	for _, name := range []string{"bytes", "packets", "drops", "overlimits", "requeues"} {
		r := d.Find(SourceQdisc, "mq0", 0x10000, name)
		if r == nil {
			t.Fatalf("mq %s missing", name)
		}
		if r.Delta != 0 {
			t.Errorf("mq root %s: %d -> %d, delta %d reset %v; want 0", name, r.Prev, r.Value, r.Delta, r.Reset)
		}
	}
	rp := d.Find(SourceQdisc, "mq0", 0x10000, "packets")
	if rp.Value >= rp.Prev || rp.Value != rp.Prev-most {
		t.Errorf("mq packets %d -> %d: want the sum without the replaced child's %d", rp.Prev, rp.Value, most)
	}
	for _, k := range d.Counters {
		if k.Source == SourceQdisc && k.Object == "mq0" && k.Label != "mq" && !k.Gauge && k.Delta != 0 {
			t.Errorf("child %s %s %s: delta %d", mqHandle(uint32(uint64(k.Index)>>32)), k.Label, k.Name, k.Delta)
		}
	}
	t.Logf("mq packets %d -> %d after replacing the child below %s (%d packets); %d children carried traffic",
		rp.Prev, rp.Value, mqHandle(parent), most, carried)
}

// mqHandle formats a handle as tc takes it ("1:4").
func mqHandle(h uint32) string { return fmt.Sprintf("%x:%x", h>>16, h&0xffff) }
