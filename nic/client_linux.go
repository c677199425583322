package nic

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/mdlayher/netlink"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/internal/nl"
	"github.com/packetpath/packetpath/procparse"
)

// Client holds an rtnetlink socket and an ethtool ioctl socket, both in the
// namespace given at Open. A Client is not safe for concurrent use; open
// one per goroutine.
type Client struct {
	opts Config
	sys  SysFS

	// nl is the NETLINK_ROUTE socket (internal/nl: off the Go netpoller,
	// see its package doc for the measured reason).
	nl      *nl.Conn
	req     [ifinfomsgLen]byte // RTM_GETLINK body: ifinfomsg, AF_UNSPEC
	links   []Link             // the dump in progress
	resetFn func()
	linkFn  func(netlink.Message) error

	ioFd int // AF_INET (or AF_UNIX) datagram socket for SIOCETHTOOL
	io   ioctlState
}

// Open creates the sockets, inside opts.NetNS when set. The error wraps
// os.ErrNotExist for a missing namespace and os.ErrPermission without the
// right to enter it.
func Open(opts Config) (*Client, error) {
	c := &Client{opts: opts, sys: NewSysFS(opts.sysRoot()), ioFd: -1}
	err := netns.Do(opts.NetNS, func() error {
		conn, err := nl.Dial(unix.NETLINK_ROUTE, 0)
		if err != nil {
			return fmt.Errorf("nic: rtnetlink socket: %w", err)
		}
		c.nl = conn
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
	c.resetFn, c.linkFn = c.resetLinks, c.onLink
	return c, nil
}

// SysFS returns the sysfs reader for Config.SysRoot.
func (c *Client) SysFS() SysFS { return c.sys }

// Close releases both sockets. Calls after Close fail with an error
// wrapping nl.ErrClosed (errors.Is matches net.ErrClosed and os.ErrClosed).
func (c *Client) Close() error {
	var errs []error
	if c.nl != nil {
		errs = append(errs, c.nl.Close())
	}
	if c.ioFd >= 0 {
		errs = append(errs, unix.Close(c.ioFd))
		c.ioFd = -1
	}
	return errors.Join(errs...)
}

// IRQs is DeviceIRQs for dev with the Client's SysRoot and ProcRoot.
func (c *Client) IRQs(dev string) ([]QueueIRQ, error) {
	proc, err := procparse.NewFS(c.opts.procRoot())
	if err != nil {
		return nil, err
	}
	return DeviceIRQs(c.sys, proc, dev)
}
