package udptable

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
)

// A model of the kernel's inet_diag bytecode checker and interpreter
// (inet_diag_bc_audit and inet_diag_bc_run in net/ipv4/inet_diag.c),
// written from their documented behaviour, so that filter programs can be
// checked without a kernel and fuzzed.

// diagBCAudit validates prog the way inet_diag_bc_audit does (for the op
// codes a Filter can produce plus NOP and AUTO).
func diagBCAudit(prog []byte) error {
	if len(prog) < bcOpLen {
		return fmt.Errorf("program of %d bytes", len(prog))
	}
	off := 0
	for off < len(prog) {
		rem := len(prog) - off
		if rem < bcOpLen {
			return fmt.Errorf("op at %d: %d bytes left", off, rem)
		}
		op := prog[off:]
		code, yes, no := op[0], int(op[1]), int(binary.NativeEndian.Uint16(op[2:4]))
		minLen := bcOpLen
		switch code {
		case bcSCond, bcDCond:
			minLen += bcHostCondLen
			if rem < minLen {
				return fmt.Errorf("hostcond at %d: short", off)
			}
			var alen int
			switch op[bcOpLen] {
			case 0:
			case FamilyIPv4:
				alen = 4
			case FamilyIPv6:
				alen = 16
			default:
				return fmt.Errorf("hostcond at %d: family %d", off, op[bcOpLen])
			}
			minLen += alen
			if rem < minLen {
				return fmt.Errorf("hostcond at %d: short address", off)
			}
			if int(op[bcOpLen+1]) > 8*alen {
				return fmt.Errorf("hostcond at %d: prefix %d", off, op[bcOpLen+1])
			}
		case bcDevCond:
			minLen += 4
			if rem < minLen {
				return fmt.Errorf("devcond at %d: short", off)
			}
		case bcSEQ, bcSGE, bcSLE, bcDEQ, bcDGE, bcDLE:
			minLen += bcOpLen
			if rem < minLen {
				return fmt.Errorf("port op at %d: short", off)
			}
		case 0, bcJMP, 6: // NOP, JMP, AUTO
		default:
			return fmt.Errorf("op at %d: code %d", off, code)
		}
		if code != 0 {
			if no < minLen || no > rem+4 || no&3 != 0 {
				return fmt.Errorf("op at %d: no %d (len %d, min %d)", off, no, rem, minLen)
			}
			if no < rem && !diagBCValidTarget(prog, rem-no) {
				return fmt.Errorf("op at %d: no %d lands inside an op", off, no)
			}
		}
		if yes < minLen || yes > rem+4 || yes&3 != 0 {
			return fmt.Errorf("op at %d: yes %d (len %d, min %d)", off, yes, rem, minLen)
		}
		off += yes
	}
	if off != len(prog) {
		return fmt.Errorf("last op jumps %d bytes past the end", off-len(prog))
	}
	return nil
}

// diagBCValidTarget reports whether the op boundary with cc bytes left is
// reached by walking the program along its yes offsets (valid_cc).
func diagBCValidTarget(prog []byte, cc int) bool {
	for off := 0; ; {
		rem := len(prog) - off
		if cc > rem {
			return false
		}
		if cc == rem {
			return true
		}
		yes := int(prog[off+1])
		if yes < 4 || yes&3 != 0 {
			return false
		}
		off += yes
	}
}

// diagBCEntry is what the kernel compares (struct inet_diag_entry).
type diagBCEntry struct {
	family       uint8
	saddr, daddr []byte // 4 or 16 bytes, network order
	sport, dport uint16
	ifindex      uint32
}

func diagEntryOf(s *UDPSocket) diagBCEntry {
	return diagBCEntry{
		family:  s.Family,
		saddr:   s.Local.Addr().AsSlice(),
		daddr:   s.Remote.Addr().AsSlice(),
		sport:   s.Local.Port(),
		dport:   s.Remote.Port(),
		ifindex: s.Interface,
	}
}

func diagBitsMatch(a, b []byte, bits int) bool {
	for i := 0; bits > 0; i++ {
		if i >= len(a) || i >= len(b) {
			return false
		}
		mask := byte(0xff)
		if bits < 8 {
			mask = byte(0xff << (8 - bits))
		}
		if (a[i]^b[i])&mask != 0 {
			return false
		}
		bits -= 8
	}
	return true
}

// diagBCRun runs an audited program on e like inet_diag_bc_run: accept when
// the jumps end exactly at the program's end. ok is false when the program
// reads outside itself, which an audited program never does.
func diagBCRun(prog []byte, e diagBCEntry) (accept, ok bool) {
	off := 0
	for off < len(prog) {
		if off < 0 || len(prog)-off < bcOpLen {
			return false, false
		}
		op := prog[off:]
		code, yes, no := op[0], int(op[1]), int(binary.NativeEndian.Uint16(op[2:4]))
		arg := func(n int) []byte {
			if len(op) < bcOpLen+n {
				return nil
			}
			return op[bcOpLen : bcOpLen+n]
		}
		match := true
		switch code {
		case 0:
		case bcJMP:
			match = false
		case bcSEQ, bcSGE, bcSLE, bcDEQ, bcDGE, bcDLE:
			a := arg(4)
			if a == nil {
				return false, false
			}
			v := binary.NativeEndian.Uint16(a[2:4])
			p := e.sport
			if code == bcDEQ || code == bcDGE || code == bcDLE {
				p = e.dport
			}
			switch code {
			case bcSEQ, bcDEQ:
				match = p == v
			case bcSGE, bcDGE:
				match = p >= v
			default:
				match = p <= v
			}
		case bcSCond, bcDCond:
			c := arg(bcHostCondLen)
			if c == nil {
				return false, false
			}
			fam, plen := c[0], int(c[1])
			port := int32(binary.NativeEndian.Uint32(c[4:8]))
			alen := map[uint8]int{0: 0, FamilyIPv4: 4, FamilyIPv6: 16}[fam]
			full := arg(bcHostCondLen + alen)
			if full == nil {
				return false, false
			}
			caddr := full[bcHostCondLen:]
			addr, p := e.saddr, e.sport
			if code == bcDCond {
				addr, p = e.daddr, e.dport
			}
			switch {
			case port != -1 && port != int32(p):
				match = false
			case fam != 0 && fam != e.family:
				match = e.family == FamilyIPv6 && fam == FamilyIPv4 && len(addr) == 16 &&
					string(addr[:12]) == "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff" &&
					diagBitsMatch(addr[12:], caddr, plen)
			case plen == 0:
			default:
				match = diagBitsMatch(addr, caddr, plen)
			}
		case bcDevCond:
			a := arg(4)
			if a == nil {
				return false, false
			}
			match = binary.NativeEndian.Uint32(a) == e.ifindex
		default:
			return false, false
		}
		if match {
			off += yes
		} else {
			off += no
		}
		if (match && yes == 0) || (!match && no == 0) {
			return false, false // would loop forever
		}
	}
	return off == len(prog), true
}

func TestDiagBCModelOnBuiltPrograms(t *testing.T) {
	v4 := &UDPSocket{Family: FamilyIPv4, Local: netip.MustParseAddrPort("127.0.0.1:5000")}
	mapped := &UDPSocket{Family: FamilyIPv6, Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:5000")}
	wild6 := &UDPSocket{Family: FamilyIPv6, Local: netip.MustParseAddrPort("[::]:5000")}
	lo := netip.MustParsePrefix("127.0.0.0/8")
	for _, c := range []struct {
		f                 Filter
		v4, mapped, wild6 bool
	}{
		{FilterLocalPort(5000), true, true, true},
		{FilterLocalPort(5001), false, false, false},
		{FilterLocalPrefix(lo), true, true, false},
		{FilterLocalPrefix(netip.MustParsePrefix("::/0")), false, true, true},
		{FilterNot(FilterLocalPrefix(lo)), false, false, true},
		{FilterOr(FilterLocalPort(1), FilterLocalPrefix(lo)), true, true, false},
		{FilterAnd(FilterLocalPortRange(4000, 6000), FilterNot(FilterLocalPrefix(lo))), false, false, true},
		{FilterOr(), false, false, false},
		{FilterNot(FilterOr()), true, true, true},
	} {
		if err := diagBCAudit(c.f.prog); err != nil {
			t.Errorf("%x: audit: %v", c.f.prog, err)
			continue
		}
		for _, x := range []struct {
			s    *UDPSocket
			want bool
		}{{v4, c.v4}, {mapped, c.mapped}, {wild6, c.wild6}} {
			got, ok := diagBCRun(c.f.prog, diagEntryOf(x.s))
			if !ok || got != x.want {
				t.Errorf("%x on %v: %v (ok %v), want %v", c.f.prog, x.s.Local, got, ok, x.want)
			}
		}
	}
	if !(Filter{}).MatchesAll() || FilterLocalPort(1).MatchesAll() {
		t.Error("MatchesAll")
	}
}
