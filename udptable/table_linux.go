//go:build linux

package udptable

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/internal/nl"
	"github.com/packetpath/packetpath/procparse"
)

// Table dumps the UDP sockets of one network namespace through
// NETLINK_SOCK_DIAG, the interface of `ss -u -a -m -n`. It holds one netlink
// socket (internal/nl) and reuses its buffers: repeated dumps allocate
// nothing once the caller's slice has grown to the number of sockets.
//
// A Table is not safe for concurrent use; use one per goroutine.
type Table struct {
	nl       *nl.Conn
	procRoot string

	body []byte // request body: inet_diag_req_v2 and the filter program

	// The dump in progress, shared with the callbacks (method values made
	// once, so a dump allocates no closure).
	dst     []UDPSocket
	start   int
	proto   uint8
	msgFn   func(netlink.Message) error
	resetFn func()

	inodes []uint64 // scratch for SocketsOfProcess
}

// Request header field: every socket state (UDP uses TCP_ESTABLISHED and
// TCP_CLOSE) and the SKMEMINFO extension bit.
const (
	diagAllStates = 0xffffffff
	diagExtSKMem  = 1 << (diagAttrSKMemInfo - 1)
)

// Open opens a NETLINK_SOCK_DIAG socket in the configured network
// namespace. Errors wrap os.ErrNotExist for a missing namespace and
// os.ErrPermission when entering it is not allowed (CAP_SYS_ADMIN).
func Open(o Config) (*Table, error) {
	if o.ProcRoot == "" {
		o.ProcRoot = procparse.DefaultRoot
	}
	var conn *nl.Conn
	err := netns.Do(o.NetNS, func() error {
		var err error
		conn, err = nl.Dial(unix.NETLINK_SOCK_DIAG, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("udptable: opening sock_diag socket: %w", err)
	}
	t := &Table{
		nl:       conn,
		procRoot: o.ProcRoot,
		body:     make([]byte, 0, diagReqLen+diagNlaHdrLen+256),
	}
	t.msgFn, t.resetFn = t.onMsg, t.reset
	return t, nil
}

// Close closes the netlink socket. Dumps after Close fail with an error
// wrapping nl.ErrClosed (errors.Is matches net.ErrClosed and os.ErrClosed).
func (t *Table) Close() error { return t.nl.Close() }

// Dump appends the host's (or namespace's) UDP sockets, IPv4 and IPv6, that
// f selects to dst and returns the extended slice. Pass dst[:0] of a slice
// kept across calls to dump without allocating.
//
// Two dumps run, one per address family (the kernel has no combined UDP
// dump); each walks the kernel's UDP hash table once, running f on every
// socket in the kernel. A dump is not an atomic snapshot: sockets created or
// closed while it runs may be missed or, rarely, reported twice.
//
// ctx bounds the dump: its deadline ends a wait for the kernel and its
// cancellation is seen within 10 ms (internal/nl; no allocation either
// way). A dump the context ended gives an error wrapping ctx.Err():
// context.DeadlineExceeded whenever the deadline stopped it, even in the
// moment before the context's own timer fires. Errors: f's error if f is
// invalid; errors.ErrUnsupported when the kernel lacks inet_diag or
// udp_diag; the kernel's errno otherwise (EINVAL for a program the kernel
// refused). Sockets decoded before an error are returned with it.
func (t *Table) Dump(ctx context.Context, dst []UDPSocket, f Filter) ([]UDPSocket, error) {
	return t.dump(ctx, dst, f, ProtocolUDP)
}

// DumpUDPLite is Dump for UDP-Lite sockets (IPPROTO_UDPLITE). Kernels built
// without UDP-Lite diag support (or without UDP-Lite, removed upstream)
// give an error wrapping errors.ErrUnsupported.
func (t *Table) DumpUDPLite(ctx context.Context, dst []UDPSocket, f Filter) ([]UDPSocket, error) {
	return t.dump(ctx, dst, f, ProtocolUDPLite)
}

// SocketsOfProcess appends the UDP sockets that process pid holds open (pid
// 0: the calling process) to dst: it lists the socket inodes of
// ProcRoot/PID/fd, dumps the Table's namespace and keeps the sockets with
// those inodes. A process's sockets in another network namespace are not in
// this Table's dump. The fd listing allocates (one readlink per descriptor);
// see procparse.FS.SocketInodes.
func (t *Table) SocketsOfProcess(ctx context.Context, dst []UDPSocket, pid int) ([]UDPSocket, error) {
	fs, err := procparse.NewFS(t.procRoot)
	if err != nil {
		return dst, err
	}
	t.inodes, err = fs.SocketInodes(pid, t.inodes[:0])
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst, err = t.Dump(ctx, dst, Filter{})
	kept := KeepInodes(dst[start:], t.inodes)
	return dst[:start+len(kept)], err
}

func (t *Table) dump(ctx context.Context, dst []UDPSocket, f Filter, proto uint8) ([]UDPSocket, error) {
	if f.err != nil {
		return dst, f.err
	}
	if t.nl.Closed() {
		return dst, fmt.Errorf("udptable: sock_diag dump: %w", nl.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("udptable: sock_diag dump: %w", err)
	}
	for _, family := range [2]uint8{FamilyIPv4, FamilyIPv6} {
		t.body = buildDiagBody(t.body[:0], family, proto, f)
		t.dst, t.start, t.proto = dst, len(dst), proto
		err := t.nl.Dump(ctx, nl.Request{Type: diagSockDiagByFamily, Body: t.body, Reset: t.resetFn}, t.msgFn)
		dst, t.dst = t.dst, nil
		if err != nil {
			return dst, t.opError(family, proto, err)
		}
	}
	return dst, nil
}

func (t *Table) reset() { t.dst = t.dst[:t.start] }

func (t *Table) onMsg(m netlink.Message) error {
	if m.Header.Type != diagSockDiagByFamily {
		return nil
	}
	t.dst = append(t.dst, UDPSocket{})
	if err := decodeDiagMsg(&t.dst[len(t.dst)-1], m.Data, t.proto, 0); err != nil {
		t.dst = t.dst[:len(t.dst)-1]
		return err
	}
	return nil
}

// opError names the dump that failed and maps kernel answers to the
// sentinels callers test with errors.Is.
func (t *Table) opError(family, proto uint8, err error) error {
	what := "UDP"
	if proto == ProtocolUDPLite {
		what = "UDP-Lite"
	}
	fam := "IPv4"
	if family == FamilyIPv6 {
		fam = "IPv6"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && (errno == unix.ENOENT || errno == unix.EOPNOTSUPP || errno == unix.EPROTONOSUPPORT) {
		return fmt.Errorf("udptable: sock_diag dump of %s %s sockets: kernel has no diag handler (%v): %w", fam, what, errno, errors.ErrUnsupported)
	}
	if errors.Is(err, nl.ErrMalformed) && !errors.Is(err, ErrMalformed) {
		err = fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return fmt.Errorf("udptable: sock_diag dump of %s %s sockets: %w", fam, what, err)
}

// buildDiagBody appends struct inet_diag_req_v2 and, when f has a program,
// the INET_DIAG_REQ_BYTECODE attribute to b.
func buildDiagBody(b []byte, family, proto uint8, f Filter) []byte {
	ne := binary.NativeEndian
	// A filter that is one non-zero local port needs no program: udp_dump
	// compares id.idiag_sport itself, before and cheaper than running one.
	prog, sport := f.prog, f.sport
	if sport != 0 {
		prog = nil
	}
	total := diagReqLen
	if len(prog) > 0 {
		total += diagNlaHdrLen + (len(prog)+3)&^3
	}
	start := len(b)
	b = append(b, make([]byte, total)...)
	r := b[start:]
	r[0] = family
	r[1] = proto
	r[2] = diagExtSKMem
	ne.PutUint32(r[4:8], diagAllStates)
	// inet_diag_sockid: zero but for the exact local port (network order).
	binary.BigEndian.PutUint16(r[8:10], sport)
	if len(prog) > 0 {
		a := r[diagReqLen:]
		ne.PutUint16(a[0:2], uint16(diagNlaHdrLen+len(prog)))
		ne.PutUint16(a[2:4], diagReqAttrBytecode)
		copy(a[diagNlaHdrLen:], prog)
	}
	return b
}
