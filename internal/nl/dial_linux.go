//go:build linux

package nl

import (
	"context"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dial opens a netlink socket of the given protocol (unix.NETLINK_ROUTE,
// unix.NETLINK_SOCK_DIAG) in the calling thread's network namespace, bound
// to the multicast groups (0: none), and returns a Conn on it. Callers
// wanting another namespace call it inside netns.Do.
func Dial(protocol int, groups uint32) (*Conn, error) {
	t, err := dialFd(protocol, groups)
	if err != nil {
		return nil, err
	}
	return NewConn(t), nil
}

func dialFd(protocol int, groups uint32) (*fdTransport, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	t := &fdTransport{fd: fd}
	t.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	return t, nil
}

// fdTransport is a netlink socket off the Go netpoller (see the package
// doc for why).
type fdTransport struct {
	fd  int
	pfd [1]unix.PollFd
}

func (t *fdTransport) Send(b []byte) error {
	if t.fd < 0 {
		return os.ErrClosed
	}
	for {
		_, err := unix.Write(t.fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		return nil
	}
}

func (t *fdTransport) Recv(b []byte) (int, error) {
	if t.fd < 0 {
		return 0, os.ErrClosed
	}
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(t.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
			unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
		case unix.EAGAIN:
			return 0, ErrWouldBlock
		default:
			return 0, os.NewSyscallError("recvfrom", e)
		}
	}
}

// Wait polls in pollSlice steps when ctx can end, else blocks in one
// poll(2) (bounded by dl).
func (t *fdTransport) Wait(ctx context.Context, dl time.Time) error {
	if t.fd < 0 {
		return os.ErrClosed
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
				return os.ErrDeadlineExceeded
			}
			if lm := int((left + time.Millisecond - 1) / time.Millisecond); ms < 0 || lm < ms {
				ms = lm
			}
		}
		n, err := unix.Poll(t.pfd[:], ms)
		if err != nil && err != unix.EINTR {
			return os.NewSyscallError("poll", err)
		}
		if n > 0 {
			return nil
		}
	}
}

func (t *fdTransport) Close() error {
	if t.fd < 0 {
		return nil
	}
	err := unix.Close(t.fd)
	t.fd = -1
	return err
}

// Notify is a netlink socket subscribed to multicast groups, read without
// blocking to learn whether the kernel announced anything.
type Notify struct {
	t   *fdTransport
	buf []byte
}

// DialNotify opens a socket of protocol bound to groups (e.g.
// unix.RTMGRP_LINK) in the calling thread's namespace.
func DialNotify(protocol int, groups uint32) (*Notify, error) {
	t, err := dialFd(protocol, groups)
	if err != nil {
		return nil, err
	}
	return &Notify{t: t, buf: make([]byte, 8<<10)}, nil
}

// Changed reads every queued notification and reports whether there was
// any. Lost notifications (ENOBUFS: the socket overflowed) and any other
// read error count as a change.
func (n *Notify) Changed() bool {
	if n == nil || n.t == nil {
		return true
	}
	changed := false
	for range 1 << 16 {
		_, err := n.t.Recv(n.buf)
		switch {
		case err == nil:
			changed = true
		case err == ErrWouldBlock:
			return changed
		default:
			changed = true
			if !isENOBUFS(err) {
				return true
			}
		}
	}
	return true
}

// Close closes the subscription.
func (n *Notify) Close() error {
	if n == nil || n.t == nil {
		return nil
	}
	return n.t.Close()
}
