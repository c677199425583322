package socketstats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReadBatch reads up to len(msgs) (at most Config.MaxBatch) datagrams with
// one recvmmsg(2) call and returns how many it filled. It waits on the Go
// runtime poller while nothing is queued, until a datagram arrives, ctx is
// done (returning ctx.Err()), the read deadline passes
// (os.ErrDeadlineExceeded) or the Conn is closed (net.ErrClosed).
//
// When datagrams are already queued, as they are whenever the application
// is behind, ReadBatch allocates nothing. The context machinery is set up
// only when it must wait with a cancellable context: a context.AfterFunc
// that expires the read deadline on cancellation, plus ctx's deadline if it
// is earlier than the one from SetReadDeadline (measured: 7 allocations,
// about 470 bytes per wait; none with context.Background()).
//
// Each call updates the counters (Stats) and the batch description
// (LastBatch): drops from SO_RXQ_OVFL, SIOCINQ, SO_MEMINFO every
// Config.MemInfoEvery batches, truncation and queueing delays.
func (c *Conn) ReadBatch(ctx context.Context, msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !c.reading.CompareAndSwap(false, true) {
		return 0, ErrConcurrentRead
	}
	defer c.reading.Store(false)

	c.vlen = min(len(msgs), len(c.hdrs))
	for i := 0; i < c.vlen; i++ {
		h := &c.hdrs[i].Hdr
		if b := msgs[i].Buf; len(b) > 0 {
			c.iovs[i].Base = &b[0]
			c.iovs[i].SetLen(len(b))
		} else {
			c.iovs[i].Base = nil
			c.iovs[i].SetLen(0)
		}
		h.Namelen = unix.SizeofSockaddrInet6
		h.SetControllen(c.ctrlSpace)
		h.Flags = 0
	}
	c.batchNo++
	c.memDue = c.memEvery > 0 && c.batchNo%c.memEvery == 0
	c.n, c.errno, c.wouldBlock = 0, 0, false

	// Fast path: try once without any context machinery.
	c.probe = ctx.Done() != nil
	err := c.rc.Read(c.readFn)
	if err == nil && c.wouldBlock {
		err = c.waitRead(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("socketstats: read: %w", err)
	}
	if c.errno != 0 {
		return 0, fmt.Errorf("socketstats: recvmmsg: %w", c.errno)
	}
	return c.finish(msgs), nil
}

// waitRead is the slow path: nothing was queued and ctx can be cancelled.
// It arms the read deadline for ctx and blocks on the poller.
func (c *Conn) waitRead(ctx context.Context) error {
	c.mu.Lock()
	userDeadline := c.deadline
	c.mu.Unlock()
	restore, ctxDeadline := false, false
	if d, ok := ctx.Deadline(); ok && (userDeadline.IsZero() || d.Before(userDeadline)) {
		if err := c.uc.SetReadDeadline(d); err != nil {
			return err
		}
		restore, ctxDeadline = true, true
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		// A deadline in the past wakes the poller.
		_ = c.uc.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	c.probe, c.wouldBlock = false, false
	err := c.rc.Read(c.readFn)
	if !stop() {
		<-fired
		restore = true
	}
	if restore {
		c.mu.Lock()
		_ = c.uc.SetReadDeadline(c.deadline)
		c.mu.Unlock()
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ctxDeadline {
			// The poller's timer can beat the context's own.
			return context.DeadlineExceeded
		}
	}
	return err
}

// doRead runs inside RawConn.Read with the socket's descriptor: one
// non-blocking recvmmsg, then SIOCINQ and, when due, SO_MEMINFO. It returns
// false (wait for readability) on EAGAIN unless probing.
func (c *Conn) doRead(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&c.hdrs[0])), uintptr(c.vlen),
			unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
		switch e {
		case 0:
			c.n = int(r)
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if c.probe {
				c.wouldBlock = true
				return true
			}
			return false
		default:
			c.errno = e
			return true
		}
		break
	}
	c.inq = 0
	if _, _, e := unix.RawSyscall(unix.SYS_IOCTL, fd, unix.SIOCINQ, uintptr(unsafe.Pointer(&c.inq))); e != 0 {
		c.inq = 0
	}
	c.memOK = false
	if c.memDue {
		// The sample is published (Stats.Buffer) only when no sampler is
		// reading at the same time: publications are serialised by smu in
		// the order of their getsockopt calls, so an older sample never
		// replaces a newer one. The reader does not wait for a sampler; the
		// sampler's concurrent sample stands for the batch's in Stats (the
		// batch's own is in BatchInfo either way).
		locked := c.smu.TryLock()
		c.memLen = uint32(unsafe.Sizeof(c.meminfo))
		_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&c.meminfo)), uintptr(unsafe.Pointer(&c.memLen)), 0)
		c.memOK = e == 0 && c.memLen >= unix.SK_MEMINFO_DROPS*4+4
		if locked {
			if c.memOK {
				c.ctr.observeBuffer(c.memUsage())
			}
			c.smu.Unlock()
		}
	}
	if c.tsMode != TimestampsOff {
		c.now = time.Now().UnixNano()
	}
	return true
}

// memUsage is the reader's last SO_MEMINFO read.
func (c *Conn) memUsage() BufferUsage {
	return BufferUsage{Used: uint64(c.meminfo[unix.SK_MEMINFO_RMEM_ALLOC]),
		Size: uint64(c.meminfo[unix.SK_MEMINFO_RCVBUF]), Drops: c.meminfo[unix.SK_MEMINFO_DROPS]}
}

// finish fills msgs from the headers of the c.n datagrams received and
// updates the counters: a few atomic operations per batch.
func (c *Conn) finish(msgs []Message) int {
	n := c.n
	var (
		bytes, trunc, ctrunc int
		ovfl                 uint32
		hasOvfl              bool
		ctl                  Control
	)
	ts := c.tsMode != TimestampsOff
	pk := c.pk.on
	var unjoined uint64
	if pk && n > 0 {
		c.refreshJoined()
	}
	for i := 0; i < n; i++ {
		h := &c.hdrs[i]
		m := &msgs[i]
		size := int(h.Len)
		m.Size = size
		m.N = min(size, len(m.Buf))
		m.Flags = int(h.Hdr.Flags)
		m.Truncated = h.Hdr.Flags&unix.MSG_TRUNC != 0 || size > len(m.Buf)
		m.CTruncated = h.Hdr.Flags&unix.MSG_CTRUNC != 0
		m.Addr, _ = DecodeSockaddr(unsafe.Slice((*byte)(unsafe.Pointer(&c.names[i])), unix.SizeofSockaddrInet6), int(h.Hdr.Namelen))
		bytes += size
		if m.Truncated {
			trunc++
		}
		if m.CTruncated {
			ctrunc++
		}
		if pk {
			cb := c.ctrl[i*c.ctrlSpace : i*c.ctrlSpace+min(int(h.Hdr.Controllen), c.ctrlSpace)]
			m.Dst, _ = pktinfoDst(cb)
			if d := m.Dst.Unmap(); d.IsMulticast() && !slices.Contains(c.pk.joined, d) {
				unjoined++
			}
		}
		if !ts {
			m.KernelTime = time.Time{}
			continue
		}
		cb := c.ctrl[i*c.ctrlSpace : i*c.ctrlSpace+min(int(h.Hdr.Controllen), c.ctrlSpace)]
		// Fast path for the usual content: one SCM_TIMESTAMPNS and nothing
		// else (no drops yet).
		if t, ok := onlyTimestampNS(cb); ok {
			ctl = Control{Time: t, HasTime: true}
		} else {
			_ = ParseControl(cb, &ctl)
		}
		if ctl.HasDrops {
			ovfl, hasOvfl = ctl.Drops, true
		}
		if ctl.HasTime && ctl.Time != 0 {
			m.KernelTime = time.Unix(0, ctl.Time)
			c.delays.observe(uint64(max(c.now-ctl.Time, 0)))
		} else {
			m.KernelTime = time.Time{}
		}
	}
	if !ts {
		// The counter is stamped at enqueue and only grows: the last
		// datagram carrying it holds the latest value.
		for i := n - 1; i >= 0 && !hasOvfl; i-- {
			clen := min(int(c.hdrs[i].Hdr.Controllen), c.ctrlSpace)
			if clen > 0 {
				ovfl, hasOvfl = lastDrops(c.ctrl[i*c.ctrlSpace : i*c.ctrlSpace+clen])
			}
		}
	}

	b := &c.last
	*b = BatchInfo{Packets: n, Bytes: bytes, Truncated: trunc, CTruncated: ctrunc,
		KernelDrops: ovfl, HasKernelDrops: hasOvfl, NextDatagram: int(c.inq), Behind: c.inq > 0}
	ctr := &c.ctr
	if hasOvfl {
		b.NewDrops += ctr.observeDrops(ovfl)
	}
	if c.memOK {
		b.Buffer = c.memUsage()
		b.HasBuffer = true
		b.NewDrops += ctr.observeDrops(b.Buffer.Drops)
	}
	b.Drops = ctr.drops.Load()
	if n > 0 {
		ctr.packets.Add(uint64(n))
		ctr.bytes.Add(uint64(bytes))
		ctr.batches.Add(1)
		ctr.batchSizes.observe(uint64(n))
	}
	if trunc > 0 {
		ctr.truncated.Add(uint64(trunc))
	}
	if unjoined > 0 {
		ctr.unjoined.Add(unjoined)
	}
	if ctrunc > 0 {
		ctr.ctruncated.Add(uint64(ctrunc))
	}
	ctr.nextDatagram.Store(uint64(max(c.inq, 0)))
	if c.delays.count > 0 {
		b.MaxQueueDelay = time.Duration(c.delays.max)
		ctr.queueDelay.merge(&c.delays)
		c.delays.reset()
	}
	return n
}
