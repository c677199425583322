package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/packetpath/packetpath/socketstats"
)

// receiver is the read loop: batches from the Conn, sequence checks, and
// the sequence totals published for the monitor.
type receiver struct {
	conn *socketstats.Conn
	o    *options
	msgs []socketstats.Message
	seq  *seqChecker

	mu     sync.Mutex // guards shared
	shared seqCounts
}

func newReceiver(c *socketstats.Conn, o *options) *receiver {
	r := &receiver{conn: c, o: o, msgs: make([]socketstats.Message, o.batch)}
	for i := range r.msgs {
		r.msgs[i].Buf = make([]byte, o.bufSize)
	}
	if o.seq {
		r.seq = newSeqChecker()
	}
	return r
}

// run reads until ctx is done. It returns nil when ctx ended it.
func (r *receiver) run(ctx context.Context) error {
	if !sleep(ctx, r.o.pause) {
		return nil
	}
	for {
		n, err := r.conn.ReadBatch(ctx, r.msgs)
		if err != nil {
			// The deadline may be reported by the socket a moment before
			// ctx itself expires: both mean the run is over.
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
		if r.seq != nil && n > 0 {
			for i := range n {
				m := &r.msgs[i]
				r.seq.observe(m.Addr, m.Buf[:m.N])
			}
			t := r.seq.total()
			r.mu.Lock()
			r.shared = t
			r.mu.Unlock()
		}
		if !sleep(ctx, r.o.readDelay) {
			return nil
		}
	}
}

// seqTotals returns the sequence totals as of the last batch.
func (r *receiver) seqTotals() seqCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.shared
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
