package nl

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"time"
)

// Replay is a Transport that answers requests from captured bytes: the
// entry point for decoding a dump captured earlier (a bundle's RTM_GETLINK,
// RTM_GETQDISC or sock_diag bytes) with the same code as a live one.
// Answer i (the raw netlink messages of one dump, NLMSG_DONE included,
// as the kernel sent them) answers request i; each answer is delivered in
// datagrams of whole messages of at most ChunkSize bytes, with the
// sequence number rewritten to the request's. A request past the last
// answer gets an empty dump (a lone NLMSG_DONE).
type Replay struct {
	// ChunkSize is the largest datagram Recv delivers (0: 32 KiB, the
	// kernel's own bound). A single message longer than it is delivered
	// whole.
	ChunkSize int

	answers [][]byte
	next    int
	last    []byte // the answer being served
	again   bool   // a datagram was truncated: the restart gets last again
	queue   []byte
	seq     uint32
	done    [20]byte
	closed  bool
}

// NewReplay returns a Replay answering with the given dumps in order.
func NewReplay(answers ...[]byte) *Replay {
	return &Replay{answers: answers}
}

// Send starts the next answer.
func (r *Replay) Send(b []byte) error {
	if r.closed {
		return os.ErrClosed
	}
	if len(b) < HeaderLen {
		return syscall.EINVAL
	}
	r.seq = binary.NativeEndian.Uint32(b[8:])
	if r.again {
		// The Conn restarts after a truncated datagram (with a larger
		// buffer): answer it with the same dump.
		r.again = false
		r.queue = r.last
		return nil
	}
	if r.next < len(r.answers) {
		r.queue = r.answers[r.next]
		r.last = r.queue
		r.next++
		return nil
	}
	ne := binary.NativeEndian
	ne.PutUint32(r.done[0:], 20)
	ne.PutUint16(r.done[4:], 3) // NLMSG_DONE
	ne.PutUint16(r.done[6:], 2) // NLM_F_MULTI
	r.queue = r.done[:]
	return nil
}

// Recv copies the next chunk of whole messages into b.
func (r *Replay) Recv(b []byte) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	if len(r.queue) == 0 {
		return 0, ErrWouldBlock
	}
	limit := r.ChunkSize
	if limit <= 0 {
		limit = 32 << 10
	}
	n := 0
	for n < len(r.queue) {
		if len(r.queue)-n < HeaderLen {
			n = len(r.queue)
			break
		}
		l := int(binary.NativeEndian.Uint32(r.queue[n:]))
		adv := (l + 3) &^ 3
		if l < HeaderLen || n+adv > len(r.queue) {
			n = len(r.queue) // malformed: deliver the rest as is
			break
		}
		if n > 0 && n+adv > limit {
			break
		}
		n += adv
	}
	chunk := r.queue[:n]
	r.queue = r.queue[n:]
	if n > len(b) {
		r.again = true
	}
	copy(b, chunk)
	// Rewrite the sequence numbers in the copy.
	for off := 0; off+HeaderLen <= min(n, len(b)); {
		binary.NativeEndian.PutUint32(b[off+8:], r.seq)
		l := int(binary.NativeEndian.Uint32(b[off:]))
		if l < HeaderLen {
			break
		}
		off += (l + 3) &^ 3
	}
	return n, nil
}

// Wait returns at once when an answer is queued; otherwise it waits for
// ctx or dl, as a silent kernel would.
func (r *Replay) Wait(ctx context.Context, dl time.Time) error {
	if len(r.queue) > 0 {
		return nil
	}
	return waitUntil(ctx, dl)
}

// Close ends the replay.
func (r *Replay) Close() error { r.closed = true; return nil }

func waitUntil(ctx context.Context, dl time.Time) error {
	if dl.IsZero() {
		if ctx.Done() == nil {
			return errors.New("nl: wait without deadline on a transport that has nothing to send")
		}
		<-ctx.Done()
		return ctx.Err()
	}
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

func isENOBUFS(err error) bool { return errors.Is(err, syscall.ENOBUFS) }
