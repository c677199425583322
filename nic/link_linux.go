package nic

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxDumpRetries bounds how often Links restarts a dump the kernel marked
// inconsistent (NLM_F_DUMP_INTR) or that did not fit the buffer.
const maxDumpRetries = 5

// Links dumps every link of the Client's namespace with one RTM_GETLINK
// request (NLM_F_DUMP) and returns them in dst[:0], reusing its elements
// and their names: in steady state it allocates nothing (a context that can
// be cancelled adds two small allocations for the cancellation hook). The
// context's deadline or cancellation bounds the wait for the kernel.
//
// A dump left unfinished (cancelled, or failed mid-way) is read out at the
// start of the next call: the kernel refuses a new dump on the socket with
// EBUSY while an old one is unread.
func (c *Client) Links(ctx context.Context, dst []Link) ([]Link, error) {
	if c.nl == nil {
		return dst[:0], fmt.Errorf("nic: links: %w", os.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return dst[:0], err
	}
	c.dlMu.Lock()
	c.deadline, c.cancelFired = time.Time{}, false
	c.dlMu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		c.deadline = dl
		if err := c.nl.SetReadDeadline(dl); err != nil {
			return dst[:0], err
		}
		defer c.nl.SetReadDeadline(time.Time{})
	}
	if ctx.Done() != nil {
		// Cancellation unblocks the read with a deadline in the past; the
		// deadline is cleared again before Links returns.
		stop := context.AfterFunc(ctx, c.cancelFn)
		defer func() {
			if !stop() {
				<-c.cancelled
				c.nl.SetReadDeadline(time.Time{})
			}
		}()
	}
	var err error
	for range maxDumpRetries {
		var retry bool
		dst, retry, err = c.dumpLinks(dst[:0])
		if err != nil && ctx.Err() != nil {
			return dst[:0], fmt.Errorf("nic: RTM_GETLINK dump: %w", ctx.Err())
		}
		if !retry {
			return dst, err
		}
	}
	return dst, err
}

// cancelRead is the context.AfterFunc hook of Links: it makes the pending
// read return and signals that it ran.
func (c *Client) cancelRead() {
	c.dlMu.Lock()
	c.cancelFired = true
	c.nl.SetReadDeadline(time.Unix(1, 0))
	c.dlMu.Unlock()
	c.cancelled <- struct{}{}
}

// drainTimeout bounds the wait for the rest of an abandoned dump: a dump
// still running in the kernel answers each read at once, so a silent socket
// means the dump's end was already consumed (or lost to truncation).
const drainTimeout = time.Second

func (c *Client) dumpLinks(dst []Link) (links []Link, retry bool, err error) {
	if c.pending {
		// An earlier dump was abandoned (cancelled or failed mid-way): the
		// kernel refuses a new dump (EBUSY) until the old one is read out.
		c.drain(c.pendingSeq)
		c.pending = false
	}
	c.seq++
	seq := c.seq
	r := c.req[:]
	clear(r)
	binary.NativeEndian.PutUint32(r[0:], uint32(len(r)))
	binary.NativeEndian.PutUint16(r[4:], rtmGetLink)
	binary.NativeEndian.PutUint16(r[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(r[8:], seq)
	r[nlmsgHdrLen] = unix.AF_UNSPEC
	if err := c.send(r); err != nil {
		return dst, false, err
	}
	intr := false
	for {
		if err := c.rc.Read(c.readFn); err != nil {
			c.pending, c.pendingSeq = true, seq
			return dst, false, fmt.Errorf("nic: RTM_GETLINK dump: %w", err)
		}
		if c.rdErr != nil {
			c.pending, c.pendingSeq = true, seq
			return dst, false, fmt.Errorf("nic: RTM_GETLINK dump: %w", os.NewSyscallError("recvfrom", c.rdErr))
		}
		if c.rdN > len(c.nlbuf) {
			// MSG_TRUNC: the message did not fit; grow and restart.
			n := c.rdN
			c.nlbuf = make([]byte, 2*n)
			c.pending, c.pendingSeq = true, seq
			return dst, true, fmt.Errorf("nic: RTM_GETLINK dump: %d-byte message truncated", n)
		}
		var ch dumpChunk
		dst, ch, err = decodeLinkDump(c.nlbuf[:c.rdN], seq, dst)
		if err != nil {
			if !ch.done && !dumpEnded(c.nlbuf[:c.rdN], seq) {
				c.pending, c.pendingSeq = true, seq
			}
			return dst, false, err
		}
		intr = intr || ch.intr
		if ch.done {
			if intr {
				return dst, true, errors.New("nic: RTM_GETLINK dump interrupted by a device change")
			}
			return dst, false, nil
		}
	}
}

const rtmGetLink = 18

// send writes a request to the kernel (destination port 0, the socket's
// default) through the stored callback, so it allocates nothing.
func (c *Client) send(req []byte) error {
	c.wrBuf, c.wrErr = req, nil
	err := c.rc.Write(c.writeFn)
	c.wrBuf = nil
	if err == nil {
		err = c.wrErr
	}
	if err != nil {
		return fmt.Errorf("nic: RTM_GETLINK request: %w", os.NewSyscallError("write", err))
	}
	return nil
}

// sendChunk is the RawConn write callback.
func (c *Client) sendChunk(fd uintptr) bool {
	_, err := unix.Write(int(fd), c.wrBuf)
	for err == unix.EINTR {
		_, err = unix.Write(int(fd), c.wrBuf)
	}
	if err == unix.EAGAIN {
		return false
	}
	c.wrErr = err
	return true
}

// recvChunk is the RawConn read callback: one recvfrom with MSG_TRUNC so
// that c.rdN is the real length of the datagram.
func (c *Client) recvChunk(fd uintptr) bool {
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&c.nlbuf[0])), uintptr(len(c.nlbuf)),
		unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
	for e == unix.EINTR {
		n, _, e = unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&c.nlbuf[0])), uintptr(len(c.nlbuf)),
			unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
	}
	if e == unix.EAGAIN {
		return false
	}
	c.rdN, c.rdErr = int(n), nil
	if e != 0 {
		c.rdN, c.rdErr = 0, e
	}
	return true
}

// drain reads the rest of an abandoned dump with sequence number seq so the
// next request starts on a clean socket. It reports whether the dump's end
// (NLMSG_DONE or an error message) was seen.
func (c *Client) drain(seq uint32) bool {
	dl := time.Now().Add(drainTimeout)
	if !c.deadline.IsZero() && c.deadline.Before(dl) {
		dl = c.deadline
	}
	c.setDeadline(dl)
	defer c.setDeadline(c.deadline)
	for range 1 << 16 {
		if err := c.rc.Read(c.readFn); err != nil || c.rdErr != nil {
			return false
		}
		n := min(c.rdN, len(c.nlbuf))
		if end := dumpEnded(c.nlbuf[:n], seq); end {
			return true
		}
	}
	return false
}

// setDeadline sets the read deadline unless a cancellation already set one
// in the past.
func (c *Client) setDeadline(t time.Time) {
	c.dlMu.Lock()
	if !c.cancelFired {
		c.nl.SetReadDeadline(t)
	}
	c.dlMu.Unlock()
}

// dumpEnded reports whether b holds the NLMSG_DONE or NLMSG_ERROR of the
// dump with sequence number seq.
func dumpEnded(b []byte, seq uint32) bool {
	for len(b) >= nlmsgHdrLen {
		mlen := int(binary.NativeEndian.Uint32(b[0:4]))
		typ := binary.NativeEndian.Uint16(b[4:6])
		if binary.NativeEndian.Uint32(b[8:12]) == seq && (typ == nlmsgDone || typ == nlmsgError) {
			return true
		}
		if mlen < nlmsgHdrLen || align4(mlen) >= len(b) {
			return false
		}
		b = b[align4(mlen):]
	}
	return false
}
