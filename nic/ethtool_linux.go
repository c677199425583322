package nic

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/nl"
)

// ifreq is struct ifreq (include/uapi/linux/if.h) with the ifr_data member
// of its union: 16 bytes of name, then a pointer the kernel follows. The
// pointer stays an unsafe.Pointer so the garbage collector sees it.
type ifreq struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ioctlState is the Client's reusable ioctl request: the ifreq and a buffer
// for the fixed-size ethtool structures.
type ioctlState struct {
	ifr ifreq
	buf [256]byte
	// record, when set (RecordEthtool), sees every reply.
	record func(dev, op string, reply []byte, err error)
	// replay, when set (OpenReplay), answers every request instead of
	// the kernel.
	replay func(dev, op string, buf []byte) error
}

// OpenReplay returns a Client that answers from bytes recorded from the
// kernel instead of sockets, through the same code as a live Client: Links
// decodes linkDump (a captured RTM_GETLINK dump, NLMSG_DONE included) as
// the kernel's answer to its first request (internal/nl's Replay), and
// every ethtool request calls ethtool with the device, the command's
// kernel name and the request buffer, which it fills with the recorded
// reply; an error holding a syscall.Errno is mapped as the ioctl's errno
// is. cfg's SysRoot and ProcRoot name the recorded trees.
func OpenReplay(cfg Config, linkDump []byte, ethtool func(dev, op string, buf []byte) error) *Client {
	c := &Client{opts: cfg, sys: NewSysFS(cfg.sysRoot()), ioFd: -1, nl: nl.NewConn(nl.NewReplay(linkDump))}
	c.resetFn, c.linkFn = c.resetLinks, c.onLink
	c.io.replay = ethtool
	return c
}

// RecordEthtool makes the Client call fn after every SIOCETHTOOL request
// it makes, with the device, the command's kernel name (such as
// "ETHTOOL_GDRVINFO"), the request buffer as the kernel filled it (valid
// only during the call) and the error the request failed with, which
// holds the errno. A capture uses it to store the replies as the kernel
// gave them; nil stops recording.
func (c *Client) RecordEthtool(fn func(dev, op string, reply []byte, err error)) {
	c.io.record = fn
}

// ethtoolOpNames names commands in errors.
func ethtoolOpName(cmd uint32) string {
	switch cmd {
	case ethtoolGDrvInfo:
		return "ETHTOOL_GDRVINFO"
	case ethtoolGRingParam:
		return "ETHTOOL_GRINGPARAM"
	case ethtoolGChannels:
		return "ETHTOOL_GCHANNELS"
	case ethtoolGCoalesce:
		return "ETHTOOL_GCOALESCE"
	case ethtoolGSSetInfo:
		return "ETHTOOL_GSSET_INFO"
	case ethtoolGStrings:
		return "ETHTOOL_GSTRINGS"
	case ethtoolGStats:
		return "ETHTOOL_GSTATS"
	}
	return fmt.Sprintf("ethtool command %#x", cmd)
}

// ethtoolError maps an ioctl errno onto the package's sentinels:
// EOPNOTSUPP -> errors.ErrUnsupported, ENODEV -> os.ErrNotExist,
// EPERM -> os.ErrPermission; the errno stays in the chain.
func ethtoolError(cmd uint32, dev string, e syscall.Errno) error {
	var sentinel error
	switch e {
	case unix.EOPNOTSUPP, unix.ENOSYS:
		sentinel = errors.ErrUnsupported
	case unix.ENODEV, unix.ENXIO:
		sentinel = os.ErrNotExist
	case unix.EPERM, unix.EACCES:
		sentinel = os.ErrPermission
	}
	if sentinel != nil {
		return fmt.Errorf("nic: %s on %q: %w: %w", ethtoolOpName(cmd), dev, sentinel, os.NewSyscallError("ioctl", e))
	}
	return fmt.Errorf("nic: %s on %q: %w", ethtoolOpName(cmd), dev, os.NewSyscallError("ioctl", e))
}

// ethtool runs SIOCETHTOOL for dev with the request in buf (whose first
// u32 is the command, already set by the caller).
func (c *Client) ethtool(dev string, buf []byte) error {
	cmd := binary.NativeEndian.Uint32(buf)
	if c.io.replay != nil {
		err := c.io.replay(dev, ethtoolOpName(cmd), buf)
		var e syscall.Errno
		if errors.As(err, &e) {
			return ethtoolError(cmd, dev, e)
		}
		return err
	}
	if c.ioFd < 0 {
		return fmt.Errorf("nic: %s on %q: %w", ethtoolOpName(cmd), dev, os.ErrClosed)
	}
	if len(dev) == 0 || len(dev) >= unix.IFNAMSIZ {
		return fmt.Errorf("nic: %s: device name %q: %w", ethtoolOpName(cmd), dev, os.ErrNotExist)
	}
	ifr := &c.io.ifr
	clear(ifr.name[:])
	for i := 0; i < len(dev); i++ {
		if dev[i] == 0 {
			return fmt.Errorf("nic: %s: device name %q: %w", ethtoolOpName(cmd), dev, os.ErrNotExist)
		}
		ifr.name[i] = dev[i]
	}
	ifr.data = unsafe.Pointer(&buf[0])
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(c.ioFd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr)))
	for e == unix.EINTR {
		_, _, e = unix.Syscall(unix.SYS_IOCTL, uintptr(c.ioFd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr)))
	}
	ifr.data = nil
	var err error
	if e != 0 {
		err = ethtoolError(cmd, dev, e)
	}
	if c.io.record != nil {
		c.io.record(dev, ethtoolOpName(cmd), buf, err)
	}
	return err
}

// fixed runs a command whose reply is a fixed-size structure of n bytes.
func (c *Client) fixed(dev string, cmd uint32, n int) ([]byte, error) {
	b := c.io.buf[:n]
	clear(b)
	binary.NativeEndian.PutUint32(b, cmd)
	if err := c.ethtool(dev, b); err != nil {
		return nil, err
	}
	return b, nil
}

// DriverInfo is `ethtool -i DEV` (ETHTOOL_GDRVINFO). A device without
// driver information (lo) answers errors.ErrUnsupported.
func (c *Client) DriverInfo(dev string) (DriverInfo, error) {
	b, err := c.fixed(dev, ethtoolGDrvInfo, drvinfoLen)
	if err != nil {
		return DriverInfo{}, err
	}
	return DecodeDriverInfo(b)
}

// Rings is `ethtool -g DEV` (ETHTOOL_GRINGPARAM).
func (c *Client) Rings(dev string) (Rings, error) {
	b, err := c.fixed(dev, ethtoolGRingParam, ringparamLen)
	if err != nil {
		return Rings{}, err
	}
	return DecodeRings(b)
}

// Channels is `ethtool -l DEV` (ETHTOOL_GCHANNELS).
func (c *Client) Channels(dev string) (Channels, error) {
	b, err := c.fixed(dev, ethtoolGChannels, channelsLen)
	if err != nil {
		return Channels{}, err
	}
	return DecodeChannels(b)
}

// Coalesce is `ethtool -c DEV` (ETHTOOL_GCOALESCE).
func (c *Client) Coalesce(dev string) (Coalesce, error) {
	b, err := c.fixed(dev, ethtoolGCoalesce, coalesceLen)
	if err != nil {
		return Coalesce{}, err
	}
	return DecodeCoalesce(b)
}

// statsCount asks ETHTOOL_GSSET_INFO how many driver statistics dev has
// now. A driver without statistics answers errors.ErrUnsupported.
func (c *Client) statsCount(dev string) (int, error) {
	b := c.io.buf[:ssetInfoLen]
	clear(b)
	binary.NativeEndian.PutUint32(b, ethtoolGSSetInfo)
	binary.NativeEndian.PutUint64(b[8:], 1<<ethSSStats)
	err := c.ethtool(dev, b)
	if errors.Is(err, errors.ErrUnsupported) {
		// Kernels before 2.6.34 lack GSSET_INFO: fall back to n_stats.
		info, ierr := c.DriverInfo(dev)
		if ierr != nil {
			return 0, ierr
		}
		if info.NumStats == 0 {
			return 0, fmt.Errorf("nic: driver statistics of %q: %w", dev, errors.ErrUnsupported)
		}
		return int(info.NumStats), nil
	}
	if err != nil {
		return 0, err
	}
	n, ok, err := DecodeSSetInfo(b)
	if err != nil {
		return 0, err
	}
	if !ok || n == 0 {
		return 0, fmt.Errorf("nic: driver statistics of %q: %w", dev, errors.ErrUnsupported)
	}
	if n > 1<<24 {
		return 0, fmt.Errorf("%w: %q reports %d statistics", ErrMalformed, dev, n)
	}
	return int(n), nil
}

// ioctlSlack is how many spare entries the GSTRINGS and GSTATS buffers
// get: the kernel writes as many entries as the driver has at the moment of
// the call, whatever the request says, so a count that grew between our
// GSSET_INFO and the call must not overrun the buffer.
func ioctlSlack(n int) int { return max(64, n/4) }
