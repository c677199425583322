package socketstats

import (
	"errors"
	"net/netip"
	"time"
)

// Defaults and limits of Config.
const (
	// DefaultMaxBatch is the batch size (datagrams per recvmmsg) when
	// Config.MaxBatch is 0.
	DefaultMaxBatch = 64
	// MaxBatchLimit is the kernel's cap on recvmmsg's vlen (UIO_MAXIOV).
	MaxBatchLimit = 1024
	// DefaultControlSpace is the control-message space per datagram when
	// Config.ControlSpace is 0: room for SO_RXQ_OVFL, SCM_TIMESTAMPING and a
	// few IP-level messages a wrapped socket may already have enabled.
	DefaultControlSpace = 128
)

// ErrConcurrentRead is returned by ReadBatch when another ReadBatch on the
// same Conn is in progress: a Conn has one reader at a time.
var ErrConcurrentRead = errors.New("socketstats: concurrent ReadBatch on one Conn")

// TimestampMode selects the kernel receive timestamps a Conn asks for.
type TimestampMode int

const (
	// TimestampsOff asks for none: no queueing-delay histogram.
	TimestampsOff TimestampMode = iota
	// TimestampsNS enables SO_TIMESTAMPNS (SCM_TIMESTAMPNS, CLOCK_REALTIME
	// taken when the datagram entered the stack).
	TimestampsNS
	// TimestampsSoftware enables SO_TIMESTAMPING with
	// SOF_TIMESTAMPING_RX_SOFTWARE|SOF_TIMESTAMPING_SOFTWARE (the same
	// software stamp, reported through SCM_TIMESTAMPING).
	TimestampsSoftware
)

// Group is a multicast membership: any-source (Source invalid, the zero
// netip.Addr) or source-specific (only datagrams from Source).
type Group struct {
	Addr   netip.Addr
	Source netip.Addr
}

// String formats the membership as G or (S,G).
func (g Group) String() string {
	if g.Source.IsValid() {
		return "(" + g.Source.String() + "," + g.Addr.String() + ")"
	}
	return g.Addr.String()
}

// Config describes a receive socket for Open, or the instrumentation of a
// wrapped one (FromUDPConn, FromFD: Port, Bind and ReusePort are then
// ignored).
type Config struct {
	// NetNS is the network namespace to create the socket in, for Open: a
	// path (/var/run/netns/NAME, /proc/PID/ns/net) or the name of a
	// namespace made by ip-netns(8). Only the socket is made there (on an
	// OS thread that enters the namespace with setns(2) and returns): the
	// rest of the program stays where it is, and the socket belongs to
	// that namespace for its whole life. Interface, Groups and
	// net.core.rmem_max are those of the namespace. Empty means the
	// caller's namespace. FromUDPConn and FromFD ignore it (their socket
	// already has one). Entering another namespace needs CAP_SYS_ADMIN;
	// the error then wraps os.ErrPermission, and os.ErrNotExist when the
	// namespace does not exist.
	NetNS string

	// Interface names the interface to join groups on ("eth0", "lo").
	// InterfaceIndex may be given instead. With neither, the kernel picks
	// the interface from the route to each group.
	Interface      string
	InterfaceIndex int

	// Port is the UDP port to bind.
	Port uint16
	// Bind is the local address to bind. When invalid (the zero value) the
	// socket binds to the group when there is exactly one, so datagrams for
	// other groups on the same port are not received, and to the unspecified
	// address otherwise.
	Bind netip.Addr
	// Groups to join at Open. All must be of one family (IPv4 or IPv6).
	Groups []Group
	// ReusePort sets SO_REUSEADDR and SO_REUSEPORT so several receivers can
	// bind the same group and port (each gets a copy of multicast).
	ReusePort bool
	// MulticastAll keeps the kernel's default IP_MULTICAST_ALL=1, under
	// which a socket bound to the unspecified address receives every group
	// joined by any socket on the host, not just its own. Leave false for
	// correct per-socket accounting: Open turns it off.
	MulticastAll bool
	// PacketInfo asks for each datagram's destination address
	// (IP_PKTINFO's ipi_addr, IPV6_RECVPKTINFO's ipi6_addr: the address
	// in the IP header, net/ipv4/ip_sockglue.c ipv4_pktinfo_prepare), set
	// in Message.Dst. The Conn then counts the datagrams whose destination
	// is a multicast group it has not joined (Conn.Unjoined): with
	// MulticastAll on, a socket bound to the unspecified address receives
	// the traffic of every group joined on the host. Costs one control
	// message per datagram (32 bytes of ControlSpace for IPv4, 40 for IPv6).
	PacketInfo bool

	// ReceiveBuffer, when positive, is the receive buffer to ask for in
	// bytes: SO_RCVBUFFORCE (needs CAP_NET_ADMIN, ignores
	// net.core.rmem_max), falling back to SO_RCVBUF on EPERM. The kernel
	// doubles the value; Conn.Buffer reports what was obtained.
	ReceiveBuffer int

	// Timestamps selects kernel receive timestamps for the queueing-delay
	// histogram. Pitfall: the kernel turns timestamping on for the whole
	// host asynchronously (net/core/dev.c net_enable_timestamp); datagrams
	// queued before that, typically to the first timestamping socket after
	// boot or in a fresh namespace, are stamped when read and show no delay.
	Timestamps TimestampMode

	// MaxBatch is the most datagrams one ReadBatch returns (recvmmsg vlen),
	// 1..MaxBatchLimit; 0 means DefaultMaxBatch. The Conn preallocates its
	// headers for this many.
	MaxBatch int
	// ControlSpace is the control-message buffer per datagram in bytes; 0
	// means DefaultControlSpace.
	ControlSpace int
	// MemInfoEvery reads SO_MEMINFO after every MemInfoEvery-th batch; 0
	// means every batch; negative never. It only decides what the read
	// path samples (BatchInfo.Buffer): Sample, SampleStats and metrics
	// collections read SO_MEMINFO themselves whatever its value. The read
	// path's sample also becomes Stats.Buffer, except when a sampler is
	// reading SO_MEMINFO at that moment: the reader does not wait for it,
	// and the sampler's sample, taken at the same time, stands in.
	MemInfoEvery int
}

// BufferInfo is the outcome of the receive-buffer request.
type BufferInfo struct {
	// Requested is Config.ReceiveBuffer (0: the kernel default was kept).
	Requested int
	// Obtained is SO_RCVBUF read back: sk_rcvbuf, twice the accepted
	// request (net/core/sock.c sk_setsockopt), in bytes of kernel memory.
	Obtained int
	// Forced is true when SO_RCVBUFFORCE was accepted.
	Forced bool
	// RmemMax is net.core.rmem_max when RmemMaxKnown.
	RmemMax      uint64
	RmemMaxKnown bool
	// Capped is true when SO_RCVBUF was used and net.core.rmem_max cut the
	// request down.
	Capped bool
}

// Message is one datagram slot of a batch. The caller owns it and its Buf;
// ReadBatch fills the other fields.
type Message struct {
	// Buf receives the payload.
	Buf []byte
	// N is the number of payload bytes in Buf.
	N int
	// Size is the datagram's full length; Size > N when Truncated.
	Size int
	// Addr is the sender.
	Addr netip.AddrPort
	// Flags are the msg_flags the kernel returned (MSG_TRUNC, MSG_CTRUNC...).
	Flags int
	// Truncated is true when the datagram did not fit in Buf (MSG_TRUNC).
	Truncated bool
	// CTruncated is true when its control messages did not fit (MSG_CTRUNC).
	CTruncated bool
	// KernelTime is the kernel receive timestamp, zero without timestamps.
	KernelTime time.Time
	// Dst is the datagram's destination address (a multicast group, or a
	// unicast address of the host), with Config.PacketInfo; invalid
	// otherwise or when the kernel sent none.
	Dst netip.Addr
}
