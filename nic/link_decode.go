package nic

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// ErrMalformed is wrapped by every error about kernel data the decoders
// cannot accept: a truncated netlink message or attribute, an ioctl reply
// shorter than its structure.
var ErrMalformed = errors.New("nic: malformed kernel data")

// netlink and rtnetlink numbers (include/uapi/linux/netlink.h, rtnetlink.h,
// if_link.h).
const (
	nlmsgHdrLen  = 16
	ifinfomsgLen = 16

	nlmsgNoop  = 1
	nlmsgError = 2
	nlmsgDone  = 3

	nlmFlagDumpIntr = 0x10 // NLM_F_DUMP_INTR

	rtmNewLink = 16

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

// dumpChunk is what decodeLinkDump found in one read from the socket.
type dumpChunk struct {
	done bool // NLMSG_DONE seen
	intr bool // NLM_F_DUMP_INTR: the device list changed during the dump
}

// DecodeLinkDump decodes the netlink messages of one read from an
// RTM_GETLINK dump (a sequence of RTM_NEWLINK messages, possibly ending in
// NLMSG_DONE) and appends a Link per message to dst, reusing the elements
// and names already in dst[len(dst):cap(dst)]. Messages whose sequence
// number is not seq are skipped. done reports NLMSG_DONE. A netlink error
// message becomes an error wrapping its errno.
func DecodeLinkDump(b []byte, seq uint32, dst []Link) (links []Link, done bool, err error) {
	links, c, err := decodeLinkDump(b, seq, dst)
	return links, c.done, err
}

func decodeLinkDump(b []byte, seq uint32, dst []Link) ([]Link, dumpChunk, error) {
	var c dumpChunk
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return dst, c, fmt.Errorf("%w: %d trailing bytes, shorter than a netlink header", ErrMalformed, len(b))
		}
		mlen := binary.NativeEndian.Uint32(b[0:4])
		typ := binary.NativeEndian.Uint16(b[4:6])
		flags := binary.NativeEndian.Uint16(b[6:8])
		mseq := binary.NativeEndian.Uint32(b[8:12])
		if mlen < nlmsgHdrLen || uint64(mlen) > uint64(len(b)) {
			return dst, c, fmt.Errorf("%w: netlink message length %d with %d bytes left", ErrMalformed, mlen, len(b))
		}
		body := b[nlmsgHdrLen:mlen]
		next := align4(int(mlen))
		if next > len(b) {
			next = len(b)
		}
		b = b[next:]
		if mseq != seq {
			continue
		}
		if flags&nlmFlagDumpIntr != 0 {
			c.intr = true
		}
		switch typ {
		case nlmsgNoop:
		case nlmsgDone:
			c.done = true
			if len(body) >= 4 {
				if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
					return dst, c, fmt.Errorf("nic: RTM_GETLINK dump: %w", syscall.Errno(-e))
				}
			}
			return dst, c, nil
		case nlmsgError:
			if len(body) < 4 {
				return dst, c, fmt.Errorf("%w: short NLMSG_ERROR", ErrMalformed)
			}
			if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
				return dst, c, fmt.Errorf("nic: RTM_GETLINK: %w", syscall.Errno(-e))
			}
			c.done = true // an ACK
			return dst, c, nil
		case rtmNewLink:
			var l *Link
			dst, l = reuse.Next(dst)
			if err := decodeLink(body, l); err != nil {
				return dst[:len(dst)-1], c, err
			}
		}
	}
	return dst, c, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

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
	attrs := b[ifinfomsgLen:]
	for len(attrs) >= 4 {
		alen := int(binary.NativeEndian.Uint16(attrs[0:2]))
		atyp := binary.NativeEndian.Uint16(attrs[2:4]) & 0x3fff // drop NLA_F_NESTED, NLA_F_NET_BYTEORDER
		if alen < 4 || alen > len(attrs) {
			return fmt.Errorf("%w: link %d: attribute %d length %d with %d bytes left", ErrMalformed, l.Index, atyp, alen, len(attrs))
		}
		v := attrs[4:alen]
		next := align4(alen)
		if next > len(attrs) {
			next = len(attrs)
		}
		attrs = attrs[next:]
		var err error
		switch atyp {
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
