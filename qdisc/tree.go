package qdisc

// Node is one qdisc in a device's tree, with its classes and child qdiscs.
type Node struct {
	Qdisc *Qdisc
	// Classes are the qdisc's classes (those whose Handle major equals the
	// qdisc's), when classes were given to BuildTree.
	Classes []*Class
	// Children are the qdiscs whose parent is one of this qdisc's classes
	// (an mq's per-tx-queue qdiscs, an htb leaf, tbf's inner qdisc), in
	// dump order.
	Children []*Node
}

// Tree is the qdisc hierarchy of one device.
type Tree struct {
	Ifindex int
	Device  string
	// Root is the root egress qdisc (Parent == HandleRoot), nil if none.
	Root *Node
	// Ingress is the ingress or clsact qdisc, nil if none.
	Ingress *Node
	// Orphans are qdiscs whose parent was not found (a dump raced with a
	// change).
	Orphans []*Node
}

// BuildTree links the qdiscs (and optionally classes) of one device,
// identified by ifindex. A child's tcm_parent is major:minor of a class of
// its parent qdisc, so the parent is the qdisc whose handle has that major
// (net/sched/sch_api.c qdisc_lookup). The slices must stay unchanged while
// the Tree is used: nodes point into them.
func BuildTree(ifindex int, qdiscs []Qdisc, classes []Class) *Tree {
	t := &Tree{Ifindex: ifindex}
	byMajor := map[uint16]*Node{}
	var nodes []*Node
	for i := range qdiscs {
		q := &qdiscs[i]
		if q.Ifindex != ifindex {
			continue
		}
		t.Device = q.Device
		n := &Node{Qdisc: q}
		nodes = append(nodes, n)
		if q.Handle != 0 {
			byMajor[q.Handle.Major()] = n
		}
	}
	for i := range classes {
		c := &classes[i]
		if c.Ifindex != ifindex {
			continue
		}
		if n := byMajor[c.Handle.Major()]; n != nil {
			n.Classes = append(n.Classes, c)
		}
	}
	for _, n := range nodes {
		switch p := n.Qdisc.Parent; {
		case p == HandleRoot:
			t.Root = n
		case p == HandleIngress:
			t.Ingress = n
		default:
			if parent := byMajor[p.Major()]; parent != nil && parent != n {
				parent.Children = append(parent.Children, n)
			} else {
				t.Orphans = append(t.Orphans, n)
			}
		}
	}
	return t
}

// Totals adds up the egress statistics of every device in qdiscs counting
// each packet once, keyed by ifindex.
//
// The rule: only root egress qdiscs (Parent == HandleRoot) are summed. A
// classful root already accounts for everything below it: htb, tbf, prio
// and friends count a packet in their own bstats/qstats when it passes
// through them (drops of a child are added to the parent by
// qdisc_tree_reduce_backlog and the enqueue error path), and mq/mqprio
// compute their counters at dump time as the sum of their per-queue
// children (net/sched/sch_mq.c mq_dump). Adding children to the root would
// count them twice, the mistake node_exporter makes. Ingress qdiscs are
// left out (they are not part of the TX path). Gauges (Qlen, Backlog) are
// summed likewise.
func Totals(qdiscs []Qdisc, dst map[int]Stats) map[int]Stats {
	if dst == nil {
		dst = make(map[int]Stats)
	}
	clear(dst)
	for i := range qdiscs {
		q := &qdiscs[i]
		if q.Parent != HandleRoot {
			continue
		}
		s := dst[q.Ifindex]
		s.add(&q.Stats)
		dst[q.Ifindex] = s
	}
	return dst
}

func (s *Stats) add(o *Stats) {
	s.Bytes += o.Bytes
	s.Packets += o.Packets
	s.Drops += o.Drops
	s.Overlimits += o.Overlimits
	s.Requeues += o.Requeues
	s.Qlen += o.Qlen
	s.Backlog += o.Backlog
	s.RateBytes += o.RateBytes
	s.RatePackets += o.RatePackets
	s.HWBytes += o.HWBytes
	s.HWPackets += o.HWPackets
	s.Present |= o.Present
}

// Classless reports whether qdiscs of this kind never have classes, so a
// class dump of a device whose qdiscs are all classless returns nothing:
// the fifos, pfifo_fast, noqueue/noop, ingress/clsact (whose class
// operations only attach filters), codel and pie. Unknown kinds count as
// classful.
func Classless(kind string) bool {
	switch kind {
	case "pfifo_fast", "pfifo", "bfifo", "pfifo_head_drop", "noqueue", "noop",
		"ingress", "clsact", "codel", "pie":
		return true
	}
	return false
}
