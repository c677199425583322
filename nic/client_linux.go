package nic

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
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

	nl  *netlink.Conn
	rc  syscall.RawConn
	seq uint32
	// pending is set when a dump was abandoned before its NLMSG_DONE;
	// pendingSeq is its sequence number.
	pending    bool
	pendingSeq uint32
	nlbuf      []byte
	req        [nlmsgHdrLen + ifinfomsgLen]byte
	rdN        int
	rdErr      error
	readFn     func(fd uintptr) bool

	cancelFn  func()
	cancelled chan struct{}
	// dlMu orders the cancellation hook's deadline against drain's.
	dlMu        sync.Mutex
	deadline    time.Time // the current Links call's context deadline
	cancelFired bool

	wrBuf   []byte
	wrErr   error
	writeFn func(fd uintptr) bool

	ioFd int // AF_INET (or AF_UNIX) datagram socket for SIOCETHTOOL
	io   ioctlState
}

// Open creates the sockets, inside opts.NetNS when set. The error wraps
// os.ErrNotExist for a missing namespace and os.ErrPermission without the
// right to enter it.
func Open(opts Options) (*Client, error) {
	c := &Client{opts: opts, sys: NewSysFS(opts.sysfsRoot()), ioFd: -1}
	err := netns.Do(opts.NetNS, func() error {
		nl, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
		if err != nil {
			return fmt.Errorf("nic: rtnetlink socket: %w", err)
		}
		c.nl = nl
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
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
	rc, err := c.nl.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("nic: rtnetlink socket: %w", err)
	}
	c.rc = rc
	c.nlbuf = make([]byte, 64<<10)
	c.readFn = c.recvChunk
	c.writeFn = c.sendChunk
	c.cancelFn = c.cancelRead
	c.cancelled = make(chan struct{}, 1)
	return c, nil
}

// SysFS returns the sysfs reader for Options.SysfsRoot.
func (c *Client) SysFS() SysFS { return c.sys }

// Close releases both sockets.
func (c *Client) Close() error {
	var errs []error
	if c.nl != nil {
		errs = append(errs, c.nl.Close())
		c.nl = nil
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
