package procparse

import (
	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// Softirqs is /proc/softirqs: how many times each softirq ran on each CPU
// since boot. NET_RX is the receive softirq (net_rx_action: NAPI polling,
// GRO, the IP and UDP receive path up to the socket); NET_TX runs the
// qdiscs that could not be drained in the sender's context
// (net_tx_action). A CPU whose NET_RX count climbs is the one doing the
// receive work for the NIC queues steered to it.
//
// Printed by fs/proc/softirqs.c show_softirqs: a header of "CPU%-8d" for
// each possible CPU, then one line per softirq, "%12s:" and " %10u" per
// CPU. The ten softirqs (HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL,
// TASKLET, SCHED, HRTIMER, RCU) are the same from 4.x to 6.18 (seen on
// 6.18); rows are kept by name, so others are not lost.
//
// Counts are the kernel's unsigned int per-CPU counters: they wrap at 2^32;
// [Softirqs.Delta] differences two reads across the wrap.
type Softirqs struct {
	// CPUs holds the CPU numbers of the header, in column order.
	CPUs []int
	// Rows holds one entry per softirq, in file order.
	Rows []SoftirqRow

	// checked is the number of rows of the last good parse into this
	// value: their names are known to differ from each other.
	checked int
}

// SoftirqRow is the per-CPU run counts of one softirq.
type SoftirqRow struct {
	// Name is the softirq as the kernel names it (softirq_to_name), e.g.
	// "NET_RX".
	Name string
	// PerCPU holds one count per entry of Softirqs.CPUs.
	PerCPU []uint64
}

// Row returns the per-CPU counts of the named softirq, nil when absent.
// The slice aliases s.
func (s *Softirqs) Row(name string) []uint64 {
	for i := range s.Rows {
		if s.Rows[i].Name == name {
			return s.Rows[i].PerCPU
		}
	}
	return nil
}

// NetRX returns the NET_RX counts per CPU (index as in s.CPUs).
func (s *Softirqs) NetRX() []uint64 { return s.Row("NET_RX") }

// NetTX returns the NET_TX counts per CPU (index as in s.CPUs).
func (s *Softirqs) NetTX() []uint64 { return s.Row("NET_TX") }

// Delta appends to dst[:0] how many times the named softirq ran on each CPU
// between prev and s (two reads of /proc/softirqs), handling the 32-bit
// wrap of the kernel's counters. It returns nil when the softirq is absent
// from either read or the CPU columns differ. With a dst of sufficient
// capacity it allocates nothing.
func (s *Softirqs) Delta(prev *Softirqs, name string, dst []uint64) []uint64 {
	cur, old := s.Row(name), prev.Row(name)
	if cur == nil || old == nil || len(s.CPUs) != len(prev.CPUs) {
		return nil
	}
	for i := range s.CPUs {
		if s.CPUs[i] != prev.CPUs[i] {
			return nil
		}
	}
	dst = dst[:0]
	for i := range cur {
		dst = append(dst, counterDelta(old[i], cur[i]))
	}
	return dst
}

// ParseSoftirqs parses /proc/softirqs into dst, reusing its slices and
// strings. The file name in errors is "softirqs". The format
// (fs/proc/softirqs.c show_softirqs; seen on 6.18) is described at
// [Softirqs].
//
// It accepts only what the kernel prints: header CPUs in increasing order
// (for_each_possible_cpu), one count per header CPU on every row, each
// count a 32-bit unsigned number (%10u), every softirq name once. Anything
// else is a *ParseError wrapping ErrMalformed naming the line and column.
func ParseSoftirqs(b []byte, dst *Softirqs) error {
	const file = "softirqs"
	trusted := dst.checked
	dst.checked = 0
	dst.CPUs = dst.CPUs[:0]
	dst.Rows = dst.Rows[:0]
	header, rest := scan.Line(b)
	for {
		var f []byte
		f, header = scan.Field(header)
		if len(f) == 0 {
			break
		}
		col := len(dst.CPUs) + 1
		if len(f) < 4 || !scan.Equal(f[:3], "CPU") {
			return malformedAt(file, 1, col, nil, "header field %q is not CPU<n>", f)
		}
		n, err := scan.Uint(f[3:])
		if err != nil || n > 1<<31-1 {
			return malformedAt(file, 1, col, orRange(err), "header field %q is not CPU<n>", f)
		}
		if k := len(dst.CPUs); k > 0 && int(n) <= dst.CPUs[k-1] {
			return malformedAt(file, 1, col, nil, "%s after CPU%d: the kernel lists CPUs in increasing order", f, dst.CPUs[k-1])
		}
		dst.CPUs = append(dst.CPUs, int(n))
	}
	if len(dst.CPUs) == 0 {
		return malformed(file, 1, nil, "missing CPU header line")
	}
	for lineNo := 2; len(rest) > 0; lineNo++ {
		var line []byte
		line, rest = scan.Line(rest)
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		name, counts := scan.Field(line)
		if len(name) < 2 || name[len(name)-1] != ':' {
			return malformedAt(file, lineNo, 1, nil, "line does not start with \"NAME:\"")
		}
		var r *SoftirqRow
		dst.Rows, r = reuse.Next(dst.Rows)
		if name = name[:len(name)-1]; !scan.Equal(name, r.Name) {
			r.Name = string(name)
			trusted = 0
		}
		r.PerCPU = r.PerCPU[:0]
		for {
			var f []byte
			f, counts = scan.Field(counts)
			if len(f) == 0 {
				break
			}
			col := len(r.PerCPU) + 2
			if len(r.PerCPU) == len(dst.CPUs) {
				return malformedAt(file, lineNo, col, nil, "%s: more counts than the %d CPUs of the header", r.Name, len(dst.CPUs))
			}
			v, err := scan.Uint(f)
			if err == nil && v > 1<<32-1 {
				err = scan.ErrRange // an unsigned int
			}
			if err != nil {
				return malformedAt(file, lineNo, col, err, "%s: count %q for CPU%d", r.Name, f, dst.CPUs[len(r.PerCPU)])
			}
			r.PerCPU = append(r.PerCPU, v)
		}
		if len(r.PerCPU) != len(dst.CPUs) {
			return malformedAt(file, lineNo, len(r.PerCPU)+2, nil, "%s: %d counts, header has %d CPUs", r.Name, len(r.PerCPU), len(dst.CPUs))
		}
	}
	if rows := dst.Rows; len(rows) > trusted {
		if i, j := repeatIn(rows, func(r *SoftirqRow) string { return r.Name }); i >= 0 {
			return malformedAt(file, 1+scan.NonBlankLine(headerRest(b), i), 1, nil, "softirq %q repeats line %d", rows[i].Name, 1+scan.NonBlankLine(headerRest(b), j))
		}
	}
	dst.checked = len(dst.Rows)
	return nil
}

// Softirqs reads /proc/softirqs once. The file is machine-wide, not per
// network namespace.
func (fs FS) Softirqs() (Softirqs, error) {
	return readOnce(fs.Path("softirqs"), ParseSoftirqs)
}

// SoftirqsReader opens /proc/softirqs for repeated reads.
func (fs FS) SoftirqsReader() (*Reader[Softirqs], error) {
	return openReader(fs.Path("softirqs"), ParseSoftirqs)
}
