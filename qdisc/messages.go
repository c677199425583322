package qdisc

import (
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"

	"github.com/packetpath/packetpath/internal/nl"
	"github.com/packetpath/packetpath/internal/reuse"
)

// Netlink message types (include/uapi/linux/rtnetlink.h, netlink.h).
const (
	nlmsgNoop   = 1
	nlmsgError  = 2
	nlmsgDone   = 3
	rtmNewQdisc = 36
	rtmNewClass = 40
)

// DecodeQdiscs decodes a buffer of netlink messages as the kernel sends
// them for an RTM_GETQDISC dump (struct nlmsghdr + struct tcmsg +
// attributes, each message padded to 4 bytes) and appends one Qdisc per
// RTM_NEWQDISC message to dst[:0]. Other message types are skipped; it stops
// at NLMSG_DONE, and an NLMSG_ERROR becomes an error wrapping its errno.
// Device stays empty: the buffer carries only ifindexes. It is the
// entry point for captured dumps (bundles, nlmon): the same internal/nl
// message walk and decoder as Conn.
func DecodeQdiscs(b []byte, dst []Qdisc) ([]Qdisc, error) {
	dst = dst[:0]
	_, err := nl.Messages(b, func(m netlink.Message) error {
		if m.Header.Type != rtmNewQdisc {
			return nil
		}
		i := len(dst)
		var q *Qdisc
		dst, q = reuse.Next(dst)
		if err := decodeMessage(m.Data, q, nil); err != nil {
			dst = dst[:i]
			return err
		}
		return nil
	})
	return dst, markMalformed(err)
}

// DecodeClasses is DecodeQdiscs for RTM_NEWTCLASS messages.
func DecodeClasses(b []byte, dst []Class) ([]Class, error) {
	dst = dst[:0]
	_, err := nl.Messages(b, func(m netlink.Message) error {
		if m.Header.Type != rtmNewClass {
			return nil
		}
		i := len(dst)
		var cl *Class
		dst, cl = reuse.Next(dst)
		if err := decodeMessage(m.Data, (*Qdisc)(cl), nil); err != nil {
			dst = dst[:i]
			return err
		}
		return nil
	})
	return dst, markMalformed(err)
}

// markMalformed makes a netlink framing error (nl.ErrMalformed) match
// ErrMalformed too.
func markMalformed(err error) error {
	if err != nil && errors.Is(err, nl.ErrMalformed) && !errors.Is(err, ErrMalformed) {
		return fmt.Errorf("qdisc: %w: %w", ErrMalformed, err)
	}
	return err
}
