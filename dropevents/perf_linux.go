//go:build linux

package dropevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openTracepoint opens a perf event on tracepoint id for every task on one
// CPU (pid -1). With leader -1 it opens a group leader, disabled, whose
// read returns the whole group (PERF_FORMAT_GROUP); otherwise a member of
// leader's group, enabled (it counts once the leader is enabled). With
// sample it records every event (sample_period 1) with PERF_SAMPLE_RAW and
// wakes pollers once wakeupBytes are in the ring; without it the event only
// counts.
func openTracepoint(name string, id uint64, cpu, leader int, sample bool, wakeupBytes uint32) (int, error) {
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Config:      id,
		Read_format: unix.PERF_FORMAT_GROUP,
	}
	if leader < 0 {
		attr.Bits = unix.PerfBitDisabled
	}
	if sample {
		attr.Sample_type = unix.PERF_SAMPLE_RAW
		attr.Sample = 1
		attr.Bits |= unix.PerfBitWatermark
		attr.Wakeup = wakeupBytes
	}
	fd, err := unix.PerfEventOpen(&attr, -1, cpu, leader, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, perfError(name, cpu, "perf_event_open", err)
	}
	return fd, nil
}

// perfError wraps a perf syscall error so that errors.Is answers
// os.ErrPermission (EACCES/EPERM: needs root, CAP_PERFMON or
// kernel.perf_event_paranoid <= -1 for system-wide tracepoints) and
// errors.ErrUnsupported (ENOENT, ENODEV, EOPNOTSUPP: no such event or no
// perf support).
func perfError(name string, cpu int, op string, err error) error {
	serr := os.NewSyscallError(op, err)
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("dropevents: %s on CPU %d: %w: %w", name, cpu, errors.ErrUnsupported, serr)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("dropevents: %s on CPU %d: needs root or CAP_PERFMON: %w", name, cpu, serr)
	}
	return fmt.Errorf("dropevents: %s on CPU %d: %w", name, cpu, serr)
}

func setFilter(fd int, name, filter string) error {
	if err := unix.IoctlSetString(fd, unix.PERF_EVENT_IOC_SET_FILTER, filter); err != nil {
		return fmt.Errorf("dropevents: %s: kernel rejected filter %q: %w", name, filter, os.NewSyscallError("ioctl PERF_EVENT_IOC_SET_FILTER", err))
	}
	return nil
}

func enableEvent(fd int) error {
	if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		return os.NewSyscallError("ioctl PERF_EVENT_IOC_ENABLE", err)
	}
	return nil
}

// readGroup reads a group leader with PERF_FORMAT_GROUP (u64 nr, then nr
// u64 values in the order the members were opened) into buf and adds the
// values to totals, which must have nr entries.
func readGroup(fd int, buf []byte, totals []uint64) error {
	n, err := unix.Read(fd, buf)
	if err != nil {
		return os.NewSyscallError("read perf event group", err)
	}
	if n < 8 {
		return fmt.Errorf("short read of a perf event group: %d bytes: %w", n, ErrMalformed)
	}
	nr := binary.NativeEndian.Uint64(buf)
	if nr != uint64(len(totals)) || n != 8*(1+len(totals)) {
		return fmt.Errorf("perf event group read: %d values in %d bytes, want %d: %w", nr, n, len(totals), ErrMalformed)
	}
	for i := range totals {
		totals[i] += binary.NativeEndian.Uint64(buf[8+8*i:])
	}
	return nil
}

// ring is one CPU's mmap'd perf ring buffer: a control page
// (struct perf_event_mmap_page) followed by a power-of-two data area.
type ring struct {
	fd   int
	mem  []byte
	meta *unix.PerfEventMmapPage
	data []byte
}

func mapRing(fd, pages int) (*ring, error) {
	ps := os.Getpagesize()
	mem, err := unix.Mmap(fd, 0, (1+pages)*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap perf ring", err)
	}
	r := &ring{fd: fd, mem: mem, meta: (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))}
	off, size := r.meta.Data_offset, r.meta.Data_size
	if off == 0 || size == 0 { // kernels before 4.1 do not fill them in
		off, size = uint64(ps), uint64(pages*ps)
	}
	if off+size > uint64(len(mem)) {
		_ = unix.Munmap(mem)
		return nil, fmt.Errorf("dropevents: perf ring data area %d+%d beyond mapping of %d bytes: %w", off, size, len(mem), ErrMalformed)
	}
	r.data = mem[off : off+size]
	return r, nil
}

// drain walks the records the kernel has published and releases their space.
func (r *ring) drain(scratch []byte, a *aggregator) {
	head := atomic.LoadUint64(&r.meta.Data_head) // smp_load_acquire pairs with the kernel's store
	tail := atomic.LoadUint64(&r.meta.Data_tail)
	tail = walkRing(r.data, tail, head, scratch, a)
	atomic.StoreUint64(&r.meta.Data_tail, tail) // smp_store_release: the kernel may reuse the space
}

func (r *ring) unmap() {
	if r.mem != nil {
		_ = unix.Munmap(r.mem)
		r.mem, r.meta, r.data = nil, nil, nil
	}
}
