package netstack

import (
	"context"
	"errors"
	"os"

	"github.com/packetpath/packetpath/qdisc"
)

// qdiscSource dumps every qdisc (one RTM_GETQDISC dump) and every class
// (one RTM_GETTCLASS dump per device) over rtnetlink, as `tc -s` shows them.
type qdiscSource struct {
	c    *Collector
	conn *qdisc.Conn
}

func openQdiscSource(c *Collector) source {
	conn, err := qdisc.Open(&qdisc.Config{})
	if err != nil {
		return failedSource{SourceQdisc, err}
	}
	return &qdiscSource{c: c, conn: conn}
}

func (s *qdiscSource) kind() Source { return SourceQdisc }

func (s *qdiscSource) collect(ctx context.Context, snap *Snapshot) error {
	d := &snap.Sources
	qs, err := s.conn.Qdiscs(ctx, d.Qdiscs[:0])
	d.Qdiscs = qs
	if err != nil {
		return err
	}
	// Classes need one dump per device; only devices with a classful qdisc
	// can have any (qdisc.Classless). Qdiscs of a device arrive together.
	d.Classes = d.Classes[:0]
	for i := 0; i < len(qs); {
		idx, dev := qs[i].Ifindex, qs[i].Device
		classful := false
		for ; i < len(qs) && qs[i].Ifindex == idx; i++ {
			classful = classful || !qdisc.Classless(qs[i].Kind)
		}
		if !classful || !s.c.device(dev) {
			continue
		}
		n := len(d.Classes)
		got, err := s.conn.Classes(ctx, idx, d.Classes[n:n])
		if errors.Is(err, os.ErrNotExist) {
			continue // the device vanished between the dumps
		}
		if err != nil {
			snap.addErr(SourceQdisc, dev, err)
		}
		d.Classes = append(d.Classes[:n], got...)
		for j := n; j < len(d.Classes); j++ {
			d.Classes[j].Device = dev
		}
	}
	appendQdiscs(snap, d.Qdiscs, d.Classes, s.c.device)
	return nil
}

func (s *qdiscSource) close() error { return s.conn.Close() }

// appendQdiscs flattens qdisc and class statistics. Index is the handle,
// Label the kind; classes carry Label "KIND class". Gen is the ifindex.
func appendQdiscs(snap *Snapshot, qs []qdisc.Qdisc, cls []qdisc.Class, want func(string) bool) {
	add := func(q *qdisc.Qdisc, label string) {
		if !want(q.Device) || q.Stats.Present == 0 {
			return
		}
		st := &q.Stats
		gen := uint64(uint32(q.Ifindex))
		idx := int64(uint32(q.Handle))
		c := func(name string, v uint64, bits uint8, gauge bool) {
			snap.next().set(SourceQdisc, StageQdisc, bits, gauge, idx, v, gen, q.Device, name, label)
		}
		pktBits := uint8(32)
		if st.Has(qdisc.HasPkt64) {
			pktBits = 64
		}
		c("bytes", st.Bytes, 64, false)
		c("packets", st.Packets, pktBits, false)
		c("drops", st.Drops, 32, false)
		c("overlimits", st.Overlimits, 32, false)
		if !st.Has(qdisc.HasLegacy) {
			c("requeues", st.Requeues, 32, false)
		}
		c("qlen", st.Qlen, 32, true)
		c("backlog", st.Backlog, 32, true)
	}
	for i := range qs {
		add(&qs[i], qs[i].Kind)
	}
	for i := range cls {
		q := (*qdisc.Qdisc)(&cls[i])
		add(q, classLabel(q.Kind))
	}
}

// classLabel interns the common class labels to avoid an allocation per
// class and collection.
func classLabel(kind string) string {
	switch kind {
	case "htb":
		return "htb class"
	case "mq":
		return "mq class"
	case "tbf":
		return "tbf class"
	case "pfifo_fast":
		return "pfifo_fast class"
	case "fq_codel":
		return "fq_codel class"
	case "prio":
		return "prio class"
	case "hfsc":
		return "hfsc class"
	case "drr":
		return "drr class"
	case "mqprio":
		return "mqprio class"
	}
	return kind + " class"
}
