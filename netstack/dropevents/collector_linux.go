//go:build linux

package dropevents

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrClosed is returned by the methods of a closed Collector.
var ErrClosed = errors.New("dropevents: collector closed")

// Collector holds the perf events of one Open: counting events for the seed
// tracepoints, the kfree_skb total and the chosen reasons, and in sampling
// mode one ring buffer per CPU. Its methods are safe for concurrent use.
type Collector struct {
	mu      sync.Mutex
	waitMu  sync.RWMutex // held for reading by Wait around epoll_wait; Close takes it for writing
	closed  bool
	seeds   [4]counter // udp_fail_queue_rcv_skb, sock_rcvqueue_full, sock_exceed_buf_limit, kfree_skb
	reasons []reasonCounter
	// sampling mode
	rings   []*ring
	agg     aggregator
	scratch []byte
	names   []string // reason name by value (sampling mode), "" when absent
	lost    uint64   // highest lost-record count reported, kept monotonic
	epfd    int
	events  []unix.EpollEvent
	buf     [8]byte
}

// counter is one tracepoint counted on every CPU.
type counter struct {
	present bool
	fds     []int
}

type reasonCounter struct {
	value uint32
	name  string
	counter
}

type seedSpec struct{ system, name string }

var seedSpecs = [4]seedSpec{
	{"udp", "udp_fail_queue_rcv_skb"},
	{"sock", "sock_rcvqueue_full"},
	{"sock", "sock_exceed_buf_limit"},
	{"skb", "kfree_skb"},
}

// Open attaches to the tracepoints with perf_event_open. Errors wrap
// os.ErrPermission without root or CAP_PERFMON (or with tracefs
// unreadable), errors.ErrUnsupported without tracefs or perf support, or
// when a requested reason or port filter is not available on this kernel.
// A seed tracepoint the kernel lacks is not an error: its Present stays
// false. Close releases everything.
func Open(opts Options) (*Collector, error) {
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
	c := &Collector{epfd: -1}
	if err := c.open(fs, cpus, opts); err != nil {
		c.release()
		return nil, err
	}
	return c, nil
}

func (c *Collector) open(fs *TraceFS, cpus []int, opts Options) error {
	var kfree *Format
	for i, s := range seedSpecs {
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
		if err := c.seeds[i].open(f, cpus, filter); err != nil {
			return err
		}
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
			if err := c.openSampling(kfree, reason, syms, cpus, opts.RingPages); err != nil {
				return err
			}
			return c.enable()
		}
		for _, name := range opts.Reasons {
			v, ok := lookupReason(syms, name)
			if !ok {
				return fmt.Errorf("dropevents: drop reason %q is not in this kernel's list: %w", name, errors.ErrUnsupported)
			}
			c.reasons = append(c.reasons, reasonCounter{value: v, name: name})
			rc := &c.reasons[len(c.reasons)-1]
			if err := rc.open(kfree, cpus, "reason == "+strconv.FormatUint(uint64(v), 10)); err != nil {
				return err
			}
		}
	}
	return c.enable()
}

func (k *counter) open(f *Format, cpus []int, filter string) error {
	k.present = true
	for _, cpu := range cpus {
		fd, err := openTracepoint(f.System+":"+f.Name, f.ID, cpu, false, 0)
		if err != nil {
			return err
		}
		k.fds = append(k.fds, fd)
		if filter != "" {
			if err := setFilter(fd, f.System+":"+f.Name, filter); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxReasonValue bounds the per-reason array; values beyond (subsystem
// reasons carry high bits) count as OtherReasons.
const maxReasonValue = 1 << 12

func (c *Collector) openSampling(f *Format, reason Field, syms []Symbol, cpus []int, pages int) error {
	if pages == 0 {
		pages = 64
	}
	if pages < 1 || pages&(pages-1) != 0 {
		return fmt.Errorf("dropevents: RingPages %d is not a power of two", pages)
	}
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
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	c.epfd = epfd
	wakeup := uint32(pages * os.Getpagesize() / 2)
	for _, cpu := range cpus {
		fd, err := openTracepoint(f.System+":"+f.Name, f.ID, cpu, true, wakeup)
		if err != nil {
			return err
		}
		r, err := mapRing(fd, pages)
		if err != nil {
			_ = unix.Close(fd)
			return err
		}
		c.rings = append(c.rings, r)
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return os.NewSyscallError("epoll_ctl", err)
		}
	}
	c.events = make([]unix.EpollEvent, len(c.rings))
	return nil
}

func (c *Collector) enable() error {
	for i := range c.seeds {
		for _, fd := range c.seeds[i].fds {
			if err := enableEvent(fd); err != nil {
				return err
			}
		}
	}
	for i := range c.reasons {
		for _, fd := range c.reasons[i].fds {
			if err := enableEvent(fd); err != nil {
				return err
			}
		}
	}
	for _, r := range c.rings {
		if err := enableEvent(r.fd); err != nil {
			return err
		}
	}
	return nil
}

func (c *Collector) read(k *counter) (Tracepoint, error) {
	t := Tracepoint{Present: k.present}
	for _, fd := range k.fds {
		v, err := readCount(fd, &c.buf)
		if err != nil {
			return t, err
		}
		t.Count += v
	}
	return t, nil
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
	var err error
	seeds := [4]*Tracepoint{&dst.UDPFailQueueRcvSkb, &dst.SockRcvqueueFull, &dst.SockExceedBufLimit, &dst.KfreeSkb}
	for i := range c.seeds {
		if *seeds[i], err = c.read(&c.seeds[i]); err != nil {
			return err
		}
	}
	dst.Reasons = dst.Reasons[:0]
	for i := range c.reasons {
		t, err := c.read(&c.reasons[i].counter)
		if err != nil {
			return err
		}
		dst.Reasons = append(dst.Reasons, ReasonCount{Reason: c.reasons[i].value, Name: c.reasons[i].name, Count: t.Count})
	}
	// Read each ring's event count before draining: every event counted by
	// then has been written (or lost) before the drain reads head, so
	// count - samples is a lower bound of the records lost so far, known
	// at once, while PERF_RECORD_LOST arrives only with the first record
	// the kernel can write after the ring has room again.
	var events uint64
	for _, r := range c.rings {
		v, err := readCount(r.fd, &c.buf)
		if err != nil {
			return err
		}
		events += v
	}
	for _, r := range c.rings {
		r.drain(c.scratch, &c.agg)
	}
	lost := max(c.lost, c.agg.lost)
	if events > c.agg.samples+c.agg.malformed && events-c.agg.samples-c.agg.malformed > lost {
		lost = events - c.agg.samples - c.agg.malformed
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
		return nil
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
	for i := range c.seeds {
		for _, fd := range c.seeds[i].fds {
			closeFD(fd)
		}
		c.seeds[i].fds = nil
	}
	for i := range c.reasons {
		for _, fd := range c.reasons[i].fds {
			closeFD(fd)
		}
	}
	c.reasons = nil
	for _, r := range c.rings {
		r.unmap()
		closeFD(r.fd)
	}
	c.rings = nil
	if c.epfd >= 0 {
		closeFD(c.epfd)
		c.epfd = -1
	}
	return first
}
