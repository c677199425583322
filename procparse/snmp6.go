package procparse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// SNMP6 is /proc/net/snmp6 (or a per-device /proc/net/dev_snmp6/IFNAME):
// one "Name value" pair per line, the name carrying its group as a prefix
// (Ip6InReceives, Icmp6InErrors, Udp6RcvbufErrors, UdpLite6NoPorts).
//
// The kernel prints it in net/ipv6/proc.c snmp6_seq_show (and
// snmp6_dev_seq_show for dev_snmp6, which starts with "ifIndex"), name
// padded to 32 columns, then a tab, then the value with %lu. Every line is
// kept, known to this package or not.
type SNMP6 struct {
	Fields []SNMPField

	// checked is the number of fields of the last parse into this value
	// that succeeded, known to hold no repeated name. A parse that meets
	// the same names in the same order skips the check for repeats.
	checked int
}

// ParseSNMP6 parses /proc/net/snmp6 content into dst, reusing its slice and,
// when the layout is unchanged, its name strings. It accepts only lines the
// kernel prints: a name and an unsigned number (%lu, %llu, or %u for
// ifIndex; never a sign), every name once. Anything else is a *ParseError
// wrapping ErrMalformed that names the line and the column.
func ParseSNMP6(b []byte, dst *SNMP6) error {
	// The loop keeps as little state as the fast path needs: the slow path
	// is a call that knows neither the file nor dst, and line numbers are
	// worked out only for an error.
	fields := dst.Fields[:0]
	p := b
	slow := false // some line took the slow path: check for repeats
	for len(p) > 0 {
		if n := len(fields); n < cap(fields) {
			if rest, ok := parseSNMP6Fast(p, &fields[:n+1][n]); ok {
				fields, p = fields[:n+1], rest
				continue
			}
		}
		var pe *ParseError
		if fields, p, pe = parseSNMP6Line(p, fields); pe != nil {
			pe.Line = bytes.Count(b[:len(b)-len(p)], []byte{'\n'}) + 1
			dst.Fields, dst.checked = fields, 0
			return pe
		}
		slow = true
	}
	dst.Fields = fields
	if slow || len(fields) > dst.checked {
		if i, j := repeatIn(fields, func(f *SNMPField) string { return f.Name }); i >= 0 {
			dst.checked = 0
			return malformedAt("snmp6", snmp6Line(b, i), 1, nil, "%q repeats line %d", fields[i].Name, snmp6Line(b, j))
		}
	}
	dst.checked = len(fields)
	return nil
}

// parseSNMP6Line decodes the line at the start of p into a new element of
// fields, field by field, and returns what follows it. On an error it
// returns p unchanged and a *ParseError whose Line the caller fills in.
func parseSNMP6Line(p []byte, fields []SNMPField) ([]SNMPField, []byte, *ParseError) {
	line, rest := scan.Line(p)
	name, tail := scan.Field(line)
	if len(name) == 0 {
		return fields, rest, nil
	}
	bad := func(col int, err error, format string, args ...any) *ParseError {
		return &ParseError{File: "snmp6", Column: col, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	val, tail := scan.Field(tail)
	if len(val) == 0 {
		return fields, p, bad(2, nil, "%q has no value", name)
	}
	if extra, _ := scan.Field(tail); len(extra) > 0 {
		return fields, p, bad(3, nil, "%q: more than one value", name)
	}
	n := len(fields)
	var f *SNMPField
	fields, f = reuse.Next(fields)
	f.Name = scan.String(f.Name, name)
	err := scan.ErrSyntax // a sign: the kernel prints these unsigned
	if val[0] != '-' && val[0] != '+' {
		err = parseSNMPValue(val, f, scan.Equal(name, "ifIndex"))
	}
	if err != nil {
		return fields[:n], p, bad(2, err, "%s: value %q", name, val)
	}
	return fields, rest, nil
}

// snmp6Line is the 1-based line of b that holds field i (blank lines hold
// none).
func snmp6Line(b []byte, i int) int {
	lineNo := 0
	for len(b) > 0 {
		var line []byte
		line, b = scan.Line(b)
		lineNo++
		if f, _ := scan.Field(line); len(f) > 0 {
			if i == 0 {
				return lineNo
			}
			i--
		}
	}
	return lineNo
}

// snmp6NameWidth is the column the kernel pads snmp6 names to ("%-32s\t").
const snmp6NameWidth = 32

// snmp6Padded reports whether the bytes of line from k (the name's length)
// to the 32nd column are spaces, checking 8 bytes at a time: the words at
// k, k+8, ... below column 24 and the word ending at column 32.
func snmp6Padded(line *[snmp6NameWidth]byte, k int) bool {
	if k > snmp6NameWidth-8 {
		for _, c := range line[k:] {
			if c != ' ' {
				return false
			}
		}
		return true
	}
	for j := k; j < snmp6NameWidth-8; j += 8 {
		if binary.LittleEndian.Uint64(line[j:]) != spaces8 {
			return false
		}
	}
	return binary.LittleEndian.Uint64(line[snmp6NameWidth-8:]) == spaces8
}

// parseSNMP6Fast decodes the line at the start of b into f when it names
// the same key as f did in the previous parse and is laid out as the kernel
// prints it: the name, padding (spaces to column 32, then a tab), a number,
// the newline. It returns the bytes after the line. On anything else it
// returns false and leaves f alone. It scans the line once, without a
// separate search for its end, since this is the whole cost of re-reading
// snmp6 at a high rate.
func parseSNMP6Fast(b []byte, f *SNMPField) (rest []byte, ok bool) {
	if len(f.Name) == 0 || len(b) <= len(f.Name) || string(b[:len(f.Name)]) != f.Name {
		return nil, false
	}
	l := fieldLexer{b: b, i: len(f.Name)}
	if k := len(f.Name); k < snmp6NameWidth && len(b) > snmp6NameWidth && b[snmp6NameWidth] == '\t' &&
		snmp6Padded((*[snmp6NameWidth]byte)(b[:snmp6NameWidth]), k) {
		l.i = snmp6NameWidth + 1
	} else {
		l.spaces()
		for l.i < len(l.b) && (l.b[l.i] == ' ' || l.b[l.i] == '\t') {
			l.i++
		}
		if l.i == len(f.Name) {
			return nil, false
		}
	}
	v, n := l.dec()
	if n == 0 || n > 19 {
		return nil, false
	}
	if l.i < len(l.b) && l.b[l.i] == '\n' {
		rest = l.b[l.i+1:]
	} else {
		l.spaces()
		switch {
		case l.i == len(l.b):
			rest = l.b[l.i:]
		case l.b[l.i] == '\n':
			rest = l.b[l.i+1:]
		default:
			return nil, false
		}
	}
	signed := f.Name == "ifIndex"
	if signed && v > 1<<63-1 {
		return nil, false
	}
	f.Value, f.Signed = v, signed
	return rest, true
}

// Get returns the field named name (e.g. "Udp6InErrors").
func (s *SNMP6) Get(name string) (SNMPField, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return SNMPField{}, false
}

// Counter returns the field named name as a Counter; Present is false when
// the file does not hold it.
func (s *SNMP6) Counter(name string) Counter {
	f, ok := s.Get(name)
	if !ok {
		return Counter{}
	}
	return f.Counter()
}

// each calls fn with the name without prefix of every field whose name
// starts with prefix.
func (s *SNMP6) each(prefix string, fn func(key string, f SNMPField)) {
	for _, f := range s.Fields {
		if strings.HasPrefix(f.Name, prefix) {
			fn(f.Name[len(prefix):], f)
		}
	}
}

// SNMP6 reads /proc/net/snmp6 once.
func (fs FS) SNMP6() (SNMP6, error) { return readOnce(fs.NetPath("snmp6"), ParseSNMP6) }

// SNMP6Reader opens /proc/net/snmp6 for repeated reads that allocate nothing
// in steady state.
func (fs FS) SNMP6Reader() (*Reader[SNMP6], error) {
	return openReader(fs.NetPath("snmp6"), ParseSNMP6)
}

// DevSNMP6 reads /proc/net/dev_snmp6/ifname once: the IPv6 and ICMPv6
// counters of one interface, with its ifIndex first. A device without IPv6
// (or that does not exist) has no file: the error wraps os.ErrNotExist.
func (fs FS) DevSNMP6(ifname string) (SNMP6, error) {
	if err := checkIfname(ifname); err != nil {
		return SNMP6{}, err
	}
	return readOnce(fs.NetPath("dev_snmp6", ifname), ParseSNMP6)
}

// DevSNMP6Reader opens /proc/net/dev_snmp6/ifname for repeated reads that
// allocate nothing in steady state.
func (fs FS) DevSNMP6Reader(ifname string) (*Reader[SNMP6], error) {
	if err := checkIfname(ifname); err != nil {
		return nil, err
	}
	return openReader(fs.NetPath("dev_snmp6", ifname), ParseSNMP6)
}

// checkIfname rejects names that would lead outside dev_snmp6.
func checkIfname(ifname string) error {
	if ifname == "" || ifname == "." || ifname == ".." || strings.ContainsRune(ifname, '/') {
		return fmt.Errorf("procparse: dev_snmp6: invalid interface name %q", ifname)
	}
	return nil
}
