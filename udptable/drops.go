package udptable

// DropTracker turns the 32-bit per-socket drop counters of successive dumps
// into 64-bit totals that survive wraps (sk_drops is an atomic_t: it wraps
// at 2^32). It keys sockets by cookie, which the kernel never reuses, so a
// new socket on an old inode or port starts afresh.
//
// Between two Updates a counter is assumed to wrap at most once (2^32
// drops). Sockets missing from a dump are forgotten. Updating a known socket
// allocates nothing; a new socket costs a map insert. The zero value is
// ready to use. A DropTracker is not safe for concurrent use.
type DropTracker struct {
	sockets map[uint64]dropEntry
	gen     uint32
}

type dropEntry struct {
	last  uint32 // counter at the last sighting
	total uint64 // widened total since the socket was first seen
	gen   uint32 // Update that last saw it
}

// Update records a dump (all of it, or the sockets of one filter: a socket
// outside sockets is forgotten) and returns the drops that happened since the
// previous Update, summed over the sockets in both. A socket seen for the
// first time contributes nothing: its counter becomes the baseline. Sockets
// without a drop counter (kernels before 4.15) are ignored.
func (d *DropTracker) Update(sockets []UDPSocket) (newDrops uint64) {
	if d.sockets == nil {
		d.sockets = make(map[uint64]dropEntry, len(sockets))
	}
	d.gen++
	for i := range sockets {
		s := &sockets[i]
		if !s.Mem.HasDrops() {
			continue
		}
		cur := uint32(s.Mem.Drops)
		e, ok := d.sockets[s.Cookie]
		if ok {
			delta := uint64(cur - e.last) // modulo 2^32: right across one wrap
			e.total += delta
			newDrops += delta
		} else {
			e.total = uint64(cur)
		}
		e.last, e.gen = cur, d.gen
		d.sockets[s.Cookie] = e
	}
	for cookie, e := range d.sockets {
		if e.gen != d.gen {
			delete(d.sockets, cookie)
		}
	}
	return newDrops
}

// Total returns the widened drop count of the socket with the given cookie:
// its counter when first seen plus every increase since. ok is false for a
// socket the last Update did not see.
func (d *DropTracker) Total(cookie uint64) (total uint64, ok bool) {
	e, ok := d.sockets[cookie]
	return e.total, ok
}

// Len is the number of sockets tracked.
func (d *DropTracker) Len() int { return len(d.sockets) }
