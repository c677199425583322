package nl

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
)

// fake is a chunked Transport over Replay with injected faults.
type fake struct {
	*Replay
	sent      int
	truncOnce bool // first Recv reports a datagram longer than the buffer
	enobufs   int  // Recv calls that fail with ENOBUFS first
	silent    bool // nothing is ever queued
}

func (f *fake) Send(b []byte) error { f.sent++; return f.Replay.Send(b) }

func (f *fake) Recv(b []byte) (int, error) {
	if f.silent {
		return 0, ErrWouldBlock
	}
	if f.enobufs > 0 && len(f.queue) > 0 {
		f.enobufs--
		f.queue = nil // the kernel lost the rest
		return 0, os.NewSyscallError("recvfrom", syscall.ENOBUFS)
	}
	if f.truncOnce && len(f.queue) > 0 {
		f.truncOnce = false
		_, err := f.Replay.Recv(make([]byte, DefaultBufSize))
		return len(b) + 100, err
	}
	return f.Replay.Recv(b)
}

func (f *fake) Wait(ctx context.Context, dl time.Time) error {
	if f.silent {
		return waitUntil(ctx, dl)
	}
	return f.Replay.Wait(ctx, dl)
}

func fixture(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/rtm_getlink_dump.bin")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The fixture is a 4-link RTM_GETLINK dump from a namespace (lo, veth
// pair, dummy): four RTM_NEWLINK and NLMSG_DONE, sequence 8.
const fixtureLinks = 4

func withFlags(b []byte, flags netlink.HeaderFlags) []byte {
	b = append([]byte(nil), b...)
	for off := 0; off+HeaderLen <= len(b); {
		l := int(binary.NativeEndian.Uint32(b[off:]))
		binary.NativeEndian.PutUint16(b[off+6:], binary.NativeEndian.Uint16(b[off+6:])|uint16(flags))
		off += (l + 3) &^ 3
	}
	return b
}

func nlmsg(typ uint16, seq uint32, body []byte) []byte {
	b := make([]byte, HeaderLen+len(body))
	binary.NativeEndian.PutUint32(b, uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint32(b[8:], seq)
	copy(b[HeaderLen:], body)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func errnoBody(e syscall.Errno) []byte {
	b := make([]byte, 4+HeaderLen)
	binary.NativeEndian.PutUint32(b, uint32(-int32(e)))
	return b
}

type counter struct{ n, resets int }

func (c *counter) fn(m netlink.Message) error {
	if m.Header.Type != 16 {
		return errors.New("not RTM_NEWLINK")
	}
	c.n++
	return nil
}
func (c *counter) reset() { c.n = 0; c.resets++ }

func dump(t *testing.T, c *Conn, ctx context.Context, cnt *counter) error {
	t.Helper()
	return c.Dump(ctx, Request{Type: 18, Body: make([]byte, 16), Reset: cnt.reset}, cnt.fn)
}

func TestDumpChunked(t *testing.T) {
	for _, chunk := range []int{1, 1500, 3000, 0} {
		r := NewReplay(fixture(t))
		r.ChunkSize = chunk
		c := NewConn(r)
		var cnt counter
		if err := dump(t, c, context.Background(), &cnt); err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if cnt.n != fixtureLinks || cnt.resets != 0 {
			t.Fatalf("chunk %d: %d links, %d resets; want %d, 0", chunk, cnt.n, cnt.resets, fixtureLinks)
		}
	}
}

func TestDumpTruncatedRestarts(t *testing.T) {
	f := &fake{Replay: NewReplay(fixture(t), fixture(t)), truncOnce: true}
	c := NewConn(f)
	c.buf = make([]byte, 2000) // smaller than the fixture's first chunk
	f.ChunkSize = 4000
	var cnt counter
	if err := dump(t, c, context.Background(), &cnt); err != nil {
		t.Fatal(err)
	}
	if cnt.n != fixtureLinks || f.sent != 2 || c.Restarts != 1 || len(c.buf) < 2100 {
		t.Fatalf("links %d sent %d restarts %d buf %d; want %d, 2, 1, >= 2100", cnt.n, f.sent, c.Restarts, len(c.buf), fixtureLinks)
	}
}

func TestDumpInterruptedRetryBounded(t *testing.T) {
	intr := withFlags(fixture(t), netlink.DumpInterrupted)
	// Interrupted once, then clean: one restart, no error.
	f := &fake{Replay: NewReplay(intr, fixture(t))}
	c := NewConn(f)
	var cnt counter
	if err := dump(t, c, context.Background(), &cnt); err != nil {
		t.Fatal(err)
	}
	if cnt.n != fixtureLinks || cnt.resets != 1 || !c.Interrupted || c.Restarts != 1 {
		t.Fatalf("links %d resets %d interrupted %v restarts %d", cnt.n, cnt.resets, c.Interrupted, c.Restarts)
	}
	// Interrupted every time: MaxRestarts restarts, then the last
	// attempt's links with ErrDumpInterrupted.
	answers := make([][]byte, MaxRestarts+2)
	for i := range answers {
		answers[i] = intr
	}
	f = &fake{Replay: NewReplay(answers...)}
	c = NewConn(f)
	cnt = counter{}
	err := dump(t, c, context.Background(), &cnt)
	var oe *netlink.OpError
	if !errors.Is(err, ErrDumpInterrupted) || !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *netlink.OpError wrapping ErrDumpInterrupted", err)
	}
	if f.sent != MaxRestarts+1 || cnt.n != fixtureLinks {
		t.Fatalf("sent %d links %d, want %d, %d", f.sent, cnt.n, MaxRestarts+1, fixtureLinks)
	}
}

func TestDumpAbandonedIsDrained(t *testing.T) {
	f := &fake{Replay: NewReplay(fixture(t), fixture(t))}
	f.ChunkSize = 1500 // one link per datagram
	c := NewConn(f)
	stop := errors.New("stop")
	n := 0
	err := c.Dump(context.Background(), Request{Type: 18, Body: make([]byte, 16)}, func(netlink.Message) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || !c.pending {
		t.Fatalf("err %v pending %v, want stop, true", err, c.pending)
	}
	// The next dump first reads out the old one (two more datagrams and
	// NLMSG_DONE) and then sees exactly its own four links.
	var cnt counter
	if err := dump(t, c, context.Background(), &cnt); err != nil {
		t.Fatal(err)
	}
	if cnt.n != fixtureLinks || c.pending {
		t.Fatalf("links %d pending %v", cnt.n, c.pending)
	}
}

func TestDumpStaleSequenceSkipped(t *testing.T) {
	old := nlmsg(16, 99, make([]byte, 16))
	ans := append(old, fixture(t)...)
	r := NewReplay()
	c := NewConn(r)
	// Replay rewrites every sequence number; feed the stale message by hand.
	r.answers = [][]byte{ans}
	var cnt counter
	err := c.Dump(context.Background(), Request{Type: 18, Body: make([]byte, 16)}, cnt.fn)
	if err != nil || cnt.n != fixtureLinks+1 {
		t.Fatalf("replay rewrites seq: %d links, %v", cnt.n, err)
	}
	// Through Messages (no sequence check) the same bytes hold 5.
	cnt = counter{}
	if _, err := Messages(ans, cnt.fn); err != nil || cnt.n != fixtureLinks+1 {
		t.Fatalf("Messages: %d, %v", cnt.n, err)
	}
}

func TestDumpENOBUFSRestarts(t *testing.T) {
	f := &fake{Replay: NewReplay(fixture(t), fixture(t)), enobufs: 1}
	c := NewConn(f)
	var cnt counter
	if err := dump(t, c, context.Background(), &cnt); err != nil {
		t.Fatal(err)
	}
	if cnt.n != fixtureLinks || f.sent != 2 || c.Restarts != 1 {
		t.Fatalf("links %d sent %d restarts %d", cnt.n, f.sent, c.Restarts)
	}
	// ENOBUFS on every attempt: bounded, and errors.Is finds ENOBUFS.
	answers := make([][]byte, MaxRestarts+2)
	for i := range answers {
		answers[i] = fixture(t)
	}
	f = &fake{Replay: NewReplay(answers...), enobufs: 100}
	c = NewConn(f)
	err := dump(t, c, context.Background(), &counter{})
	if !errors.Is(err, syscall.ENOBUFS) || f.sent != MaxRestarts+1 {
		t.Fatalf("err %v sent %d", err, f.sent)
	}
}

func TestDumpErrno(t *testing.T) {
	for _, tc := range []struct {
		typ    uint16
		errno  syscall.Errno
		target error
	}{
		{2, syscall.EPERM, os.ErrPermission},
		{2, syscall.EOPNOTSUPP, errors.ErrUnsupported},
		{2, syscall.ENODEV, os.ErrNotExist},
		{2, syscall.ENOENT, os.ErrNotExist},
		{3, syscall.EINVAL, syscall.EINVAL}, // negative NLMSG_DONE status
	} {
		c := NewConn(NewReplay(nlmsg(tc.typ, 0, errnoBody(tc.errno))))
		err := dump(t, c, context.Background(), &counter{})
		var oe *netlink.OpError
		if !errors.As(err, &oe) || !errors.Is(err, tc.target) || !errors.Is(err, tc.errno) {
			t.Errorf("type %d errno %v: err %v, want *netlink.OpError matching %v", tc.typ, tc.errno, err, tc.target)
		}
		if c.pending {
			t.Errorf("errno %v: an error message ends the dump", tc.errno)
		}
	}
	// An ACK (errno 0) ends a dump cleanly.
	c := NewConn(NewReplay(nlmsg(2, 0, errnoBody(0))))
	if err := dump(t, c, context.Background(), &counter{}); err != nil {
		t.Fatal(err)
	}
}

func TestDumpMalformed(t *testing.T) {
	b := fixture(t)
	b = append([]byte(nil), b[:100]...)
	binary.NativeEndian.PutUint32(b, 5000) // length past the datagram
	c := NewConn(NewReplay(b))
	err := dump(t, c, context.Background(), &counter{})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err %v, want ErrMalformed", err)
	}
}

func TestDumpDeadline(t *testing.T) {
	f := &fake{Replay: NewReplay(), silent: true}
	c := NewConn(f)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := dump(t, c, ctx, &counter{})
	var oe *netlink.OpError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &oe) {
		t.Fatalf("err %v, want *netlink.OpError wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("deadline seen after %v", d)
	}
	if !c.pending {
		t.Fatal("a dump the deadline ended is abandoned")
	}
	// Cancellation.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if err := dump(t, c, ctx, &counter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// Conn.Timeout without a context deadline.
	c.Timeout = 20 * time.Millisecond
	err = dump(t, c, context.Background(), &counter{})
	if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want os.ErrDeadlineExceeded only", err)
	}
}

func TestClosed(t *testing.T) {
	c := NewConn(NewReplay(fixture(t)))
	c.Close()
	if err := dump(t, c, context.Background(), &counter{}); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("err %v", err)
	}
}

func TestAttrs(t *testing.T) {
	b := fixture(t)
	var names []string
	_, err := Messages(b, func(m netlink.Message) error {
		a := NewAttrs(m.Data[16:])
		for a.Next() {
			if a.Type == 3 { // IFLA_IFNAME
				names = append(names, string(a.Data[:len(a.Data)-1]))
			}
		}
		return a.Err()
	})
	if err != nil || len(names) != fixtureLinks || names[0] != "lo" {
		t.Fatalf("names %q, %v", names, err)
	}
	bad := NewAttrs([]byte{8, 0, 1, 0, 0})
	if bad.Next() || !errors.Is(bad.Err(), ErrMalformed) {
		t.Fatalf("short attribute: %v", bad.Err())
	}
	pad := NewAttrs([]byte{5, 0, 1, 0, 9, 0, 0, 0, 0, 0})
	if !pad.Next() || len(pad.Data) != 1 || pad.Next() || pad.Err() != nil {
		t.Fatalf("padding: %v", pad.Err())
	}
}

func TestDumpAllocs(t *testing.T) {
	b := fixture(t)
	answers := make([][]byte, 200)
	for i := range answers {
		answers[i] = b
	}
	c := NewConn(NewReplay(answers...))
	var cnt counter
	req := Request{Type: 18, Body: make([]byte, 16), Reset: cnt.reset}
	fn := cnt.fn
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.Dump(context.Background(), req, fn); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per dump", allocs)
	}
}

func FuzzMessages(f *testing.F) {
	f.Add(fixture(f))
	f.Add(nlmsg(2, 0, errnoBody(syscall.EPERM)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Messages(b, func(m netlink.Message) error {
			a := NewAttrs(m.Data)
			for a.Next() {
			}
			return nil
		})
		c := NewConn(NewReplay(b))
		c.Timeout = time.Millisecond
		_ = c.Dump(context.Background(), Request{Type: 18}, func(netlink.Message) error { return nil })
	})
}

// A captured message larger than the Conn's buffer: the Conn grows the
// buffer and restarts, and Replay answers the restart with the same dump.
func TestReplayLargerThanBuffer(t *testing.T) {
	c := NewConn(NewReplay(fixture(t)))
	c.buf = make([]byte, 1000) // every link message is about 1.5 KB
	var cnt counter
	if err := dump(t, c, context.Background(), &cnt); err != nil {
		t.Fatal(err)
	}
	if cnt.n != fixtureLinks || c.Restarts != 1 {
		t.Fatalf("links %d restarts %d", cnt.n, c.Restarts)
	}
}
