package udptable

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Filter selects sockets inside the kernel, so that a dump of a host with
// 100,000 sockets costs only the sockets that match. It compiles to an
// inet_diag bytecode program (INET_DIAG_REQ_BYTECODE), which the kernel
// validates in inet_diag_bc_audit and runs on every socket in
// inet_diag_bc_run (net/ipv4/inet_diag.c), the same mechanism as the
// filter expressions of ss(8).
//
// The zero Filter matches every socket. Filters are immutable values built
// with the Filter* functions and combined with FilterAnd, FilterOr and
// FilterNot; the program is compiled when the Filter is built, so a Dump
// with a Filter allocates nothing for it. A Filter built from an invalid
// argument carries the error, and Dump returns it.
type Filter struct {
	prog []byte
	err  error
	// sport is the port of a filter that is exactly FilterLocalPort(sport)
	// with sport != 0: Dump sends it as inet_diag_sockid.idiag_sport, which
	// udp_dump compares before (and instead of) running a program.
	sport uint16
}

// Bytecode operation codes (enum in include/uapi/linux/inet_diag.h).
const (
	bcJMP     = 1  // INET_DIAG_BC_JMP: always take the "no" branch
	bcSGE     = 2  // INET_DIAG_BC_S_GE: local port >= value
	bcSLE     = 3  // INET_DIAG_BC_S_LE: local port <= value
	bcDGE     = 4  // INET_DIAG_BC_D_GE
	bcDLE     = 5  // INET_DIAG_BC_D_LE
	bcSCond   = 7  // INET_DIAG_BC_S_COND: local address prefix (and port)
	bcDCond   = 8  // INET_DIAG_BC_D_COND: remote address prefix (and port)
	bcDevCond = 9  // INET_DIAG_BC_DEV_COND: bound interface
	bcSEQ     = 11 // INET_DIAG_BC_S_EQ: local port == value
	bcDEQ     = 12 // INET_DIAG_BC_D_EQ

	bcOpLen       = 4 // struct inet_diag_bc_op {u8 code; u8 yes; u16 no}
	bcHostCondLen = 8 // struct inet_diag_hostcond {u8 family; u8 prefix_len; int port} + __be32 addr[]
	// The program travels in a netlink attribute (u16 length, 4-byte header)
	// and jump offsets are u16.
	bcMaxLen = 0xffff - diagNlaHdrLen - 3
)

// How a compiled program ends: every program (and every sub-program) of
// length L accepts by reaching offset L exactly and rejects by jumping to
// offset L+4, the convention of iproute2's ss. inet_diag_bc_run accepts when
// the remaining length is exactly 0.

// Port equality is compiled as a >= and <= pair: INET_DIAG_BC_S_EQ and
// INET_DIAG_BC_D_EQ only arrived in 2020 (with the cgroup condition), while
// the range operations are as old as inet_diag. FilterInterface uses
// INET_DIAG_BC_DEV_COND (2017); kernels older than that refuse it with
// EINVAL.

// FilterLocalPort matches sockets bound to local port port.
func FilterLocalPort(port uint16) Filter {
	f := FilterAnd(portLeaf(bcSGE, port), portLeaf(bcSLE, port))
	f.sport = port
	return f
}

// FilterLocalPortRange matches sockets whose local port is in [first, last]
// (INET_DIAG_BC_S_GE and INET_DIAG_BC_S_LE).
func FilterLocalPortRange(first, last uint16) Filter {
	if first > last {
		return Filter{err: fmt.Errorf("udptable: filter: local port range %d-%d is empty", first, last)}
	}
	return FilterAnd(portLeaf(bcSGE, first), portLeaf(bcSLE, last))
}

// FilterRemotePort matches sockets connected to remote port port.
// Unconnected sockets have remote port 0.
func FilterRemotePort(port uint16) Filter {
	return FilterAnd(portLeaf(bcDGE, port), portLeaf(bcDLE, port))
}

// FilterRemotePortRange matches sockets whose remote port is in [first, last].
func FilterRemotePortRange(first, last uint16) Filter {
	if first > last {
		return Filter{err: fmt.Errorf("udptable: filter: remote port range %d-%d is empty", first, last)}
	}
	return FilterAnd(portLeaf(bcDGE, first), portLeaf(bcDLE, last))
}

// FilterLocalAddr matches sockets bound to addr exactly (a /32 or /128
// FilterLocalPrefix). The zone of addr is ignored: use FilterInterface.
func FilterLocalAddr(addr netip.Addr) Filter {
	return FilterLocalPrefix(netip.PrefixFrom(addr, addr.BitLen()))
}

// FilterLocalPrefix matches sockets whose local (bound) address lies in
// prefix (INET_DIAG_BC_S_COND). Kernel semantics: an IPv4 prefix also
// matches IPv4-mapped addresses (::ffff:a.b.c.d) of IPv6 sockets, but not
// an IPv6 socket bound to the wildcard ::; an IPv6 prefix never matches an
// IPv4 socket. Sockets bound to the wildcard have local address 0.0.0.0 or
// ::, so 0.0.0.0/0 matches every IPv4 socket.
func FilterLocalPrefix(prefix netip.Prefix) Filter { return hostLeaf(bcSCond, prefix, "local") }

// FilterRemoteAddr matches sockets connected to addr.
func FilterRemoteAddr(addr netip.Addr) Filter {
	return FilterRemotePrefix(netip.PrefixFrom(addr, addr.BitLen()))
}

// FilterRemotePrefix matches sockets whose remote (connected) address lies
// in prefix (INET_DIAG_BC_D_COND), with the semantics of FilterLocalPrefix.
func FilterRemotePrefix(prefix netip.Prefix) Filter { return hostLeaf(bcDCond, prefix, "remote") }

// FilterInterface matches sockets bound to the network interface with index
// ifindex (INET_DIAG_BC_DEV_COND on sk->sk_bound_dev_if: SO_BINDTODEVICE or
// a bound IPv6 link-local scope). Index 0 matches the sockets not bound to
// any interface. The kernel compares the index only: a socket that merely
// receives through an interface without being bound to it does not match.
func FilterInterface(ifindex uint32) Filter {
	b := make([]byte, bcOpLen+4)
	putOp(b, bcDevCond, bcOpLen+4, bcOpLen+4+4)
	binary.NativeEndian.PutUint32(b[bcOpLen:], ifindex)
	return Filter{prog: b}
}

// FilterAnd matches the sockets every filter matches. With no filters it
// matches every socket.
func FilterAnd(filters ...Filter) Filter {
	var acc Filter
	for _, f := range filters {
		if f.err != nil {
			return Filter{err: f.err}
		}
		if len(f.prog) == 0 {
			continue // matches all: neutral for AND
		}
		if len(acc.prog) == 0 {
			acc = f
			continue
		}
		n := len(acc.prog) + len(f.prog)
		if n > bcMaxLen {
			return tooLarge(n)
		}
		b := make([]byte, 0, n)
		b = append(b, acc.prog...)
		// Rejections of the left side (jumps to its end + 4) must now
		// reject the whole: move them past the right side.
		if !bcRelocateReject(b, len(f.prog)) {
			return tooLarge(n)
		}
		b = append(b, f.prog...)
		acc = Filter{prog: b}
	}
	return acc
}

// FilterOr matches the sockets at least one filter matches. With no filters
// it matches no socket.
func FilterOr(filters ...Filter) Filter {
	if len(filters) == 0 {
		return FilterNot(Filter{})
	}
	acc := filters[0]
	for _, f := range filters[1:] {
		if acc.err != nil {
			return acc
		}
		if f.err != nil {
			return Filter{err: f.err}
		}
		if len(acc.prog) == 0 || len(f.prog) == 0 {
			acc = Filter{} // one side matches all
			continue
		}
		// left; JMP over right; right. Left's acceptance falls onto the
		// JMP, which jumps to the end (accept). Left's rejection lands on
		// right's first op. Right keeps its own accept and reject offsets.
		n := len(acc.prog) + bcOpLen + len(f.prog)
		if n > bcMaxLen {
			return tooLarge(n)
		}
		b := make([]byte, n)
		copy(b, acc.prog)
		putOp(b[len(acc.prog):], bcJMP, bcOpLen, uint16(len(f.prog)+bcOpLen))
		copy(b[len(acc.prog)+bcOpLen:], f.prog)
		acc = Filter{prog: b}
	}
	return acc
}

// FilterNot matches the sockets f does not match.
func FilterNot(f Filter) Filter {
	if f.err != nil {
		return f
	}
	// f; JMP to end+4. f's acceptance falls onto the JMP, which rejects;
	// f's rejection (its end + 4) is the end of the whole: accept.
	n := len(f.prog) + bcOpLen
	if n > bcMaxLen {
		return tooLarge(n)
	}
	b := make([]byte, n)
	copy(b, f.prog)
	putOp(b[len(f.prog):], bcJMP, bcOpLen, 2*bcOpLen)
	return Filter{prog: b}
}

// MatchesAll reports whether f is the empty filter, which the kernel does
// not need to run.
func (f Filter) MatchesAll() bool { return f.err == nil && len(f.prog) == 0 }

// Err returns the error of an invalid filter, nil for a valid one.
func (f Filter) Err() error { return f.err }

func portLeaf(code uint8, port uint16) Filter {
	b := make([]byte, 2*bcOpLen)
	putOp(b, code, 2*bcOpLen, 2*bcOpLen+4)
	// The port travels in the "no" field of a second op.
	binary.NativeEndian.PutUint16(b[bcOpLen+2:], port)
	return Filter{prog: b}
}

func hostLeaf(code uint8, prefix netip.Prefix, side string) Filter {
	if !prefix.IsValid() {
		return Filter{err: fmt.Errorf("udptable: filter: invalid %s prefix %v", side, prefix)}
	}
	prefix = prefix.Masked()
	addr := prefix.Addr().WithZone("")
	family, alen := uint8(FamilyIPv4), 4
	if addr.Is6() {
		family, alen = FamilyIPv6, 16
	}
	n := bcOpLen + bcHostCondLen + alen
	b := make([]byte, n)
	putOp(b, code, uint8(n), uint16(n+4))
	c := b[bcOpLen:]
	c[0] = family
	c[1] = uint8(prefix.Bits())
	// int port: -1 means any port.
	binary.NativeEndian.PutUint32(c[4:8], 0xffffffff)
	a := addr.AsSlice()
	copy(c[bcHostCondLen:], a)
	return Filter{prog: b}
}

func putOp(b []byte, code, yes uint8, no uint16) {
	b[0] = code
	b[1] = yes
	binary.NativeEndian.PutUint16(b[2:4], no)
}

// bcRelocateReject walks prog along its "yes" chain (every op's yes is its
// own length in programs built here) and adds reloc to every "no" offset
// that jumps to the program's reject target (its end + 4). It reports false
// when an offset would overflow.
func bcRelocateReject(prog []byte, reloc int) bool {
	rem := len(prog)
	for off := 0; rem > 0; {
		op := prog[off:]
		no := int(binary.NativeEndian.Uint16(op[2:4]))
		if no == rem+4 {
			if no+reloc > 0xffff {
				return false
			}
			binary.NativeEndian.PutUint16(op[2:4], uint16(no+reloc))
		}
		yes := int(op[1])
		if yes < bcOpLen {
			return false
		}
		off += yes
		rem -= yes
	}
	return true
}

func tooLarge(n int) Filter {
	return Filter{err: fmt.Errorf("udptable: filter program of %d bytes exceeds the kernel's limit of %d", n, bcMaxLen)}
}
