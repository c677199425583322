//go:build linux

package udptable

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestDiagDeadlineMidDump dumps a namespace with thousands of sockets (a
// dump of many netlink datagrams) under deadlines short enough to expire
// before, during and after the dump, again and again. Every failure must
// satisfy errors.Is(err, context.DeadlineExceeded): the read deadline the
// Table sets from the context used to surface as the poller's "i/o timeout"
// when it fired before the context's own timer. After every failure the
// next dump, without a deadline, must return every socket.
func TestDiagDeadlineMidDump(t *testing.T) {
	ns := netnstest.New(t)
	const n4, n6 = 2000, 1000
	err := ns.Do(func() error {
		for range n4 {
			diagOpenUDP(t, "many4", netip.MustParseAddrPort("127.0.0.1:0"), 0, nil)
		}
		for range n6 {
			diagOpenUDP(t, "many6", netip.MustParseAddrPort("[::1]:0"), 0, nil)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tab := openDiagTable(t, ns)
	buf, err := tab.Dump(context.Background(), nil, Filter{})
	if err != nil || len(buf) != n4+n6 {
		t.Fatalf("Dump: %d sockets, %v; want %d", len(buf), err, n4+n6)
	}
	// How long a whole dump takes here, to spread the deadlines over it.
	start := time.Now()
	for range 5 {
		if buf, err = tab.Dump(context.Background(), buf[:0], Filter{}); err != nil {
			t.Fatal(err)
		}
	}
	full := time.Since(start) / 5
	t.Logf("a dump of %d sockets takes %v", n4+n6, full)

	const rounds = 400
	failed, partial := 0, 0
	for i := range rounds {
		// From 0 (already expired) to 1.5 times a whole dump.
		d := full * time.Duration(i%40) * 3 / 80
		ctx, cancel := context.WithTimeout(context.Background(), d)
		got, err := tab.Dump(ctx, buf[:0], Filter{})
		cancel()
		if err != nil {
			failed++
			if len(got) > 0 {
				partial++
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("round %d (deadline %v): %v does not wrap context.DeadlineExceeded", i, d, err)
			}
		} else if len(got) != n4+n6 {
			t.Errorf("round %d: %d sockets, want %d", i, len(got), n4+n6)
		}
		buf = got
		if err != nil {
			// The abandoned dump is drained and the Table keeps working.
			if buf, err = tab.Dump(context.Background(), buf[:0], Filter{}); err != nil || len(buf) != n4+n6 {
				t.Fatalf("round %d: Dump after a deadline: %d sockets, %v", i, len(buf), err)
			}
		}
	}
	t.Logf("%d of %d dumps hit the deadline, %d of them mid-dump (with sockets decoded)", failed, rounds, partial)
	if partial == 0 {
		t.Errorf("no deadline expired mid-dump in %d rounds", rounds)
	}
}

// timerLagCtx is a context whose deadline has passed but whose timer has not
// fired yet: Err is still nil. A real context is in this state for a moment
// after its deadline, which is when the socket's read deadline (set from it)
// fires.
type timerLagCtx struct{ context.Context }

func (timerLagCtx) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// TestDiagDeadlineBeforeContextTimer makes that moment deterministic: the
// read fails with the poller's timeout while ctx.Err() is nil, and the error
// must still wrap context.DeadlineExceeded (it used to be "i/o timeout").
func TestDiagDeadlineBeforeContextTimer(t *testing.T) {
	ns := netnstest.New(t)
	tab := openDiagTable(t, ns)
	for i := range 20 {
		_, err := tab.Dump(timerLagCtx{context.Background()}, nil, Filter{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("try %d: %v, want an error wrapping context.DeadlineExceeded", i, err)
		}
	}
	if got, err := tab.Dump(context.Background(), nil, Filter{}); err != nil {
		t.Fatalf("Dump after the deadlines: %d sockets, %v", len(got), err)
	}
}
