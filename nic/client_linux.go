package nic

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/procparse"
)

// Client holds an rtnetlink socket and an ethtool ioctl socket, both in the
// namespace given at Open. A Client is not safe for concurrent use; open
// one per goroutine.
type Client struct {
	opts Options
	sys  SysFS

	// nlFd is the NETLINK_ROUTE socket. It is deliberately not handed to
	// the Go netpoller: the kernel answers a dump synchronously, so reads
	// almost never wait, and an fd in the runtime's epoll set makes every
	// queued dump chunk wake an idle thread (ep_poll_callback), which
	// costs more than the read itself at high sampling rates. The rare
	// wait is a poll(2) in short slices that honour the context.
	nlFd int
	seq  uint32
	// pending is set when a dump was abandoned before its NLMSG_DONE;
	// pendingSeq is its sequence number.
	pending    bool
	pendingSeq uint32
	nlbuf      []byte
	req        [nlmsgHdrLen + ifinfomsgLen]byte
	rdN        int
	pfd        [1]unix.PollFd

	ioFd int // AF_INET (or AF_UNIX) datagram socket for SIOCETHTOOL
	io   ioctlState
}

// Open creates the sockets, inside opts.NetNS when set. The error wraps
// os.ErrNotExist for a missing namespace and os.ErrPermission without the
// right to enter it.
func Open(opts Options) (*Client, error) {
	c := &Client{opts: opts, sys: NewSysFS(opts.sysfsRoot()), nlFd: -1, ioFd: -1}
	err := netns.Do(opts.NetNS, func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("nic: rtnetlink socket: %w", os.NewSyscallError("socket", err))
		}
		c.nlFd = fd
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return fmt.Errorf("nic: rtnetlink socket: %w", os.NewSyscallError("bind", err))
		}
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		}
		if err != nil {
			return fmt.Errorf("nic: ethtool socket: %w", os.NewSyscallError("socket", err))
		}
		c.ioFd = fd
		return nil
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	c.nlbuf = make([]byte, 64<<10)
	c.pfd[0] = unix.PollFd{Fd: int32(c.nlFd), Events: unix.POLLIN}
	return c, nil
}

// SysFS returns the sysfs reader for Options.SysfsRoot.
func (c *Client) SysFS() SysFS { return c.sys }

// Close releases both sockets.
func (c *Client) Close() error {
	var errs []error
	if c.nlFd >= 0 {
		errs = append(errs, unix.Close(c.nlFd))
		c.nlFd = -1
	}
	if c.ioFd >= 0 {
		errs = append(errs, unix.Close(c.ioFd))
		c.ioFd = -1
	}
	return errors.Join(errs...)
}

// IRQs is DeviceIRQs for dev with the Client's SysfsRoot and ProcRoot.
func (c *Client) IRQs(dev string) ([]QueueIRQ, error) {
	proc, err := procparse.NewFS(c.opts.procRoot())
	if err != nil {
		return nil, err
	}
	return DeviceIRQs(c.sys, proc, dev)
}
