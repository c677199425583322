package nic

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"

	"github.com/packetpath/packetpath/internal/nl"
	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// ErrMalformed is wrapped by every error about kernel data the decoders
// cannot accept: a truncated netlink message or attribute, an ioctl reply
// shorter than its structure.
var ErrMalformed = errors.New("nic: malformed kernel data")

// rtnetlink numbers (include/uapi/linux/rtnetlink.h, if_link.h).
const (
	ifinfomsgLen = 16

	iflaIfname         = 3
	iflaMTU            = 4
	iflaQdisc          = 6
	iflaTxqlen         = 13
	iflaOperstate      = 16
	iflaStats64        = 23
	iflaNumTxQueues    = 31
	iflaNumRxQueues    = 32
	iflaCarrierChanges = 35

	// sizeof(struct rtnl_link_stats64): 23 counters before Linux 4.6,
	// 24 with rx_nohandler, 25 with rx_otherhost_dropped (5.19).
	stats64Len23 = 23 * 8
	stats64Len24 = 24 * 8
	stats64Len25 = 25 * 8
)

// DecodeLinks decodes the raw bytes of a captured RTM_GETLINK dump (the
// kernel's messages, NLMSG_DONE included, as a bundle stores them) into
// dst[:0] through the same internal/nl dump and decoder as Client.Links: it
// replays the bytes as the kernel's answer (nl.NewReplay).
func DecodeLinks(dump []byte, dst []Link) ([]Link, error) {
	c := nl.NewConn(nl.NewReplay(dump))
	dst = dst[:0]
	err := c.Dump(context.Background(), nl.Request{Type: rtmGetLink, Body: make([]byte, ifinfomsgLen),
		Reset: func() { dst = dst[:0] }}, func(m netlink.Message) error {
		var err error
		dst, err = appendLink(dst, m)
		return err
	})
	if err != nil {
		return dst, fmt.Errorf("nic: RTM_GETLINK dump: %w", markMalformed(err))
	}
	return dst, nil
}

const (
	rtmNewLink = 16
	rtmGetLink = 18
)

// appendLink decodes an RTM_NEWLINK message into the next element of dst
// (reused); other message types are skipped.
func appendLink(dst []Link, m netlink.Message) ([]Link, error) {
	if m.Header.Type != rtmNewLink {
		return dst, nil
	}
	var l *Link
	dst, l = reuse.Next(dst)
	if err := decodeLink(m.Data, l); err != nil {
		return dst[:len(dst)-1], err
	}
	return dst, nil
}

// decodeLinkDump decodes one read of an RTM_GETLINK dump, keeping the
// messages with sequence number seq (the fuzzed decoder).
func decodeLinkDump(b []byte, seq uint32, dst []Link) (links []Link, done bool, err error) {
	done, err = nl.Messages(b, func(m netlink.Message) error {
		if m.Header.Sequence != seq {
			return nil
		}
		var err error
		dst, err = appendLink(dst, m)
		return err
	})
	return dst, done, markMalformed(err)
}

// markMalformed makes a netlink framing error (nl.ErrMalformed) match
// ErrMalformed too.
func markMalformed(err error) error {
	if err != nil && errors.Is(err, nl.ErrMalformed) && !errors.Is(err, ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}

// decodeLink decodes one RTM_NEWLINK body (ifinfomsg + attributes) into l,
// keeping l.Name and l.Qdisc when the bytes are unchanged.
func decodeLink(b []byte, l *Link) error {
	if len(b) < ifinfomsgLen {
		return fmt.Errorf("%w: RTM_NEWLINK body of %d bytes, shorter than ifinfomsg", ErrMalformed, len(b))
	}
	name, qdisc := l.Name, l.Qdisc
	*l = Link{Name: name, Qdisc: qdisc}
	l.Index = int32(binary.NativeEndian.Uint32(b[4:8]))
	l.Flags = binary.NativeEndian.Uint32(b[8:12])
	haveName, haveQdisc := false, false
	a := nl.NewAttrs(b[ifinfomsgLen:])
	for a.Next() {
		v := a.Data
		var err error
		switch a.Type {
		case iflaIfname:
			l.Name = scan.String(l.Name, cstring(v))
			haveName = true
		case iflaQdisc:
			l.Qdisc = scan.String(l.Qdisc, cstring(v))
			haveQdisc = true
		case iflaMTU:
			l.MTU, err = u32attr(v, "IFLA_MTU", l.Index)
		case iflaTxqlen:
			l.TxQueueLen, err = u32attr(v, "IFLA_TXQLEN", l.Index)
		case iflaNumTxQueues:
			l.NumTxQueues, err = u32attr(v, "IFLA_NUM_TX_QUEUES", l.Index)
		case iflaNumRxQueues:
			l.NumRxQueues, err = u32attr(v, "IFLA_NUM_RX_QUEUES", l.Index)
		case iflaCarrierChanges:
			l.CarrierChanges, err = u32attr(v, "IFLA_CARRIER_CHANGES", l.Index)
			l.HasCarrierChanges = err == nil
		case iflaOperstate:
			if len(v) < 1 {
				err = fmt.Errorf("%w: link %d: empty IFLA_OPERSTATE", ErrMalformed, l.Index)
			} else {
				l.OperState = OperState(v[0])
			}
		case iflaStats64:
			err = decodeStats64(v, &l.Stats)
			if err != nil {
				err = fmt.Errorf("link %d: %w", l.Index, err)
			}
			l.HasStats = err == nil
		}
		if err != nil {
			return err
		}
	}
	if err := a.Err(); err != nil {
		return fmt.Errorf("link %d: %w: %w", l.Index, err, ErrMalformed)
	}
	if !haveName {
		l.Name = ""
	}
	if !haveQdisc {
		l.Qdisc = ""
	}
	return nil
}

func u32attr(v []byte, name string, index int32) (uint32, error) {
	if len(v) < 4 {
		return 0, fmt.Errorf("%w: link %d: %s of %d bytes", ErrMalformed, index, name, len(v))
	}
	return binary.NativeEndian.Uint32(v), nil
}

// cstring cuts b at its first NUL.
func cstring(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// decodeStats64 decodes struct rtnl_link_stats64 by its length: the struct
// grew from 23 to 25 counters; anything longer is a newer kernel whose extra
// counters are ignored.
func decodeStats64(v []byte, s *LinkStats) error {
	if len(v) < stats64Len23 {
		return fmt.Errorf("%w: IFLA_STATS64 of %d bytes, want at least %d", ErrMalformed, len(v), stats64Len23)
	}
	u := func(i int) uint64 { return binary.NativeEndian.Uint64(v[i*8:]) }
	*s = LinkStats{
		RxPackets: u(0), TxPackets: u(1), RxBytes: u(2), TxBytes: u(3),
		RxErrors: u(4), TxErrors: u(5), RxDropped: u(6), TxDropped: u(7),
		Multicast: u(8), Collisions: u(9),
		RxLengthErrors: u(10), RxOverErrors: u(11), RxCRCErrors: u(12), RxFrameErrors: u(13),
		RxFIFOErrors: u(14), RxMissedErrors: u(15),
		TxAbortedErrors: u(16), TxCarrierErrors: u(17), TxFIFOErrors: u(18),
		TxHeartbeatErrors: u(19), TxWindowErrors: u(20),
		RxCompressed: u(21), TxCompressed: u(22),
	}
	if len(v) >= stats64Len24 {
		s.RxNohandler, s.HasRxNohandler = u(23), true
	}
	if len(v) >= stats64Len25 {
		s.RxOtherhostDropped, s.HasRxOtherhostDropped = u(24), true
	}
	return nil
}
