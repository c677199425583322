package procparse

import (
	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// Widths of /proc/net/softnet_stat rows that kernels have printed. The width
// is the number of columns on a row; a column exists only when the row is at
// least that wide. The kernel version does not predict the width (the
// 13-column layout was backported to RHEL 8.5's 4.18, for example), so the
// parser goes by what each row holds.
const (
	// SoftnetWidthMin: processed, dropped, time_squeeze, five always-zero
	// columns (once fastroute) and cpu_collision. Kernels before 2.6.35.
	SoftnetWidthMin = 9
	// SoftnetWidthRPS adds received_rps (2.6.35).
	SoftnetWidthRPS = 10
	// SoftnetWidthFlowLimit adds flow_limit_count (3.11).
	SoftnetWidthFlowLimit = 11
	// SoftnetWidthCPU adds softnet_backlog_len and the CPU index (5.10).
	SoftnetWidthCPU = 13
	// SoftnetWidthQueues adds input_qlen and process_qlen separately (6.4).
	SoftnetWidthQueues = 15
)

// SoftnetStat is /proc/net/softnet_stat: the per-CPU counters of the
// receive softirq (struct softnet_data), one row per online CPU. The kernel
// prints it in net/core/net-procfs.c, softnet_seq_show.
type SoftnetStat struct {
	CPUs []SoftnetCPU
}

// SoftnetCPU is one row of /proc/net/softnet_stat.
//
// The kernel keeps these counters as 32-bit unsigned integers and prints them
// with %08x: they wrap at 2^32. They are stored as uint64 exactly as printed;
// a consumer computing rates takes deltas as uint32(cur - prev) (netstack
// does). Columns a kernel does not print have Present false.
type SoftnetCPU struct {
	// CPU is the CPU this row belongs to: the CPU index column when the row
	// has one (13 columns or more, since 5.10), else the row number. Rows
	// skip offline CPUs, so without the column the row number is only a
	// guess on a machine with CPUs offline; CPUFromFile tells which.
	CPU         uint32
	CPUFromFile bool

	// Width is the number of columns on this row (9, 10, 11, 13, 15 or
	// more). Every row of one file has the same width: the parser rejects
	// a file whose rows differ.
	Width int

	// Processed (column 1, sd->processed): packets this CPU's NET_RX softirq
	// took for processing, counted in __netif_receive_skb_core.
	Processed uint64
	// Dropped (column 2, sd->dropped): packets dropped because this CPU's
	// input backlog was longer than net.core.netdev_max_backlog (or the
	// flow limit hit), in enqueue_to_backlog. Only RPS and non-NAPI
	// drivers (and veth, loopback) queue there.
	Dropped uint64
	// TimeSqueeze (column 3, sd->time_squeeze): times net_rx_action stopped
	// with work left because net.core.netdev_budget or
	// netdev_budget_usecs ran out.
	TimeSqueeze uint64
	// CPUCollision (column 9): contended tx lock in old kernels; printed as a
	// constant 0 since 5.10.
	CPUCollision uint64

	// ReceivedRPS (column 10, sd->received_rps): times this CPU was woken by
	// an inter-processor interrupt to process packets steered to it by
	// RPS/RFS. Since 2.6.35.
	ReceivedRPS Counter
	// FlowLimitCount (column 11, sd->flow_limit ->count): packets dropped by
	// the RPS flow limit (net.core.flow_limit_cpu_bitmap). Since 3.11.
	FlowLimitCount Counter
	// BacklogLen (column 12, softnet_backlog_len): packets waiting in this
	// CPU's backlog queues when the file was read (a gauge). Since 5.10.
	BacklogLen Counter
	// InputQueueLen and ProcessQueueLen (columns 14 and 15): the two halves
	// of BacklogLen, sd->input_pkt_queue and sd->process_queue. Since 6.4.
	InputQueueLen   Counter
	ProcessQueueLen Counter

	// Extra holds the columns after the 15th, for kernels newer than this
	// parser. It is reused between parses.
	Extra []uint64
}

// ParseSoftnetStat parses the content of /proc/net/softnet_stat into dst,
// reusing dst.CPUs and each row's Extra.
//
// It accepts only what softnet_seq_show can print: every column is exactly
// eight lowercase hexadecimal digits (%08x of a 32-bit counter), a row holds
// at least 9 columns, and every row of the file holds the same number of
// columns (one format string prints them all). Anything else is a
// *ParseError wrapping ErrMalformed that names the line and the column.
func ParseSoftnetStat(b []byte, dst *SoftnetStat) error {
	cpus := dst.CPUs[:0]
	lineNo := 0
	width, widthLine := 0, 0
	for len(b) > 0 {
		var line []byte
		line, b = scan.Line(b)
		lineNo++
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		row := len(cpus)
		var c *SoftnetCPU
		cpus, c = reuse.Next(cpus)
		if err := parseSoftnetRow(line, lineNo, row, c); err != nil {
			dst.CPUs = cpus[:row]
			return err
		}
		if width == 0 {
			width, widthLine = c.Width, lineNo
		} else if c.Width != width {
			dst.CPUs = cpus[:row]
			return malformedAt("softnet_stat", lineNo, min(c.Width, width)+1, nil,
				"%d columns, but line %d has %d: the kernel prints every row with the same columns", c.Width, widthLine, width)
		}
	}
	dst.CPUs = cpus
	return nil
}

func parseSoftnetRow(line []byte, lineNo, row int, c *SoftnetCPU) error {
	extra := c.Extra[:0]
	*c = SoftnetCPU{CPU: uint32(row)}
	// One pass over the line as the kernel prints it (columns of eight
	// lowercase hexadecimal digits separated by spaces); anything else goes
	// through the field-by-field path, which produces the error.
	l := fieldLexer{b: line}
	col := 0
	for {
		l.spaces()
		if l.i == len(l.b) {
			break
		}
		v, ok := l.hexWordLower() // the kernel's %08x
		if !ok {
			return parseSoftnetRowSlow(line, lineNo, row, c, extra)
		}
		col++
		extra = c.setColumn(col, v, extra)
	}
	c.Width = col
	c.Extra = extra
	if col < SoftnetWidthMin {
		return malformedAt("softnet_stat", lineNo, col+1, nil, "%d columns, want at least %d", col, SoftnetWidthMin)
	}
	return nil
}

// setColumn stores column col (1-based) of a row, appending columns past
// the 15th to extra.
func (c *SoftnetCPU) setColumn(col int, v uint64, extra []uint64) []uint64 {
	switch col {
	case 1:
		c.Processed = v
	case 2:
		c.Dropped = v
	case 3:
		c.TimeSqueeze = v
	case 9:
		c.CPUCollision = v
	case 10:
		c.ReceivedRPS = Counter{v, true}
	case 11:
		c.FlowLimitCount = Counter{v, true}
	case 12:
		c.BacklogLen = Counter{v, true}
	case 13:
		c.CPU = uint32(v)
		c.CPUFromFile = true
	case 14:
		c.InputQueueLen = Counter{v, true}
	case 15:
		c.ProcessQueueLen = Counter{v, true}
	default:
		if col > SoftnetWidthQueues {
			extra = append(extra, v)
		}
	}
	return extra
}

func parseSoftnetRowSlow(line []byte, lineNo, row int, c *SoftnetCPU, extra []uint64) error {
	extra = extra[:0]
	*c = SoftnetCPU{CPU: uint32(row)}
	col := 0
	for {
		var f []byte
		f, line = scan.Field(line)
		if len(f) == 0 {
			break
		}
		col++
		v, err := scan.Hex(f)
		if err == nil && (len(f) != 8 || !isLowerHex(f)) {
			err = scan.ErrSyntax
			if len(f) > 8 {
				err = scan.ErrRange
			}
		}
		if err != nil {
			c.Extra = extra
			return malformedAt("softnet_stat", lineNo, col, err,
				"%q is not eight lowercase hexadecimal digits (the kernel prints a 32-bit counter with %%08x)", f)
		}
		extra = c.setColumn(col, v, extra)
	}
	c.Width = col
	c.Extra = extra
	if col < SoftnetWidthMin {
		return malformedAt("softnet_stat", lineNo, col+1, nil, "%d columns, want at least %d", col, SoftnetWidthMin)
	}
	return nil
}

// isLowerHex reports whether b holds only 0-9 and a-f.
func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// SoftnetStat reads /proc/net/softnet_stat once.
func (fs FS) SoftnetStat() (SoftnetStat, error) {
	return readOnce(fs.NetPath("softnet_stat"), ParseSoftnetStat)
}

// SoftnetStatReader opens /proc/net/softnet_stat for repeated reads that
// allocate nothing in steady state.
func (fs FS) SoftnetStatReader() (*Reader[SoftnetStat], error) {
	return openReader(fs.NetPath("softnet_stat"), ParseSoftnetStat)
}
