package procparse

import (
	"bytes"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// NetDev is /proc/net/dev: the interface counters of the network namespace,
// one line per device. The kernel prints it in net/core/net-procfs.c
// dev_seq_show / dev_seq_printf_stats from dev_get_stats (struct
// rtnl_link_stats64), after two header lines.
type NetDev struct {
	Devices []NetDevStats

	// checked is the number of devices of the last good parse into this
	// value: their names are known to differ from each other.
	checked int
}

// NetDevStats is one device's line of /proc/net/dev. Every counter is a
// 64-bit unsigned count since the device was created (drivers may keep
// narrower counters internally). Several columns are sums of
// rtnl_link_stats64 fields, as noted.
type NetDevStats struct {
	// Name is the interface name as printed: it may contain colons (names
	// from older kernels and aliases such as "ibr10:30") and non-ASCII bytes.
	Name string

	RxBytes   uint64 // rx_bytes
	RxPackets uint64 // rx_packets
	RxErrors  uint64 // rx_errors
	// RxDropped is rx_dropped + rx_missed_errors: packets the driver or
	// the core dropped, plus those the NIC missed for lack of ring space.
	RxDropped    uint64
	RxFIFO       uint64 // rx_fifo_errors
	RxFrame      uint64 // rx_length_errors + rx_over_errors + rx_crc_errors + rx_frame_errors
	RxCompressed uint64 // rx_compressed
	RxMulticast  uint64 // multicast (received multicast packets)

	TxBytes      uint64 // tx_bytes
	TxPackets    uint64 // tx_packets
	TxErrors     uint64 // tx_errors
	TxDropped    uint64 // tx_dropped
	TxFIFO       uint64 // tx_fifo_errors
	TxCollisions uint64 // collisions
	// TxCarrier is tx_carrier_errors + tx_aborted_errors +
	// tx_window_errors + tx_heartbeat_errors.
	TxCarrier    uint64
	TxCompressed uint64 // tx_compressed
}

// netDevColumns is the number of counters on a device line.
const netDevColumns = 16

// ParseNetDev parses /proc/net/dev content into dst, reusing dst.Devices and
// the device name strings when they are unchanged.
//
// The name is everything before the last colon of the line (counters never
// hold one), trimmed of the padding the kernel's %6s adds; no space is
// required after the colon, because a counter wider than its column follows
// the colon directly ("eth0:68210035552 ..."). A device line must hold
// exactly 16 decimal counters (%llu: digits only, at most 64 bits), and a
// device name appears once (no two devices of a namespace share a name);
// anything else is a *ParseError wrapping ErrMalformed naming the line and,
// for a counter, the column (the name is column 1, rx bytes column 2). The
// two header lines (containing '|') are skipped.
func ParseNetDev(b []byte, dst *NetDev) error {
	trusted := dst.checked
	dst.checked = 0
	devs := dst.Devices[:0]
	b0 := b
	lineNo := 0
	for len(b) > 0 {
		var line []byte
		line, b = scan.Line(b)
		lineNo++
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		// The name ends at the last colon (counters hold none); names rarely
		// hold one, so look forward first.
		colon := bytes.IndexByte(line, ':')
		if colon >= 0 && bytes.IndexByte(line[colon+1:], ':') >= 0 {
			colon = bytes.LastIndexByte(line, ':')
		}
		if colon < 0 {
			if lineNo <= 2 && bytes.IndexByte(line, '|') >= 0 {
				continue // "Inter-|   Receive ..." and " face |bytes ..."
			}
			dst.Devices = devs
			return malformed("dev", lineNo, nil, "no \"name:\" before the counters")
		}
		name := scan.TrimSpace(line[:colon])
		if len(name) == 0 {
			dst.Devices = devs
			return malformed("dev", lineNo, nil, "empty interface name")
		}
		n := len(devs)
		var d *NetDevStats
		devs, d = reuse.Next(devs)
		if err := parseNetDevCounters(line[colon+1:], lineNo, d); err != nil {
			dst.Devices = devs[:n]
			return err
		}
		if !scan.Equal(name, d.Name) {
			d.Name = string(name)
			trusted = 0
		}
	}
	dst.Devices = devs
	if len(devs) > trusted {
		if i, j := repeatIn(devs, func(d *NetDevStats) string { return d.Name }); i >= 0 {
			return malformedAt("dev", netDevLine(b0, i), 1, nil, "device %q repeats line %d", devs[i].Name, netDevLine(b0, j))
		}
	}
	dst.checked = len(devs)
	return nil
}

// netDevLine is the 1-based line of b that holds device i (lines without a
// colon hold none).
func netDevLine(b []byte, i int) int {
	lineNo := 0
	for len(b) > 0 {
		var line []byte
		line, b = scan.Line(b)
		lineNo++
		if bytes.IndexByte(line, ':') >= 0 {
			if i == 0 {
				return lineNo
			}
			i--
		}
	}
	return lineNo
}

func parseNetDevCounters(rest []byte, lineNo int, d *NetDevStats) error {
	var v [netDevColumns]uint64
	// One pass for lines as the kernel prints them; the field-by-field loop
	// below handles the rest and reports errors.
	l := fieldLexer{b: rest}
	col := 0
	for col < netDevColumns {
		l.spaces()
		n, digits := l.dec()
		if digits == 0 || digits > 19 || (l.i < len(l.b) && l.b[l.i] != ' ') {
			break
		}
		v[col] = n
		col++
	}
	if l.spaces(); col == netDevColumns && l.i == len(l.b) {
		d.set(&v)
		return nil
	}
	col = 0
	for {
		var f []byte
		f, rest = scan.Field(rest)
		if len(f) == 0 {
			break
		}
		if col == netDevColumns {
			return malformedAt("dev", lineNo, col+2, nil, "more than %d counters", netDevColumns)
		}
		n, err := scan.Uint(f)
		if err != nil {
			return malformedAt("dev", lineNo, col+2, err, "counter %d %q", col+1, f)
		}
		v[col] = n
		col++
	}
	if col != netDevColumns {
		return malformedAt("dev", lineNo, col+2, nil, "%d counters, want %d", col, netDevColumns)
	}
	d.set(&v)
	return nil
}

func (d *NetDevStats) set(v *[netDevColumns]uint64) {
	*d = NetDevStats{
		Name:         d.Name,
		RxBytes:      v[0],
		RxPackets:    v[1],
		RxErrors:     v[2],
		RxDropped:    v[3],
		RxFIFO:       v[4],
		RxFrame:      v[5],
		RxCompressed: v[6],
		RxMulticast:  v[7],
		TxBytes:      v[8],
		TxPackets:    v[9],
		TxErrors:     v[10],
		TxDropped:    v[11],
		TxFIFO:       v[12],
		TxCollisions: v[13],
		TxCarrier:    v[14],
		TxCompressed: v[15],
	}
}

// Device returns the line of the device named name.
func (d *NetDev) Device(name string) (*NetDevStats, bool) {
	for i := range d.Devices {
		if d.Devices[i].Name == name {
			return &d.Devices[i], true
		}
	}
	return nil, false
}

// NetDev reads /proc/net/dev once.
func (fs FS) NetDev() (NetDev, error) { return readOnce(fs.NetPath("dev"), ParseNetDev) }

// NetDevReader opens /proc/net/dev for repeated reads that allocate nothing
// in steady state.
func (fs FS) NetDevReader() (*Reader[NetDev], error) {
	return openReader(fs.NetPath("dev"), ParseNetDev)
}
