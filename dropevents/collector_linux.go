//go:build linux

package dropevents

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrClosed is returned by the methods of a closed Collector, Close
// included. It wraps net.ErrClosed, as the closed-handle errors of every
// packetpath package do.
var ErrClosed = fmt.Errorf("dropevents: collector closed: %w", net.ErrClosed)

// Collector holds the perf events of one Open: counting events for the four
// tracepoints, the kfree_skb total and the chosen reasons, and in sampling
// mode one ring buffer per CPU. The events of one CPU form a perf event
// group, read with one read(2) (PERF_FORMAT_GROUP): reading an event that
// runs on another CPU costs an inter-processor interrupt, so one read per
// CPU instead of one per event and CPU. Its methods are safe for concurrent
// use.
type Collector struct {
	mu     sync.Mutex
	waitMu sync.RWMutex // held for reading by Wait around epoll_wait; Close takes it for writing
	closed bool
	// specs lists the events of every CPU's group, leader first; slot k of
	// a group read is specs[k].
	specs   []eventSpec
	groups  []cpuGroup
	tpSlot  [4]int // slot of udp_fail_queue_rcv_skb, sock_rcvqueue_full, sock_exceed_buf_limit, kfree_skb; -1 when absent
	reasons []reasonCounter
	totals  []uint64 // per slot, summed over CPUs by Snapshot
	rbuf    []byte   // group read buffer: u64 nr, u64 values[nr]
	// sampling mode
	sampleSlot int // -1 without sampling
	rings      []*ring
	agg        aggregator
	scratch    []byte
	names      []string // reason name by value (sampling mode), "" when absent
	lost       uint64   // highest lost-record count reported, kept monotonic
	epfd       int
	events     []unix.EpollEvent
}

// eventSpec is one tracepoint event opened on every CPU.
type eventSpec struct {
	name   string // system:name, for errors
	id     uint64
	filter string
	sample bool
}

// cpuGroup is the perf event group of one CPU.
type cpuGroup struct {
	cpu int
	fds []int // leader first, in specs order
}

type reasonCounter struct {
	value uint32
	name  string
	slot  int
}

type tracepointSpec struct{ system, name string }

var tracepointSpecs = [4]tracepointSpec{
	{"udp", "udp_fail_queue_rcv_skb"},
	{"sock", "sock_rcvqueue_full"},
	{"sock", "sock_exceed_buf_limit"},
	{"skb", "kfree_skb"},
}

// Open attaches to the tracepoints with perf_event_open. Errors wrap
// os.ErrPermission without root or CAP_PERFMON (or with tracefs
// unreadable), errors.ErrUnsupported without tracefs or perf support, or
// when a requested reason or port filter is not available on this kernel.
// One of the four tracepoints the kernel lacks is not an error: its Present stays
// false. Close releases everything.
func Open(opts Config) (*Collector, error) {
	fs := opts.TraceFS
	if fs == nil {
		var err error
		if fs, err = FindTraceFS(); err != nil {
			return nil, err
		}
	}
	cpus := opts.CPUs
	if cpus == nil {
		const online = "/sys/devices/system/cpu/online"
		b, err := os.ReadFile(online)
		if err != nil {
			return nil, cpuListError(online, err)
		}
		if cpus, err = parseCPUList(online, b); err != nil {
			return nil, err
		}
	}
	c := &Collector{epfd: -1, tpSlot: [4]int{-1, -1, -1, -1}, sampleSlot: -1}
	if err := c.open(fs, cpus, opts); err != nil {
		c.release()
		return nil, err
	}
	return c, nil
}

func (c *Collector) open(fs *TraceFS, cpus []int, opts Config) error {
	var kfree *Format
	for i, s := range tracepointSpecs {
		f, err := fs.Format(s.system, s.name)
		if errors.Is(err, errors.ErrUnsupported) {
			continue
		}
		if err != nil {
			return err
		}
		filter := ""
		if i == 0 && opts.Port != 0 {
			if filter, err = portFilter(f, opts.Port); err != nil {
				return err
			}
		}
		if i == 3 {
			kfree = f
		}
		c.tpSlot[i] = c.addSpec(f, filter, false)
	}
	if opts.AllReasons || len(opts.Reasons) > 0 {
		if kfree == nil {
			return fmt.Errorf("dropevents: drop reasons need skb:kfree_skb, which this kernel lacks: %w", errors.ErrUnsupported)
		}
		reason, ok := kfree.Field("reason")
		if !ok {
			return fmt.Errorf("dropevents: skb:kfree_skb has no reason field (kernels before 5.17): %w", errors.ErrUnsupported)
		}
		syms, err := kfree.Symbols("reason")
		if err != nil {
			return err
		}
		if len(syms) == 0 {
			return fmt.Errorf("dropevents: skb:kfree_skb's print fmt lists no reason names: %w", errors.ErrUnsupported)
		}
		if opts.AllReasons {
			if err := c.prepareSampling(kfree, reason, syms); err != nil {
				return err
			}
			c.sampleSlot = c.addSpec(kfree, "", true)
		} else {
			for _, name := range opts.Reasons {
				v, ok := lookupReason(syms, name)
				if !ok {
					return fmt.Errorf("dropevents: drop reason %q is not in this kernel's list: %w", name, errors.ErrUnsupported)
				}
				slot := c.addSpec(kfree, "reason == "+strconv.FormatUint(uint64(v), 10), false)
				c.reasons = append(c.reasons, reasonCounter{value: v, name: name, slot: slot})
			}
		}
	}
	if len(c.specs) == 0 {
		return nil // none of the tracepoints exists: every count is absent
	}
	pages := opts.RingPages
	if pages == 0 {
		pages = 64
	}
	if c.sampleSlot >= 0 {
		if pages < 1 || pages&(pages-1) != 0 {
			return fmt.Errorf("dropevents: RingPages %d is not a power of two", pages)
		}
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return os.NewSyscallError("epoll_create1", err)
		}
		c.epfd = epfd
	}
	for _, cpu := range cpus {
		if err := c.openGroup(cpu, pages); err != nil {
			return err
		}
	}
	c.totals = make([]uint64, len(c.specs))
	c.rbuf = make([]byte, 8*(1+len(c.specs)))
	c.events = make([]unix.EpollEvent, max(1, len(c.rings)))
	return c.enable()
}

func (c *Collector) addSpec(f *Format, filter string, sample bool) int {
	c.specs = append(c.specs, eventSpec{name: f.System + ":" + f.Name, id: f.ID, filter: filter, sample: sample})
	return len(c.specs) - 1
}

// openGroup opens every spec on one CPU as a group: the first is the
// leader, created disabled; the others follow it.
func (c *Collector) openGroup(cpu, pages int) error {
	c.groups = append(c.groups, cpuGroup{cpu: cpu})
	g := &c.groups[len(c.groups)-1]
	wakeup := uint32(pages * os.Getpagesize() / 2)
	for k, s := range c.specs {
		leader := -1
		if k > 0 {
			leader = g.fds[0]
		}
		fd, err := openTracepoint(s.name, s.id, cpu, leader, s.sample, wakeup)
		if err != nil {
			return err
		}
		g.fds = append(g.fds, fd)
		if s.filter != "" {
			if err := setFilter(fd, s.name, s.filter); err != nil {
				return err
			}
		}
		if s.sample {
			r, err := mapRing(fd, pages)
			if err != nil {
				return err
			}
			c.rings = append(c.rings, r)
			ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
			if err := unix.EpollCtl(c.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
				return os.NewSyscallError("epoll_ctl", err)
			}
		}
	}
	return nil
}

// maxReasonValue bounds the per-reason array; values beyond (subsystem
// reasons carry high bits) count as OtherReasons.
const maxReasonValue = 1 << 12

func (c *Collector) prepareSampling(f *Format, reason Field, syms []Symbol) error {
	switch reason.Size {
	case 1, 2, 4, 8:
	default:
		return malformed(f.System+"/"+f.Name+"/format", 0, nil, "reason field of size %d", reason.Size)
	}
	c.agg = aggregator{eventID: f.ID, reasonOff: reason.Offset, reasonSize: reason.Size, locOff: -1}
	if loc, ok := f.Field("location"); ok && loc.Size == 8 {
		c.agg.locOff = loc.Offset
	}
	var maxV uint64
	for _, s := range syms {
		if s.Name != "MAX" && s.Value < maxReasonValue && s.Value > maxV {
			maxV = s.Value
		}
	}
	c.agg.counts = make([]uint64, maxV+1)
	c.agg.known = make([]bool, maxV+1)
	c.names = make([]string, maxV+1)
	for _, s := range syms {
		if s.Name != "MAX" && s.Value <= maxV {
			c.agg.known[s.Value] = true
			c.names[s.Value] = s.Name
		}
	}
	c.scratch = make([]byte, 1<<16)
	return nil
}

// enable starts every group: the leaders were created disabled, the
// members enabled, so each CPU's events start together.
func (c *Collector) enable() error {
	for _, g := range c.groups {
		if err := enableEvent(g.fds[0]); err != nil {
			return err
		}
	}
	return nil
}

// Snapshot drains the ring buffers (sampling mode) and writes the
// cumulative counts since Open into dst. dst.Reasons reuses its capacity:
// after the first call Snapshot does not allocate.
func (c *Collector) Snapshot(dst *Counts) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	clear(c.totals)
	// Read the counts, the sampling events' included, before draining:
	// every event counted by then has been written (or lost) before the
	// drain reads head, so count - samples is a lower bound of the records
	// lost so far, known at once, while PERF_RECORD_LOST arrives only with
	// the first record the kernel can write after the ring has room again.
	for _, g := range c.groups {
		if err := readGroup(g.fds[0], c.rbuf, c.totals); err != nil {
			return fmt.Errorf("dropevents: CPU %d: %w", g.cpu, err)
		}
	}
	seeds := [4]*Tracepoint{&dst.UDPFailQueueRcvSkb, &dst.SockRcvqueueFull, &dst.SockExceedBufLimit, &dst.KfreeSkb}
	for i, slot := range c.tpSlot {
		*seeds[i] = Tracepoint{}
		if slot >= 0 {
			*seeds[i] = Tracepoint{Present: true, Count: c.totals[slot]}
		}
	}
	dst.Reasons = dst.Reasons[:0]
	for _, r := range c.reasons {
		dst.Reasons = append(dst.Reasons, ReasonCount{Reason: r.value, Name: r.name, Count: c.totals[r.slot]})
	}
	for _, r := range c.rings {
		r.drain(c.scratch, &c.agg)
	}
	lost := max(c.lost, c.agg.lost)
	if c.sampleSlot >= 0 {
		events, seen := c.totals[c.sampleSlot], c.agg.samples+c.agg.malformed
		if events > seen && events-seen > lost {
			lost = events - seen
		}
	}
	c.lost = lost
	for v, name := range c.names {
		if name != "" {
			dst.Reasons = append(dst.Reasons, ReasonCount{Reason: uint32(v), Name: name, Count: c.agg.counts[v]})
		}
	}
	dst.OtherReasons = c.agg.other
	dst.Samples = c.agg.samples
	dst.Lost = lost
	return nil
}

// DropSites returns, in sampling mode, the kfree_skb locations seen since
// Open with their counts, most drops first, written into dst's storage.
// The table keeps the first 64 distinct locations (the kernel has a few
// hundred drop sites; a host usually hits a handful); overflow counts the
// records whose location arrived with the table full. It reflects the
// records drained by the last Snapshot. With a dst of capacity 64 it does
// not allocate.
func (c *Collector) DropSites(dst []DropSite) (sites []DropSite, overflow uint64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return dst[:0], 0, ErrClosed
	}
	sites, overflow = c.agg.sitesInto(dst)
	return sites, overflow, nil
}

// Wait blocks until a ring buffer is half full (sampling mode), ctx is done
// (returning ctx.Err()) or the Collector is closed (ErrClosed); then call
// Snapshot to drain. It notices ctx and Close within 50 ms. Without
// sampling mode it only waits for ctx. Callers that prefer a timer can
// skip Wait and call Snapshot periodically instead.
func (c *Collector) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.waitMu.RLock()
		if c.closed {
			c.waitMu.RUnlock()
			return ErrClosed
		}
		if c.epfd < 0 {
			c.waitMu.RUnlock()
			select {
			case <-ctx.Done():
				return ctx.Err()
			default:
			}
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		n, err := unix.EpollWait(c.epfd, c.events, 50)
		c.waitMu.RUnlock()
		if err != nil && !errors.Is(err, unix.EINTR) {
			return os.NewSyscallError("epoll_wait", err)
		}
		if n > 0 {
			return nil
		}
	}
}

// Close disables and releases every event and ring buffer.
func (c *Collector) Close() error {
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.closed = true
	return c.release()
}

func (c *Collector) release() error {
	var first error
	closeFD := func(fd int) {
		if err := unix.Close(fd); err != nil && first == nil {
			first = os.NewSyscallError("close", err)
		}
	}
	for _, r := range c.rings {
		r.unmap()
	}
	c.rings = nil
	for _, g := range c.groups {
		for i := len(g.fds) - 1; i >= 0; i-- { // members before their leader
			closeFD(g.fds[i])
		}
	}
	c.groups = nil
	if c.epfd >= 0 {
		closeFD(c.epfd)
		c.epfd = -1
	}
	return first
}
