//go:build linux

package qdisc

import (
	"context"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/nl"
)

// dump runs one dump of type typ on internal/nl with a zeroed family
// header of the size the type needs (struct tcmsg or struct ifinfomsg)
// carrying ifindex; RTM_GETLINK asks for no statistics (IFLA_EXT_MASK).
// An interrupted dump (NLM_F_DUMP_INTR on every attempt) keeps its
// messages and only sets LastDump().Interrupted.
func (c *Conn) dump(ctx context.Context, typ uint16, ifindex int32, fn func(netlink.Message) error, reset func()) error {
	hdr := tcmsgLen
	extra := 0
	if typ == unix.RTM_GETLINK {
		hdr = ifinfomsgLen
		extra = 8 // IFLA_EXT_MASK u32
	}
	req := c.req[:hdr+extra]
	clear(req)
	req[0] = unix.AF_UNSPEC
	ne.PutUint32(req[4:], uint32(ifindex))
	if extra != 0 {
		a := req[hdr:]
		ne.PutUint16(a[0:], 8)
		ne.PutUint16(a[2:], unix.IFLA_EXT_MASK)
		ne.PutUint32(a[4:], rtextFilterSkipStats)
	}
	err := c.nl.Dump(ctx, nl.Request{Type: netlink.HeaderType(typ), Body: req, Reset: reset}, fn)
	if c.nl.Interrupted {
		c.info.Interrupted = true
	}
	if errors.Is(err, nl.ErrDumpInterrupted) {
		return nil
	}
	return markMalformed(err)
}

// linksChanged drains the RTNLGRP_LINK subscription and reports whether the
// kernel announced any change of devices since the last call (true without
// a subscription, or when notifications were lost: ENOBUFS).
func (c *Conn) linksChanged() bool {
	if c.notify == nil {
		return true
	}
	return c.notify.Changed()
}

// refreshLinks replaces the ifindex -> name table with one RTM_GETLINK dump,
// reusing the strings of unchanged names.
func (c *Conn) refreshLinks(ctx context.Context) error {
	clear(c.oldNames)
	if err := c.dump(ctx, unix.RTM_GETLINK, 0, c.linkFn, c.linkReset); err != nil {
		return fmt.Errorf("qdisc: RTM_GETLINK dump: %w", err)
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

func (c *Conn) resetLinks() { clear(c.oldNames) }

func (c *Conn) onLink(m netlink.Message) error {
	payload := m.Data
	if m.Header.Type != unix.RTM_NEWLINK || len(payload) < ifinfomsgLen {
		return nil
	}
	idx := int32(ne.Uint32(payload[4:]))
	a := nl.NewAttrs(payload[ifinfomsgLen:])
	for a.Next() {
		if a.Type != unix.IFLA_IFNAME {
			continue
		}
		b := a.Data
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
