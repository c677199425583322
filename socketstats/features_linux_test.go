package socketstats

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"golang.org/x/sys/unix"
)

func TestSSMFiltersSources(t *testing.T) {
	group := netip.MustParseAddr("232.1.1.1")
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6000, Groups: []Group{{Addr: group, Source: loopback1}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		dst := netip.AddrPortFrom(group, 6000)
		s1, s2 := newSender(t, loopback1), newSender(t, loopback2)
		for range 5 {
			s2.send(t, dst, []byte("from .2"))
			s1.send(t, dst, []byte("from .1"))
		}
		msgs := newMessages(8, 1500)
		n := drain(t, c, msgs, 100*time.Millisecond)
		if n != 5 {
			t.Fatalf("received %d datagrams, want the 5 from the joined source", n)
		}
		for _, m := range msgs[:5] {
			if m.Addr.Addr() != loopback1 || string(m.Buf[:m.N]) != "from .1" {
				t.Errorf("datagram from %s %q, want 127.0.0.1 \"from .1\"", m.Addr, m.Buf[:m.N])
			}
		}
		// Adding the second source lets it through.
		if err := c.Join(Group{Addr: group, Source: loopback2}); err != nil {
			t.Fatal(err)
		}
		s2.send(t, dst, []byte("from .2"))
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 1 || msgs[0].Addr.Addr() != loopback2 {
			t.Fatalf("after joining (127.0.0.2,%s): %d datagrams, first from %s", group, n, msgs[0].Addr)
		}
		if got := c.Groups(); len(got) != 2 {
			t.Errorf("Groups() = %v, want 2 memberships", got)
		}
		if err := c.Leave(Group{Addr: group, Source: loopback2}); err != nil {
			t.Fatal(err)
		}
		s2.send(t, dst, []byte("from .2"))
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 0 {
			t.Fatalf("after leaving: %d datagrams from %s", n, msgs[0].Addr)
		}
	})
}

func TestBindToGroupIsolatesGroups(t *testing.T) {
	other := netip.MustParseAddr("239.9.9.9")
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6001, Groups: []Group{{Addr: testGroup4}}, ReusePort: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c2, err := Open(Config{Interface: "lo", Port: 6001, Groups: []Group{{Addr: other}}, ReusePort: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		s := newSender(t, loopback1)
		s.send(t, netip.AddrPortFrom(other, 6001), []byte("other"))
		s.send(t, netip.AddrPortFrom(testGroup4, 6001), []byte("mine"))
		msgs := newMessages(4, 100)
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 1 || string(msgs[0].Buf[:msgs[0].N]) != "mine" {
			t.Fatalf("socket bound to %s got %d datagrams (first %q)", testGroup4, n, msgs[0].Buf[:msgs[0].N])
		}
		if n := drain(t, c2, msgs, 100*time.Millisecond); n != 1 || string(msgs[0].Buf[:msgs[0].N]) != "other" {
			t.Fatalf("socket bound to %s got %d datagrams", other, n)
		}
	})
}

// TestIPv6Multicast sends over a veth pair: on this kernel IPv6 multicast
// sent on lo is not delivered back to lo's members (measured), unlike IPv4.
func TestIPv6Multicast(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithVeth("ppv0", "ppv1", "", ""))
	ns.Run("ip", "addr", "add", "fd00::1/64", "dev", "ppv0", "nodad")
	ns.Run("ip", "addr", "add", "fd00::2/64", "dev", "ppv1", "nodad")
	ns.Run("ip", "addr", "add", "fd00::3/64", "dev", "ppv0", "nodad")
	src, other := netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::3")
	for i, g := range []string{"ff15::1234", "ff02::4321", "ff3e::8000:1"} {
		group := netip.MustParseAddr(g)
		port := uint16(6100 + i)
		err := ns.Do(func() error {
			join := Group{Addr: group}
			if group.IsMulticast() && group.As16()[1]&0xf0 == 0x30 {
				join.Source = src // SSM: MCAST_JOIN_SOURCE_GROUP
			}
			c, err := Open(Config{Interface: "ppv1", Port: port, Groups: []Group{join}})
			if err != nil {
				if errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EADDRNOTAVAIL) {
					t.Skipf("skipped: kernel refuses IPv6 multicast here: %v", err)
				}
				return err
			}
			defer c.Close()
			if got := c.LocalAddr(); got.Addr().WithZone("") != group || got.Port() != port {
				t.Errorf("bound to %s, want [%s]:%d", got, group, port)
			}
			if join.Source.IsValid() {
				newSenderOn(t, other, "ppv0").send(t, netip.AddrPortFrom(group, port), []byte("not joined"))
			}
			s := newSenderOn(t, src, "ppv0")
			s.send(t, netip.AddrPortFrom(group, port), []byte("v6"))
			msgs := newMessages(4, 100)
			n := drain(t, c, msgs, 200*time.Millisecond)
			if n != 1 || msgs[0].Addr.Addr() != src || string(msgs[0].Buf[:msgs[0].N]) != "v6" {
				t.Errorf("%s: got %d datagrams, first %q from %s", group, n, msgs[0].Buf[:msgs[0].N], msgs[0].Addr)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestTruncation(t *testing.T) {
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6003, Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := newSender(t, loopback1)
		big := make([]byte, 1000)
		for i := range big {
			big[i] = byte(i)
		}
		s.send(t, netip.AddrPortFrom(testGroup4, 6003), big)
		s.send(t, netip.AddrPortFrom(testGroup4, 6003), big[:10])
		msgs := newMessages(4, 100)
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 2 {
			t.Fatalf("got %d datagrams, want 2", n)
		}
		m := msgs[0]
		if !m.Truncated || m.N != 100 || m.Size != 1000 || m.Flags&unix.MSG_TRUNC == 0 || m.Buf[99] != 99 {
			t.Errorf("truncated datagram: N %d Size %d Truncated %v Flags %#x", m.N, m.Size, m.Truncated, m.Flags)
		}
		if m := msgs[1]; m.Truncated || m.N != 10 || m.Size != 10 {
			t.Errorf("short datagram: N %d Size %d Truncated %v", m.N, m.Size, m.Truncated)
		}
		st := c.Stats()
		if st.Truncated != 1 || st.Packets != 2 || st.Bytes != 1010 {
			t.Errorf("Stats: truncated %d packets %d bytes %d, want 1, 2, 1010", st.Truncated, st.Packets, st.Bytes)
		}
	})
}

func TestControlTruncation(t *testing.T) {
	inNS(t, func() {
		// Room for the drop count only: the timestamp does not fit.
		c, err := Open(Config{Interface: "lo", Port: 6004, Groups: []Group{{Addr: testGroup4}}, Timestamps: TimestampsNS, ControlSpace: unix.CmsgSpace(4)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		newSender(t, loopback1).send(t, netip.AddrPortFrom(testGroup4, 6004), []byte("x"))
		msgs := newMessages(2, 100)
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 1 {
			t.Fatalf("got %d datagrams", n)
		}
		if !msgs[0].CTruncated || c.Stats().CTruncated != 1 {
			t.Errorf("MSG_CTRUNC not reported: flags %#x stats %d", msgs[0].Flags, c.Stats().CTruncated)
		}
	})
}

func TestQueueDelay(t *testing.T) {
	for _, mode := range []TimestampMode{TimestampsNS, TimestampsSoftware} {
		inNS(t, func() {
			c, err := Open(Config{Interface: "lo", Port: 6005, Groups: []Group{{Addr: testGroup4}}, Timestamps: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// Give the kernel time to enable timestamping (see Config.Timestamps).
			time.Sleep(50 * time.Millisecond)
			s := newSender(t, loopback1)
			sentAt := time.Now()
			for range 10 {
				s.send(t, netip.AddrPortFrom(testGroup4, 6005), []byte("t"))
			}
			const wait = 30 * time.Millisecond
			time.Sleep(wait)
			msgs := newMessages(16, 100)
			if n := drain(t, c, msgs, 100*time.Millisecond); n != 10 {
				t.Fatalf("got %d datagrams", n)
			}
			for _, m := range msgs[:10] {
				if d := m.KernelTime.Sub(sentAt); m.KernelTime.IsZero() || d < -time.Millisecond || d > wait {
					t.Errorf("mode %d: kernel time %v is %v after the send", mode, m.KernelTime, d)
				}
			}
			st := c.Stats()
			if st.QueueDelay.Count != 10 || st.MaxQueueDelay() < wait || st.MaxQueueDelay() > 10*time.Second {
				t.Errorf("mode %d: queue delay count %d max %v, want 10 and >= %v", mode, st.QueueDelay.Count, st.MaxQueueDelay(), wait)
			}
			if q := st.QueueDelay.Quantile(0.5); q < uint64(wait) {
				t.Errorf("median delay bound %v < %v", time.Duration(q), wait)
			}
		})
	}
}

func TestCloseUnblocksReader(t *testing.T) {
	inNS(t, func() {
		before := runtime.NumGoroutine()
		c, err := Open(Config{Interface: "lo", Port: 6006, Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := c.ReadBatch(context.Background(), newMessages(4, 100))
			errc <- err
		}()
		time.Sleep(50 * time.Millisecond)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("blocked ReadBatch returned %v, want net.ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not unblock ReadBatch")
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v", err)
		}
		if _, err := c.ReadBatch(context.Background(), newMessages(1, 10)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadBatch after Close: %v", err)
		}
		checkGoroutines(t, before)
	})
}

func TestContextAndDeadlines(t *testing.T) {
	inNS(t, func() {
		before := runtime.NumGoroutine()
		c, err := Open(Config{Interface: "lo", Port: 6007, Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			t.Fatal(err)
		}
		msgs := newMessages(4, 100)

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		if _, err := c.ReadBatch(ctx, msgs); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
		if _, err := c.ReadBatch(ctx, msgs); !errors.Is(err, context.Canceled) {
			t.Errorf("already cancelled: %v", err)
		}
		tctx, tcancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		if _, err := c.ReadBatch(tctx, msgs); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("timeout: %v", err)
		}
		tcancel()
		if err := c.SetReadDeadline(time.Now().Add(30 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadBatch(context.Background(), msgs); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read deadline: %v", err)
		}
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		// After a cancellation the socket reads normally again.
		newSender(t, loopback1).send(t, netip.AddrPortFrom(testGroup4, 6007), []byte("ok"))
		ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel2()
		if n, err := c.ReadBatch(ctx2, msgs); n != 1 || err != nil {
			t.Errorf("read after cancellation: %d, %v", n, err)
		}
		c.Close()
		checkGoroutines(t, before)
	})
}

// checkGoroutines waits briefly for the goroutine count to return to before.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
}

func TestConcurrentStats(t *testing.T) {
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6008, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := newSender(t, loopback1)
		for range 500 {
			s.send(t, netip.AddrPortFrom(testGroup4, 6008), make([]byte, 32))
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					_ = c.Stats()
					_, _ = c.Sample()
				}
			}
		})
		if _, err := c.ReadBatch(context.Background(), make([]Message, 2)); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := c.ReadBatch(context.Background(), make([]Message, 1))
			errc <- err
		}()
		<-errc // either a read or ErrConcurrentRead: must not race
		n := drain(t, c, newMessages(8, 64), 100*time.Millisecond)
		close(stop)
		wg.Wait()
		if st := c.Stats(); st.Packets != 500 || n < 497 {
			t.Errorf("packets %d (drained %d), want 500", st.Packets, n)
		}
	})
}

func TestMembershipErrors(t *testing.T) {
	inNS(t, func() {
		_, err := Open(Config{Interface: "nosuchif0", Port: 6009, Groups: []Group{{Addr: testGroup4}}})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing interface: %v, want os.ErrNotExist", err)
		}
		c, err := Open(Config{Interface: "lo", Port: 6009, Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.Join(Group{Addr: testGroup4})
		var me *MembershipError
		if !errors.As(err, &me) || !errors.Is(err, unix.EADDRINUSE) || me.Op != "join" || me.Interface != "lo" {
			t.Errorf("second join: %v", err)
		}
		if err := c.Leave(Group{Addr: netip.MustParseAddr("239.7.7.7")}); !errors.Is(err, unix.EADDRNOTAVAIL) {
			t.Errorf("leave of a group never joined: %v", err)
		}
		if err := c.Join(Group{Addr: netip.MustParseAddr("ff15::1")}); !errors.Is(err, unix.EAFNOSUPPORT) {
			t.Errorf("IPv6 group on an IPv4 socket: %v", err)
		}
		if err := c.Join(Group{Addr: loopback1}); err == nil {
			t.Error("joining a unicast address succeeded")
		}
		if _, err := Open(Config{Groups: []Group{{Addr: testGroup4}, {Addr: netip.MustParseAddr("ff15::1")}}}); err == nil {
			t.Error("mixed families accepted")
		}
		// net.ipv4.igmp_max_memberships (20 by default) per socket.
		var lerr error
		for i := range 64 {
			if lerr = c.Join(Group{Addr: netip.AddrFrom4([4]byte{239, 100, 0, byte(i)})}); lerr != nil {
				break
			}
		}
		if !errors.Is(lerr, unix.ENOBUFS) || !strings.Contains(lerr.Error(), "igmp_max_memberships") {
			t.Errorf("joining past the limit: %v, want ENOBUFS naming igmp_max_memberships", lerr)
		}
	})
}

func TestReceiveBuffer(t *testing.T) {
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6010, ReceiveBuffer: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b := c.Buffer()
		if !b.Forced || b.Obtained != 16<<20 || b.Capped {
			t.Errorf("as root: %+v, want SO_RCVBUFFORCE and 16 MiB", b)
		}
		if _, err := c.Sample(); err != nil {
			t.Fatal(err)
		}
		if st := c.Stats(); !st.BufferKnown || st.Buffer.Size != 16<<20 {
			t.Errorf("SO_MEMINFO rcvbuf %d, want %d", st.Buffer.Size, 16<<20)
		}
	})
}

func TestFromUDPConnAndFD(t *testing.T) {
	inNS(t, func() {
		uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero, Port: 6011})
		if err != nil {
			t.Fatal(err)
		}
		c, err := FromUDPConn(uc, Config{Interface: "lo", Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			t.Fatal(err)
		}
		newSender(t, loopback1).send(t, netip.AddrPortFrom(testGroup4, 6011), []byte("wrapped"))
		msgs := newMessages(2, 100)
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 1 || string(msgs[0].Buf[:msgs[0].N]) != "wrapped" {
			t.Fatalf("wrapped UDPConn: %d datagrams", n)
		}
		if la := c.LocalAddr(); la.Port() != 6011 {
			t.Errorf("LocalAddr %s", la)
		}
		c.Close()

		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 6012}); err != nil {
			t.Fatal(err)
		}
		c, err = FromFD(fd, false, Config{Interface: "lo", Groups: []Group{{Addr: testGroup4}}})
		if err != nil {
			t.Fatal(err)
		}
		newSender(t, loopback1).send(t, netip.AddrPortFrom(testGroup4, 6012), []byte("fd"))
		if n := drain(t, c, msgs, 100*time.Millisecond); n != 1 {
			t.Fatalf("wrapped fd: %d datagrams", n)
		}
		c.Close()
		// The caller's descriptor stays open.
		if _, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil {
			t.Errorf("caller's fd closed: %v", err)
		}
		if _, err := FromFD(int(os.Stdin.Fd()), false, Config{}); err == nil {
			t.Error("FromFD accepted a non-socket")
		}
	})
}
