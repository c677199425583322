package main

import (
	"encoding/binary"
	"net/netip"
)

// seqWindow is how many sequence numbers behind the highest one a stream
// remembers, to tell a late datagram (reorder) from a duplicate.
const seqWindow = 1 << 16

// seqCounts are the sequence-check results of one stream or of all.
type seqCounts struct {
	// Checked counts datagrams whose sequence number was examined.
	Checked uint64 `json:"checked"`
	// Short counts datagrams too short to hold a sequence number.
	Short uint64 `json:"short"`
	// Gaps counts jumps forward over missing numbers; Missing is the number
	// of sequence numbers still missing (a late arrival fills one back).
	Gaps    uint64 `json:"gaps"`
	Missing uint64 `json:"missing"`
	// Reorders counts datagrams older than the highest number seen that
	// filled a gap; Duplicates counts numbers seen twice (within the
	// window); TooOld counts datagrams older than the window.
	Reorders   uint64 `json:"reorders"`
	Duplicates uint64 `json:"duplicates"`
	TooOld     uint64 `json:"too_old"`
}

func (c *seqCounts) add(o *seqCounts) {
	c.Checked += o.Checked
	c.Short += o.Short
	c.Gaps += o.Gaps
	c.Missing += o.Missing
	c.Reorders += o.Reorders
	c.Duplicates += o.Duplicates
	c.TooOld += o.TooOld
}

// stream is the sequence state of one sender.
type stream struct {
	seqCounts
	started        bool
	first, highest uint64
	seen           [seqWindow / 64]uint64 // bit s%seqWindow: s was received
}

func (s *stream) bit(n uint64) (word *uint64, mask uint64) {
	i := n % seqWindow
	return &s.seen[i/64], 1 << (i % 64)
}

// observe checks one payload.
func (s *stream) observe(payload []byte) {
	if len(payload) < 8 {
		s.Short++
		return
	}
	n := binary.BigEndian.Uint64(payload)
	s.Checked++
	if !s.started {
		s.started, s.first, s.highest = true, n, n
		w, m := s.bit(n)
		*w |= m
		return
	}
	switch {
	case n > s.highest:
		if jump := n - s.highest - 1; jump > 0 {
			s.Gaps++
			s.Missing += jump
		}
		// Forget the numbers the window slides past.
		if n-s.highest >= seqWindow {
			s.seen = [seqWindow / 64]uint64{}
		} else {
			for k := s.highest + 1; k < n; k++ {
				w, m := s.bit(k)
				*w &^= m
			}
		}
		s.highest = n
		w, m := s.bit(n)
		*w |= m
	case s.highest-n >= seqWindow:
		s.TooOld++
	default:
		w, m := s.bit(n)
		if *w&m != 0 {
			s.Duplicates++
			return
		}
		*w |= m
		if n < s.first {
			// Older than the first datagram: not counted missing before.
			s.first = n
			s.Reorders++
			return
		}
		s.Reorders++
		if s.Missing > 0 {
			s.Missing--
		}
	}
}

// seqChecker keeps one stream per sender address.
type seqChecker struct {
	streams map[netip.AddrPort]*stream
	last    netip.AddrPort
	lastS   *stream
}

func newSeqChecker() *seqChecker {
	return &seqChecker{streams: make(map[netip.AddrPort]*stream)}
}

// observe checks a datagram from sender.
func (c *seqChecker) observe(sender netip.AddrPort, payload []byte) {
	s := c.lastS
	if s == nil || sender != c.last {
		s = c.streams[sender]
		if s == nil {
			s = new(stream)
			c.streams[sender] = s
		}
		c.last, c.lastS = sender, s
	}
	s.observe(payload)
}

// total sums every stream.
func (c *seqChecker) total() seqCounts {
	var t seqCounts
	for _, s := range c.streams {
		t.add(&s.seqCounts)
	}
	return t
}
