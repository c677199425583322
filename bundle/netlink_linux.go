package bundle

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/nl"
)

// Requests of the dumps a frame records: the ones the live sources make.
const (
	sockDiagByFamily  = 20 // SOCK_DIAG_BY_FAMILY
	inetDiagSKMemInfo = 7  // INET_DIAG_SKMEMINFO
	nlmsgHdrLen       = 16
	tcmsgLen          = 20        // struct tcmsg
	maxDumpBytes      = 256 << 20 // readfile.MaxSize: what a reader accepts
)

// LinkRequest is the RTM_GETLINK dump request (struct ifinfomsg, family
// AF_UNSPEC) of nic.Client.Links.
func LinkRequest() []byte { return rtRequest(unix.RTM_GETLINK, unix.SizeofIfInfomsg, 0) }

// QdiscRequest is the RTM_GETQDISC dump request (struct tcmsg) of
// qdisc.Conn.Qdiscs.
func QdiscRequest() []byte { return rtRequest(unix.RTM_GETQDISC, tcmsgLen, 0) }

// ClassRequest is the RTM_GETTCLASS dump request of device ifindex, as
// qdisc.Conn.Classes makes it.
func ClassRequest(ifindex int) []byte {
	return rtRequest(unix.RTM_GETTCLASS, tcmsgLen, int32(ifindex))
}

func rtRequest(typ uint16, hdr int, ifindex int32) []byte {
	b := make([]byte, nlmsgHdrLen+hdr)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	b[nlmsgHdrLen] = unix.AF_UNSPEC
	ne.PutUint32(b[nlmsgHdrLen+4:], uint32(ifindex))
	return b
}

// UDPRequest is the SOCK_DIAG_BY_FAMILY dump request for every UDP socket
// of family (AF_INET or AF_INET6) in every state, with INET_DIAG_SKMEMINFO,
// as udptable's unfiltered dump makes it.
func UDPRequest(family uint8) []byte {
	b := make([]byte, nlmsgHdrLen+56) // struct inet_diag_req_v2
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	r := b[nlmsgHdrLen:]
	r[0] = family
	r[1] = unix.IPPROTO_UDP
	r[2] = 1 << (inetDiagSKMemInfo - 1)
	ne.PutUint32(r[4:], 0xffffffff)
	return b
}

// Dump runs one netlink dump of protocol proto (Route, SockDiag) in the
// caller's namespace through internal/nl, the layer the live sources read
// with, and appends every datagram the kernel sent for it (its Tap), up to
// and including NLMSG_DONE, to dst, unchanged: the bytes a frame records.
// req is the whole request message (as LinkRequest makes it). A dump that
// nl restarts (NLM_F_DUMP_INTR) is recorded from its last attempt only. A
// dump the kernel answers with an error is recorded as answered, error
// included, and the error returned with it, so that a replay fails as the
// live dump did.
func Dump(ctx context.Context, proto int, req []byte, dst []byte) ([]byte, error) {
	if len(req) < nlmsgHdrLen {
		return dst, fmt.Errorf("bundle: netlink request of %d bytes", len(req))
	}
	c, err := nl.Dial(proto, 0)
	if err != nil {
		return dst, fmt.Errorf("bundle: netlink socket: %w", err)
	}
	defer c.Close()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Second)
		defer cancel()
	}
	start := len(dst)
	var tooLarge bool
	c.Tap = func(b []byte) {
		if len(dst)+len(b) > maxDumpBytes {
			tooLarge = true
			return
		}
		dst = append(dst, b...)
	}
	r := nl.Request{
		Type:  netlink.HeaderType(binary.NativeEndian.Uint16(req[4:])),
		Body:  req[nlmsgHdrLen:],
		Reset: func() { dst = dst[:start] },
	}
	err = c.Dump(ctx, r, func(netlink.Message) error { return nil })
	if tooLarge {
		return dst[:start], fmt.Errorf("bundle: netlink dump larger than %d MiB", maxDumpBytes>>20)
	}
	if err != nil {
		return dst, fmt.Errorf("bundle: netlink dump: %w", err)
	}
	return dst, nil
}
