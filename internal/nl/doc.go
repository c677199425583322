// Package nl is the one netlink layer of packetpath: nic (RTM_GETLINK),
// qdisc (RTM_GETQDISC, RTM_GETTCLASS, the RTNLGRP_LINK subscription) and
// udptable (SOCK_DIAG_BY_FAMILY) send their dump requests and read the
// answers through a Conn's Dump.
//
// Message, header, flag and type values are github.com/mdlayher/netlink's
// (Message, Header, HeaderFlags, HeaderType, OpError). Its Conn.Receive and
// AttributeDecoder are not used: Receive allocates a []Message and a
// buffer per call and AttributeDecoder allocates per message, while a
// sampled dump here must allocate nothing in steady state. Measured by
// BenchmarkLinkDump (an RTM_GETLINK dump of this package's test host):
// Conn.Dump 0 B and 0 allocs per dump; netlink.Conn.Execute 10,208 B in
// 92 allocs, and about twice the time. Next and Messages (bytes in hand)
// use Message.UnmarshalBinary; Dump's own loop reads the same header
// fields in place, which took a 1000-socket sock_diag dump from +16% to
// +5% CPU against the old hand-written loop (interleaved runs). Dump instead
// reads each datagram into one reused buffer and hands the callback
// Messages whose Data aliases that buffer; Attrs walks attributes the same
// way.
//
// # Poller
//
// A Conn's socket is a raw file descriptor kept out of the Go runtime's
// netpoller. The kernel answers a dump synchronously (the first chunk is
// built inside sendmsg, each next one inside the recvmsg that consumes the
// previous: net/netlink/af_netlink.c netlink_dump), so a read almost never
// waits; but a descriptor in the runtime's epoll set makes every chunk the
// kernel queues wake an idle thread (ep_poll_callback), on the collecting
// thread's CPU. Measured on nic's RTM_GETLINK dump sampled at 1 kHz (the
// netstack fast profile), leaving the socket off the netpoller took the
// profile from 1.29x to 1.22x of the floor (BENCHMARKS.md). The rare wait
// is a poll(2) in pollSlice (10 ms) steps that look at the context.
//
// # Policies
//
//   - Deadline: a dump ends at the context's deadline (errors wrap
//     context.DeadlineExceeded) or, when the context has none, after the
//     Conn's Timeout without an answer (errors wrap os.ErrDeadlineExceeded);
//     cancellation is seen within pollSlice.
//   - MSG_TRUNC: every read asks for the datagram's real length; a datagram
//     larger than the buffer is lost, so the buffer grows to fit it and the
//     dump restarts.
//   - NLM_F_DUMP_INTR: the kernel flags a dump whose objects changed while
//     it ran; Dump restarts it, at most MaxRestarts times in all, and after
//     that returns the last attempt's messages with an error wrapping
//     ErrDumpInterrupted.
//   - ENOBUFS while reading a dump (messages were lost): the dump restarts,
//     within the same bound.
//   - Abandoned dumps: a dump left before its NLMSG_DONE (cancelled, or an
//     error or the callback stopped it) is read out before the next
//     request, because the kernel runs one dump per socket at a time. While
//     a dump runs the kernel always has its next chunk queued, so the drain
//     stops at the dump's NLMSG_DONE or NLMSG_ERROR, or at the first read
//     that finds nothing queued.
//   - Sequence numbers: each request gets the next one (never 0); messages
//     with another number (left over from an older request) are skipped.
//   - Errors are *netlink.OpError. An NLMSG_ERROR, or a negative
//     NLMSG_DONE status, carries its syscall.Errno, so errors.Is answers
//     os.ErrPermission for EPERM/EACCES, os.ErrNotExist for ENOENT (and, by
//     Errno, ENODEV: see Errno), errors.ErrUnsupported for EOPNOTSUPP.
//
// # Replaying captured bytes
//
// A Conn reads through a Transport. Dial gives the netlink socket;
// NewReplay gives a Transport that answers each request with the raw bytes
// of a dump captured earlier, so bundles decode captured dumps with the
// same code as live ones: NewConn(NewReplay(dump...)) then the package's
// usual calls.
package nl
