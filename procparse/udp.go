package procparse

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/packetpath/packetpath/internal/reuse"
)

// UDPFile names one of the four UDP socket tables under /proc/net.
type UDPFile string

// The UDP socket tables. Each lists the sockets of the reading network
// namespace; the IPv6 tables include dual-stack sockets (IPv4 peers then
// appear as ::ffff:a.b.c.d).
const (
	FileUDP      UDPFile = "udp"      // IPv4 UDP, net/ipv4/udp.c
	FileUDP6     UDPFile = "udp6"     // IPv6 UDP, net/ipv6/udp.c
	FileUDPLite  UDPFile = "udplite"  // IPv4 UDP-Lite, net/ipv4/udplite.c
	FileUDPLite6 UDPFile = "udplite6" // IPv6 UDP-Lite, net/ipv6/udplite.c
)

// UDPState is a UDP socket's sk_state. UDP borrows the TCP state numbers
// (include/net/tcp_states.h): a socket that called connect(2) is
// TCP_ESTABLISHED, every other one TCP_CLOSE. The same number is the st
// column of /proc/net/udp and idiag_state in a sock_diag reply, so this is
// the one type for both (the socket table uses it too).
type UDPState uint8

// The states a UDP socket can be in.
const (
	// UDPStateConnected is TCP_ESTABLISHED: connect(2) fixed the peer
	// (Remote).
	UDPStateConnected UDPState = 1
	// UDPStateUnconnected is TCP_CLOSE: bound or not, no fixed peer; the
	// usual state of a receiver.
	UDPStateUnconnected UDPState = 7
)

// String names the state as the kernel does ("ESTABLISHED", "CLOSE"), or
// gives the number of one UDP does not use.
func (s UDPState) String() string {
	switch s {
	case UDPStateConnected:
		return "ESTABLISHED"
	case UDPStateUnconnected:
		return "CLOSE"
	}
	return "UDPState(" + strconv.Itoa(int(s)) + ")"
}

// UDPSocket is one line of /proc/net/udp, udp6, udplite or udplite6: one
// socket. The kernel prints IPv4 lines in net/ipv4/udp.c udp4_format_sock
// and IPv6 lines in net/ipv6/datagram.c __ip6_dgram_sock_seq_show, padding
// IPv4 lines to 127 characters.
type UDPSocket struct {
	// Slot (sl) is the hash bucket of the socket in the UDP table, printed
	// with %5d; it grows past 5 digits on large hash tables, so it is not
	// assumed to fit the column.
	Slot uint64
	// Local and Remote are the bound and connected addresses. The kernel
	// prints each 32-bit word of the address as a host-order integer (%08X),
	// so on little-endian machines 0100007F is 127.0.0.1; the parser undoes
	// that with the machine's byte order. Remote is 0.0.0.0:0 (or [::]:0)
	// on an unconnected socket.
	Local  netip.AddrPort
	Remote netip.AddrPort
	// State (st) is sk_state: UDPStateUnconnected or UDPStateConnected.
	State UDPState
	// TxQueue (tx_queue) is the send memory in use, sk_wmem_alloc_get:
	// bytes of kernel allocation (truesize), not payload.
	TxQueue uint64
	// RxQueue (rx_queue) is the receive memory in use, udp_rqueue_get
	// (sk_rmem_alloc less the forward-allocation deficit): bytes of kernel
	// allocation (truesize) of the datagrams waiting to be read, not
	// payload. Compare with the socket's SO_RCVBUF.
	RxQueue uint64
	// TimerActive (tr), TimerExpires (tm->when) and Retransmits (retrnsmt)
	// are TCP columns that UDP prints as constant zeros.
	TimerActive  uint8
	TimerExpires uint64
	Retransmits  uint64
	// UID is the socket owner's user id as seen from the reader's user
	// namespace.
	UID uint32
	// Timeout is a TCP column (always 0 for UDP).
	Timeout int64
	// Inode is the socket's inode number, as in /proc/PID/fd links
	// "socket:[INODE]" and in sock_diag.
	Inode uint64
	// Ref is the socket's reference count (sk_refcnt).
	Ref int64
	// Pointer is the kernel address of struct sock as %pK prints it: 0 or a
	// hashed value unless kptr_restrict allows the real address.
	Pointer uint64
	// Drops is sk_drops: datagrams dropped for this socket since it was
	// created (receive buffer full, memory accounting, socket filter,
	// checksum errors found at read time). The kernel keeps it in 32 bits
	// (%u) and it wraps at 2^32; take deltas as uint32(cur - prev).
	// HasDrops is false when the file has no drops column (very old
	// kernels, and any table whose header does not name "drops").
	Drops    uint64
	HasDrops bool
}

// UDPSockets is a whole UDP socket table.
type UDPSockets struct {
	Sockets []UDPSocket
}

// UDPFilter selects sockets while scanning. A zero field matches every
// socket; set fields must all match.
type UDPFilter struct {
	// LocalPort keeps only sockets bound to this local port.
	LocalPort uint16
	// Inode keeps only the socket with this inode number.
	Inode uint64
}

// ParseUDP parses the content of /proc/net/udp, udp6, udplite or udplite6
// into dst, reusing dst.Sockets: it allocates nothing once dst has room for
// the table. IPv4 and IPv6 lines are told apart by the address width.
//
// The first line must be the header (starting with "sl"); whether the lines
// carry a drops column is taken from the header. Each socket line must hold
// the 12 columns every kernel prints (sl to pointer) plus drops when the
// header names it; more fields than that are ignored (the procfs-corpus
// fixture holds TCP-format lines under a UDP header without drops, which
// therefore parse with HasDrops false). A short line, a malformed address or
// number, a drops value wider than 32 bits (the kernel prints sk_drops, an
// atomic_t, with %u) or a tx_queue or rx_queue wider than eight hexadecimal
// digits (%08X of an int) is a *ParseError wrapping ErrMalformed that names
// the line and the column (sl is column 1, drops column 13).
func ParseUDP(b []byte, dst *UDPSockets) error {
	var sc UDPScanner
	sc.Reset(b, UDPFilter{})
	socks := dst.Sockets[:0]
	for {
		// Decode straight into the next element rather than copying.
		n := len(socks)
		var k *UDPSocket
		socks, k = reuse.Next(socks)
		if !sc.nextInto(k) {
			socks = socks[:n]
			break
		}
	}
	dst.Sockets = socks
	return sc.Err()
}

// check rejects names other than the four tables, so a UDPFile never leads
// outside the net directory.
func (f UDPFile) check() error {
	switch f {
	case FileUDP, FileUDP6, FileUDPLite, FileUDPLite6:
		return nil
	}
	return fmt.Errorf("procparse: %q is not a UDP socket table (udp, udp6, udplite, udplite6)", string(f))
}

// UDP reads one UDP socket table once.
func (fs FS) UDP(file UDPFile) (UDPSockets, error) {
	if err := file.check(); err != nil {
		return UDPSockets{}, err
	}
	return readOnce(fs.NetPath(string(file)), ParseUDP)
}

// UDPReader opens one UDP socket table for repeated reads into a UDPSockets
// that allocate nothing in steady state. For filtering or very large tables
// without copying every row, use OpenUDPScan.
func (fs FS) UDPReader(file UDPFile) (*Reader[UDPSockets], error) {
	if err := file.check(); err != nil {
		return nil, err
	}
	return openReader(fs.NetPath(string(file)), ParseUDP)
}
