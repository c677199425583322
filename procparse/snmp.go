package procparse

import (
	"bytes"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// SNMP is a file in the "header line, value line" layout: /proc/net/snmp
// (Ip, Icmp, IcmpMsg, Tcp, Udp, UdpLite) and /proc/net/netstat (TcpExt,
// IpExt, MPTcpExt). Each group is two lines that start with the same
// "Name:" prefix: the first names the keys, the second holds the values in
// the same order.
//
// The kernel prints /proc/net/snmp in net/ipv4/proc.c snmp_seq_show (with
// icmp_put, icmpmsg_put and snmp_seq_show_tcp_udp) and /proc/net/netstat in
// netstat_seq_show, from the per-namespace MIB tables summed over CPUs.
// Keys are taken from the header, never from a list compiled into this
// package: kernels add keys in the middle of groups (Icmp InCsumErrors,
// Icmp OutRateLimitGlobal/OutRateLimitHost, Udp IgnoredMulti, Udp MemErrors,
// Ip OutTransmits, a whole MPTcpExt group, 22 TcpExt keys on 6.18 that older
// kernels lack) and every key the file holds is kept, known to this package
// or not.
//
// A group name may repeat: the kernel prints IcmpMsg in pairs of up to 16
// keys. Lookups search every group of the name.
type SNMP struct {
	Groups []SNMPGroup

	// checked is the number of groups of the last parse into this value
	// that succeeded: their stored header lines are known to hold unique
	// keys and names. A parse that meets the same header lines again, in
	// the same order, skips the checks for repeats.
	checked int
}

// SNMPGroup is one header/value line pair.
type SNMPGroup struct {
	// Name is the prefix without its colon: "Ip", "Udp", "TcpExt".
	Name   string
	Fields []SNMPField

	// header is a copy of the header line last parsed into this group:
	// when the next parse meets the same line, only values are decoded.
	header []byte
}

// SNMPField is one key and its value.
//
// The kernel prints almost every value as an unsigned long (%lu). The
// exceptions are signed: Tcp MaxConn is printed with %ld (it is -1, "no
// limit", RFC 2012); Tcp RtoAlgorithm, RtoMin and RtoMax are INTEGER in RFC
// 2012 and were printed with %ld by older kernels; Ip Forwarding and
// DefaultTTL are printed with %d. For those keys, and for any value printed
// with a minus sign, Signed is true and Int returns the value; Value then
// holds the same 64 bits.
type SNMPField struct {
	Name   string
	Value  uint64
	Signed bool
}

// Int returns the value as a signed number (meaningful when Signed).
func (f SNMPField) Int() int64 { return int64(f.Value) }

// Counter returns the value with Present set.
func (f SNMPField) Counter() Counter { return Counter{Value: f.Value, Present: true} }

// signedSNMPKey reports whether the kernel prints group/key as a signed
// number.
func signedSNMPKey[T string | []byte](group, key T) bool {
	switch string(group) {
	case "Tcp":
		switch string(key) {
		case "MaxConn", "RtoAlgorithm", "RtoMin", "RtoMax":
			return true
		}
	case "Ip":
		switch string(key) {
		case "Forwarding", "DefaultTTL":
			return true
		}
	}
	return false
}

// ParseSNMP parses /proc/net/snmp or /proc/net/netstat content into dst,
// reusing its slices and, when the layout is unchanged, its name strings: a
// re-parse of the same file allocates nothing. When a group's header line is
// the same as in the previous parse into dst, only its values are decoded,
// so dst must not be modified between parses (copy what you keep).
//
// It accepts only what the kernel prints. Errors are *ParseError values
// wrapping ErrMalformed that name the line and, where one column is at
// fault, the column: a line without a "Name:" prefix, a value line that
// does not follow its header line or carries a different prefix, a
// different number of keys and values, a value that is not a %lu or %ld
// number (a '+' sign, more than 64 bits), a key that repeats within its
// group, or a group name that repeats (only IcmpMsg is printed in several
// pairs of lines, and their keys must differ).
func ParseSNMP(b []byte, dst *SNMP) error { return parseSNMP("snmp", b, dst) }

// ParseNetstat is ParseSNMP for /proc/net/netstat (the same layout); errors
// name the netstat file.
func ParseNetstat(b []byte, dst *SNMP) error { return parseSNMP("netstat", b, dst) }

func parseSNMP(file string, b []byte, dst *SNMP) error {
	groups := dst.Groups[:0]
	lineNo := 0
	trusted := dst.checked
	dst.checked = 0
	for len(b) > 0 {
		var hdr, val []byte
		hdr, b = scan.Line(b)
		lineNo++
		if (len(hdr) == 0 || scan.IsSpace(hdr[0])) && len(scan.TrimSpace(hdr)) == 0 {
			continue
		}
		hdrLine := lineNo
		if len(b) == 0 {
			dst.Groups = groups
			return malformed(file, hdrLine, nil, "header line without a value line")
		}
		val, b = scan.Line(b)
		lineNo++

		i := len(groups)
		var g *SNMPGroup
		groups, g = reuse.Next(groups)
		// A header line equal to the one last parsed into g: its prefix is
		// g.Name and its keys are g's. Only the values are decoded.
		if len(g.header) > 0 && bytes.Equal(g.header, hdr) {
			if n := len(g.Name); len(val) > n && val[n] == ':' && string(val[:n]) == g.Name && parseSNMPValuesFast(g, val[n+1:]) {
				// The same header lines as the last good parse, so far: no
				// repeats among them.
				if i < trusted {
					continue
				}
				trusted = 0
				if err := checkSNMPGroup(file, hdrLine, groups[:i], g); err != nil {
					dst.Groups = groups
					return err
				}
				continue
			}
		}
		trusted = 0
		name, keys, ok := snmpPrefix(hdr)
		if !ok {
			dst.Groups = groups[:i]
			return malformed(file, hdrLine, nil, "line does not start with a \"Name:\" prefix")
		}
		vname, vals, ok := snmpPrefix(val)
		if !ok || !bytes.Equal(vname, name) {
			dst.Groups = groups[:i]
			return malformed(file, lineNo, nil, "value line does not carry the header's prefix %q", name)
		}
		g.header = g.header[:0]
		g.Name = scan.String(g.Name, name)
		if err := parseSNMPGroup(file, lineNo, g, name, keys, vals); err != nil {
			dst.Groups = groups
			return err
		}
		g.header = append(g.header, hdr...)
		if err := checkSNMPGroup(file, hdrLine, groups[:i], g); err != nil {
			dst.Groups = groups
			return err
		}
	}
	dst.Groups = groups
	dst.checked = len(groups)
	return nil
}

// checkSNMPGroup rejects g when its name repeats the name of an earlier
// group: the kernel prints each group once, except IcmpMsg, which
// icmpmsg_put prints in pairs of lines of up to 16 keys, every key once.
func checkSNMPGroup(file string, hdrLine int, earlier []SNMPGroup, g *SNMPGroup) error {
	for j := range earlier {
		p := &earlier[j]
		if p.Name != g.Name {
			continue
		}
		if g.Name != "IcmpMsg" {
			return malformedAt(file, hdrLine, 1, nil, "group %q repeats: the kernel prints each group once", g.Name)
		}
		for k := range g.Fields {
			for q := range p.Fields {
				if g.Fields[k].Name == p.Fields[q].Name {
					return malformedAt(file, hdrLine, k+2, nil, "IcmpMsg key %q repeats a key of an earlier IcmpMsg line", g.Fields[k].Name)
				}
			}
		}
	}
	return nil
}

// parseSNMPValuesFast decodes a value line whose header is unchanged since
// the group was last parsed, in one pass. It returns false, leaving the
// group to the general parser, on anything unusual (including every error).
func parseSNMPValuesFast(g *SNMPGroup, vals []byte) bool {
	signedGroup := g.Name == "Tcp" || g.Name == "Ip"
	l := fieldLexer{b: vals}
	for i := range g.Fields {
		// The kernel separates values by one space.
		if l.i >= len(l.b) || l.b[l.i] != ' ' {
			return false
		}
		l.i++
		if l.i < len(l.b) && l.b[l.i] == ' ' {
			l.spaces()
		}
		f := &g.Fields[i]
		neg := l.is('-')
		v, n := l.dec()
		if n == 0 || n > 19 || (l.i < len(l.b) && l.b[l.i] != ' ') {
			return false
		}
		switch {
		case neg:
			if v > 1<<63 {
				return false
			}
			f.Value, f.Signed = uint64(-int64(v)), true
		case signedGroup && signedSNMPKey(g.Name, f.Name):
			if v > 1<<63-1 {
				return false
			}
			f.Value, f.Signed = v, true
		default:
			f.Value, f.Signed = v, false
		}
	}
	l.spaces()
	return l.i == len(l.b)
}

// snmpPrefix splits "Name: rest" into Name and rest.
func snmpPrefix(line []byte) (name, rest []byte, ok bool) {
	for i, c := range line {
		if c == ':' {
			name = scan.TrimSpace(line[:i])
			return name, line[i+1:], len(name) > 0
		}
		if scan.IsSpace(c) {
			return nil, nil, false
		}
	}
	return nil, nil, false
}

func parseSNMPGroup(file string, valLine int, g *SNMPGroup, name, keys, vals []byte) error {
	fields := g.Fields[:0]
	col := 1 // the "Name:" prefix
	for {
		var k, v []byte
		k, keys = scan.Field(keys)
		v, vals = scan.Field(vals)
		if len(k) == 0 && len(v) == 0 {
			break
		}
		col++
		if len(k) == 0 || len(v) == 0 {
			g.Fields = fields
			nk, nv := col-2, col-2
			for len(k) > 0 {
				nk++
				k, keys = scan.Field(keys)
			}
			for len(v) > 0 {
				nv++
				v, vals = scan.Field(vals)
			}
			return malformedAt(file, valLine, col, nil, "%s: %d keys but %d values", name, nk, nv)
		}
		n := len(fields)
		var f *SNMPField
		fields, f = reuse.Next(fields)
		f.Name = scan.String(f.Name, k)
		if err := parseSNMPValue(v, f, signedSNMPKey(name, k)); err != nil {
			g.Fields = fields[:n]
			return malformedAt(file, valLine, col, err, "%s %s: value %q", name, k, v)
		}
	}
	g.Fields = fields
	// The header line is the line before the values.
	if i, j := repeatIn(fields, func(f *SNMPField) string { return f.Name }); i >= 0 {
		return malformedAt(file, valLine-1, i+2, nil, "%s: key %q repeats column %d", name, fields[i].Name, j+2)
	}
	return nil
}

// parseSNMPValue decodes a value printed with %lu or %ld: digits, or a
// minus sign and digits. A '+' is never printed.
func parseSNMPValue(v []byte, f *SNMPField, signed bool) error {
	if v[0] == '-' {
		n, err := scan.Int(v)
		if err != nil {
			return err
		}
		f.Value, f.Signed = uint64(n), true
		return nil
	}
	n, err := scan.Uint(v)
	if err != nil {
		return err
	}
	if signed && n > 1<<63-1 {
		return scan.ErrRange
	}
	f.Value, f.Signed = n, signed
	return nil
}

// Get returns key from the first group named group that has it.
func (s *SNMP) Get(group, key string) (SNMPField, bool) {
	for i := range s.Groups {
		g := &s.Groups[i]
		if g.Name != group {
			continue
		}
		if f, ok := g.Get(key); ok {
			return f, true
		}
	}
	return SNMPField{}, false
}

// Counter returns group/key as a Counter; Present is false when the file
// does not hold the key (this kernel does not report it).
func (s *SNMP) Counter(group, key string) Counter {
	f, ok := s.Get(group, key)
	if !ok {
		return Counter{}
	}
	return f.Counter()
}

// Get returns the field named key.
func (g *SNMPGroup) Get(key string) (SNMPField, bool) {
	for _, f := range g.Fields {
		if f.Name == key {
			return f, true
		}
	}
	return SNMPField{}, false
}

// SNMP reads /proc/net/snmp once.
func (fs FS) SNMP() (SNMP, error) { return readOnce(fs.NetPath("snmp"), ParseSNMP) }

// SNMPReader opens /proc/net/snmp for repeated reads that allocate nothing
// in steady state.
func (fs FS) SNMPReader() (*Reader[SNMP], error) {
	return openReader(fs.NetPath("snmp"), ParseSNMP)
}

// Netstat reads /proc/net/netstat once.
func (fs FS) Netstat() (SNMP, error) { return readOnce(fs.NetPath("netstat"), ParseNetstat) }

// NetstatReader opens /proc/net/netstat for repeated reads that allocate
// nothing in steady state.
func (fs FS) NetstatReader() (*Reader[SNMP], error) {
	return openReader(fs.NetPath("netstat"), ParseNetstat)
}
