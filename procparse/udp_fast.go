package procparse

import (
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
	return hexDec8(x), hexBad8(x) == 0
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

// hexWordLower decodes the 8 lowercase hexadecimal digits at l.i (the
// kernel's %08x) when they are followed by a space or the end of the line,
// and moves past them. ok is false (and l unchanged) otherwise.
func (l *fieldLexer) hexWordLower() (v uint64, ok bool) {
	if len(l.b)-l.i < 8 {
		return 0, false
	}
	x := binary.BigEndian.Uint64(l.b[l.i:])
	if hexLowerBad8(x) != 0 {
		return 0, false
	}
	if end := l.i + 8; end < len(l.b) && l.b[end] != ' ' {
		return 0, false
	}
	l.i += 8
	return hexDec8(x), true
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
	r.State, r.TxQueue, r.RxQueue = UDPState(st), tx, rx
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

// hexDec8 decodes eight hexadecimal digits held in x (first digit in the
// top byte), assuming hexBad8(x) is 0: a digit's value is its low nibble,
// plus 9 for letters (bit 6 set); the nibbles are then packed together.
func hexDec8(x uint64) uint64 {
	const lo, one = 0x0f0f0f0f0f0f0f0f, 0x0101010101010101
	v := x&lo + (x>>6)&one*9
	v = (v | v>>4) & 0x00ff00ff00ff00ff
	v = (v | v>>8) & 0x0000ffff0000ffff
	return (v | v>>16) & 0xffffffff
}

// hexBad8 is 0 when the eight bytes of x are all hexadecimal digits, and
// has a top bit set in some byte otherwise (see swarHex8). Results of
// several words can be or-ed together and checked once.
func hexBad8(x uint64) uint64 {
	const hi, one = 0x8080808080808080, 0x0101010101010101
	y := x | 0x20*one
	ok := ((x|hi)-0x30*one)&(0xb9*one-x) | ((y|hi)-0x61*one)&(0xe6*one-y)
	return (x | ^ok) & hi
}

// hexLowerBad8 is hexBad8 accepting only lowercase letters: 0 when the
// eight bytes of x are all in 0-9 or a-f.
func hexLowerBad8(x uint64) uint64 {
	const hi, one = 0x8080808080808080, 0x0101010101010101
	ok := ((x|hi)-0x30*one)&(0xb9*one-x) | ((x|hi)-0x61*one)&(0xe6*one-x)
	return (x | ^ok) & hi
}

// fill4 fills the top four bytes of a word with '0' digits, for the word
// that holds st and tr (two digits each) in its low four bytes.
const fill4 = 0x3030303000000000

// Words of zero columns, as loaded big-endian: "00000000", "000:0000" (the
// end of a zero address and a zero port), and the zero tr:tm->when
// retrnsmt columns "00:00000000 00000000" as the words at offsets 0 and 8.
const (
	zeros8        = 0x3030303030303030
	zeroPortTail  = 0x3030303a30303030
	zeroTimerHead = 0x30303a3030303030
	zeroTimerTail = 0x3030302030303030
)

// head4Len is the width of the fixed IPv4 head, local address through
// retrnsmt: "%08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X".
const head4Len = 69

// head4 decodes the fixed-width IPv4 head at the start of h into r, checking
// every digit and separator; it returns false, with r partly written, when
// the bytes differ from the layout in any way.
func head4(h *[head4Len]byte, r *UDPSocket) bool {
	if h[8] != ':' || h[13] != ' ' || h[22] != ':' || h[27] != ' ' || h[30] != ' ' ||
		h[39] != ':' || h[48] != ' ' || h[51] != ':' || h[60] != ' ' {
		return false
	}
	// Each word is decoded as if valid and checked, the checks or-ed
	// together and tested once. The remote address of an unbound socket
	// and the TCP timer columns are zeros: those are compared whole.
	be := binary.BigEndian
	x := be.Uint64(h[0:8])
	bad := hexBad8(x)
	local := uint32(hexDec8(x))
	var remote uint32
	var ports uint64
	if be.Uint64(h[14:22]) == zeros8 && be.Uint64(h[19:27]) == zeroPortTail {
		x = be.Uint64(h[5:13])&0xffffffff | fill4
		bad |= hexBad8(x)
		ports = hexDec8(x) << 16
	} else {
		x = be.Uint64(h[14:22])
		bad |= hexBad8(x)
		remote = uint32(hexDec8(x))
		// Both ports in one word.
		x = be.Uint64(h[5:13])<<32 | be.Uint64(h[19:27])&0xffffffff
		bad |= hexBad8(x)
		ports = hexDec8(x)
	}
	if be.Uint64(h[49:57]) == zeroTimerHead && be.Uint64(h[57:65]) == zeroTimerTail && be.Uint64(h[61:69]) == zeros8 {
		// tr, tm->when and retrnsmt 0: st alone in the low bytes.
		x = be.Uint64(h[22:30])&0xffff<<16 | fill4 | 0x3030
		r.TimerExpires, r.Retransmits = 0, 0
	} else {
		x = be.Uint64(h[52:60])
		bad |= hexBad8(x)
		r.TimerExpires = hexDec8(x)
		x = be.Uint64(h[61:69])
		bad |= hexBad8(x)
		r.Retransmits = hexDec8(x)
		// st and tr in one word.
		x = be.Uint64(h[22:30])&0xffff<<16 | be.Uint64(h[43:51])&0xffff | fill4
	}
	bad |= hexBad8(x)
	sttr := hexDec8(x)
	x = be.Uint64(h[31:39])
	if x == zeros8 {
		r.TxQueue = 0
	} else {
		bad |= hexBad8(x)
		r.TxQueue = hexDec8(x)
	}
	x = be.Uint64(h[40:48])
	bad |= hexBad8(x)
	r.RxQueue = hexDec8(x)
	if bad != 0 {
		return false
	}
	var a [4]byte
	binary.NativeEndian.PutUint32(a[:], local)
	r.Local = netip.AddrPortFrom(netip.AddrFrom4(a), uint16(ports>>16))
	binary.NativeEndian.PutUint32(a[:], remote)
	r.Remote = netip.AddrPortFrom(netip.AddrFrom4(a), uint16(ports))
	r.State, r.TimerActive = UDPState(sttr>>8), uint8(sttr)
	return true
}

// spaces8 is eight spaces.
const spaces8 = 0x2020202020202020

// skipSpaces returns the index of the first byte at or after i that is not
// a space, skipping runs 8 bytes at a time. (Byte loops whose exits the
// branch predictor learns beat finding the end with bit tricks here: the
// next field's position does not wait for the computation.)
func skipSpaces(b []byte, i int) int {
	for len(b)-i >= 8 && binary.LittleEndian.Uint64(b[i:]) == spaces8 {
		i += 8
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// decAt reads the run of decimal digits at i, stopping after 20 digits (so
// that the caller rejects more than 19, which could overflow). n is the
// number of digits read. (The fields are short: a byte loop is faster here
// than decoding 8 bytes at once.)
func decAt(b []byte, i int) (v uint64, n int) {
	if i >= len(b) {
		return 0, 0
	}
	d := b[i:min(len(b), i+20)]
	for n < len(d) {
		c := d[n] - '0'
		if c > 9 {
			break
		}
		v = v*10 + uint64(c)
		n++
	}
	return v, n
}

// signedAt reads an optional '-' and 1 to 18 decimal digits at i and
// returns the index after them; ok is false otherwise.
func signedAt(b []byte, i int) (v int64, j int, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	u, n := decAt(b, i)
	if n == 0 || n > 18 {
		return 0, i, false
	}
	if neg {
		return -int64(u), i + n, true
	}
	return int64(u), i + n, true
}

// ptr16 loads the 16 bytes at j when they are hexadecimal digits followed
// by a non-digit or the end of b (a 64-bit %pK).
func ptr16(b []byte, j int) (x1, x2 uint64, ok bool) {
	if len(b)-j < 16 || (len(b)-j > 16 && hexValue[b[j+16]] <= 15) {
		return 0, 0, false
	}
	x1, x2 = binary.BigEndian.Uint64(b[j:]), binary.BigEndian.Uint64(b[j+8:])
	return x1, x2, hexBad8(x1)|hexBad8(x2) == 0
}

// parseLineFast decodes line into *s.cur. done is false when the line needs
// the general parser; match is false when the filter rejects the socket.
func (s *UDPScanner) parseLineFast(line []byte) (done, match bool) {
	r := s.cur
	b := line
	i := skipSpaces(b, 0)
	sl, n := decAt(b, i)
	i += n
	if n == 0 || n > 19 || i >= len(b) || b[i] != ':' {
		return false, false
	}
	j := skipSpaces(b, i+1)
	if j == i+1 {
		return false, false
	}
	i = j
	r.Slot = sl
	if len(b)-i > head4Len && b[i+8] == ':' {
		if !head4((*[head4Len]byte)(b[i:i+head4Len]), r) {
			return s.parseLineLexer(line, i)
		}
		i += head4Len
	} else {
		l := fieldLexer{b: b, i: i}
		if !s.fixedHead(&l) {
			return s.parseLineLexer(line, i)
		}
		i = l.i
	}
	if s.filter.LocalPort != 0 && r.Local.Port() != s.filter.LocalPort {
		return true, false
	}
	j = skipSpaces(b, i)
	if j == i {
		return false, false
	}
	return s.fastTail(b, j)
}

// parseLineLexer decodes line into *s.cur from the local address on (at i),
// field by field, for lines whose head is not laid out at fixed widths.
func (s *UDPScanner) parseLineLexer(line []byte, i int) (done, match bool) {
	r := s.cur
	l := fieldLexer{b: line, i: i}
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
	r.State = UDPState(st)
	if r.TxQueue, n = l.hex(); n == 0 || n > 8 || !l.is(':') {
		return false, false
	}
	if r.RxQueue, n = l.hex(); n == 0 || n > 8 || !l.spaces() {
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
	return s.fastTail(line, l.i)
}

// fastTail decodes uid through drops, starting at i in b (after the spaces
// that follow retrnsmt).
func (s *UDPScanner) fastTail(b []byte, i int) (done, match bool) {
	r := s.cur
	var ok bool
	uid, n := decAt(b, i)
	i += n
	if n == 0 || n > 19 || uid > 1<<32-1 {
		return false, false
	}
	r.UID = uint32(uid)
	var j int
	if len(b)-i >= 10 && binary.LittleEndian.Uint64(b[i:]) == spaces8 && b[i+8] == '0' && b[i+9] == ' ' {
		// The timeout UDP always prints: " %8d" of 0.
		r.Timeout, j = 0, skipSpaces(b, i+9)
	} else {
		if j = skipSpaces(b, i); j == i {
			return false, false
		}
		if r.Timeout, i, ok = signedAt(b, j); !ok {
			return false, false
		}
		if j = skipSpaces(b, i); j == i {
			return false, false
		}
	}
	if r.Inode, n = decAt(b, j); n == 0 || n > 19 {
		return false, false
	}
	i = j + n
	if j = skipSpaces(b, i); j == i {
		return false, false
	}
	if ref, n := decAt(b, j); n > 0 && n <= 18 {
		r.Ref, i = int64(ref), j+n
	} else if r.Ref, i, ok = signedAt(b, j); !ok {
		return false, false
	}
	if j = skipSpaces(b, i); j == i {
		return false, false
	}
	if x1, x2, ok := ptr16(b, j); ok {
		r.Pointer = hexDec8(x1)<<32 | hexDec8(x2)
		i = j + 16
	} else {
		l := fieldLexer{b: b, i: j}
		if r.Pointer, n = l.hex(); n == 0 || n > 16 {
			return false, false
		}
		i = l.i
	}
	r.Drops, r.HasDrops = 0, false
	if s.hasDrops {
		if j = skipSpaces(b, i); j == i {
			return false, false
		}
		if r.Drops, n = decAt(b, j); n == 0 || n > 10 || r.Drops > 1<<32-1 {
			return false, false
		}
		i = j + n
		r.HasDrops = true
	}
	if skipSpaces(b, i) != len(b) {
		return false, false // more fields, or a stray character
	}
	if s.filter.Inode != 0 && r.Inode != s.filter.Inode {
		return true, false
	}
	return true, true
}
