// Package socketstats shows what happens to datagrams at the last two stages
// of the Linux receive path: the socket's receive buffer and the application
// that drains it.
//
// It has two halves.
//
// # The instrumented receive socket
//
// [Conn] is a UDP socket, usually joined to multicast groups, that reads in
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
// # The host's UDP socket table
//
// The sock_diag half lists every UDP socket of a network namespace with its
// receive queue, buffer and drops, as `ss -u -a -m -n` prints them, for
// sockets the program does not own, without executing ss: OpenTable opens a
// NETLINK_SOCK_DIAG socket (in a namespace given by path if asked) and
// Table.Dump fills a caller-owned []UDPSocket from one reused buffer,
// allocating nothing once the slice has grown. Filters (FilterLocalPort,
// FilterLocalPrefix, FilterInterface, FilterAnd/Or/Not, ...) compile to
// inet_diag bytecode and run in the kernel, so asking for one port on a host
// with 100,000 sockets returns one socket. SocketsOfProcess keeps the
// sockets whose inodes a process holds. The kernel keeps per-socket drops in
// 32 bits: DropTracker widens them to 64-bit totals across wraps.
//
// # Kernel notes
//
// SO_RXQ_OVFL exists since Linux 2.6.33, SO_MEMINFO since 4.6,
// IP_MULTICAST_ALL since 2.6.31 and IPV6_MULTICAST_ALL since 4.20. The drop
// count in SO_RXQ_OVFL is stamped when the datagram is queued, so datagrams
// queued before a burst of drops carry the older value; Conn also reads
// SO_MEMINFO and keeps the most recent value it has seen.
package socketstats
