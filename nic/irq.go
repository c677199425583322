package nic

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/procparse"
)

// QueueIRQ is one interrupt that serves a device, with the queue it serves
// as far as its handler name tells, and where it may run.
type QueueIRQ struct {
	// IRQ is the Linux IRQ number.
	IRQ int
	// Action is the handler name in /proc/interrupts, e.g.
	// "virtio2-input.0", "eth0-TxRx-3", "mlx5_comp0@pci:0000:3b:00.0".
	Action string
	// Queue is the queue (channel) number, or -1 for an interrupt that
	// serves no queue (virtio "config", mlx5 "async", link events).
	Queue int
	// Dir is DirRx or DirTx for a queue of one direction, DirUnknown for
	// a combined (TxRx, completion) vector or no queue.
	Dir Direction
	// Combined is true for a vector that serves both directions of the
	// queue pair (TxRx, mlx5 comp).
	Combined bool
	// Counts are the per-CPU counts from /proc/interrupts, column i for
	// CPU CPUs[i].
	Counts []uint64
	CPUs   []int
	// Affinity is /proc/irq/N: the CPUs the interrupt may run on and
	// (Effective) the one(s) it does run on. HasAffinity is false when
	// /proc/irq/N could not be read.
	Affinity    procparse.IRQAffinity
	HasAffinity bool
}

// Total is the sum of the per-CPU counts. The kernel keeps each count in
// 32 bits; use procparse.IRQCountDelta for per-CPU differences.
func (q *QueueIRQ) Total() uint64 {
	var t uint64
	for _, c := range q.Counts {
		t += c
	}
	return t
}

// MayRunOn reports whether the interrupt may be handled on cpu (the
// effective affinity when known, else the affinity). A diagnosis compares
// it with the CPUs an application's threads run on.
func (q *QueueIRQ) MayRunOn(cpu int) bool {
	return q.HasAffinity && q.Affinity.OnCPU(cpu)
}

// DeviceIRQs finds the interrupts of dev: the IRQ numbers in the bus
// device's msi_irqs directory (/sys/class/net/DEV/device/msi_irqs, or the
// parent's for virtio, whose net device hangs below the PCI device), else
// the /proc/interrupts rows whose handler name carries the device's or its
// bus device's name. Each is mapped to a queue by its handler name and
// given its affinity from /proc/irq/N. A virtual device without interrupts
// returns an empty slice. A missing device wraps os.ErrNotExist.
func DeviceIRQs(sys SysFS, proc procparse.FS, dev string) ([]QueueIRQ, error) {
	dir := sys.netPath(dev)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("nic: device %q: %w", dev, err)
	}
	var busName string
	var msi map[int]bool
	if target, err := filepath.EvalSymlinks(dir + "/device"); err == nil {
		busName = filepath.Base(target)
		for _, d := range []string{target, filepath.Dir(target)} {
			ents, err := os.ReadDir(d + "/msi_irqs")
			if err != nil {
				continue
			}
			msi = make(map[int]bool, len(ents))
			for _, e := range ents {
				if n, err := strconv.Atoi(e.Name()); err == nil {
					msi[n] = true
				}
			}
			break
		}
	}
	in, err := proc.Interrupts()
	if err != nil {
		return nil, fmt.Errorf("nic: IRQs of %q: %w", dev, err)
	}
	var out []QueueIRQ
	for i := range in.Rows {
		r := &in.Rows[i]
		if r.IRQ < 0 {
			continue
		}
		var mine bool
		if msi != nil {
			mine = msi[r.IRQ]
		} else {
			r.ActionNames(func(a string) {
				mine = mine || actionNamesDevice(a, dev, busName)
			})
		}
		if !mine {
			continue
		}
		q := QueueIRQ{IRQ: r.IRQ, Action: r.Actions, Queue: -1,
			Counts: append([]uint64(nil), r.Counts...), CPUs: in.CPUs}
		q.Queue, q.Dir, q.Combined = ClassifyIRQAction(r.Actions)
		aff, err := proc.IRQAffinity(r.IRQ)
		switch {
		case err == nil:
			q.Affinity, q.HasAffinity = aff, true
		case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		default:
			return out, err
		}
		out = append(out, q)
	}
	return out, nil
}

// SharesCPUWith reports whether the interrupt may run on one of cpus (for
// example the CPUs an application's receive threads are pinned to, from
// sched_getaffinity): then the NIC's interrupt and softirq work competes
// with the application for those CPUs. It uses the effective affinity when
// the kernel reports it, else the affinity.
func (q *QueueIRQ) SharesCPUWith(cpus procparse.CPUSet) bool {
	if !q.HasAffinity {
		return false
	}
	if q.Affinity.HasEffective {
		return q.Affinity.Effective.Intersects(cpus)
	}
	return q.Affinity.Affinity.Intersects(cpus)
}

// actionNamesDevice reports whether a handler name belongs to the device
// called dev whose bus device is busName.
func actionNamesDevice(action, dev, busName string) bool {
	for _, n := range [...]string{dev, busName} {
		if n == "" {
			continue
		}
		if strings.HasPrefix(action, n+"-") || strings.Contains(action, "-"+n+"-") ||
			strings.HasSuffix(action, "@pci:"+n) || action == n {
			return true
		}
	}
	return false
}

// ClassifyIRQAction maps a NIC interrupt handler name to the queue it
// serves. Recognised forms:
//
//	virtioN-input.Q, virtioN-output.Q   virtio_net rx / tx (drivers/net/virtio_net.c)
//	DEV-TxRx-Q, i40e-DEV-TxRx-Q         combined (ixgbe, i40e, ice, igb, bnxt)
//	DEV-rx-Q, DEV-tx-Q                  one direction (ixgbe, igb, e1000e)
//	mlx5_compQ@pci:ADDR                 combined (mlx5 completion vector)
//
// Anything else gives queue -1.
func ClassifyIRQAction(action string) (queue int, dir Direction, combined bool) {
	if i := strings.Index(action, ", "); i >= 0 {
		action = action[:i]
	}
	if rest, ok := cutPrefix(action, "mlx5_comp"); ok {
		if n, r, ok := leadingNumber(rest); ok && (r == "" || r[0] == '@') {
			return n, DirUnknown, true
		}
		return -1, DirUnknown, false
	}
	if strings.HasPrefix(action, "virtio") {
		if i := strings.IndexByte(action, '-'); i >= 0 {
			kind, num, _ := strings.Cut(action[i+1:], ".")
			n, r, ok := leadingNumber(num)
			if ok && r == "" {
				switch kind {
				case "input":
					return n, DirRx, false
				case "output":
					return n, DirTx, false
				}
			}
		}
		return -1, DirUnknown, false
	}
	i := strings.LastIndexByte(action, '-')
	if i <= 0 {
		return -1, DirUnknown, false
	}
	n, r, ok := leadingNumber(action[i+1:])
	if !ok || r != "" {
		return -1, DirUnknown, false
	}
	head := action[:i]
	switch {
	case strings.HasSuffix(head, "-TxRx"), strings.HasSuffix(head, "-rxtx"), strings.HasSuffix(head, "-fp"):
		return n, DirUnknown, true
	case strings.HasSuffix(head, "-rx"):
		return n, DirRx, false
	case strings.HasSuffix(head, "-tx"):
		return n, DirTx, false
	}
	return -1, DirUnknown, false
}
