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
// and their names: in steady state it allocates nothing. The context's
// deadline or cancellation ends the dump: it is checked before each chunk
// and, while waiting for the kernel (which answers a dump at once, so a
// wait is rare), every pollSlice.
//
// A dump left unfinished (cancelled, or failed mid-way) is read out at the
// start of the next call: the kernel refuses a new dump on the socket with
// EBUSY while an old one is unread.
func (c *Client) Links(ctx context.Context, dst []Link) ([]Link, error) {
	if c.nlFd < 0 || c.nlbuf == nil {
		return dst[:0], fmt.Errorf("nic: links: %w", os.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return dst[:0], err
	}
	var err error
	for range maxDumpRetries {
		var retry bool
		dst, retry, err = c.dumpLinks(ctx, dst[:0])
		if err != nil && ctx.Err() != nil {
			return dst[:0], fmt.Errorf("nic: RTM_GETLINK dump: %w", ctx.Err())
		}
		if !retry {
			return dst, err
		}
	}
	return dst, err
}

// drainTimeout bounds the wait for the rest of an abandoned dump: a dump
// still running in the kernel answers each read at once, so a silent socket
// means the dump's end was already consumed (or lost to truncation).
const drainTimeout = time.Second

// pollSlice is the longest a wait for the kernel goes without looking at
// the context again.
const pollSlice = 10 * time.Millisecond

func (c *Client) dumpLinks(ctx context.Context, dst []Link) (links []Link, retry bool, err error) {
	if c.pending {
		// An earlier dump was abandoned (cancelled or failed mid-way): the
		// kernel refuses a new dump (EBUSY) until the old one is read out.
		c.drain(ctx, c.pendingSeq)
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
	done := ctx.Done()
	for {
		if done != nil {
			select {
			case <-done:
				c.pending, c.pendingSeq = true, seq
				return dst, false, fmt.Errorf("nic: RTM_GETLINK dump: %w", ctx.Err())
			default:
			}
		}
		if err := c.recv(ctx, time.Time{}); err != nil {
			c.pending, c.pendingSeq = true, seq
			return dst, false, fmt.Errorf("nic: RTM_GETLINK dump: %w", err)
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
// default). The kernel handles a request inside the write, so it does not
// block.
func (c *Client) send(req []byte) error {
	_, err := unix.Write(c.nlFd, req)
	for err == unix.EINTR {
		_, err = unix.Write(c.nlFd, req)
	}
	if err != nil {
		return fmt.Errorf("nic: RTM_GETLINK request: %w", os.NewSyscallError("write", err))
	}
	return nil
}

// recv reads one datagram into c.nlbuf with MSG_TRUNC, so that c.rdN is its
// real length. When nothing is queued it waits, in pollSlice steps, until
// the context ends or until dl (when not zero).
func (c *Client) recv(ctx context.Context, dl time.Time) error {
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(c.nlFd), uintptr(unsafe.Pointer(&c.nlbuf[0])), uintptr(len(c.nlbuf)),
			unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			c.rdN = int(n)
			return nil
		case unix.EINTR:
		case unix.EAGAIN:
			if err := c.wait(ctx, dl); err != nil {
				return err
			}
		default:
			return os.NewSyscallError("recvfrom", e)
		}
	}
}

// wait blocks in poll(2) until the socket is readable, the context ends or
// dl passes. A context that can end is looked at every pollSlice; without
// one, and without dl, the wait is a plain blocking poll.
func (c *Client) wait(ctx context.Context, dl time.Time) error {
	if cdl, ok := ctx.Deadline(); ok && (dl.IsZero() || cdl.Before(dl)) {
		dl = cdl
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ms := -1
		if ctx.Done() != nil {
			ms = int(pollSlice / time.Millisecond)
		}
		if !dl.IsZero() {
			left := time.Until(dl)
			if left <= 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				return os.ErrDeadlineExceeded
			}
			if lm := int((left + time.Millisecond - 1) / time.Millisecond); ms < 0 || lm < ms {
				ms = lm
			}
		}
		n, err := unix.Poll(c.pfd[:], ms)
		if err != nil && err != unix.EINTR {
			return os.NewSyscallError("poll", err)
		}
		if n > 0 {
			return nil
		}
	}
}

// drain reads the rest of an abandoned dump with sequence number seq so the
// next request starts on a clean socket. It reports whether the dump's end
// (NLMSG_DONE or an error message) was seen.
func (c *Client) drain(ctx context.Context, seq uint32) bool {
	dl := time.Now().Add(drainTimeout)
	for range 1 << 16 {
		if err := c.recv(ctx, dl); err != nil {
			return false
		}
		n := min(c.rdN, len(c.nlbuf))
		if end := dumpEnded(c.nlbuf[:n], seq); end {
			return true
		}
	}
	return false
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
