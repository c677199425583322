package bundle

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
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

// Dump sends one netlink dump request on a new socket of protocol proto
// (NETLINK_ROUTE, NETLINK_SOCK_DIAG) in the caller's namespace and appends
// every datagram of the reply, up to and including NLMSG_DONE (or an
// NLMSG_ERROR), to dst, unchanged: the bytes a frame records. It is the
// capture side only; the library's sources read the kernel through their
// own packages. ctx bounds the wait (1 s at most without a deadline).
func Dump(ctx context.Context, proto int, req []byte, dst []byte) ([]byte, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return dst, fmt.Errorf("bundle: netlink socket: %w", os.NewSyscallError("socket", err))
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tv := unix.NsecToTimeval(max(int64(time.Until(deadline)), int64(time.Millisecond)))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return dst, fmt.Errorf("bundle: netlink socket: %w", os.NewSyscallError("setsockopt", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return dst, fmt.Errorf("bundle: netlink socket: %w", os.NewSyscallError("bind", err))
	}
	const seq = 1
	binary.NativeEndian.PutUint32(req[8:], seq)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return dst, fmt.Errorf("bundle: netlink request: %w", os.NewSyscallError("sendto", err))
	}
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return dst, fmt.Errorf("bundle: netlink dump: %w", err)
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst, fmt.Errorf("bundle: netlink dump: %w", os.NewSyscallError("recvfrom", err))
		}
		if len(dst)+n > maxDumpBytes {
			return dst, fmt.Errorf("bundle: netlink dump larger than %d MiB", maxDumpBytes>>20)
		}
		dst = append(dst, buf[:n]...)
		if last(buf[:n], seq) {
			return dst, nil
		}
	}
}

// last reports whether a datagram ends the dump of seq: it holds its
// NLMSG_DONE or NLMSG_ERROR.
func last(b []byte, seq uint32) bool {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		typ := binary.NativeEndian.Uint16(b[4:])
		if l < nlmsgHdrLen || l > len(b) {
			return true // malformed: the reader reports it
		}
		if binary.NativeEndian.Uint32(b[8:]) == seq && (typ == unix.NLMSG_DONE || typ == unix.NLMSG_ERROR) {
			return true
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	return false
}
