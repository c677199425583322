package netstack

import "time"

// Counter is one kernel counter of a snapshot in flat form: where it comes
// from, which object it belongs to, and its value. Snapshot.Counters holds
// every counter the snapshot collected; deltas, the diagnosis and the
// OpenTelemetry instruments all work on this form.
type Counter struct {
	// Source is the source that produced the counter.
	Source Source
	// Stage is the stage of the path the counter describes.
	Stage Stage
	// Bits is the width of the kernel's counter: 32 for softnet_stat,
	// qdisc queue stats and socket drops, 64 for most others. A 32-bit
	// counter that went backwards is read as a wrap past 2^32 only when the
	// wrap is plausible (see ComputeDelta); otherwise, and for any 64-bit
	// counter that went backwards, the delta is a reset.
	Bits uint8
	// Gauge marks values that are levels, not counters (queue lengths,
	// backlog bytes, ring sizes): deltas report them as they are.
	Gauge bool
	// Index further identifies the object: the CPU of a softnet or softirq
	// counter; for a UDP socket-table counter (SourceUDP) the socket's
	// inode (idiag_inode: /proc/net/udp's inode column, the N of
	// "socket:[N]" in /proc/PID/fd), so that sockets sharing an address
	// stay apart; the qdisc or class handle (for a qdisc without a handle
	// below a parent, such as the default children of mq, the parent
	// handle in the high 32 bits); the queue number; for a driver
	// statistic (ethtool -S) its position in the driver's string table,
	// since drivers repeat names across queues; -1 when unused.
	Index int64
	// Value is the counter as read. Kernel counters narrower than 64 bits
	// are zero-extended; Bits says how wide the kernel keeps it.
	Value uint64
	// Gen identifies the incarnation of the object: an ifindex; for a UDP
	// socket-table counter the socket's sock_diag cookie (idiag_cookie,
	// never reused while the system runs; 0 when unknown, as from
	// /proc/net/udp); for a qdisc or class the ifindex in the high 32 bits
	// and a hash of its parent handle and kind in the low 32; 0 when the
	// source has none. A different Gen between two snapshots means the
	// object was re-created and its counters restarted; Gen 0 on either
	// side means the identity is unknown (the same device read from
	// /proc/net/dev instead of rtnetlink, the same socket from
	// /proc/net/udp instead of sock_diag), and only the values decide
	// (see ComputeDelta).
	Gen uint64
	// Object names what the counter belongs to: a device ("eth0"), a
	// socket ("0.0.0.0:5000"), a qdisc's device, or "" for host-wide
	// counters (snmp, netstat).
	Object string
	// Name is the kernel's name for the counter (the /proc header, the
	// ethtool string, the struct field as tc or ip print it).
	Name string
	// Label carries one descriptive attribute where the source has one: the
	// qdisc kind ("tbf"), the queue of a driver statistic ("rx-0", "" when
	// device-wide), the driver of a ring or channel gauge, a socket's
	// group. It is not part of the counter's identity.
	Label string
}

// set overwrites every field of c. Filling a counter in place, field by
// field, avoids building it on the stack and copying it: the copy's wide
// loads of freshly written narrow fields stall store forwarding, which made
// flattening several times slower than the parse it follows.
func (c *Counter) set(src Source, stage Stage, bits uint8, gauge bool, index int64, value, gen uint64, object, name, label string) {
	c.Source = src
	c.Stage = stage
	c.Bits = bits
	c.Gauge = gauge
	c.Index = index
	c.Value = value
	c.Gen = gen
	c.Object = object
	c.Name = name
	c.Label = label
}

// counterKey identifies a counter across snapshots.
type counterKey struct {
	source Source
	object string
	index  int64
	name   string
}

func (c *Counter) key() counterKey {
	return counterKey{c.Source, c.Object, c.Index, c.Name}
}

// CounterDelta is the change of one counter between two snapshots.
type CounterDelta struct {
	Counter
	// Prev is the previous value (0 when the counter is new).
	Prev uint64
	// Delta is Value-Prev for a counter, taking 32-bit wraps into account.
	// After a reset it is the value counted since the re-creation. For a
	// gauge it is 0.
	Delta uint64
	// Rate is Delta per second over the interval (0 for a gauge).
	Rate float64
	// New is set when the counter did not exist in the previous snapshot.
	New bool
	// Reset is set when the object was re-created (its Gen changed, or its
	// packets and bytes both went backwards) or the counter went backwards
	// in a way no wrap explains: Delta then counts from zero (see
	// ComputeDelta).
	Reset bool
	// Wrapped is set when a 32-bit counter wrapped past 2^32 by a
	// believable amount (see ComputeDelta).
	Wrapped bool
}

// Delta is the change between two snapshots of the same collector.
type Delta struct {
	// Prev and Cur are the snapshots the delta was taken between.
	Prev, Cur *Snapshot
	// Interval is Cur.Time - Prev.Time.
	Interval time.Duration
	// Counters has one entry per counter of Cur, in Cur's order.
	Counters []CounterDelta

	index map[counterKey]int
}

// ComputeDelta fills dst with the change from prev to cur. dst's slices and
// index are reused, so taking deltas of a collector's snapshots in a loop
// allocates nothing in steady state. prev and cur must stay unchanged while
// dst is in use.
//
// A counter is matched with the counter of prev that has the same Source,
// Object, Index and Name. Its Delta then follows these rules, in order:
//
//   - A gauge has no delta (0): it is a level, reported as it is.
//   - A counter absent from prev is New, with no delta.
//   - A different Gen means the object was re-created (a device deleted and
//     added again gets a new ifindex, a socket a new cookie): Reset, and
//     Delta is the value counted since the re-creation, Value. Gen 0 on
//     either side is no identity: a source that knows none (/proc/net/dev
//     has no ifindex, /proc/net/udp no cookie) may stand in for one that
//     does (rtnetlink, sock_diag) from one snapshot to the next, so a Gen
//     that changed from or to 0 is not a re-creation, and the rules below
//     compare the values (a decrease is then a reset or a wrap as usual).
//   - A counter that did not go backwards moved by Value-Prev.
//   - A 32-bit counter that went backwards wrapped past 2^32 only when the
//     wrap is believable: the wrapped delta uint32(Value-Prev) is below half
//     the range (2^31) and at most 2^30 per second of the interval (a rate
//     no single device, queue or CPU counts at: a 400 Gbit/s link carries
//     under 600 million frames per second); with no positive interval only
//     the half-range rule applies. Then Wrapped, and Delta is the wrapped
//     delta. A 32-bit counter that fell back from 3000 to 0 is therefore a
//     reset with Delta 0, never a wrap of 4294964296.
//   - Any other decrease (every 64-bit decrease, an implausible 32-bit
//     one) is a restart of the kernel's counter: Reset, Delta is Value.
//     Except for an aggregate, a qdisc whose counters the kernel sums over
//     its children at each dump (mq and mqprio: net/sched/sch_mq.c mq_dump):
//     its counters go back when one of its children is re-created, the
//     others' counts since boot are no part of the interval, so the delta
//     is 0 (Reset still set); the children's own deltas say what they
//     counted.
//
// Whole objects are re-created too without a new Gen: `tc qdisc del`
// then `tc qdisc add` with the same handle, parent and kind makes a new
// qdisc whose counters start again at 0 (`tc qdisc replace` with the same
// handle and kind changes the qdisc in place and keeps them), and a socket
// removed and added again under the same name restarts its counters. When
// the "packets" and the "bytes" counter of one qdisc, class or own socket
// (SourceQdisc, SourceSockets; an object is the consecutive counters with
// the same Source, Object, Index and Gen) both went backwards, the object
// is taken as re-created: every counter of it, gauges aside, is a Reset
// whose Delta is Value (0 for an aggregate), even one that looks like a
// plausible wrap or that increased. The kernel never decreases the packet or byte count of a live
// qdisc or socket, so both falling back together cannot be a wrap.
func ComputeDelta(prev, cur *Snapshot, dst *Delta) {
	dst.Prev, dst.Cur = prev, cur
	dst.Interval = cur.Time.Sub(prev.Time)
	secs := dst.Interval.Seconds()
	limit := wrapLimit(secs)
	dst.Counters = dst.Counters[:0]
	indexed := false
	recreated := false
	for i := range cur.Counters {
		c := &cur.Counters[i]
		var p *Counter
		// Fast path: collectors emit counters in a stable order.
		if i < len(prev.Counters) && prev.Counters[i].key() == c.key() {
			p = &prev.Counters[i]
		} else {
			if !indexed {
				if dst.index == nil {
					dst.index = make(map[counterKey]int, len(prev.Counters))
				}
				clear(dst.index)
				for j := range prev.Counters {
					dst.index[prev.Counters[j].key()] = j
				}
				indexed = true
			}
			if j, ok := dst.index[c.key()]; ok {
				p = &prev.Counters[j]
			}
		}
		d := CounterDelta{Counter: *c}
		switch {
		case c.Gauge:
		case p == nil:
			d.New = true
		default:
			d.Prev = p.Value
			if c.Value < p.Value && sameGen(p, c) && isVolume(c) {
				recreated = true
			}
			d.Delta, d.Reset, d.Wrapped = counterDelta(p, c, limit)
			if secs > 0 {
				d.Rate = float64(d.Delta) / secs
			}
		}
		dst.Counters = append(dst.Counters, d)
	}
	if recreated {
		resetRecreated(dst.Counters, secs)
	}
}

// sameGen reports whether p and c may be the same incarnation of their
// object: equal Gens, or a Gen of 0 (unknown) on either side.
func sameGen(p, c *Counter) bool {
	return p.Gen == c.Gen || p.Gen == 0 || c.Gen == 0
}

// maxWrapRate is the highest rate, per second, at which ComputeDelta
// believes a 32-bit counter wrapped (2^30).
const maxWrapRate = 1 << 30

// wrapLimit is the largest wrapped delta believed over an interval of secs
// seconds: below half the 32-bit range, and at most maxWrapRate per second.
func wrapLimit(secs float64) uint64 {
	const half = 1<<31 - 1
	if secs <= 0 {
		return half
	}
	if l := secs * maxWrapRate; l < half {
		return uint64(l) + 1
	}
	return half
}

// counterDelta is the increase from p to c given the counter's width and
// identity, limit the largest believable 32-bit wrap (wrapLimit).
func counterDelta(p, c *Counter, limit uint64) (delta uint64, reset, wrapped bool) {
	if !sameGen(p, c) {
		return c.Value, true, false
	}
	if c.Value >= p.Value {
		return c.Value - p.Value, false, false
	}
	if c.Bits == 32 && p.Value <= 1<<32-1 && c.Value <= 1<<32-1 {
		if w := uint64(uint32(c.Value) - uint32(p.Value)); w <= limit {
			return w, false, true
		}
	}
	if isAggregate(c) {
		return 0, true, false
	}
	return c.Value, true, false
}

// isAggregate reports whether c belongs to a qdisc whose counters are the
// sum of its children's, taken at each dump (mq, mqprio).
func isAggregate(c *Counter) bool {
	return c.Source == SourceQdisc && (c.Label == "mq" || c.Label == "mqprio")
}

// isVolume reports whether c is one of the two counters whose joint
// decrease marks a re-created object: the packets and bytes of a qdisc or
// class, or of one of the process's own sockets. (Driver statistics of the
// same names are left alone: a driver may reset some of its statistics and
// not others.)
func isVolume(c *Counter) bool {
	return (c.Source == SourceQdisc || c.Source == SourceSockets) && (c.Name == "packets" || c.Name == "bytes")
}

// sameObject reports whether a and b are counters of the same object.
func sameObject(a, b *Counter) bool {
	return a.Source == b.Source && a.Index == b.Index && a.Gen == b.Gen && a.Object == b.Object
}

// resetRecreated turns every counter of an object whose packets and bytes
// both went backwards into a reset (see ComputeDelta). It runs only when
// some packets or bytes counter went backwards.
func resetRecreated(cs []CounterDelta, secs float64) {
	for start := 0; start < len(cs); {
		end := start + 1
		for end < len(cs) && sameObject(&cs[start].Counter, &cs[end].Counter) {
			end++
		}
		run := cs[start:end]
		start = end
		var packets, bytes bool
		for i := range run {
			r := &run[i]
			if r.Gauge || r.New || r.Value >= r.Prev || !isVolume(&r.Counter) {
				continue
			}
			switch r.Name {
			case "packets":
				packets = true
			case "bytes":
				bytes = true
			}
		}
		if !packets || !bytes {
			continue
		}
		for i := range run {
			r := &run[i]
			if r.Gauge || r.New {
				continue
			}
			r.Delta, r.Reset, r.Wrapped = r.Value, true, false
			if isAggregate(&r.Counter) {
				r.Delta = 0
			}
			r.Rate = 0
			if secs > 0 {
				r.Rate = float64(r.Delta) / secs
			}
		}
	}
}

// Find returns the delta of the named counter, or nil.
func (d *Delta) Find(source Source, object string, index int64, name string) *CounterDelta {
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == source && c.Index == index && c.Name == name && c.Object == object {
			return c
		}
	}
	return nil
}

// Sum adds the deltas of every counter of source with the given name, over
// all objects and indexes (e.g. softnet "dropped" over all CPUs).
func (d *Delta) Sum(source Source, name string) (total uint64, found bool) {
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == source && c.Name == name && !c.Gauge {
			total += c.Delta
			found = true
		}
	}
	return total, found
}
