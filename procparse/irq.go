package procparse

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/packetpath/packetpath/internal/scan"
)

// IRQAffinity is where one interrupt may run and where it does run, from
// /proc/irq/N (kernel/irq/proc.c).
type IRQAffinity struct {
	// IRQ is the Linux IRQ number.
	IRQ int
	// Affinity is the set of CPUs the interrupt may be delivered to:
	// smp_affinity_list (irq_data affinity mask, set by the administrator,
	// irqbalance or the driver's managed affinity).
	Affinity CPUSet
	// Effective is the set the interrupt chip actually targets:
	// effective_affinity_list (CONFIG_GENERIC_IRQ_EFFECTIVE_AFF_MASK, x86 and
	// others). On x86 it is a single CPU. HasEffective is false when the
	// kernel does not provide the file; then only Affinity is known.
	Effective    CPUSet
	HasEffective bool
	// Node is the NUMA node of the interrupt (/proc/irq/N/node, -1 when
	// none); HasNode is false when the file is absent (CONFIG_SMP without
	// NUMA, fixture trees).
	Node    int
	HasNode bool
}

// OnCPU reports whether the interrupt may run on cpu: the effective set
// when the kernel reports it, else the affinity set.
func (a *IRQAffinity) OnCPU(cpu int) bool {
	if a.HasEffective {
		return a.Effective.Has(cpu)
	}
	return a.Affinity.Has(cpu)
}

// IRQAffinity reads /proc/irq/N/{smp_affinity_list,effective_affinity_list,
// node}. When a list file is missing the hex mask file beside it
// (smp_affinity, effective_affinity) is used. An IRQ that does not exist
// gives an error wrapping os.ErrNotExist.
func (fs FS) IRQAffinity(irq int) (IRQAffinity, error) {
	a := IRQAffinity{IRQ: irq, Node: -1}
	dir := fs.Path("irq", strconv.Itoa(irq))
	var buf []byte
	ok, err := readCPUSet(dir, "smp_affinity_list", "smp_affinity", &a.Affinity, &buf)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, fmt.Errorf("procparse: %s/smp_affinity_list: %w", dir, os.ErrNotExist)
	}
	a.HasEffective, err = readCPUSet(dir, "effective_affinity_list", "effective_affinity", &a.Effective, &buf)
	if err != nil {
		return a, err
	}
	path := dir + "/node"
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		n, perr := scan.Int(scan.TrimSpace(b))
		if perr != nil {
			return a, malformed(path, 1, perr, "node %q", scan.TrimSpace(b))
		}
		a.Node, a.HasNode = int(n), true
	case errors.Is(err, os.ErrNotExist):
	default:
		return a, fmt.Errorf("procparse: %w", err)
	}
	return a, nil
}

// readCPUSet reads dir/list, or dir/mask when list is absent. ok is false
// when neither exists.
func readCPUSet(dir, list, mask string, dst *CPUSet, buf *[]byte) (ok bool, err error) {
	for i, name := range [2]string{list, mask} {
		path := dir + "/" + name
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("procparse: %w", err)
		}
		if i == 0 {
			err = ParseCPUList(b, dst)
		} else {
			err = ParseCPUMask(b, dst)
		}
		return true, withPath(err, path)
	}
	return false, nil
}

// DefaultIRQAffinity reads /proc/irq/default_smp_affinity (a hex mask): the
// affinity new interrupts start with.
func (fs FS) DefaultIRQAffinity() (CPUSet, error) {
	path := fs.Path("irq", "default_smp_affinity")
	b, err := os.ReadFile(path)
	if err != nil {
		return CPUSet{}, fmt.Errorf("procparse: %w", err)
	}
	var s CPUSet
	return s, withPath(ParseCPUMask(b, &s), path)
}

// IRQNumbers lists the IRQ numbers that have a directory under /proc/irq,
// ascending.
func (fs FS) IRQNumbers() ([]int, error) {
	ents, err := os.ReadDir(fs.Path("irq"))
	if err != nil {
		return nil, fmt.Errorf("procparse: %w", err)
	}
	var out []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n >= 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}
