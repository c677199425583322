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

// spaces skips one or more spaces and reports whether there was one. The
// kernel pads columns and lines with runs of spaces: they are skipped 8
// bytes at a time.
func (l *fieldLexer) spaces() bool {
	j := l.i
	for len(l.b)-l.i >= 8 && binary.LittleEndian.Uint64(l.b[l.i:]) == 0x2020202020202020 {
		l.i += 8
	}
	for l.i < len(l.b) && l.b[l.i] == ' ' {
		l.i++
	}
	return l.i > j
}

// hex reads a run of hexadecimal digits; n is its length (0 to 16; more
// than 16 digits stops at 17 so that the caller rejects it). Runs of 8 and
// 16 digits (the kernel's %08X and a 64-bit %pK) are decoded a word at a
// time.
func (l *fieldLexer) hex() (v uint64, n int) {
	if w, ok := l.word8(l.i); ok {
		if l.i+8 == len(l.b) || hexValue[l.b[l.i+8]] > 15 {
			l.i += 8
			return w, 8
		}
		if w2, ok := l.word8(l.i + 8); ok && (l.i+16 == len(l.b) || hexValue[l.b[l.i+16]] > 15) {
			l.i += 16
			return w<<32 | w2, 16
		}
	}
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

// word8 decodes the 8 bytes at i when all are hexadecimal digits.
func (l *fieldLexer) word8(i int) (uint64, bool) {
	if i < 0 || len(l.b)-i < 8 {
		return 0, false
	}
	return swarHex8(binary.BigEndian.Uint64(l.b[i:])) // first digit in the top byte
}

// swarHex8 decodes eight ASCII hexadecimal digits held in x, eight bytes at
// once (SWAR): no branch and no table lookup per digit. Per byte, with the
// top bit clear: c >= '0' && c <= '9', or c|0x20 >= 'a' && c|0x20 <= 'f';
// setting the top bit before subtracting keeps borrows inside each byte.
// A digit's value is its low nibble, plus 9 for letters (bit 6 set).
func swarHex8(x uint64) (uint64, bool) {
	const hi, lo, one = 0x8080808080808080, 0x0f0f0f0f0f0f0f0f, 0x0101010101010101
	y := x | 0x20*one
	ok := ((x|hi)-0x30*one)&(0xb9*one-x) | ((y|hi)-0x61*one)&(0xe6*one-y)
	v := x&lo + (x>>6)&one*9
	v = (v | v>>4) & 0x00ff00ff00ff00ff
	v = (v | v>>8) & 0x0000ffff0000ffff
	return (v | v>>16) & 0xffffffff, x&hi == 0 && ok&hi == hi
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
	var addr netip.Addr
	if w, ok := l.word8(l.i); ok && l.i+8 < len(l.b) && l.b[l.i+8] == ':' {
		var a [4]byte
		binary.NativeEndian.PutUint32(a[:], uint32(w))
		addr = netip.AddrFrom4(a)
		l.i += 8
	} else {
		var a [16]byte
		for k := range 4 {
			w, ok := l.word8(l.i)
			if !ok {
				return netip.AddrPort{}, false
			}
			binary.NativeEndian.PutUint32(a[4*k:], uint32(w))
			l.i += 8
		}
		addr = netip.AddrFrom16(a)
	}
	if !l.is(':') {
		return netip.AddrPort{}, false
	}
	port, pn := l.hex()
	if pn == 0 || pn > 4 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

// hexWord decodes the 8 hexadecimal digits at l.i when they are followed by
// a space or the end of the line, and moves past them. ok is false (and l
// unchanged) otherwise.
func (l *fieldLexer) hexWord() (v uint64, ok bool) {
	v, ok = l.word8(l.i)
	if !ok {
		return 0, false
	}
	if end := l.i + 8; end < len(l.b) && l.b[end] != ' ' {
		return 0, false
	}
	l.i += 8
	return v, true
}

// hexSmall decodes the n (at most 4) hexadecimal digits at i, which must be
// in range.
func hexSmall(b []byte, i, n int) (uint64, bool) {
	var v uint64
	var acc byte
	for _, c := range b[i : i+n] {
		d := hexValue[c]
		acc |= d
		v = v<<4 | uint64(d&15)
	}
	return v, acc <= 15
}

// fixedHead decodes, at l.i, the columns the kernel prints at fixed width,
// local address through retrnsmt ("%08X:%04X %08X:%04X %02X %08X:%08X
// %02X:%08lX %08X", each address 8 or 32 digits), without scanning: it
// checks the separators at their offsets and decodes the digits a word at a
// time. It returns false, changing nothing, when the line differs in any
// way.
func (s *UDPScanner) fixedHead(l *fieldLexer) bool {
	b, p := l.b, l.i
	var alen int
	switch {
	case len(b)-p > 8 && b[p+8] == ':':
		alen = 8
	case len(b)-p > 32 && b[p+32] == ':':
		alen = 32
	default:
		return false
	}
	ap := alen + 5 // address, ':', 4-digit port
	end := p + 2*(ap+1) + 3 + 18 + 12 + 8
	if len(b) < end {
		return false
	}
	local, ok1 := fixedAddrPort(l, p, alen)
	q := p + ap
	remote, ok2 := fixedAddrPort(l, q+1, alen)
	q += ap + 1
	st, ok3 := hexSmall(b, q+1, 2)
	tx, ok4 := l.word8(q + 4)
	rx, ok5 := l.word8(q + 13)
	tr, ok6 := hexSmall(b, q+22, 2)
	when, ok7 := l.word8(q + 25)
	retr, ok8 := l.word8(q + 34)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) ||
		b[p+ap] != ' ' || b[q] != ' ' || b[q+3] != ' ' || b[q+12] != ':' || b[q+21] != ' ' ||
		b[q+24] != ':' || b[q+33] != ' ' {
		return false
	}
	r := s.cur
	r.Local, r.Remote = local, remote
	r.State, r.TxQueue, r.RxQueue = uint8(st), tx, rx
	r.TimerActive, r.TimerExpires, r.Retransmits = uint8(tr), when, retr
	l.i = q + 42
	return true
}

// fixedAddrPort decodes an alen-digit address, ':' and a 4-digit port at i
// (bounds already checked).
func fixedAddrPort(l *fieldLexer, i, alen int) (netip.AddrPort, bool) {
	port, ok := hexSmall(l.b, i+alen+1, 4)
	if !ok || l.b[i+alen] != ':' {
		return netip.AddrPort{}, false
	}
	if alen == 8 {
		w, ok := l.word8(i)
		var a [4]byte
		binary.NativeEndian.PutUint32(a[:], uint32(w))
		return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(port)), ok
	}
	var a [16]byte
	for k := range 4 {
		w, ok := l.word8(i + 8*k)
		if !ok {
			return netip.AddrPort{}, false
		}
		binary.NativeEndian.PutUint32(a[4*k:], uint32(w))
	}
	return netip.AddrPortFrom(netip.AddrFrom16(a), uint16(port)), true
}

// parseLineFast decodes line into *s.cur. done is false when the line needs
// the general parser; match is false when the filter rejects the socket.
func (s *UDPScanner) parseLineFast(line []byte) (done, match bool) {
	r := s.cur
	l := fieldLexer{b: line}
	l.spaces()
	sl, n := l.dec()
	if n == 0 || n > 19 || !l.is(':') || !l.spaces() {
		return false, false
	}
	r.Slot = sl
	var ok bool
	if s.fixedHead(&l) {
		if s.filter.LocalPort != 0 && r.Local.Port() != s.filter.LocalPort {
			return true, false
		}
		if !l.spaces() {
			return false, false
		}
		return s.fastTail(&l)
	}
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
	return s.fastTail(&l)
}

// fastTail decodes uid through drops, after the spaces that follow
// retrnsmt.
func (s *UDPScanner) fastTail(l *fieldLexer) (done, match bool) {
	r := s.cur
	line := l.b
	var ok bool
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
