package udptable

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeUDPSockets feeds arbitrary bytes to the decoder: it must never
// panic, must return either sockets or an error that answers errors.Is, and
// can hold at most one socket per minimal message.
func FuzzDecodeUDPSockets(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "diag", "scene.bin")); err == nil {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	v6 := diagInetMsg(netip.MustParseAddrPort("[::1]:53"), netip.MustParseAddrPort("[::2]:54"), 1, 2, 3, 4, 5, 6)
	f.Add(diagMsg(diagSockDiagByFamily, 1, append(v6, diagAttr(diagAttrSKMemInfo, diagU32s(1, 2, 3, 4, 5, 6, 7, 8, 9))...)))
	f.Add(diagMsg(diagNlmsgDone, 1, diagU32s(0xfffffffe)))
	f.Add(diagMsg(diagNlmsgError, 1, diagU32s(0xffffffea)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeUDPSockets(nil, b, ProtocolUDP)
		if len(got) > len(b)/(diagNlmsgHdrLen+diagMsgLen) {
			t.Fatalf("%d sockets from %d bytes", len(got), len(b))
		}
		for _, s := range got {
			if s.Family != FamilyIPv4 && s.Family != FamilyIPv6 {
				t.Fatalf("family %d decoded", s.Family)
			}
			if !s.Local.IsValid() || !s.Remote.IsValid() {
				t.Fatalf("invalid address decoded: %+v", s)
			}
			if s.Mem.Fields < 0 || s.Mem.Fields > skMemInfoVars {
				t.Fatalf("meminfo fields %d", s.Mem.Fields)
			}
		}
		_ = err
	})
}

// diagTree is a randomly built Filter with the Go predicate it must equal.
type diagTree struct {
	f    Filter
	pred func(*UDPSocket) bool
}

// diagGen draws values from fuzz input; past its end it returns zeros.
type diagGen struct {
	b       []byte
	palette []uint16 // ports to favour; nil: a fixed set
	ports   []uint16
	ifs     []uint32
}

func (g *diagGen) u8() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *diagGen) port() uint16 {
	palette := g.palette
	if palette == nil {
		palette = []uint16{0, 53, 5000, 5001, 65535}
	}
	c := g.u8()
	var p uint16
	if int(c) < len(palette) {
		p = palette[c]
	} else {
		p = uint16(c)<<8 | uint16(g.u8())
	}
	g.ports = append(g.ports, p)
	return p
}

var diagV4Palette = []string{"127.0.0.1", "127.0.0.2", "10.77.0.1", "0.0.0.0", "192.168.1.1"}
var diagV6Palette = []string{"::1", "::", "::ffff:127.0.0.1", "2001:db8::1", "fe80::1", "::ffff:10.77.0.1"}

func (g *diagGen) prefix(v6 bool) netip.Prefix {
	c := g.u8()
	var a netip.Addr
	if v6 {
		a = netip.MustParseAddr(diagV6Palette[int(c)%len(diagV6Palette)])
		if c >= 0xf0 {
			var raw [16]byte
			for i := range raw {
				raw[i] = g.u8()
			}
			a = netip.AddrFrom16(raw)
		}
	} else {
		a = netip.MustParseAddr(diagV4Palette[int(c)%len(diagV4Palette)])
	}
	bits := int(g.u8())
	if bits > 200 {
		bits = -1 // invalid
	} else {
		bits %= a.BitLen() + 3 // sometimes too long: invalid
	}
	return netip.PrefixFrom(a, bits)
}

// diagPrefixMatch is the kernel's address condition in Go: an IPv4 prefix
// also matches IPv4-mapped addresses of IPv6 sockets; an IPv6 prefix
// matches IPv6 sockets only.
func diagPrefixMatch(p netip.Prefix, a netip.Addr, family uint8) bool {
	p = p.Masked()
	if p.Addr().Is4() {
		if family == FamilyIPv4 {
			return p.Contains(a)
		}
		return a.Is4In6() && p.Contains(a.Unmap())
	}
	return family == FamilyIPv6 && p.Contains(a)
}

// diagBuildTree runs a small stack machine over data to build a filter.
// ok is false when the filter is built from an invalid argument (and must
// then carry an error).
func diagBuildTree(data []byte, palette []uint16) (tree diagTree, g *diagGen, ok bool) {
	g = &diagGen{b: data, palette: palette}
	var stack []diagTree
	ok = true
	pop := func() diagTree {
		if len(stack) == 0 {
			return diagTree{f: Filter{}, pred: func(*UDPSocket) bool { return true }}
		}
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return t
	}
	for steps := 0; len(g.b) > 0 && steps < 48; steps++ {
		switch op := g.u8() % 12; op {
		case 0:
			p := g.port()
			stack = append(stack, diagTree{FilterLocalPort(p), func(s *UDPSocket) bool { return s.Local.Port() == p }})
		case 1:
			lo, hi := g.port(), g.port()
			if lo > hi {
				ok = false
			}
			stack = append(stack, diagTree{FilterLocalPortRange(lo, hi), func(s *UDPSocket) bool { return s.Local.Port() >= lo && s.Local.Port() <= hi }})
		case 2:
			p := g.port()
			stack = append(stack, diagTree{FilterRemotePort(p), func(s *UDPSocket) bool { return s.Remote.Port() == p }})
		case 3, 4:
			p := g.prefix(op == 4)
			if !p.IsValid() {
				ok = false
			}
			stack = append(stack, diagTree{FilterLocalPrefix(p), func(s *UDPSocket) bool { return diagPrefixMatch(p, s.Local.Addr(), s.Family) }})
		case 5, 6:
			p := g.prefix(op == 6)
			if !p.IsValid() {
				ok = false
			}
			stack = append(stack, diagTree{FilterRemotePrefix(p), func(s *UDPSocket) bool { return diagPrefixMatch(p, s.Remote.Addr(), s.Family) }})
		case 7:
			i := uint32(g.u8() % 4)
			g.ifs = append(g.ifs, i)
			stack = append(stack, diagTree{FilterInterface(i), func(s *UDPSocket) bool { return s.Interface == i }})
		case 8:
			b, a := pop(), pop()
			stack = append(stack, diagTree{FilterAnd(a.f, b.f), func(s *UDPSocket) bool { return a.pred(s) && b.pred(s) }})
		case 9:
			b, a := pop(), pop()
			stack = append(stack, diagTree{FilterOr(a.f, b.f), func(s *UDPSocket) bool { return a.pred(s) || b.pred(s) }})
		case 10:
			a := pop()
			stack = append(stack, diagTree{FilterNot(a.f), func(s *UDPSocket) bool { return !a.pred(s) }})
		case 11:
			if g.u8()&1 == 0 {
				stack = append(stack, diagTree{Filter{}, func(*UDPSocket) bool { return true }})
			} else {
				stack = append(stack, diagTree{FilterOr(), func(*UDPSocket) bool { return false }})
			}
		}
	}
	fs := make([]Filter, len(stack))
	for i := range stack {
		fs[i] = stack[i].f
	}
	all := stack
	return diagTree{FilterAnd(fs...), func(s *UDPSocket) bool {
		for _, t := range all {
			if !t.pred(s) {
				return false
			}
		}
		return true
	}}, g, ok
}

// diagSampleSockets builds sockets around the values a filter mentions.
func diagSampleSockets(g *diagGen) []UDPSocket {
	ports := append([]uint16{5000, 0, 1234}, g.ports...)
	if len(ports) > 6 {
		ports = ports[:6]
	}
	ifs := append([]uint32{0, 2}, g.ifs...)
	if len(ifs) > 3 {
		ifs = ifs[:3]
	}
	var out []UDPSocket
	for _, la := range append(append([]string{}, diagV4Palette...), diagV6Palette...) {
		local := netip.MustParseAddr(la)
		fam := uint8(FamilyIPv4)
		remotes := []netip.Addr{netip.IPv4Unspecified(), netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("10.77.0.1")}
		if local.Is6() {
			fam = FamilyIPv6
			remotes = []netip.Addr{netip.IPv6Unspecified(), netip.MustParseAddr("::1"), netip.MustParseAddr("::ffff:127.0.0.1")}
		}
		for i, lp := range ports {
			for _, ifi := range ifs {
				r := remotes[i%len(remotes)]
				rp := ports[(i+1)%len(ports)]
				out = append(out, UDPSocket{Family: fam, Local: netip.AddrPortFrom(local, lp), Remote: netip.AddrPortFrom(r, rp), Interface: ifi})
			}
		}
	}
	return out
}

// FuzzFilterBytecode builds filters from random input and checks that the
// program passes the kernel's audit (as modelled in diag_bcvm_test.go), that
// every jump stays inside the program, and that running it agrees with the
// Go predicate the filter stands for on sockets around its values.
func FuzzFilterBytecode(f *testing.F) {
	f.Add([]byte{0, 2})                                   // port 5000
	f.Add([]byte{3, 0, 8, 4, 0, 128, 9})                  // v4 /8 or ::1/128
	f.Add([]byte{0, 2, 10, 7, 2, 8})                      // not port and iface
	f.Add([]byte{1, 5, 0, 1, 4, 0, 11, 1, 9, 10})         // range, nothing, or, not
	f.Add([]byte{4, 2, 96, 3, 0, 32, 8, 5, 1, 32, 6, 0})  // mapped prefixes
	f.Add([]byte{1, 2, 1})                                // empty range: error
	f.Add([]byte{3, 0, 250})                              // invalid prefix: error
	f.Add([]byte{0, 2, 0, 3, 9, 0, 4, 9, 10, 7, 1, 8, 2}) // nesting
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, g, ok := diagBuildTree(data, nil)
		if !ok {
			if tree.f.Err() == nil {
				t.Fatalf("invalid argument without an error: %x", tree.f.prog)
			}
			return
		}
		if err := tree.f.Err(); err != nil {
			if len(data) < 1000 { // only size limits may fail a valid tree
				t.Fatalf("valid tree gave %v", err)
			}
			return
		}
		prog := tree.f.prog
		if len(prog) == 0 {
			for _, s := range diagSampleSockets(g) {
				if !tree.pred(&s) {
					t.Fatalf("empty program but the predicate rejects %+v", s)
				}
			}
			return
		}
		if err := diagBCAudit(prog); err != nil {
			t.Fatalf("program %x fails the audit: %v", prog, err)
		}
		// Every yes is the op's own length (a straight line of ops) and
		// every no lands on an op boundary, the end (accept) or end+4
		// (reject).
		bounds := map[int]bool{len(prog): true, len(prog) + 4: true}
		for off := 0; off < len(prog); off += int(prog[off+1]) {
			bounds[off] = true
		}
		for off := 0; off < len(prog); off += int(prog[off+1]) {
			if no := int(binary.NativeEndian.Uint16(prog[off+2:])); !bounds[off+no] {
				t.Fatalf("op at %d jumps to %d, not an op boundary", off, off+no)
			}
		}
		for _, s := range diagSampleSockets(g) {
			got, ok := diagBCRun(prog, diagEntryOf(&s))
			if !ok {
				t.Fatalf("program %x ran outside itself on %+v", prog, s)
			}
			if want := tree.pred(&s); got != want {
				t.Fatalf("program %x on %v -> %v if %d: %v, want %v", prog, s.Local, s.Remote, s.Interface, got, want)
			}
		}
	})
}
