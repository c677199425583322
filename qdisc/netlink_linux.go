//go:build linux

package qdisc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvOnce is the syscall.RawConn read callback: one recvmsg(2) into c.buf.
// It is stored as a method value at Open so that reading allocates nothing.
func (c *Conn) recvOnce(fd uintptr) bool {
	c.msg.Flags = 0
	n, _, e := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.msg)), 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false // wait for the poller
	}
	c.rn = int(n)
	c.rflags = int(c.msg.Flags)
	c.rerr = nil
	if e != 0 {
		c.rerr = e
	}
	return true
}

// startDump sends a dump request of type typ with a zeroed family header of
// the size the type needs (struct tcmsg or struct ifinfomsg) carrying
// ifindex. An abandoned earlier dump is drained first: the kernel runs one
// dump per socket at a time.
func (c *Conn) startDump(ctx context.Context, typ uint16, ifindex int32) error {
	if c.inDump {
		if err := c.drain(ctx); err != nil {
			return err
		}
	}
	hdr := tcmsgLen
	extra := 0
	if typ == unix.RTM_GETLINK {
		hdr = ifinfomsgLen
		extra = 8 // IFLA_EXT_MASK u32
	}
	n := nlmsgHdrLen + hdr + extra
	req := c.req[:n]
	clear(req)
	c.seq++
	ne.PutUint32(req[0:], uint32(n))
	ne.PutUint16(req[4:], typ)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], c.seq)
	req[nlmsgHdrLen] = unix.AF_UNSPEC
	ne.PutUint32(req[nlmsgHdrLen+4:], uint32(ifindex))
	if extra != 0 {
		a := req[nlmsgHdrLen+hdr:]
		ne.PutUint16(a[0:], 8)
		ne.PutUint16(a[2:], unix.IFLA_EXT_MASK)
		ne.PutUint32(a[4:], rtextFilterSkipStats)
	}
	c.pending = nil
	if _, err := c.sock.Write(req); err != nil {
		return fmt.Errorf("qdisc: sending dump request: %w", err)
	}
	c.inDump = true
	c.dumpSeq = c.seq
	return nil
}

// drain reads and discards the rest of an abandoned dump.
func (c *Conn) drain(ctx context.Context) error {
	for c.inDump {
		if _, _, _, err := c.nextMsg(ctx); err != nil {
			c.inDump = false
			return fmt.Errorf("qdisc: draining an abandoned dump: %w", err)
		}
	}
	return nil
}

// nextMsg returns the next message of the current dump: its type and the
// payload after struct nlmsghdr. done is true at NLMSG_DONE. A kernel error
// (NLMSG_ERROR, or a negative NLMSG_DONE status) ends the dump and is
// returned as a syscall error; ENODEV wraps os.ErrNotExist.
func (c *Conn) nextMsg(ctx context.Context) (typ uint16, payload []byte, done bool, err error) {
	for {
		if len(c.pending) < nlmsgHdrLen {
			if err := ctx.Err(); err != nil {
				return 0, nil, false, err
			}
			if err := c.rc.Read(c.readFn); err != nil {
				return 0, nil, false, c.readError(ctx, err)
			}
			if c.rerr != nil {
				return 0, nil, false, os.NewSyscallError("recvmsg", c.rerr)
			}
			if c.rflags&unix.MSG_TRUNC != 0 {
				c.inDump = false
				return 0, nil, false, fmt.Errorf("netlink message larger than %d bytes: %w", len(c.buf), ErrMalformed)
			}
			c.pending = c.buf[:c.rn]
			continue
		}
		l := int(ne.Uint32(c.pending))
		if l < nlmsgHdrLen || l > len(c.pending) {
			c.pending = nil
			c.inDump = false
			return 0, nil, false, malformed("nlmsghdr", 0, "message length %d outside %d..%d", l, nlmsgHdrLen, len(c.pending))
		}
		m := c.pending[:l]
		adv := (l + 3) &^ 3
		if adv > len(c.pending) {
			adv = len(c.pending)
		}
		c.pending = c.pending[adv:]
		typ = ne.Uint16(m[4:])
		flags := ne.Uint16(m[6:])
		seq := ne.Uint32(m[8:])
		if seq != c.dumpSeq {
			continue // left over from an older request
		}
		if flags&unix.NLM_F_DUMP_INTR != 0 {
			c.info.Interrupted = true
		}
		payload = m[nlmsgHdrLen:]
		switch typ {
		case unix.NLMSG_NOOP:
			continue
		case unix.NLMSG_DONE:
			c.inDump = false
			if len(payload) >= 4 {
				if e := int32(ne.Uint32(payload)); e < 0 {
					return 0, nil, false, errnoError("NLMSG_DONE", unix.Errno(-e))
				}
			}
			return typ, nil, true, nil
		case unix.NLMSG_ERROR:
			c.inDump = false
			if len(payload) < 4 {
				return 0, nil, false, malformed("NLMSG_ERROR", 0, "%d bytes", len(payload))
			}
			e := int32(ne.Uint32(payload))
			if e == 0 {
				return typ, nil, true, nil // an ACK ends nothing in a dump, but be safe
			}
			return 0, nil, false, errnoError("NLMSG_ERROR", unix.Errno(-e))
		}
		return typ, payload, false, nil
	}
}

// readError names why a read failed. The socket's read deadline is either
// the context's deadline or now + Timeout (arm); when the first one expires,
// the poller reports os.ErrDeadlineExceeded ("i/o timeout"), possibly a
// moment before the context's own timer marks the context done. Either way
// the error then wraps context.DeadlineExceeded (and os.ErrDeadlineExceeded
// still matches), so that callers can tell their deadline from a kernel
// that stopped answering within Timeout.
func (c *Conn) readError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if c.ctxDeadline {
			return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
		}
		return fmt.Errorf("no answer within %v (Config.Timeout): %w", c.timeout, err)
	}
	return err
}

// openLinkNotify opens a non-blocking NETLINK_ROUTE socket subscribed to
// RTNLGRP_LINK in the current namespace, or returns -1.
func openLinkNotify() int {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return -1
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return -1
	}
	return fd
}

func closeFd(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// linksChanged drains the RTNLGRP_LINK subscription and reports whether the
// kernel announced any change of devices since the last call (true without
// a subscription, or when notifications were lost: ENOBUFS).
func (c *Conn) linksChanged() bool {
	if c.notify < 0 {
		return true
	}
	changed := false
	for {
		_, err := unix.Read(c.notify, c.notifyBuf)
		switch err {
		case nil:
			changed = true
		case unix.EINTR:
		case unix.EAGAIN:
			return changed
		default:
			// ENOBUFS: the socket overflowed and notifications were lost;
			// reading on returns the ones queued since. Anything else
			// leaves the table's freshness unknown.
			changed = true
			if err != unix.ENOBUFS {
				return true
			}
		}
	}
}

// errnoError wraps a kernel errno so that errors.Is answers os.ErrNotExist
// for ENODEV/ENOENT, os.ErrPermission for EPERM/EACCES and
// errors.ErrUnsupported for EOPNOTSUPP.
func errnoError(what string, e unix.Errno) error {
	switch e {
	case unix.ENODEV:
		return fmt.Errorf("%w: %w", os.NewSyscallError(what, e), os.ErrNotExist)
	case unix.EOPNOTSUPP:
		return fmt.Errorf("%w: %w", os.NewSyscallError(what, e), errorsUnsupported)
	}
	return os.NewSyscallError(what, e)
}

// refreshLinks replaces the ifindex -> name table with one RTM_GETLINK dump,
// reusing the strings of unchanged names.
func (c *Conn) refreshLinks(ctx context.Context) error {
	if err := c.startDump(ctx, unix.RTM_GETLINK, 0); err != nil {
		return err
	}
	clear(c.oldNames)
	for {
		typ, payload, done, err := c.nextMsg(ctx)
		if err != nil {
			return fmt.Errorf("qdisc: RTM_GETLINK dump: %w", err)
		}
		if done {
			break
		}
		if typ != unix.RTM_NEWLINK || len(payload) < ifinfomsgLen {
			continue
		}
		idx := int32(ne.Uint32(payload[4:]))
		it := newAttrIter(payload[ifinfomsgLen:], ifinfomsgLen, "RTM_NEWLINK")
		for it.next() {
			if it.typ != unix.IFLA_IFNAME {
				continue
			}
			b := it.data
			if n := len(b); n > 0 && b[n-1] == 0 {
				b = b[:n-1]
			}
			name := c.names[idx]
			if name != string(b) {
				name = string(b)
			}
			c.oldNames[idx] = name
			break
		}
	}
	c.names, c.oldNames = c.oldNames, c.names
	clear(c.dense)
	for idx, name := range c.names {
		if idx >= 0 && idx < maxDenseIfindex {
			if int(idx) >= len(c.dense) {
				c.dense = append(c.dense, make([]string, int(idx)+1-len(c.dense))...)
			}
			c.dense[idx] = name
		}
	}
	return nil
}

// maxDenseIfindex bounds the slice used for name lookups; larger ifindexes
// (long-lived hosts with device churn) use the map.
const maxDenseIfindex = 1 << 16

// name returns the device name of ifindex from the last RTM_GETLINK dump.
func (c *Conn) name(ifindex int) (string, bool) {
	if ifindex >= 0 && ifindex < len(c.dense) {
		n := c.dense[ifindex]
		return n, n != ""
	}
	if ifindex >= 0 && ifindex < maxDenseIfindex {
		return "", false
	}
	n, ok := c.names[int32(ifindex)]
	return n, ok
}

// RTEXT_FILTER_SKIP_STATS (include/uapi/linux/rtnetlink.h): leave the
// per-link statistics out of the RTM_GETLINK dump used for names.
const rtextFilterSkipStats = 1 << 3
