package nl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
)

// MaxRestarts bounds how often one Dump restarts a dump the kernel flagged
// NLM_F_DUMP_INTR, that lost a datagram to truncation or that met ENOBUFS.
const MaxRestarts = 5

// pollSlice is the longest a wait for the kernel goes without looking at
// the context again.
const pollSlice = 10 * time.Millisecond

// HeaderLen is sizeof(struct nlmsghdr).
const HeaderLen = 16

// ErrDumpInterrupted is wrapped by Dump's error when every attempt was
// flagged NLM_F_DUMP_INTR (the dumped objects kept changing).
var ErrDumpInterrupted = errors.New("netlink dump interrupted (NLM_F_DUMP_INTR) on every attempt")

// ErrMalformed is wrapped by errors about a netlink header or attribute
// that cannot be decoded (a length past the data).
var ErrMalformed = errors.New("malformed netlink data")

// ErrWouldBlock is what a Transport's Recv returns when nothing is queued.
var ErrWouldBlock = syscall.EAGAIN

// Transport moves netlink datagrams. Dial's is a netlink socket; NewReplay's
// answers from captured bytes.
type Transport interface {
	// Send writes one request.
	Send(b []byte) error
	// Recv reads one datagram into b without waiting and returns its real
	// length, which is larger than len(b) when the datagram was truncated
	// (MSG_TRUNC; the rest is lost). Nothing queued is ErrWouldBlock.
	Recv(b []byte) (int, error)
	// Wait returns when a datagram may be queued, when ctx ends (ctx.Err())
	// or at dl when not zero (os.ErrDeadlineExceeded).
	Wait(ctx context.Context, dl time.Time) error
	// Close releases the transport.
	Close() error
}

// Conn runs netlink dumps over one Transport. It is not safe for
// concurrent use.
type Conn struct {
	t Transport
	// Timeout bounds a dump whose context has no deadline: a wait for the
	// kernel longer than it fails with os.ErrDeadlineExceeded. Zero means
	// no bound.
	Timeout time.Duration
	// Interrupted is set by Dump when any attempt was flagged
	// NLM_F_DUMP_INTR (even when a restart then succeeded).
	Interrupted bool
	// Restarts counts the restarts of the last Dump.
	Restarts int
	// Tap, when set, sees every datagram Dump reads, as the kernel sent it
	// (for captures and tests). b is valid only during the call.
	Tap func(b []byte)

	buf        []byte
	req        []byte
	seq        uint32
	pending    bool // a dump was abandoned before its end
	pendingSeq uint32
	closed     bool
}

// DefaultBufSize is the receive buffer: the kernel fills dump chunks up to
// the largest buffer the reader offered, capped at 32 KiB (netlink_recvmsg,
// max_recvmsg_len); twice that leaves room.
const DefaultBufSize = 64 << 10

// NewConn returns a Conn reading through t.
func NewConn(t Transport) *Conn {
	return &Conn{t: t, buf: make([]byte, DefaultBufSize), req: make([]byte, 0, 512)}
}

// ErrClosed is the error of every call on a closed connection, here and in
// the packages built on nl (nic, qdisc, udptable): errors.Is matches it,
// net.ErrClosed and os.ErrClosed.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string { return "use of closed netlink connection" }

func (closedError) Is(target error) bool { return target == net.ErrClosed || target == os.ErrClosed }

// Close closes the transport. Calls after Close fail with ErrClosed.
func (c *Conn) Close() error {
	if c == nil || c.closed {
		return nil
	}
	c.closed = true
	return c.t.Close()
}

// Closed reports whether Close was called.
func (c *Conn) Closed() bool { return c == nil || c.closed }

// Request is one dump request.
type Request struct {
	// Type is the request's nlmsg_type (RTM_GETLINK, SOCK_DIAG_BY_FAMILY...).
	Type netlink.HeaderType
	// Body is what follows struct nlmsghdr: the family header and any
	// attributes. Dump copies it.
	Body []byte
	// Reset, when set, is called before a restarted attempt, so that the
	// caller can drop what the earlier attempt delivered. Store it as a
	// method value once: a closure made per call allocates.
	Reset func()
}

// Dump sends req as an NLM_F_REQUEST|NLM_F_DUMP request and calls fn with
// every message of the answer up to its NLMSG_DONE (NLMSG_NOOP and the
// NLMSG_DONE itself excluded). m.Data aliases the Conn's buffer until fn
// returns. An error from fn ends the dump (the rest is read out before the
// next request) and is returned as is. See the package doc for deadlines,
// truncation, NLM_F_DUMP_INTR, ENOBUFS and abandoned dumps.
func (c *Conn) Dump(ctx context.Context, req Request, fn func(m netlink.Message) error) error {
	if c.Closed() {
		return &netlink.OpError{Op: "dump", Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return &netlink.OpError{Op: "dump", Err: err}
	}
	dl, ctxDL := ctx.Deadline()
	if !ctxDL && c.Timeout > 0 {
		dl = time.Now().Add(c.Timeout)
	}
	c.Interrupted, c.Restarts = false, 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.Restarts++
			if req.Reset != nil {
				req.Reset()
			}
		}
		retry, err := c.dumpOnce(ctx, dl, ctxDL, req, fn)
		if !retry {
			return err
		}
		if attempt >= MaxRestarts {
			return err
		}
	}
}

func (c *Conn) dumpOnce(ctx context.Context, dl time.Time, ctxDL bool, req Request, fn func(netlink.Message) error) (retry bool, err error) {
	if c.pending {
		if err := c.drain(ctx, dl, ctxDL); err != nil {
			return false, err
		}
	}
	c.seq++
	if c.seq == 0 {
		c.seq = 1
	}
	seq := c.seq
	n := HeaderLen + len(req.Body)
	c.req = append(c.req[:0], make([]byte, HeaderLen)...)
	c.req = append(c.req, req.Body...)
	ne := binary.NativeEndian
	ne.PutUint32(c.req[0:], uint32(n))
	ne.PutUint16(c.req[4:], uint16(req.Type))
	ne.PutUint16(c.req[6:], uint16(netlink.Request|netlink.Dump))
	ne.PutUint32(c.req[8:], seq)
	if err := c.t.Send(c.req); err != nil {
		return false, &netlink.OpError{Op: "send", Err: err, Sequence: seq}
	}
	c.pending, c.pendingSeq = true, seq
	intr := false
	for {
		rn, err := c.recv(ctx, dl, ctxDL)
		if errors.Is(err, syscall.ENOBUFS) {
			return true, &netlink.OpError{Op: "receive", Err: err, Sequence: seq}
		}
		if err != nil {
			return false, &netlink.OpError{Op: "receive", Err: err, Sequence: seq}
		}
		if rn > len(c.buf) {
			// MSG_TRUNC: the datagram is lost; grow and restart.
			had := len(c.buf)
			c.buf = make([]byte, (2*rn+4095)&^4095)
			return true, &netlink.OpError{Op: "receive", Sequence: seq,
				Err: fmt.Errorf("%d-byte datagram truncated to the %d-byte buffer: %w", rn, had, ErrMalformed)}
		}
		b := c.buf[:rn]
		if c.Tap != nil {
			c.Tap(b)
		}
		for len(b) > 0 {
			// The header is read in place (the fields Message.UnmarshalBinary
			// fills): this loop runs once per message of a sampled dump.
			var m netlink.Message
			l := 0
			if len(b) >= HeaderLen {
				l = int(ne.Uint32(b))
			}
			if l < HeaderLen || l > len(b) {
				_, _, err := next(b)
				return false, &netlink.OpError{Op: "receive", Err: err, Sequence: seq}
			}
			m.Header = netlink.Header{Length: uint32(l), Type: netlink.HeaderType(ne.Uint16(b[4:])),
				Flags: netlink.HeaderFlags(ne.Uint16(b[6:])), Sequence: ne.Uint32(b[8:]), PID: ne.Uint32(b[12:])}
			m.Data = b[HeaderLen:l]
			b = b[min((l+3)&^3, len(b)):]
			if m.Header.Sequence != seq {
				continue // left over from an older request
			}
			if m.Header.Flags&netlink.DumpInterrupted != 0 {
				intr = true
				c.Interrupted = true
			}
			switch m.Header.Type {
			case netlink.Noop:
				continue
			case netlink.Done, netlink.Error:
				c.pending = false
				if e := status(m); e != 0 {
					return false, &netlink.OpError{Op: "receive", Err: Errno(e), Sequence: seq}
				}
				if len(m.Data) < 4 && m.Header.Type == netlink.Error {
					return false, &netlink.OpError{Op: "receive", Sequence: seq, Err: fmt.Errorf("NLMSG_ERROR of %d bytes: %w", len(m.Data), ErrMalformed)}
				}
				if intr {
					return true, &netlink.OpError{Op: "dump", Err: ErrDumpInterrupted, Sequence: seq}
				}
				return false, nil
			}
			if err := fn(m); err != nil {
				return false, err
			}
		}
	}
}

// status is the errno an NLMSG_ERROR or NLMSG_DONE carries (0: none).
func status(m netlink.Message) syscall.Errno {
	if len(m.Data) < 4 {
		return 0
	}
	if e := int32(binary.NativeEndian.Uint32(m.Data)); e < 0 {
		return syscall.Errno(-e)
	}
	return 0
}

// Next cuts the first message off b, a buffer of netlink messages; Data
// aliases b. It fails (wrapping ErrMalformed) on a header shorter than
// struct nlmsghdr or a length past the buffer.
func Next(b []byte) (m netlink.Message, rest []byte, err error) { return next(b) }

// next cuts the first message off b.
func next(b []byte) (netlink.Message, []byte, error) {
	var m netlink.Message
	if len(b) < HeaderLen {
		return m, nil, fmt.Errorf("%d trailing bytes, shorter than struct nlmsghdr: %w", len(b), ErrMalformed)
	}
	l := int(binary.NativeEndian.Uint32(b))
	if l < HeaderLen || l > len(b) {
		return m, nil, fmt.Errorf("message length %d outside %d..%d: %w", l, HeaderLen, len(b), ErrMalformed)
	}
	adv := min((l+3)&^3, len(b))
	if adv&3 == 0 {
		// Zero-copy: Data aliases b.
		if err := m.UnmarshalBinary(b[:adv]); err != nil {
			return m, nil, fmt.Errorf("%v: %w", err, ErrMalformed)
		}
	} else {
		// An unpadded last message; UnmarshalBinary wants 4-byte lengths.
		ne := binary.NativeEndian
		m.Header = netlink.Header{Length: uint32(l), Type: netlink.HeaderType(ne.Uint16(b[4:])),
			Flags: netlink.HeaderFlags(ne.Uint16(b[6:])), Sequence: ne.Uint32(b[8:]), PID: ne.Uint32(b[12:])}
		m.Data = b[HeaderLen:l]
	}
	return m, b[adv:], nil
}

// Messages calls fn with each message of b, a buffer of netlink messages as
// a dump delivers them, until NLMSG_DONE (done true); a negative NLMSG_DONE
// status or an NLMSG_ERROR errno becomes an *netlink.OpError. Sequence
// numbers are not checked. It is the walk Dump does, for bytes in hand.
func Messages(b []byte, fn func(m netlink.Message) error) (done bool, err error) {
	for len(b) > 0 {
		m, rest, err := next(b)
		if err != nil {
			return false, &netlink.OpError{Op: "decode", Err: err}
		}
		b = rest
		switch m.Header.Type {
		case netlink.Noop:
			continue
		case netlink.Done, netlink.Error:
			if e := status(m); e != 0 {
				return true, &netlink.OpError{Op: "decode", Err: Errno(e), Sequence: m.Header.Sequence}
			}
			if len(m.Data) < 4 && m.Header.Type == netlink.Error {
				return true, &netlink.OpError{Op: "decode", Err: fmt.Errorf("NLMSG_ERROR of %d bytes: %w", len(m.Data), ErrMalformed)}
			}
			return true, nil
		}
		if err := fn(m); err != nil {
			return false, err
		}
	}
	return false, nil
}

// recv reads the next datagram. Before each read it looks at the context
// (without blocking): a dump ends at its deadline or cancellation even
// while the kernel keeps answering at once.
func (c *Conn) recv(ctx context.Context, dl time.Time, ctxDL bool) (int, error) {
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return 0, ctx.Err()
		default:
		}
	}
	if ctxDL && !time.Now().Before(dl) {
		return 0, context.DeadlineExceeded
	}
	for {
		n, err := c.t.Recv(c.buf)
		if err == nil {
			return n, nil
		}
		if err != ErrWouldBlock {
			return 0, err
		}
		if werr := c.t.Wait(ctx, dl); werr != nil {
			return 0, waitError(ctx, werr, ctxDL, c.Timeout)
		}
	}
}

// waitError names why a wait ended: the context's end, the context's
// deadline passing a moment before its own timer marks it done, or Timeout.
func waitError(ctx context.Context, err error, ctxDL bool, timeout time.Duration) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if ctxDL {
			return context.DeadlineExceeded
		}
		return fmt.Errorf("no answer within %v: %w", timeout, err)
	}
	return err
}

// drain reads out an abandoned dump (see the package doc).
func (c *Conn) drain(ctx context.Context, dl time.Time, ctxDL bool) error {
	for range 1 << 16 {
		n, err := c.t.Recv(c.buf)
		if err == ErrWouldBlock {
			c.pending = false
			return nil
		}
		if errors.Is(err, syscall.ENOBUFS) {
			continue
		}
		if err != nil {
			return &netlink.OpError{Op: "drain", Err: err, Sequence: c.pendingSeq}
		}
		if err := ctx.Err(); err != nil {
			return &netlink.OpError{Op: "drain", Err: err, Sequence: c.pendingSeq}
		}
		if n > len(c.buf) {
			continue
		}
		if ended(c.buf[:n], c.pendingSeq) {
			c.pending = false
			return nil
		}
	}
	c.pending = false
	return nil
}

// ended reports whether b holds the NLMSG_DONE or NLMSG_ERROR of seq.
func ended(b []byte, seq uint32) bool {
	for len(b) > 0 {
		m, rest, err := next(b)
		if err != nil {
			return false
		}
		if m.Header.Sequence == seq && (m.Header.Type == netlink.Done || m.Header.Type == netlink.Error) {
			return true
		}
		b = rest
	}
	return false
}

// Errno is a kernel errno from a netlink answer. It is a syscall.Errno
// (errors.Is answers os.ErrPermission, os.ErrNotExist,
// errors.ErrUnsupported as syscall.Errno does) that also matches
// os.ErrNotExist for ENODEV, the answer for a device that went away.
type Errno syscall.Errno

func (e Errno) Error() string { return syscall.Errno(e).Error() }

// Is reports whether e matches target.
func (e Errno) Is(target error) bool {
	if syscall.Errno(e) == syscall.ENODEV && target == os.ErrNotExist {
		return true
	}
	return syscall.Errno(e).Is(target)
}

// Unwrap returns the syscall.Errno, for errors.As.
func (e Errno) Unwrap() error { return syscall.Errno(e) }
