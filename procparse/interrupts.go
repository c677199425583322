package procparse

import (
	"github.com/packetpath/packetpath/internal/scan"
)

// Interrupts is /proc/interrupts: how many times each interrupt fired on
// each online CPU, with the chip, hardware IRQ number, flow handler and the
// names of the handlers (actions) registered on it.
//
// The kernel prints it in kernel/irq/proc.c show_interrupts (numbered IRQs)
// and in the architecture's arch_show_interrupts (named rows such as NMI,
// LOC, RES on x86; IPI0.. on arm64).
type Interrupts struct {
	// CPUs holds the CPU numbers of the count columns, from the header
	// ("CPU0 CPU1 ..."). Only online CPUs have a column, so column i is
	// CPU CPUs[i], not necessarily CPU i.
	CPUs []int
	// Rows holds one entry per line after the header, in file order.
	Rows []InterruptRow

	// checked is the number of rows of the last good parse into this
	// value: their names are known to differ from each other.
	checked int
}

// InterruptRow is one line of /proc/interrupts.
type InterruptRow struct {
	// Name is the text before the colon: the IRQ number ("38") or an
	// architecture row name ("NMI", "LOC", "ERR").
	Name string
	// IRQ is the Linux IRQ number (the directory name under /proc/irq), or
	// -1 for a named row.
	IRQ int
	// Counts holds the per-CPU counts, column i belonging to
	// Interrupts.CPUs[i] (kstat_irqs_cpu). Some named rows print fewer
	// columns than there are CPUs: x86 ERR and MIS print one global count.
	// The kernel keeps these counts in 32 bits (unsigned int) and they
	// wrap at 2^32: take differences with IRQCountDelta.
	Counts []uint64
	// Chip is the interrupt chip's name (irq_chip.name or irq_print_chip),
	// e.g. "IO-APIC" or "PCI-MSIX-0000:00:03.0". Empty for named rows.
	Chip string
	// HWIRQ is the hardware IRQ number inside the chip's domain
	// (irq_data.hwirq); HasHWIRQ is false when the kernel printed none
	// (the IRQ has no domain) or the row is a named row.
	HWIRQ    uint64
	HasHWIRQ bool
	// Level is "Level" or "Edge" on kernels built with
	// CONFIG_GENERIC_IRQ_SHOW_LEVEL (arm, arm64, ...); empty elsewhere.
	Level string
	// Handler is the flow handler's name (irq_desc.name: "edge",
	// "fasteoi", ...) printed after the hwirq with a dash; empty if none.
	Handler string
	// Actions holds the handler names (irqaction.name) as printed, joined
	// by ", " when the IRQ is shared, e.g. "virtio2-input.0". For a named
	// row it is the description ("Local timer interrupts").
	Actions string
}

// IRQCountDelta is how many interrupts happened between two readings of
// one per-CPU count, allowing for the 32-bit counter wrapping once.
func IRQCountDelta(prev, cur uint64) uint64 {
	return uint64(uint32(cur - prev))
}

// Total is the sum of the row's per-CPU counts.
func (r *InterruptRow) Total() uint64 {
	var t uint64
	for _, c := range r.Counts {
		t += c
	}
	return t
}

// ActionNames calls fn for each handler name of the row (the Actions
// field split at ", "), without allocating.
func (r *InterruptRow) ActionNames(fn func(name string)) {
	s := r.Actions
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ',' {
			i++
		}
		name := trimSpaceString(s[:i])
		if name != "" {
			fn(name)
		}
		if i == len(s) {
			return
		}
		s = s[i+1:]
	}
}

// Row returns the row for IRQ number irq, or nil.
func (in *Interrupts) Row(irq int) *InterruptRow {
	for i := range in.Rows {
		if in.Rows[i].IRQ == irq {
			return &in.Rows[i]
		}
	}
	return nil
}

// NamedRow returns the row called name (e.g. "LOC"), or nil.
func (in *Interrupts) NamedRow(name string) *InterruptRow {
	for i := range in.Rows {
		if in.Rows[i].Name == name {
			return &in.Rows[i]
		}
	}
	return nil
}

func trimSpaceString(s string) string {
	for len(s) > 0 && scan.IsSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && scan.IsSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// Interrupts reads /proc/interrupts once.
func (fs FS) Interrupts() (Interrupts, error) {
	return readOnce(fs.Path("interrupts"), ParseInterrupts)
}

// OpenInterrupts opens /proc/interrupts for repeated reads that reuse the
// destination's slices and allocate nothing in steady state.
func (fs FS) OpenInterrupts() (*Reader[Interrupts], error) {
	return openReader(fs.Path("interrupts"), ParseInterrupts)
}
