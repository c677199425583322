//go:build linux

package qdisc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/internal/nl"
	"github.com/packetpath/packetpath/internal/reuse"
)

// Conn is a NETLINK_ROUTE socket that dumps qdiscs and classes.
//
// Its dumps run on internal/nl: one reused 64 KiB buffer, the socket off
// the Go netpoller, attributes decoded by hand, so a dump allocates
// nothing in steady state (github.com/mdlayher/netlink's Conn.Receive is
// not used because it allocates every message). A dump the kernel flags
// NLM_F_DUMP_INTR restarts (bounded; LastDump().Interrupted tells); one
// left unfinished is read out before the next request.
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
	mu sync.Mutex
	nl *nl.Conn

	req [tcmsgLen + 8]byte // request body: tcmsg, or ifinfomsg + IFLA_EXT_MASK

	names    map[int32]string // ifindex -> device name
	dense    []string         // the same for small ifindexes, "" = unknown
	oldNames map[int32]string
	kinds    map[string]string
	scratch  []Qdisc // AllClasses' qdisc dump
	info     DumpInfo

	// The dump in progress, shared with the callbacks below (kept as
	// method values so a dump allocates no closure).
	qdst                              []Qdisc
	cdst                              []Class
	cstart                            int
	only                              int
	firstErr                          error
	unknown                           bool
	qdiscFn, classFn, linkFn          func(netlink.Message) error
	qdiscReset, classReset, linkReset func()

	// notify is the RTNLGRP_LINK subscription (nil when none); namesStale
	// is set until the first load, and when a load failed.
	notify     *nl.Notify
	namesStale bool
}

// Open opens a NETLINK_ROUTE socket, inside cfg.NetNS when set. Errors wrap
// os.ErrNotExist for a missing namespace and os.ErrPermission when entering
// it is not allowed.
func Open(cfg Config) (*Conn, error) {
	var conn *nl.Conn
	var notify *nl.Notify
	err := netns.Do(cfg.NetNS, func() error {
		var err error
		conn, err = nl.Dial(unix.NETLINK_ROUTE, 0)
		if err == nil {
			notify, _ = nl.DialNotify(unix.NETLINK_ROUTE, unix.RTMGRP_LINK)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("qdisc: opening rtnetlink socket: %w", err)
	}
	conn.Timeout = cfg.Timeout
	if conn.Timeout <= 0 {
		conn.Timeout = defaultTimeout
	}
	c := &Conn{
		nl:       conn,
		names:    make(map[int32]string),
		oldNames: make(map[int32]string),
		kinds:    make(map[string]string),
		notify:   notify,
		// The first dump loads the names.
		namesStale: true,
	}
	c.qdiscFn, c.classFn, c.linkFn = c.onQdisc, c.onClass, c.onLink
	c.qdiscReset, c.classReset, c.linkReset = c.resetQdiscs, c.resetClasses, c.resetLinks
	return c, nil
}

// Close closes the sockets. Calls after Close fail with an error wrapping
// nl.ErrClosed (errors.Is matches net.ErrClosed and os.ErrClosed).
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.notify != nil {
		c.notify.Close()
		c.notify = nil
	}
	return c.nl.Close()
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
	if err := c.begin(ctx); err != nil {
		return dst[:0], err
	}
	return c.qdiscsLocked(ctx, only, dst)
}

// qdiscsLocked is the qdisc dump; the caller holds c.mu.
func (c *Conn) qdiscsLocked(ctx context.Context, only int, dst []Qdisc) ([]Qdisc, error) {
	c.freshNames(ctx)
	c.qdst, c.only, c.firstErr, c.unknown = dst[:0], only, nil, false
	err := c.dump(ctx, unix.RTM_GETQDISC, 0, c.qdiscFn, c.qdiscReset)
	dst, c.qdst = c.qdst, nil
	if err != nil {
		return dst, fmt.Errorf("qdisc: RTM_GETQDISC dump: %w", err)
	}
	if c.unknown {
		dst = c.resolveQdiscNames(ctx, dst)
	}
	return dst, c.firstErr
}

func (c *Conn) resetQdiscs() {
	c.qdst, c.firstErr, c.unknown = c.qdst[:0], nil, false
	c.info.Messages, c.info.Malformed = 0, 0
}

func (c *Conn) onQdisc(m netlink.Message) error {
	if m.Header.Type != unix.RTM_NEWQDISC {
		return nil
	}
	c.info.Messages++
	payload := m.Data
	if c.only != 0 && len(payload) >= 8 && int(int32(ne.Uint32(payload[4:]))) != c.only {
		return nil
	}
	i := len(c.qdst)
	var q *Qdisc
	c.qdst, q = reuse.Next(c.qdst)
	if err := decodeMessage(payload, q, c.kinds); err != nil {
		c.info.Malformed++
		if c.firstErr == nil {
			c.firstErr = fmt.Errorf("qdisc: RTM_NEWQDISC: %w", err)
		}
		c.qdst = c.qdst[:i]
		return nil
	}
	name, ok := c.name(q.Ifindex)
	if !ok {
		c.unknown = true
	}
	q.Device = name
	return nil
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
	if err := c.begin(ctx); err != nil {
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
	if err := c.begin(ctx); err != nil {
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
	if err := c.begin(ctx); err != nil {
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
	if err := c.begin(ctx); err != nil {
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
	c.cdst, c.cstart, c.firstErr = dst, len(dst), nil
	err := c.dump(ctx, unix.RTM_GETTCLASS, int32(ifindex), c.classFn, c.classReset)
	dst, c.cdst = c.cdst, nil
	if err != nil {
		return dst, fmt.Errorf("qdisc: RTM_GETTCLASS dump of ifindex %d: %w", ifindex, err)
	}
	return dst, c.firstErr
}

func (c *Conn) resetClasses() { c.cdst, c.firstErr = c.cdst[:c.cstart], nil }

func (c *Conn) onClass(m netlink.Message) error {
	if m.Header.Type != unix.RTM_NEWTCLASS {
		return nil
	}
	c.info.Messages++
	i := len(c.cdst)
	var cl *Class
	c.cdst, cl = reuse.Next(c.cdst)
	if err := decodeMessage(m.Data, (*Qdisc)(cl), c.kinds); err != nil {
		c.info.Malformed++
		if c.firstErr == nil {
			c.firstErr = fmt.Errorf("qdisc: RTM_NEWTCLASS: %w", err)
		}
		c.cdst = c.cdst[:i]
	}
	return nil
}

// begin starts a call: it resets LastDump and fails on a closed Conn or an
// ended context.
func (c *Conn) begin(ctx context.Context) error {
	c.info.Messages, c.info.Vanished, c.info.Malformed, c.info.Interrupted = 0, 0, 0, false
	c.info.SkippedDevices = c.info.SkippedDevices[:0]
	if c.nl.Closed() {
		return fmt.Errorf("qdisc: %w", nl.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qdisc: %w", err)
	}
	return nil
}
