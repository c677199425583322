package udptable

import (
	"errors"
	"net/netip"

	"github.com/packetpath/packetpath/procparse"
)

// This file holds the portable half of the sock_diag socket table: the
// values a dump produces. The netlink plumbing is in table_linux.go, the
// decoder in decode.go, the kernel filters in filter.go.

// ErrMalformed is wrapped by every error about a sock_diag reply the
// decoder cannot accept: a truncated netlink header, a message shorter than
// struct inet_diag_msg, an attribute running past its message.
var ErrMalformed = errors.New("malformed sock_diag message")

// IP protocol numbers reported in UDPSocket.Protocol.
const (
	ProtocolUDP     = 17  // IPPROTO_UDP
	ProtocolUDPLite = 136 // IPPROTO_UDPLITE
)

// Address families reported in UDPSocket.Family.
const (
	FamilyIPv4 = 2  // AF_INET
	FamilyIPv6 = 10 // AF_INET6
)

// UDPSocket is one UDP (or UDP-Lite) socket as the kernel reports it over
// NETLINK_SOCK_DIAG: struct inet_diag_msg plus its attributes, filled by
// inet_sk_diag_fill and udp_diag_get_info (net/ipv4/inet_diag.c,
// net/ipv4/udp_diag.c). The same numbers appear in /proc/net/udp{,6} and in
// `ss -u -a -m -n -e`.
//
// A UDPSocket holds no pointers: a []UDPSocket is reused from dump to dump
// without allocating.
type UDPSocket struct {
	// Protocol is ProtocolUDP or ProtocolUDPLite: the protocol that was
	// dumped (the reply does not repeat it).
	Protocol uint8
	// Family is FamilyIPv4 or FamilyIPv6 (idiag_family). An IPv6 socket
	// carrying IPv4 traffic shows IPv4-mapped addresses (::ffff:a.b.c.d).
	Family uint8
	// State is procparse.UDPStateConnected or UDPStateUnconnected
	// (idiag_state, sk->sk_state).
	State procparse.UDPState

	// Local is the bound address and port (idiag_src, idiag_sport: the
	// socket's inet_rcv_saddr and inet_sport). An unbound wildcard shows
	// 0.0.0.0 or ::.
	Local netip.AddrPort
	// Remote is the connected peer (idiag_dst, idiag_dport), the zero
	// address and port 0 for an unconnected socket.
	Remote netip.AddrPort
	// Interface is the ifindex the socket is bound to (idiag_if =
	// sk->sk_bound_dev_if: SO_BINDTODEVICE, or the scope of a bound IPv6
	// link-local address); 0 when not bound to a device.
	Interface uint32
	// Cookie is the kernel's unique, never reused socket identifier
	// (idiag_cookie, sock_gen_cookie). It tells a new socket from an old one
	// that had the same inode.
	Cookie uint64
	// UID is the owner's user ID as seen from the dumping socket's user
	// namespace (idiag_uid).
	UID uint32
	// Inode is the socket's inode number (idiag_inode, sock_i_ino): the
	// INODE of the "socket:[INODE]" link in /proc/PID/fd.
	Inode uint64

	// RxQueue is the receive queue in bytes of kernel memory (idiag_rqueue
	// = udp_rqueue_get: sk_rmem_alloc minus the socket's forward deficit).
	// It is /proc/net/udp's rx_queue and ss's Recv-Q. Units are truesize
	// bytes, not payload: one small datagram costs several hundred.
	RxQueue uint64
	// TxQueue is the transmit memory in flight in bytes (idiag_wqueue =
	// sk_wmem_alloc_get): /proc/net/udp's tx_queue and ss's Send-Q.
	TxQueue uint64

	// Mem is the INET_DIAG_SKMEMINFO attribute: the socket's memory
	// accounting and its drop counter.
	Mem SockMemInfo

	// Shutdown is sk->sk_shutdown (INET_DIAG_SHUTDOWN): bit 0 = receive side
	// shut, bit 1 = send side shut. HasShutdown reports that the kernel sent
	// the attribute (every kernel since 3.8 does).
	Shutdown    uint8
	HasShutdown bool
	// V6Only is the IPV6_V6ONLY option (INET_DIAG_SKV6ONLY). The kernel sends
	// it only for IPv6 sockets in TCP_CLOSE state (unconnected UDP);
	// HasV6Only reports whether it did.
	V6Only    bool
	HasV6Only bool
	// Mark is SO_MARK (INET_DIAG_MARK), sent only when the dumping process
	// has CAP_NET_ADMIN; HasMark reports whether it was.
	Mark    uint32
	HasMark bool
	// CgroupID is the cgroup v2 ID of the socket's cgroup
	// (INET_DIAG_CGROUP_ID, since 5.7 with CONFIG_SOCK_CGROUP_DATA);
	// HasCgroupID reports whether the kernel sent it.
	CgroupID    uint64
	HasCgroupID bool
}

// DropsSince returns the datagrams the socket dropped between an earlier
// observation of it and s. The kernel keeps the counter in 32 bits (sk_drops,
// an atomic_t), so the difference is taken modulo 2^32: correct across one
// wrap. It returns 0 when either observation lacks the counter or when
// earlier is a different socket (another cookie).
func (s *UDPSocket) DropsSince(earlier *UDPSocket) uint64 {
	if !s.Mem.HasDrops() || !earlier.Mem.HasDrops() || s.Cookie != earlier.Cookie {
		return 0
	}
	return uint64(uint32(s.Mem.Drops - earlier.Mem.Drops))
}

// SockMemInfo is the socket memory accounting of INET_DIAG_SKMEMINFO: the
// u32[SK_MEMINFO_VARS] array filled by sk_get_meminfo (net/core/sock.c) and
// defined in include/uapi/linux/sock_diag.h. ss prints it as
// skmem:(r,rb,t,tb,f,w,o,bl,d). All sizes are bytes of kernel memory
// (skb truesize), not payload.
//
// Older kernels send fewer values (BACKLOG arrived in 3.15, DROPS in 4.15):
// Fields says how many came; a value beyond Fields is not reported, which is
// different from zero.
type SockMemInfo struct {
	RmemAlloc  uint64 // r: receive memory in use (sk_rmem_alloc)
	RcvBuf     uint64 // rb: receive buffer limit (sk_rcvbuf, SO_RCVBUF doubled)
	WmemAlloc  uint64 // t: transmit memory in flight (sk_wmem_alloc)
	SndBuf     uint64 // tb: send buffer limit (sk_sndbuf)
	FwdAlloc   int64  // f: memory reserved but not yet used (sk_forward_alloc, signed)
	WmemQueued uint64 // w: queued transmit memory (sk_wmem_queued)
	OptMem     uint64 // o: option memory, e.g. multicast memberships (sk_omem_alloc)
	Backlog    uint64 // bl: bytes in the socket backlog (sk_backlog.len)
	// Drops is the cumulative count of datagrams the socket dropped
	// (sk_drops): receive buffer full, memory accounting failures, socket
	// filter drops, bad checksums found at read time. It equals the last
	// column of /proc/net/udp, ss's d and SO_RXQ_OVFL. The kernel counter
	// is 32 bits wide and wraps; see UDPSocket.DropsSince.
	Drops uint64
	// Fields is how many of the values above the kernel sent, in the order
	// declared: 0 when the attribute was absent, 9 on current kernels.
	Fields int
}

// Number of u32 values of the current SK_MEMINFO_* layout.
const skMemInfoVars = 9

// HasDrops reports whether the kernel sent the drop counter (SK_MEMINFO_DROPS,
// since 4.15).
func (m *SockMemInfo) HasDrops() bool { return m.Fields >= skMemInfoVars }
