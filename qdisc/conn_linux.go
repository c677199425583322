//go:build linux

package qdisc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/socket"
	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/internal/reuse"
	"golang.org/x/sys/unix"
)

// Conn is a NETLINK_ROUTE socket that dumps qdiscs and classes.
//
// It reads with recvmsg(2) into one reused 64 KiB buffer (the kernel fills
// dump messages of up to 32 KiB, net/netlink/af_netlink.c netlink_dump) on
// the Go runtime poller (github.com/mdlayher/socket), and decodes attributes
// by hand: a dump allocates nothing in steady state. github.com/mdlayher/
// netlink is not used for dumps because its Receive allocates every message.
//
// Device names come from an ifindex -> name table filled by one RTM_GETLINK
// dump. The table is reloaded before a dump whenever the kernel announced a
// change of devices since the last load: the Conn keeps a second
// NETLINK_ROUTE socket subscribed to RTNLGRP_LINK, to which the kernel sends
// an RTM_NEWLINK or RTM_DELLINK message for every device added, removed,
// renamed or changed (net/core/rtnetlink.c rtmsg_ifinfo), and a dump first
// reads it without blocking (one recvmsg(2) that finds nothing in the
// steady state). A rename, or a new device that reuses an ifindex, is
// therefore seen by the next dump. A dump that meets an unknown ifindex
// reloads the table too. If the subscription cannot be made, or its
// notifications overflow, the table is reloaded before every dump.
//
// A Conn is safe for concurrent use; dumps are serialised.
type Conn struct {
	mu      sync.Mutex
	sock    *socket.Conn
	timeout time.Duration
	// deadline is the read deadline armed on the socket; ctxDeadline
	// tells whether it came from a caller's context.
	deadline    time.Time
	ctxDeadline bool

	buf     []byte
	pending []byte // unread messages of the last recvmsg
	iov     unix.Iovec
	msg     unix.Msghdr
	rn      int
	rflags  int
	rc      syscall.RawConn
	readFn  func(fd uintptr) bool
	rerr    error
	req     [64]byte
	seq     uint32
	inDump  bool // a dump was abandoned before NLMSG_DONE
	dumpSeq uint32

	names    map[int32]string // ifindex -> device name
	dense    []string         // the same for small ifindexes, "" = unknown
	oldNames map[int32]string
	kinds    map[string]string
	scratch  []Qdisc // AllClasses' qdisc dump
	info     DumpInfo

	// notify is the RTNLGRP_LINK subscription (-1 when none); namesStale
	// is set until the first load, and when a load failed.
	notify     int
	notifyBuf  []byte
	namesStale bool
}

// Open opens a NETLINK_ROUTE socket, inside cfg.NetNS when set. Errors wrap
// os.ErrNotExist for a missing namespace and os.ErrPermission when entering
// it is not allowed.
func Open(cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	var sock *socket.Conn
	notify := -1
	err := netns.Do(cfg.NetNS, func() error {
		var err error
		sock, err = socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE, "qdisc-rtnetlink", nil)
		if err == nil {
			notify = openLinkNotify()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("qdisc: opening rtnetlink socket: %w", err)
	}
	if err := sock.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		sock.Close()
		closeFd(notify)
		return nil, fmt.Errorf("qdisc: binding rtnetlink socket: %w", err)
	}
	c := &Conn{
		sock:     sock,
		timeout:  cfg.Timeout,
		buf:      make([]byte, 64<<10),
		names:    make(map[int32]string),
		oldNames: make(map[int32]string),
		kinds:    make(map[string]string),
		notify:   notify,
		// The first dump loads the names.
		namesStale: true,
	}
	if notify >= 0 {
		c.notifyBuf = make([]byte, 8<<10)
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	rc, err := sock.SyscallConn()
	if err != nil {
		sock.Close()
		closeFd(notify)
		return nil, fmt.Errorf("qdisc: %w", err)
	}
	c.rc = rc
	c.readFn = c.recvOnce
	c.iov.Base = &c.buf[0]
	c.iov.SetLen(len(c.buf))
	c.msg.Iov = &c.iov
	c.msg.SetIovlen(1)
	return c, nil
}

// Close closes the sockets.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	closeFd(c.notify)
	c.notify = -1
	return c.sock.Close()
}

// LastDump describes the most recent dump (skipped devices and messages).
// SkippedDevices aliases internal storage until the next call.
func (c *Conn) LastDump() DumpInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info
}

// Qdiscs dumps every qdisc of every device in the namespace (one
// RTM_GETQDISC dump) into dst[:0], reusing the elements' Options and
// XStats storage, and returns the extended slice. Messages for devices that
// vanish mid-dump are skipped (LastDump().Vanished). A message that cannot
// be decoded is skipped too; the returned error then wraps ErrMalformed
// while the slice still holds every other qdisc.
func (c *Conn) Qdiscs(ctx context.Context, dst []Qdisc) ([]Qdisc, error) {
	return c.qdiscs(ctx, 0, dst)
}

// QdiscsOf is Qdiscs restricted to one device. The kernel ignores the
// ifindex of a qdisc dump request, so the whole namespace is still dumped
// and filtered here.
func (c *Conn) QdiscsOf(ctx context.Context, ifindex int, dst []Qdisc) ([]Qdisc, error) {
	if ifindex <= 0 {
		return dst[:0], fmt.Errorf("qdisc: ifindex %d: %w", ifindex, os.ErrNotExist)
	}
	return c.qdiscs(ctx, ifindex, dst)
}

func (c *Conn) qdiscs(ctx context.Context, only int, dst []Qdisc) ([]Qdisc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.info.Messages, c.info.Vanished, c.info.Malformed, c.info.Interrupted = 0, 0, 0, false
	c.info.SkippedDevices = c.info.SkippedDevices[:0]
	if err := c.arm(ctx); err != nil {
		return dst[:0], err
	}
	return c.qdiscsLocked(ctx, only, dst)
}

// qdiscsLocked is the qdisc dump; the caller holds c.mu and armed the
// deadline.
func (c *Conn) qdiscsLocked(ctx context.Context, only int, dst []Qdisc) ([]Qdisc, error) {
	dst = dst[:0]
	c.freshNames(ctx)
	if err := c.startDump(ctx, unix.RTM_GETQDISC, 0); err != nil {
		return dst, err
	}
	var firstErr error
	unknown := false
	for {
		typ, payload, done, err := c.nextMsg(ctx)
		if err != nil {
			return dst, fmt.Errorf("qdisc: RTM_GETQDISC dump: %w", err)
		}
		if done {
			break
		}
		if typ != unix.RTM_NEWQDISC {
			continue
		}
		c.info.Messages++
		dst, firstErr, unknown = c.appendQdisc(dst, payload, only, firstErr, unknown)
	}
	if unknown {
		dst = c.resolveQdiscNames(ctx, dst)
	}
	return dst, firstErr
}

func (c *Conn) appendQdisc(dst []Qdisc, payload []byte, only int, firstErr error, unknown bool) ([]Qdisc, error, bool) {
	if only != 0 && len(payload) >= 8 && int(int32(ne.Uint32(payload[4:]))) != only {
		return dst, firstErr, unknown
	}
	i := len(dst)
	var q *Qdisc
	dst, q = reuse.Next(dst)
	if err := decodeMessage(payload, q, c.kinds); err != nil {
		c.info.Malformed++
		if firstErr == nil {
			firstErr = fmt.Errorf("qdisc: RTM_NEWQDISC: %w", err)
		}
		return dst[:i], firstErr, unknown
	}
	name, ok := c.name(q.Ifindex)
	if !ok {
		unknown = true
	}
	q.Device = name
	return dst, firstErr, unknown
}

// resolveQdiscNames refreshes the device names once and drops the qdiscs of
// devices that no longer exist.
func (c *Conn) resolveQdiscNames(ctx context.Context, dst []Qdisc) []Qdisc {
	if err := c.refreshLinks(ctx); err != nil {
		return dst // keep them, unnamed
	}
	n := 0
	for i := range dst {
		name, ok := c.name(dst[i].Ifindex)
		if !ok {
			c.info.Vanished++
			continue
		}
		dst[i].Device = name
		if n != i {
			dst[n], dst[i] = dst[i], dst[n] // keep the buffers of the dropped one
		}
		n++
	}
	return dst[:n]
}

// RefreshDevices reloads the ifindex -> device name table (one RTM_GETLINK
// dump) now. Dumps do this by themselves first, and whenever the kernel
// announces a change of devices or they meet a new ifindex (see Conn), so
// callers do not need it.
func (c *Conn) RefreshDevices(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.arm(ctx); err != nil {
		return err
	}
	c.linksChanged()
	if err := c.refreshLinks(ctx); err != nil {
		c.namesStale = true
		return err
	}
	c.namesStale = false
	return nil
}

// DeviceIndex returns the ifindex of the named device from the Conn's name
// table, reloaded first when the kernel announced a change of devices (see
// Conn). ok is false when no device has the name, or the table could not
// be loaded.
func (c *Conn) DeviceIndex(ctx context.Context, name string) (ifindex int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.arm(ctx); err != nil {
		return 0, false
	}
	c.freshNames(ctx)
	for i, n := range c.dense {
		if n == name {
			return i, true
		}
	}
	for i, n := range c.names {
		if n == name {
			return int(i), true
		}
	}
	return 0, false
}

// freshNames reloads the name table when the kernel announced a change of
// devices since the last load. A failed reload is retried by the next dump;
// the dump itself goes on with the table it has.
func (c *Conn) freshNames(ctx context.Context) {
	if !c.linksChanged() && !c.namesStale {
		return
	}
	c.namesStale = c.refreshLinks(ctx) != nil
}

// Classes dumps the classes of one device (one RTM_GETTCLASS dump) into
// dst[:0]. A device that does not exist yields an error wrapping
// os.ErrNotExist.
func (c *Conn) Classes(ctx context.Context, ifindex int, dst []Class) ([]Class, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.info.Messages, c.info.Vanished, c.info.Malformed, c.info.Interrupted = 0, 0, 0, false
	c.info.SkippedDevices = c.info.SkippedDevices[:0]
	if err := c.arm(ctx); err != nil {
		return dst[:0], err
	}
	if ifindex <= 0 {
		return dst[:0], fmt.Errorf("qdisc: classes of ifindex %d: %w", ifindex, os.ErrNotExist)
	}
	c.freshNames(ctx)
	dst, err := c.classes(ctx, ifindex, dst[:0])
	if err != nil {
		return dst, err
	}
	name, ok := c.name(ifindex)
	if !ok {
		if err := c.refreshLinks(ctx); err != nil {
			return dst, err
		}
		if name, ok = c.name(ifindex); !ok {
			return dst[:0], fmt.Errorf("qdisc: classes of ifindex %d: %w", ifindex, os.ErrNotExist)
		}
	}
	for i := range dst {
		dst[i].Device = name
	}
	return dst, nil
}

// AllClasses dumps the classes of every device that has a classful qdisc,
// appending to dst[:0]. It finds those devices with one RTM_GETQDISC dump
// (which, like every dump, first reloads the device names when devices were
// added, removed or renamed since the last load: see Conn), then runs one
// RTM_GETTCLASS dump per such device: devices whose qdiscs are all
// classless (see Classless) are not asked. Devices that vanish before their
// class dump are skipped and listed in LastDump().SkippedDevices.
func (c *Conn) AllClasses(ctx context.Context, dst []Class) ([]Class, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.info.Messages, c.info.Vanished, c.info.Malformed, c.info.Interrupted = 0, 0, 0, false
	c.info.SkippedDevices = c.info.SkippedDevices[:0]
	if err := c.arm(ctx); err != nil {
		return dst[:0], err
	}
	dst = dst[:0]
	var firstErr error
	var err error
	c.scratch, err = c.qdiscsLocked(ctx, 0, c.scratch)
	if err != nil && !errors.Is(err, ErrMalformed) {
		return dst, err
	}
	firstErr = err
	// Qdiscs of one device arrive together (tc_dump_qdisc walks device by
	// device), so a device is classful when any of its run is.
	for i := 0; i < len(c.scratch); {
		idx, name := c.scratch[i].Ifindex, c.scratch[i].Device
		classful := false
		for ; i < len(c.scratch) && c.scratch[i].Ifindex == idx; i++ {
			classful = classful || !Classless(c.scratch[i].Kind)
		}
		if !classful {
			continue
		}
		start := len(dst)
		dst, err = c.classes(ctx, idx, dst)
		if errors.Is(err, os.ErrNotExist) {
			c.info.SkippedDevices = append(c.info.SkippedDevices, idx)
			dst = dst[:start]
			continue
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			return dst, err
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		for j := start; j < len(dst); j++ {
			dst[j].Device = name
		}
	}
	return dst, firstErr
}

// classes appends the classes of ifindex to dst. Caller holds c.mu.
func (c *Conn) classes(ctx context.Context, ifindex int, dst []Class) ([]Class, error) {
	if err := c.startDump(ctx, unix.RTM_GETTCLASS, int32(ifindex)); err != nil {
		return dst, err
	}
	var firstErr error
	for {
		typ, payload, done, err := c.nextMsg(ctx)
		if err != nil {
			return dst, fmt.Errorf("qdisc: RTM_GETTCLASS dump of ifindex %d: %w", ifindex, err)
		}
		if done {
			return dst, firstErr
		}
		if typ != unix.RTM_NEWTCLASS {
			continue
		}
		c.info.Messages++
		i := len(dst)
		var cl *Class
		dst, cl = reuse.Next(dst)
		if err := decodeMessage(payload, (*Qdisc)(cl), c.kinds); err != nil {
			c.info.Malformed++
			if firstErr == nil {
				firstErr = fmt.Errorf("qdisc: RTM_NEWTCLASS: %w", err)
			}
			dst = dst[:i]
		}
	}
}

// arm sets the socket's read deadline for the coming dump: ctx's deadline,
// or now + Timeout. Cancellation of ctx is checked between reads. Without a
// context deadline, a deadline that is still at least half a Timeout away
// is left in place: re-arming the poller's timer on every dump costs more
// than the decoding of a small dump.
func (c *Conn) arm(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qdisc: %w", err)
	}
	d, ok := ctx.Deadline()
	if !ok {
		now := time.Now()
		if !c.ctxDeadline && c.deadline.Sub(now) >= c.timeout/2 {
			return nil
		}
		d = now.Add(c.timeout)
	}
	if err := c.sock.SetReadDeadline(d); err != nil {
		return fmt.Errorf("qdisc: setting read deadline: %w", err)
	}
	c.deadline, c.ctxDeadline = d, ok
	return nil
}
