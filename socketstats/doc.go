// Package socketstats shows what happens to datagrams at the last two stages
// of the Linux receive path, for a socket the program reads: the socket's
// receive buffer and the application that drains it. The host's socket
// table, for sockets the program does not own, is package udptable; which
// process holds a socket is procparse.FS.SocketOwners.
//
// # The instrumented receive socket
//
// [Conn], made by [Open] (or wrapping a socket: [FromUDPConn], [FromFD]), is a
// UDP socket, usually joined to multicast groups, that reads in
// batches with recvmmsg(2) on the Go runtime poller and accounts, per batch
// and at almost no cost, for everything the kernel knows about it:
//
//   - drops: the socket's cumulative drop counter (sk_drops), delivered with
//     each datagram as an SO_RXQ_OVFL control message once it is non-zero
//     (net/socket.c sock_recv_drops) and read with SO_MEMINFO. The kernel
//     keeps it in 32 bits; Conn widens it to a wrap-safe uint64. It counts
//     every socket-level drop: receive buffer full (Udp RcvbufErrors in
//     /proc/net/snmp), memory accounting failures (Udp MemErrors), socket
//     filter drops and checksum errors found at read time. It equals the
//     drops column of /proc/net/udp for the socket.
//   - backlog: SIOCINQ after each batch. On UDP it returns the length of the
//     next queued datagram (net/ipv4/udp.c udp_ioctl, first_packet_length),
//     not the number of bytes queued: non-zero means the application is
//     behind. The bytes held against the receive buffer come from SO_MEMINFO
//     (include/uapi/linux/sock_diag.h SK_MEMINFO_RMEM_ALLOC), in kernel
//     allocation units (skb truesize: about 832 bytes for a 64-byte datagram
//     on lo), with the buffer's size, fill ratio and high-water mark.
//   - truncation: datagrams longer than the caller's buffer are reported
//     (Message.Truncated, Message.Size holds the real length) and counted,
//     never returned silently short; a lost control message (MSG_CTRUNC) is
//     counted too.
//   - queueing delay: with kernel receive timestamps (SO_TIMESTAMPNS or
//     SO_TIMESTAMPING), the time each datagram waited between the kernel and
//     the application, as a log2 histogram with its maximum.
//
// Reads allocate nothing in steady state: messages are caller-owned, the
// mmsghdr, iovec, sockaddr and control arrays are allocated once per Conn,
// and counters are atomics that [Conn.Stats] reads from any goroutine
// without slowing the reader. [Conn.RegisterMetrics] exports them through
// OpenTelemetry observable instruments, so no OpenTelemetry call is made per
// packet.
//
// # Namespaces and buffers
//
// Config.NetNS creates the socket inside another network namespace (by
// ip-netns name or by path) without moving the rest of the program there:
// the socket stays in that namespace for its life. Config.ReceiveBuffer asks
// for SO_RCVBUFFORCE and falls back to SO_RCVBUF; [Conn.Buffer] reports what
// the kernel granted and net.core.rmem_max of the socket's namespace (read
// with procparse), the cap SO_RCVBUF is subject to.
//
// # Kernel notes
//
// SO_RXQ_OVFL exists since Linux 2.6.33, SO_MEMINFO since 4.6,
// IP_MULTICAST_ALL since 2.6.31 and IPV6_MULTICAST_ALL since 4.20. The drop
// count in SO_RXQ_OVFL is stamped when the datagram is queued, so datagrams
// queued before a burst of drops carry the older value; Conn also reads
// SO_MEMINFO and keeps the most recent value it has seen.
package socketstats
