package procparse

import (
	"fmt"
	"strings"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// Names of the per-CPU statistics tables below /proc/net/stat that lie on
// the packet's path. Pass them to [FS.StatTable] and [FS.StatTableReader].
const (
	// StatARPCache is the IPv4 neighbour table (net/core/neighbour.c
	// neigh_stat_seq_show). On the TX path, table_fulls counts neighbour
	// allocations refused because the table was full and
	// unresolved_discards counts packets dropped while waiting for ARP
	// resolution (the arp_queue overflowed). Present only in the initial
	// network namespace.
	StatARPCache = "arp_cache"
	// StatNDISCCache is the IPv6 neighbour table, printed by the same
	// function as arp_cache. Present only in the initial network namespace
	// and only when IPv6 is enabled.
	StatNDISCCache = "ndisc_cache"
	// StatNFConntrack is connection tracking
	// (net/netfilter/nf_conntrack_standalone.c ct_cpu_seq_show). On the RX
	// path, drop, early_drop and insert_failed count packets conntrack
	// refused. Absent unless nf_conntrack is loaded; present per namespace.
	StatNFConntrack = "nf_conntrack"
	// StatRTCache is the IPv4 route cache (net/ipv4/route.c
	// rt_cpu_seq_show). Since the route cache was removed (3.6) several
	// columns are always 0; in_slow_tot, out_slow_tot and in_martian_*
	// still count. The file is listed in every network namespace but its
	// counters and entries are machine-wide.
	StatRTCache = "rt_cache"
)

// StatTable is one /proc/net/stat/* file: a header line of column names
// followed by one row of hexadecimal counters per possible CPU.
//
// Rows follow the kernel's for_each_possible_cpu order; the files do not
// print the CPU number, so row i is the i-th possible CPU (CPU i whenever
// the possible CPUs are numbered without gaps, as on every machine seen).
//
// Widths: neighbour tables print unsigned long (64 bits on 64-bit kernels);
// conntrack and rt_cache print unsigned int counters that wrap at 2^32;
// [StatTable.SumDelta] differences two reads CPU by CPU across either wrap. The "entries" column is not a
// per-CPU counter but a global gauge (the table's current size) repeated on
// every row: use [StatTable.Entries], not [StatTable.Sum], for it.
//
// Seen on Linux 6.18 (arp_cache and ndisc_cache with 13 columns,
// nf_conntrack with 17, rt_cache with 17); columns are looked up by header
// name, so columns added or removed by other versions are handled.
type StatTable struct {
	// Columns holds the header names in file order.
	Columns []string
	// Values holds the counters row by row: row r, column c is
	// Values[r*len(Columns)+c].
	Values []uint64
}

// Rows is the number of per-CPU rows.
func (t *StatTable) Rows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return len(t.Values) / len(t.Columns)
}

// Column returns the index of the named column, or -1 when the kernel does
// not print it.
func (t *StatTable) Column(name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Value returns the named column of one row. ok is false when the column
// is absent or row is out of range.
func (t *StatTable) Value(row int, name string) (v uint64, ok bool) {
	c := t.Column(name)
	if c < 0 || row < 0 || row >= t.Rows() {
		return 0, false
	}
	return t.Values[row*len(t.Columns)+c], true
}

// Sum adds the named column over all CPU rows: the machine-wide count of a
// per-CPU counter. ok is false when the column is absent. The sum of
// 32-bit per-CPU counters wraps like the counters do.
func (t *StatTable) Sum(name string) (sum uint64, ok bool) {
	c := t.Column(name)
	if c < 0 {
		return 0, false
	}
	n := len(t.Columns)
	for r := 0; r < t.Rows(); r++ {
		sum += t.Values[r*n+c]
	}
	return sum, true
}

// Entries returns the "entries" column: the table's current number of
// entries (neighbours, conntrack entries, dst entries), a global gauge the
// kernel repeats on every row. ok is false when the column is absent or
// there are no rows.
func (t *StatTable) Entries() (n uint64, ok bool) {
	return t.Value(0, "entries")
}

// ParseStatTable parses a /proc/net/stat/* file into dst, reusing dst's
// slices and column names. Every row must have as many fields as the
// header. The format (net/core/neighbour.c neigh_stat_seq_show,
// net/netfilter/nf_conntrack_standalone.c ct_cpu_seq_show, net/ipv4/route.c
// rt_cpu_seq_show; seen on 6.18) is described at [StatTable]. The file name
// in errors is "stat".
func ParseStatTable(b []byte, dst *StatTable) error {
	const file = "stat"
	line, rest := scan.Line(b)
	var field []byte
	dst.Columns = dst.Columns[:0]
	dst.Values = dst.Values[:0]
	for f := line; ; {
		field, f = scan.Field(f)
		if len(field) == 0 {
			break
		}
		var c *string
		dst.Columns, c = reuse.Next(dst.Columns)
		*c = scan.String(*c, field)
	}
	ncol := len(dst.Columns)
	if ncol == 0 {
		return malformed(file, 1, nil, "missing header line")
	}
	for lineNo := 2; len(rest) > 0; lineNo++ {
		line, rest = scan.Line(rest)
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		col := 0
		for {
			field, line = scan.Field(line)
			if len(field) == 0 {
				break
			}
			if col == ncol {
				return malformed(file, lineNo, nil, "more than %d fields", ncol)
			}
			v, err := scan.Hex(field)
			if err != nil {
				return malformed(file, lineNo, err, "column %q: %q is not hexadecimal", dst.Columns[col], field)
			}
			dst.Values = append(dst.Values, v)
			col++
		}
		if col != ncol {
			return malformed(file, lineNo, nil, "%d fields, header has %d", col, ncol)
		}
	}
	return nil
}

// StatTable reads /proc/net/stat/<name> once (name is one of the Stat*
// constants or another table there, e.g. "synproxy"). The error wraps
// os.ErrNotExist when the table is absent: the module is not loaded
// (nf_conntrack) or the table exists only in the initial network namespace
// (arp_cache, ndisc_cache).
func (fs FS) StatTable(name string) (StatTable, error) {
	if err := checkStatName(name); err != nil {
		return StatTable{}, err
	}
	return readOnce(fs.NetPath("stat", name), ParseStatTable)
}

// StatTableReader opens /proc/net/stat/<name> for repeated reads; see
// [FS.StatTable].
func (fs FS) StatTableReader(name string) (*Reader[StatTable], error) {
	if err := checkStatName(name); err != nil {
		return nil, err
	}
	return openReader(fs.NetPath("stat", name), ParseStatTable)
}

func checkStatName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return fmt.Errorf("procparse: invalid stat table name %q", name)
	}
	return nil
}

// SumDelta returns how much the named per-CPU counter grew, over all CPUs,
// from prev to t (two reads of the same table). Each CPU's counter is
// differenced on its own, so a 32-bit counter that wrapped past 2^32
// between the reads (conntrack, rt_cache) still gives the right growth, as
// does a 64-bit one. ok is false when the column is absent from either
// read or the row counts differ.
func (t *StatTable) SumDelta(prev *StatTable, name string) (delta uint64, ok bool) {
	c, pc := t.Column(name), prev.Column(name)
	rows := t.Rows()
	if c < 0 || pc < 0 || rows != prev.Rows() {
		return 0, false
	}
	n, pn := len(t.Columns), len(prev.Columns)
	for r := range rows {
		delta += counterDelta(prev.Values[r*pn+pc], t.Values[r*n+c])
	}
	return delta, true
}

// counterDelta is cur-prev for a counter the kernel may keep in 32 or 64
// bits: a decrease from a value that fits in 32 bits is a 32-bit wrap, a
// decrease from a larger one a 64-bit wrap.
func counterDelta(prev, cur uint64) uint64 {
	if cur < prev && prev <= 1<<32-1 {
		return uint64(uint32(cur) - uint32(prev))
	}
	return cur - prev
}
