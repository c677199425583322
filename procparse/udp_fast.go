package procparse

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// The fast path decodes a UDP socket line in one pass, for lines laid out
// the way the kernel prints them: fields separated by spaces, numbers in the
// widths the format allows. Anything unusual (tabs, a field too long, a
// stray character, fields after drops) makes it give up, and the general
// parser (parseLineSlow) decodes the line or reports the precise error. The
// two agree on every line the fast path accepts (FuzzUDPFastPath).

// hexValue maps a byte to its hexadecimal digit value, or 0xff. It is a
// constant table.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// fieldLexer walks one line.
type fieldLexer struct {
	b []byte
	i int
}

// spaces skips one or more spaces and reports whether there was one.
func (l *fieldLexer) spaces() bool {
	j := l.i
	for l.i < len(l.b) && l.b[l.i] == ' ' {
		l.i++
	}
	return l.i > j
}

// hex reads a run of hexadecimal digits; n is its length (0 to 16; more
// than 16 digits stops at 17 so that the caller rejects it).
func (l *fieldLexer) hex() (v uint64, n int) {
	for l.i < len(l.b) && n <= 16 {
		d := hexValue[l.b[l.i]]
		if d > 15 {
			break
		}
		v = v<<4 | uint64(d)
		l.i++
		n++
	}
	return v, n
}

// dec reads a run of decimal digits, at most 19 (which cannot overflow).
func (l *fieldLexer) dec() (v uint64, n int) {
	for l.i < len(l.b) && n <= 19 {
		c := l.b[l.i] - '0'
		if c > 9 {
			break
		}
		v = v*10 + uint64(c)
		l.i++
		n++
	}
	return v, n
}

// signed reads an optional '-' and at most 18 decimal digits.
func (l *fieldLexer) signed() (v int64, ok bool) {
	neg := l.i < len(l.b) && l.b[l.i] == '-'
	if neg {
		l.i++
	}
	u, n := l.dec()
	if n == 0 || n > 18 {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

func (l *fieldLexer) is(c byte) bool {
	if l.i < len(l.b) && l.b[l.i] == c {
		l.i++
		return true
	}
	return false
}

// addrPort reads "ADDR:PORT" with 8 or 32 address digits and 1 to 4 port
// digits.
func (l *fieldLexer) addrPort() (netip.AddrPort, bool) {
	start := l.i
	for l.i < len(l.b) && hexValue[l.b[l.i]] <= 15 {
		l.i++
	}
	n := l.i - start
	if !l.is(':') {
		return netip.AddrPort{}, false
	}
	port, pn := l.hex()
	if pn == 0 || pn > 4 {
		return netip.AddrPort{}, false
	}
	switch n {
	case 8:
		var a [4]byte
		binary.NativeEndian.PutUint32(a[:], uint32(hex8(l.b[start:])))
		return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(port)), true
	case 32:
		var a [16]byte
		for w := range 4 {
			binary.NativeEndian.PutUint32(a[4*w:], uint32(hex8(l.b[start+8*w:])))
		}
		return netip.AddrPortFrom(netip.AddrFrom16(a), uint16(port)), true
	}
	return netip.AddrPort{}, false
}

// hexWord decodes the 8 hexadecimal digits at l.i when they are followed by
// a space or the end of the line, without a branch per digit, and moves past
// them. ok is false (and l unchanged) otherwise.
func (l *fieldLexer) hexWord() (v uint64, ok bool) {
	if len(l.b)-l.i < 8 {
		return 0, false
	}
	b := l.b[l.i : l.i+8]
	d0, d1, d2, d3 := hexValue[b[0]], hexValue[b[1]], hexValue[b[2]], hexValue[b[3]]
	d4, d5, d6, d7 := hexValue[b[4]], hexValue[b[5]], hexValue[b[6]], hexValue[b[7]]
	if d0|d1|d2|d3|d4|d5|d6|d7 > 15 {
		return 0, false
	}
	if end := l.i + 8; end < len(l.b) && l.b[end] != ' ' {
		return 0, false
	}
	l.i += 8
	return uint64(d0)<<28 | uint64(d1)<<24 | uint64(d2)<<20 | uint64(d3)<<16 |
		uint64(d4)<<12 | uint64(d5)<<8 | uint64(d6)<<4 | uint64(d7), true
}

// hex8 decodes the 8 hexadecimal digits at the start of b (already checked).
func hex8(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<4 | uint64(hexValue[c])
	}
	return v
}

// parseLineFast decodes line into s.row. done is false when the line needs
// the general parser; match is false when the filter rejects the socket.
func (s *UDPScanner) parseLineFast(line []byte) (done, match bool) {
	r := &s.row
	l := fieldLexer{b: line}
	l.spaces()
	sl, n := l.dec()
	if n == 0 || n > 19 || !l.is(':') || !l.spaces() {
		return false, false
	}
	r.Slot = sl
	var ok bool
	if r.Local, ok = l.addrPort(); !ok || !l.spaces() {
		return false, false
	}
	if s.filter.LocalPort != 0 && r.Local.Port() != s.filter.LocalPort {
		return true, false
	}
	if r.Remote, ok = l.addrPort(); !ok || !l.spaces() {
		return false, false
	}
	st, n := l.hex()
	if n == 0 || n > 2 || !l.spaces() {
		return false, false
	}
	r.State = uint8(st)
	if r.TxQueue, n = l.hex(); n == 0 || n > 16 || !l.is(':') {
		return false, false
	}
	if r.RxQueue, n = l.hex(); n == 0 || n > 16 || !l.spaces() {
		return false, false
	}
	tr, n := l.hex()
	if n == 0 || n > 2 || !l.is(':') {
		return false, false
	}
	r.TimerActive = uint8(tr)
	if r.TimerExpires, n = l.hex(); n == 0 || n > 16 || !l.spaces() {
		return false, false
	}
	if r.Retransmits, n = l.hex(); n == 0 || n > 16 || !l.spaces() {
		return false, false
	}
	uid, n := l.dec()
	if n == 0 || n > 19 || uid > 1<<32-1 || !l.spaces() {
		return false, false
	}
	r.UID = uint32(uid)
	if r.Timeout, ok = l.signed(); !ok || !l.spaces() {
		return false, false
	}
	if r.Inode, n = l.dec(); n == 0 || n > 19 || !l.spaces() {
		return false, false
	}
	if r.Ref, ok = l.signed(); !ok || !l.spaces() {
		return false, false
	}
	if r.Pointer, n = l.hex(); n == 0 || n > 16 {
		return false, false
	}
	r.Drops, r.HasDrops = 0, false
	if s.hasDrops {
		if !l.spaces() {
			return false, false
		}
		if r.Drops, n = l.dec(); n == 0 || n > 19 {
			return false, false
		}
		r.HasDrops = true
	}
	l.spaces()
	if l.i != len(line) {
		return false, false // more fields, or a stray character
	}
	if s.filter.Inode != 0 && r.Inode != s.filter.Inode {
		return true, false
	}
	return true, true
}

// nextLine splits b at its first newline (the newline is dropped).
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}
