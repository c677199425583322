//go:build linux

package socketstats

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netns"
)

// TableOptions configures OpenTable. The zero value (or nil) dumps the
// calling thread's network namespace and maps processes through /proc.
type TableOptions struct {
	// NetNS is the network namespace to dump, as a path:
	// /var/run/netns/NAME or /proc/PID/ns/net. Empty means the namespace of
	// the thread calling OpenTable. The Table's netlink socket is created
	// inside it and keeps dumping it for its whole life.
	NetNS string
	// ProcRoot is where procfs is mounted, for SocketsOfProcess (default
	// /proc; e.g. /host/proc in a container).
	ProcRoot string
}

// Table dumps the UDP sockets of one network namespace through
// NETLINK_SOCK_DIAG, the interface of `ss -u -a -m -n`. It holds one netlink
// socket and reuses its buffers: repeated dumps allocate nothing once the
// caller's slice has grown to the number of sockets.
//
// A Table is not safe for concurrent use; use one per goroutine.
type Table struct {
	conn     *socket.Conn
	rc       syscall.RawConn
	procRoot string

	buf []byte // receive buffer, one netlink skb per read
	req []byte // request buffer
	seq uint32
	// abandoned is the sequence number of a dump that ended early (error,
	// cancellation); its remaining messages are drained before the next
	// request, since the kernel runs one dump per socket at a time.
	abandoned uint32

	// State shared with the raw read and write callbacks, kept as method
	// values so that each call does not allocate a closure.
	readFn, writeFn func(fd uintptr) bool
	n               int
	errno           syscall.Errno
	nowait          bool // recvOnce reports EAGAIN instead of waiting

	inodes []uint64 // scratch for SocketsOfProcess

	// capture, when set (tests), sees every datagram read.
	capture func([]byte)
}

// diagRecvBufLen is the receive buffer: the kernel fills dump skbs up to
// the largest buffer the reader has offered, capped at 32 KiB
// (netlink_recvmsg, max_recvmsg_len); twice that leaves room for slab
// rounding.
const diagRecvBufLen = 64 << 10

// Request header field: every socket state (UDP uses TCP_ESTABLISHED and
// TCP_CLOSE) and the SKMEMINFO extension bit.
const (
	diagAllStates = 0xffffffff
	diagExtSKMem  = 1 << (diagAttrSKMemInfo - 1)
)

// OpenTable opens a NETLINK_SOCK_DIAG socket in the configured network
// namespace. Errors wrap os.ErrNotExist for a missing namespace and
// os.ErrPermission when entering it is not allowed (CAP_SYS_ADMIN).
func OpenTable(opts *TableOptions) (*Table, error) {
	var o TableOptions
	if opts != nil {
		o = *opts
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	var conn *socket.Conn
	err := netns.Do(o.NetNS, func() error {
		var err error
		conn, err = socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG, "sock_diag", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("socketstats: opening sock_diag socket: %w", err)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("socketstats: sock_diag socket: %w", err)
	}
	t := &Table{
		conn:     conn,
		rc:       rc,
		procRoot: o.ProcRoot,
		buf:      make([]byte, diagRecvBufLen),
		req:      make([]byte, 0, diagNlmsgHdrLen+diagReqLen+diagNlaHdrLen+256),
	}
	t.readFn = t.recvOnce
	t.writeFn = t.sendOnce
	return t, nil
}

// Close closes the netlink socket. Dumps after Close fail with an error
// wrapping os.ErrClosed.
func (t *Table) Close() error {
	if t.conn == nil {
		return nil
	}
	err := t.conn.Close()
	t.conn = nil
	return err
}

// Dump appends the host's (or namespace's) UDP sockets, IPv4 and IPv6, that
// f selects to dst and returns the extended slice. Pass dst[:0] of a slice
// kept across calls to dump without allocating.
//
// Two dumps run, one per address family (the kernel has no combined UDP
// dump); each walks the kernel's UDP hash table once, running f on every
// socket in the kernel. A dump is not an atomic snapshot: sockets created or
// closed while it runs may be missed or, rarely, reported twice.
//
// ctx bounds the dump: its deadline becomes the socket's read deadline and
// its cancellation interrupts the read (a cancelable context costs a few
// allocations per Dump; context.Background none). A dump the context ended
// gives an error wrapping ctx.Err(): context.DeadlineExceeded whenever the
// deadline stopped it, even in the moment before the context's own timer
// fires. Errors: f's error if f is
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
// see SocketInodes.
func (t *Table) SocketsOfProcess(ctx context.Context, dst []UDPSocket, pid int) ([]UDPSocket, error) {
	var err error
	t.inodes, err = SocketInodes(t.procRoot, pid, t.inodes[:0])
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
	if t.conn == nil {
		return dst, fmt.Errorf("socketstats: sock_diag dump: %w", os.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("socketstats: sock_diag dump: %w", err)
	}
	deadline, _ := ctx.Deadline()
	if err := t.conn.SetReadDeadline(deadline); err != nil {
		return dst, fmt.Errorf("socketstats: sock_diag dump: %w", err)
	}
	if ctx.Done() != nil {
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			_ = t.conn.SetReadDeadline(time.Unix(1, 0))
			close(fired)
		})
		defer func() {
			if !stop() {
				<-fired
			}
			_ = t.conn.SetReadDeadline(time.Time{})
		}()
	} else if !deadline.IsZero() {
		defer t.conn.SetReadDeadline(time.Time{})
	}

	if t.abandoned != 0 {
		if err := t.drain(ctx, dst, proto); err != nil {
			return dst, err
		}
	}
	for _, family := range [2]uint8{FamilyIPv4, FamilyIPv6} {
		var err error
		dst, err = t.dumpFamily(ctx, dst, family, proto, f)
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// dumpFamily sends one SOCK_DIAG_BY_FAMILY dump request and decodes the
// reply into dst.
func (t *Table) dumpFamily(ctx context.Context, dst []UDPSocket, family, proto uint8, f Filter) ([]UDPSocket, error) {
	t.seq++
	if t.seq == 0 {
		t.seq = 1
	}
	t.req = buildDiagRequest(t.req[:0], t.seq, family, proto, f)
	if err := t.send(); err != nil {
		return dst, t.opError(family, proto, err)
	}
	for {
		b, err := t.recv(ctx)
		if err != nil {
			t.abandoned = t.seq
			return dst, t.opError(family, proto, err)
		}
		var done bool
		dst, done, _, err = decodeDiag(dst, b, proto, t.seq, true)
		if err != nil {
			if !done {
				t.abandoned = t.seq
			}
			return dst, t.opError(family, proto, err)
		}
		if done {
			return dst, nil
		}
	}
}

// drain reads and discards the rest of an abandoned dump. While a dump runs
// the kernel always has its next datagram ready: netlink_recvmsg produces it
// before returning (netlink_dump), and netlink_dump_start produces the first
// one inside sendmsg. So a read that would block means no dump is left.
func (t *Table) drain(ctx context.Context, scratch []UDPSocket, proto uint8) error {
	t.nowait = true
	defer func() { t.nowait = false }()
	for {
		b, err := t.recv(ctx)
		if errors.Is(err, unix.EAGAIN) {
			t.abandoned = 0
			return nil
		}
		if err != nil {
			return fmt.Errorf("socketstats: draining an abandoned sock_diag dump: %w", err)
		}
		_, done, _, _ := decodeDiag(scratch, b, proto, t.abandoned, true)
		if done {
			t.abandoned = 0
			return nil
		}
	}
}

func (t *Table) send() error {
	t.errno = 0
	if err := t.rc.Write(t.writeFn); err != nil {
		return err
	}
	if t.errno != 0 {
		return os.NewSyscallError("sendto", t.errno)
	}
	return nil
}

func (t *Table) sendOnce(fd uintptr) bool {
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&t.req[0])), uintptr(len(t.req)), 0, 0, 0)
	switch e {
	case unix.EAGAIN:
		return false
	case unix.EINTR:
		return t.sendOnce(fd)
	}
	t.errno = e
	return true
}

// recv reads one netlink datagram (a batch of messages) into t.buf.
func (t *Table) recv(ctx context.Context) ([]byte, error) {
	t.errno, t.n = 0, 0
	if err := t.rc.Read(t.readFn); err != nil {
		return nil, ctxReadError(ctx, err)
	}
	if t.errno != 0 {
		return nil, os.NewSyscallError("recvfrom", t.errno)
	}
	if t.n > len(t.buf) {
		// MSG_TRUNC: the datagram was larger than the buffer and is lost.
		// Grow for the next dump; this one is incomplete.
		n := t.n
		t.buf = make([]byte, (n+4095)&^4095)
		return nil, fmt.Errorf("netlink datagram of %d bytes truncated", n)
	}
	if t.capture != nil {
		t.capture(t.buf[:t.n])
	}
	return t.buf[:t.n], nil
}

// ctxReadError maps a failed read to the context's error when the context
// caused it. The only read deadlines a dump sets are the context's deadline
// and, on cancellation, one in the past; the poller's timer for the first can
// fire before the context's own timer has marked the context done, so an
// os.ErrDeadlineExceeded while ctx has a deadline is the context's deadline
// even when ctx.Err() is still nil.
func ctxReadError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

func (t *Table) recvOnce(fd uintptr) bool {
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&t.buf[0])), uintptr(len(t.buf)),
		unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0:
		t.n = int(n)
	case unix.EAGAIN:
		if t.nowait {
			t.errno = e
			return true
		}
		return false
	case unix.EINTR:
		return t.recvOnce(fd)
	default:
		t.errno = e
	}
	return true
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
		return fmt.Errorf("socketstats: sock_diag dump of %s %s sockets: kernel has no diag handler (%v): %w", fam, what, errno, errors.ErrUnsupported)
	}
	return fmt.Errorf("socketstats: sock_diag dump of %s %s sockets: %w", fam, what, err)
}

// buildDiagRequest appends a SOCK_DIAG_BY_FAMILY dump request (nlmsghdr,
// struct inet_diag_req_v2 and, when f has a program, the
// INET_DIAG_REQ_BYTECODE attribute) to b.
func buildDiagRequest(b []byte, seq uint32, family, proto uint8, f Filter) []byte {
	ne := binary.NativeEndian
	// A filter that is one non-zero local port needs no program: udp_dump
	// compares id.idiag_sport itself, before and cheaper than running one.
	prog, sport := f.prog, f.sport
	if sport != 0 {
		prog = nil
	}
	total := diagNlmsgHdrLen + diagReqLen
	if len(prog) > 0 {
		total += diagNlaHdrLen + (len(prog)+3)&^3
	}
	start := len(b)
	b = append(b, make([]byte, total)...)
	h := b[start:]
	ne.PutUint32(h[0:4], uint32(total))
	ne.PutUint16(h[4:6], diagSockDiagByFamily)
	ne.PutUint16(h[6:8], diagFlagRequest|diagFlagDump)
	ne.PutUint32(h[8:12], seq)
	// nlmsg_pid 0: the kernel fills in our port.
	r := h[diagNlmsgHdrLen:]
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
