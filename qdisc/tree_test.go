package qdisc_test

import (
	"testing"

	"github.com/packetpath/packetpath/qdisc"
)

func TestHandleString(t *testing.T) {
	for h, want := range map[qdisc.Handle]string{
		qdisc.HandleRoot:            "root",
		qdisc.HandleIngress:         "ingress",
		0:                           "none",
		qdisc.NewHandle(1, 0):       "1:",
		qdisc.NewHandle(1, 0x10):    "1:10",
		qdisc.NewHandle(0x8001, 0):  "8001:",
		qdisc.NewHandle(0, 3):       ":3",
		qdisc.NewHandle(0xffff, 42): "ffff:2a",
	} {
		if got := h.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(h), got, want)
		}
	}
	if h := qdisc.NewHandle(0x12, 0x34); h.Major() != 0x12 || h.Minor() != 0x34 {
		t.Errorf("%#x", uint32(h))
	}
}

// The real htb device of the drop scenario: root htb 1:, classes 1:1,
// 1:10, 1:20, and the pfifo 10: under class 1:10.
func TestBuildTreeFixture(t *testing.T) {
	qs, err := qdisc.DecodeQdiscs(readFixture(t, "qdisc.nl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := qdisc.DecodeClasses(readFixture(t, "class-hb0.nl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tree := qdisc.BuildTree(7, qs, cs)
	if tree.Root == nil || tree.Root.Qdisc.Kind != "htb" || len(tree.Root.Classes) != 3 || len(tree.Root.Children) != 1 {
		t.Fatalf("tree %+v", tree)
	}
	if tree.Ingress == nil || tree.Ingress.Qdisc.Kind != "ingress" || tree.Ingress.Qdisc.Handle.String() != "ffff:" {
		t.Errorf("ingress %+v", tree.Ingress)
	}
	leaf := tree.Root.Children[0].Qdisc
	if leaf.Kind != "pfifo" || leaf.Parent.String() != "1:10" {
		t.Errorf("leaf %+v", leaf)
	}
	// The htb root already counts its leaf's drops: totals equal the root.
	tot := qdisc.Totals(qs, nil)[7]
	if tot.Drops != tree.Root.Qdisc.Stats.Drops || tot.Drops != leaf.Stats.Drops || tot.Packets != tree.Root.Qdisc.Stats.Packets {
		t.Errorf("totals %+v root %+v", tot, tree.Root.Qdisc.Stats)
	}
	// mq0 (ifindex 13): the root's counters are the sum of its children.
	mq := qdisc.BuildTree(13, qs, nil)
	var sum qdisc.Stats
	for _, n := range mq.Root.Children {
		sum.Packets += n.Qdisc.Stats.Packets
		sum.Drops += n.Qdisc.Stats.Drops
		sum.Backlog += n.Qdisc.Stats.Backlog
	}
	r := mq.Root.Qdisc.Stats
	if len(mq.Root.Children) != 4 || sum.Packets != r.Packets || sum.Drops != r.Drops || sum.Backlog != r.Backlog {
		t.Errorf("mq root %+v, children sum %+v (%d children)", r, sum, len(mq.Root.Children))
	}
	if got := qdisc.Totals(qs, nil)[13]; got.Packets != r.Packets {
		t.Errorf("mq totals %d, root %d", got.Packets, r.Packets)
	}
}

func TestClassless(t *testing.T) {
	for _, k := range []string{"pfifo_fast", "pfifo", "bfifo", "noqueue", "ingress", "clsact"} {
		if !qdisc.Classless(k) {
			t.Errorf("%s should be classless", k)
		}
	}
	for _, k := range []string{"htb", "tbf", "mq", "fq_codel", "cake", "sfq", "hfsc", "something_new"} {
		if qdisc.Classless(k) {
			t.Errorf("%s should count as classful", k)
		}
	}
}
