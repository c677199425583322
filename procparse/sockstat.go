package procparse

import (
	"os"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// Sockstat is /proc/net/sockstat or /proc/net/sockstat6: socket counts and
// the memory the protocols have charged, per network namespace (memory is
// machine-wide).
//
// Printed by net/ipv4/proc.c sockstat_seq_show:
//
//	sockets: used %d
//	TCP: inuse %d orphan %d tw %d alloc %d mem %ld
//	UDP: inuse %d mem %ld
//	UDPLITE: inuse %d
//	RAW: inuse %d
//	FRAG: inuse %u memory %lu
//
// and by net/ipv6/proc.c sockstat6_seq_show (TCP6, UDP6, UDPLITE6, RAW6:
// inuse; FRAG6: inuse, memory). Seen unchanged from 4.x to 6.18. Every
// "PROTO: key value ..." line is kept, so lines or keys other kernels add
// (e.g. MPTCP) are not lost.
//
// Units: TCP and UDP "mem" is in pages (the protocol's memory_allocated,
// which net.ipv4.udp_mem and tcp_mem limit); FRAG "memory" is in bytes.
// [Sockstat.MemBytes] converts using PageSize.
type Sockstat struct {
	// Protocols holds the lines in file order.
	Protocols []SockstatProtocol
	// PageSize is the kernel page size in bytes used to convert "mem".
	// ParseSockstat sets it to os.Getpagesize() (the running kernel's
	// PAGE_SIZE) unless the caller set it beforehand, e.g. to 65536 when
	// parsing a capture from a 64 KiB-page arm64 or ppc64 host.
	PageSize int64

	// checked is the number of lines of the last good parse into this
	// value: their protocol names, and the keys of each, are known to
	// differ from each other.
	checked int
}

// SockstatProtocol is one line: a protocol (or "sockets") and its values.
type SockstatProtocol struct {
	Name   string
	Fields []SockstatField
}

// SockstatField is one "key value" pair of a line. The kernel prints these
// with %d/%ld: they are gauges, signed.
type SockstatField struct {
	Key   string
	Value int64
}

// Value returns the value of key on the line of protocol proto, e.g.
// Value("UDP", "inuse"). ok is false when the kernel did not print it.
func (s *Sockstat) Value(proto, key string) (v int64, ok bool) {
	for i := range s.Protocols {
		p := &s.Protocols[i]
		if p.Name != proto {
			continue
		}
		for _, f := range p.Fields {
			if f.Key == key {
				return f.Value, true
			}
		}
		return 0, false
	}
	return 0, false
}

// SocketsUsed is "sockets: used": every socket of every family allocated
// in the namespace.
func (s *Sockstat) SocketsUsed() (int64, bool) { return s.Value("sockets", "used") }

// InUse is the number of sockets of proto ("UDP", "UDP6", "TCP", ...) in
// use in the namespace.
func (s *Sockstat) InUse(proto string) (int64, bool) { return s.Value(proto, "inuse") }

// MemPages is the memory charged to proto ("TCP" or "UDP", which covers
// UDP6 and UDP-Lite too) in pages, as compared against udp_mem / tcp_mem.
// For FRAG and FRAG6, which the kernel reports in bytes, it rounds up to
// whole pages.
func (s *Sockstat) MemPages(proto string) (int64, bool) {
	if v, ok := s.Value(proto, "mem"); ok {
		return v, true
	}
	if v, ok := s.Value(proto, "memory"); ok && s.PageSize > 0 {
		return (v + s.PageSize - 1) / s.PageSize, true
	}
	return 0, false
}

// MemBytes is the memory charged to proto in bytes: "mem" pages times
// PageSize for TCP and UDP, "memory" as printed for FRAG and FRAG6.
func (s *Sockstat) MemBytes(proto string) (int64, bool) {
	if v, ok := s.Value(proto, "mem"); ok {
		return v * s.PageSize, true
	}
	return s.Value(proto, "memory")
}

// ParseSockstat parses sockstat or sockstat6 into dst, reusing its slices
// and strings. The format (net/ipv4/proc.c sockstat_seq_show,
// net/ipv6/proc.c sockstat6_seq_show; seen on 4.x to 6.18) is described at
// [Sockstat]. The file name in errors is "sockstat".
//
// It accepts only what the kernel prints: values are decimal with an
// optional minus sign (%d, %ld, %u, %lu; never '+'), each protocol line
// appears once and names each key once. Anything else is a *ParseError
// wrapping ErrMalformed naming the line and the column (the "NAME:" is
// column 1, the first key column 2, its value column 3).
func ParseSockstat(b []byte, dst *Sockstat) error {
	const file = "sockstat"
	if dst.PageSize == 0 {
		dst.PageSize = int64(os.Getpagesize())
	}
	trusted := dst.checked
	dst.checked = 0
	dst.Protocols = dst.Protocols[:0]
	rest := b
	for lineNo := 1; len(rest) > 0; lineNo++ {
		var line []byte
		line, rest = scan.Line(rest)
		name, kv := scan.Field(line)
		if len(name) == 0 {
			continue // a blank line
		}
		if len(name) < 2 || name[len(name)-1] != ':' {
			return malformedAt(file, lineNo, 1, nil, "line does not start with \"NAME:\"")
		}
		var p *SockstatProtocol
		dst.Protocols, p = reuse.Next(dst.Protocols)
		if name = name[:len(name)-1]; !scan.Equal(name, p.Name) {
			p.Name = string(name)
			trusted = 0
		}
		had := len(p.Fields) // keys of this line in the last parse
		p.Fields = p.Fields[:0]
		for {
			var key, val []byte
			key, kv = scan.Field(kv)
			if len(key) == 0 {
				break
			}
			val, kv = scan.Field(kv)
			if len(val) == 0 {
				return malformedAt(file, lineNo, 2*len(p.Fields)+3, nil, "%s %s has no value", p.Name, key)
			}
			if val[0] == '+' {
				return malformedAt(file, lineNo, 2*len(p.Fields)+3, scan.ErrSyntax, "%s %s: value %q has a '+' the kernel never prints", p.Name, key, val)
			}
			v, err := scan.Int(val)
			if err != nil {
				return malformedAt(file, lineNo, 2*len(p.Fields)+3, err, "%s %s: value %q", p.Name, key, val)
			}
			var f *SockstatField
			p.Fields, f = reuse.Next(p.Fields)
			if !scan.Equal(key, f.Key) {
				f.Key = string(key)
				trusted = 0
			}
			f.Value = v
		}
		if len(p.Fields) != had {
			trusted = 0 // keys beyond the last parse's were not checked
		}
	}
	if len(dst.Protocols) > trusted {
		if err := sockstatRepeats(b, dst.Protocols); err != nil {
			return err
		}
	}
	dst.checked = len(dst.Protocols)
	return nil
}

// sockstatRepeats rejects a protocol line or a key of a line that repeats.
func sockstatRepeats(b []byte, protos []SockstatProtocol) error {
	if i, j := repeatIn(protos, func(p *SockstatProtocol) string { return p.Name }); i >= 0 {
		return malformedAt("sockstat", scan.NonBlankLine(b, i), 1, nil, "%s repeats line %d", protos[i].Name, scan.NonBlankLine(b, j))
	}
	for k := range protos {
		fields := protos[k].Fields
		if i, j := repeatIn(fields, func(f *SockstatField) string { return f.Key }); i >= 0 {
			return malformedAt("sockstat", scan.NonBlankLine(b, k), 2*i+2, nil, "%s: key %q repeats column %d", protos[k].Name, fields[i].Key, 2*j+2)
		}
	}
	return nil
}

// Sockstat reads /proc/net/sockstat (IPv4 and the totals) once.
func (fs FS) Sockstat() (Sockstat, error) {
	return readOnce(fs.NetPath("sockstat"), ParseSockstat)
}

// Sockstat6 reads /proc/net/sockstat6 once. The error wraps os.ErrNotExist
// when IPv6 is disabled.
func (fs FS) Sockstat6() (Sockstat, error) {
	return readOnce(fs.NetPath("sockstat6"), ParseSockstat)
}

// SockstatReader opens /proc/net/sockstat for repeated reads.
func (fs FS) SockstatReader() (*Reader[Sockstat], error) {
	return openReader(fs.NetPath("sockstat"), ParseSockstat)
}

// Sockstat6Reader opens /proc/net/sockstat6 for repeated reads.
func (fs FS) Sockstat6Reader() (*Reader[Sockstat], error) {
	return openReader(fs.NetPath("sockstat6"), ParseSockstat)
}
