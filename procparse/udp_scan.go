package procparse

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/packetpath/packetpath/internal/scan"
)

// udpFields is the number of whitespace-separated fields every kernel prints
// on a UDP socket line before drops: sl, local, remote, st, tx:rx, tr:when,
// retrnsmt, uid, timeout, inode, ref, pointer.
const udpFields = 12

// udpLineLen is the width the kernel pads IPv4 UDP socket lines to
// (udp4_seq_show), not counting the newline.
const udpLineLen = 127

// UDPScanner iterates over the sockets of a UDP table held in memory,
// decoding one line at a time into a reused UDPSocket: it allocates nothing
// per line (nor at all, once the scanner value exists). Lines that a filter
// rejects are skipped after decoding only the fields the filter needs.
//
//	var sc procparse.UDPScanner
//	sc.Reset(b, procparse.UDPFilter{LocalPort: 5000})
//	for sc.Next() {
//		s := sc.Socket()
//		...
//	}
//	if err := sc.Err(); err != nil { ... }
//
// The zero value is an exhausted scanner; Reset starts it on new content.
type UDPScanner struct {
	b        []byte
	filter   UDPFilter
	line     int
	hasDrops bool
	row      UDPSocket
	cur      *UDPSocket // where lines are decoded: &row, or ParseUDP's slice
	err      error
	file     string
}

// NewUDPScanner returns a scanner over b (the content of a UDP table).
func NewUDPScanner(b []byte, filter UDPFilter) *UDPScanner {
	s := new(UDPScanner)
	s.Reset(b, filter)
	return s
}

// Reset starts the scanner over b with filter, reading the header line.
func (s *UDPScanner) Reset(b []byte, filter UDPFilter) {
	*s = UDPScanner{b: b, filter: filter, file: s.file}
	if s.file == "" {
		s.file = "udp"
	}
	for len(s.b) > 0 {
		var hdr []byte
		hdr, s.b = scan.Line(s.b)
		s.line++
		if len(scan.TrimSpace(hdr)) == 0 {
			continue
		}
		first, rest := scan.Field(hdr)
		if !scan.Equal(first, "sl") {
			s.err = malformed(s.file, s.line, nil, "header line does not start with \"sl\"")
			s.b = nil
			return
		}
		for {
			var f []byte
			f, rest = scan.Field(rest)
			if len(f) == 0 {
				break
			}
			if scan.Equal(f, "drops") {
				s.hasDrops = true
			}
		}
		return
	}
}

// Next decodes the next socket that passes the filter. It returns false at
// the end of the table or on an error (see Err).
func (s *UDPScanner) Next() bool { return s.nextInto(&s.row) }

// nextInto is Next decoding into dst.
func (s *UDPScanner) nextInto(dst *UDPSocket) bool {
	s.cur = dst
	for len(s.b) > 0 {
		// IPv4 lines are padded to udpLineLen characters: try the fast path
		// on the line that ends there before searching for the newline. A
		// line the fast path decodes in full holds no newline.
		if len(s.b) > udpLineLen && s.b[udpLineLen] == '\n' {
			line := s.b[:udpLineLen]
			if done, match := s.parseLineFast(line); done &&
				(match || s.filter.LocalPort == 0 || bytes.IndexByte(line, '\n') < 0) {
				s.b = s.b[udpLineLen+1:]
				s.line++
				if match {
					return true
				}
				continue
			}
		}
		var line []byte
		line, s.b = scan.Line(s.b)
		s.line++
		if done, match := s.parseLineFast(line); done {
			if match {
				return true
			}
			continue
		}
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		ok, err := s.parseLineSlow(line)
		if err != nil {
			s.err = err
			s.b = nil
			return false
		}
		if ok {
			return true
		}
	}
	return false
}

// Socket returns the socket Next decoded. The pointer stays the same for the
// scanner's life; its content changes with every Next.
func (s *UDPScanner) Socket() *UDPSocket { return &s.row }

// Err returns the first error met, wrapping ErrMalformed, or nil.
func (s *UDPScanner) Err() error { return s.err }

// Line is the 1-based line number of the socket Next decoded.
func (s *UDPScanner) Line() int { return s.line }

// failAt is fail about column col (1-based: sl is 1, drops 13).
func (s *UDPScanner) failAt(col int, cause error, format string, args ...any) error {
	return malformedAt(s.file, s.line, col, cause, format, args...)
}

// parseLineSlow decodes line into *s.cur field by field, reporting which
// field is wrong; ok is false when the filter rejects it.
func (s *UDPScanner) parseLineSlow(line []byte) (ok bool, err error) {
	r := s.cur
	var f [udpFields + 1][]byte
	n := 0
	rest := line
	for n < len(f) {
		f[n], rest = scan.Field(rest)
		if len(f[n]) == 0 {
			break
		}
		n++
	}
	want := udpFields
	if s.hasDrops {
		want++
	}
	if n < want {
		last := "pointer"
		if s.hasDrops {
			last = "drops"
		}
		return false, s.failAt(n+1, nil, "%d fields, want at least %d (sl through %s)", n, want, last)
	}

	// sl: "%5d:"
	sl := f[0]
	if len(sl) < 2 || sl[len(sl)-1] != ':' {
		return false, s.failAt(1, nil, "slot %q does not end with ':'", sl)
	}
	if r.Slot, err = scan.Uint(sl[:len(sl)-1]); err != nil {
		return false, s.failAt(1, err, "slot %q", sl)
	}
	if r.Local, err = parseProcAddrPort(f[1]); err != nil {
		return false, s.failAt(2, err, "local address %q", f[1])
	}
	if s.filter.LocalPort != 0 && r.Local.Port() != s.filter.LocalPort {
		return false, nil
	}
	if s.filter.Inode != 0 {
		ino, err := scan.Uint(f[9])
		if err != nil {
			return false, s.failAt(10, err, "inode %q", f[9])
		}
		if ino != s.filter.Inode {
			return false, nil
		}
	}
	if r.Remote, err = parseProcAddrPort(f[2]); err != nil {
		return false, s.failAt(3, err, "remote address %q", f[2])
	}
	st, err := scan.Hex(f[3])
	if err != nil || st > 0xff {
		return false, s.failAt(4, orRange(err), "state %q", f[3])
	}
	r.State = UDPState(st)
	// tx_queue and rx_queue are %08X of an int: eight digits.
	if r.TxQueue, r.RxQueue, err = hexPair(f[4]); err == nil && (r.TxQueue > 1<<32-1 || r.RxQueue > 1<<32-1) {
		err = scan.ErrRange
	}
	if err != nil {
		return false, s.failAt(5, err, "tx_queue:rx_queue %q", f[4])
	}
	tr, when, err := hexPair(f[5])
	if err != nil || tr > 0xff {
		return false, s.failAt(6, orRange(err), "tr:tm->when %q", f[5])
	}
	r.TimerActive, r.TimerExpires = uint8(tr), when
	if r.Retransmits, err = scan.Hex(f[6]); err != nil {
		return false, s.failAt(7, err, "retrnsmt %q", f[6])
	}
	uid, err := scan.Uint(f[7])
	if err != nil || uid > 1<<32-1 {
		return false, s.failAt(8, orRange(err), "uid %q", f[7])
	}
	r.UID = uint32(uid)
	if r.Timeout, err = scan.Int(f[8]); err != nil {
		return false, s.failAt(9, err, "timeout %q", f[8])
	}
	if r.Inode, err = scan.Uint(f[9]); err != nil {
		return false, s.failAt(10, err, "inode %q", f[9])
	}
	if r.Ref, err = scan.Int(f[10]); err != nil {
		return false, s.failAt(11, err, "ref %q", f[10])
	}
	if r.Pointer, err = scan.Hex(f[11]); err != nil {
		return false, s.failAt(12, err, "pointer %q", f[11])
	}
	r.Drops, r.HasDrops = 0, false
	if s.hasDrops {
		// drops is %u of an atomic_t (sk_drops): 32 bits.
		if r.Drops, err = scan.Uint(f[12]); err == nil && r.Drops > 1<<32-1 {
			err = scan.ErrRange
		}
		if err != nil {
			return false, s.failAt(13, err, "drops %q", f[12])
		}
		r.HasDrops = true
	}
	return true, nil
}

func orRange(err error) error {
	if err != nil {
		return err
	}
	return scan.ErrRange
}

// hexPair parses "AAAAAAAA:BBBBBBBB".
func hexPair(b []byte) (a, c uint64, err error) {
	for i, ch := range b {
		if ch == ':' {
			if a, err = scan.Hex(b[:i]); err != nil {
				return 0, 0, err
			}
			c, err = scan.Hex(b[i+1:])
			return a, c, err
		}
	}
	return 0, 0, scan.ErrSyntax
}

// parseProcAddrPort decodes the kernel's "ADDR:PORT" where ADDR is 8 (IPv4)
// or 32 (IPv6) hex digits, each 32-bit word printed as a host-order integer,
// and PORT is 4 hex digits in host order (ntohs already applied).
func parseProcAddrPort(b []byte) (netip.AddrPort, error) {
	colon := -1
	for i, c := range b {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return netip.AddrPort{}, scan.ErrSyntax
	}
	addr, portHex := b[:colon], b[colon+1:]
	port, err := scan.Hex(portHex)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if port > 0xffff {
		return netip.AddrPort{}, scan.ErrRange
	}
	switch len(addr) {
	case 8:
		w, err := scan.Hex(addr)
		if err != nil {
			return netip.AddrPort{}, err
		}
		var a [4]byte
		binary.NativeEndian.PutUint32(a[:], uint32(w))
		return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(port)), nil
	case 32:
		var a [16]byte
		for i := range 4 {
			w, err := scan.Hex(addr[8*i : 8*i+8])
			if err != nil {
				return netip.AddrPort{}, err
			}
			binary.NativeEndian.PutUint32(a[4*i:], uint32(w))
		}
		return netip.AddrPortFrom(netip.AddrFrom16(a), uint16(port)), nil
	}
	return netip.AddrPort{}, scan.ErrSyntax
}
