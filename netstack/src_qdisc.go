package netstack

import (
	"context"
	"errors"
	"os"

	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/qdisc"
)

// qdiscSource dumps every qdisc (one RTM_GETQDISC dump) and every class
// (one RTM_GETTCLASS dump per device) over rtnetlink, as `tc -s` shows them.
type qdiscSource struct {
	c    *Collector
	conn *qdisc.Conn
}

func openQdiscSource(c *Collector) source {
	conn, err := qdisc.Open(qdisc.Config{})
	if err != nil {
		return failedSource{SourceQdisc, err}
	}
	return &qdiscSource{c: c, conn: conn}
}

func (s *qdiscSource) kind() Source { return SourceQdisc }

// collect dumps the qdiscs, then the classes of every wanted device with a
// classful qdisc. The device names come from this collection's link dump
// when the collector made one (SourceLinks, SourceEthtool or SourceDevices),
// so that a renamed device, or a new device that took an old one's ifindex,
// has the same name in every part of the snapshot; otherwise from the qdisc
// connection's own table, which follows the kernel's link notifications.
// A qdisc message that cannot be decoded is reported and the others kept;
// a failed dump fails the source.
func (s *qdiscSource) collect(ctx context.Context, snap *Snapshot) error {
	d := &snap.Sources
	qs, err := s.conn.Qdiscs(ctx, d.Qdiscs[:0])
	d.Qdiscs = qs
	if err != nil {
		if !errors.Is(err, qdisc.ErrMalformed) {
			return err
		}
		snap.addErr(SourceQdisc, "", err)
	}
	if len(d.Links) > 0 {
		namesFromLinks(qs, d.Links)
	} else if s.c.cfg.Devices != nil && s.c.perDevice&(SourceLinks|SourceEthtool|SourceDevices) == 0 {
		for i, name := range s.c.cfg.Devices {
			if _, ok := s.conn.DeviceIndex(ctx, name); !ok {
				snap.Errors = append(snap.Errors, SourceError{Source: s.c.perDevice, Object: name, Err: s.c.missingDevs[i]})
			}
		}
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

// namesFromLinks names each qdisc's device as the link dump does. Both
// dumps walk the devices in about the same order, so the search for the
// next device starts where the last one was found. A qdisc whose ifindex
// the link dump does not have (a device added between the two dumps)
// keeps the name the qdisc connection gave it.
func namesFromLinks(qs []qdisc.Qdisc, links []nic.Link) {
	j := 0
	for i := range qs {
		q := &qs[i]
		if i > 0 && q.Ifindex == qs[i-1].Ifindex {
			q.Device = qs[i-1].Device
			continue
		}
		for k := range links {
			m := j + k
			if m >= len(links) {
				m -= len(links)
			}
			if int(links[m].Index) == q.Ifindex {
				q.Device = links[m].Name
				j = m
				break
			}
		}
	}
}

func (s *qdiscSource) close() error { return s.conn.Close() }

// appendQdiscs flattens qdisc and class statistics. Index is the handle
// (for a qdisc without one below a parent, such as the default children of
// mq, which all have handle 0, the parent handle in the high 32 bits so
// that they stay apart); Label the kind, "KIND class" for classes. Gen is
// the ifindex in the high 32 bits and a hash of the parent handle and kind
// in the low 32: a qdisc re-created as another kind, or under another
// parent, is a new object. One deleted and added again with the same
// handle, parent and kind has the same Gen; ComputeDelta sees it by its
// packets and bytes falling back together.
func appendQdiscs(snap *Snapshot, qs []qdisc.Qdisc, cls []qdisc.Class, want func(string) bool) {
	add := func(q *qdisc.Qdisc, label string) {
		if !want(q.Device) || q.Stats.Present == 0 {
			return
		}
		st := &q.Stats
		gen := uint64(uint32(q.Ifindex))<<32 | uint64(qdiscIdentity(q.Parent, q.Kind))
		idx := int64(uint32(q.Handle))
		if q.Handle == 0 && !q.IsRoot() {
			idx = int64(uint64(uint32(q.Parent)) << 32)
		}
		c := func(name string, v uint64, bits uint8, gauge bool) {
			snap.next().set(SourceQdisc, StageQdisc, bits, gauge, idx, v, gen, q.Device, name, label)
		}
		pktBits := uint8(32)
		if st.Has(qdisc.HasPkt64) {
			pktBits = 64
		}
		c(QdiscBytes, st.Bytes, 64, false)
		c(QdiscPackets, st.Packets, pktBits, false)
		c(QdiscDrops, st.Drops, 32, false)
		c(QdiscOverlimits, st.Overlimits, 32, false)
		if !st.Has(qdisc.HasLegacy) {
			c(QdiscRequeues, st.Requeues, 32, false)
		}
		c(QdiscQlen, st.Qlen, 32, true)
		c(QdiscBacklog, st.Backlog, 32, true)
	}
	for i := range qs {
		add(&qs[i], qs[i].Kind)
	}
	for i := range cls {
		q := (*qdisc.Qdisc)(&cls[i])
		add(q, classLabel(q.Kind))
	}
}

// qdiscIdentity hashes a qdisc's parent handle and kind (32-bit FNV-1a),
// the part of its identity besides the device and the handle.
func qdiscIdentity(parent qdisc.Handle, kind string) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	p := uint32(parent)
	for range 4 {
		h = (h ^ (p & 0xff)) * prime
		p >>= 8
	}
	for i := 0; i < len(kind); i++ {
		h = (h ^ uint32(kind[i])) * prime
	}
	return h
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
