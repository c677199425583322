package socketstats

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetpath/packetpath/procparse"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/sys/unix"
)

// The tests in this file check that the exported kernel values of a Conn
// (drops, buffer use, pending) are read from the kernel when they are
// collected, not left as the last ReadBatch saw them (issue 17, item 2).

// connInode is the inode of the Conn's socket, as /proc/net/udp prints it.
func connInode(t testing.TB, c *Conn) uint64 {
	t.Helper()
	var st unix.Stat_t
	var serr error
	if err := c.rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatalf("fstat: %v", serr)
	}
	return st.Ino
}

// procUDP is the /proc/thread-self/net/udp line of one socket.
type procUDP struct{ rxQueue, drops uint64 }

// procUDPInode reads the rx_queue and drops columns of the socket with the
// given inode from /proc/thread-self/net/udp (the calling thread's
// namespace), parsed with procparse.
func procUDPInode(t testing.TB, inode uint64) procUDP {
	t.Helper()
	fs, err := procparse.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := fs.UDP(procparse.FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tab.Sockets {
		if s.Inode == inode {
			if !s.HasDrops {
				t.Fatal("/proc/net/udp has no drops column")
			}
			return procUDP{s.RxQueue, s.Drops}
		}
	}
	t.Fatalf("no socket with inode %d in /proc/net/udp (%d sockets)", inode, len(tab.Sockets))
	return procUDP{}
}

// metricValues collects once and returns each exported instrument's value
// (all Conns in these tests have one attribute set, so one point each).
func metricValues(t testing.TB, r *sdkmetric.ManualReader) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				out[m.Name] = float64(d.DataPoints[0].Value)
			case metricdata.Sum[float64]:
				out[m.Name] = d.DataPoints[0].Value
			case metricdata.Gauge[int64]:
				out[m.Name] = float64(d.DataPoints[0].Value)
			case metricdata.Gauge[float64]:
				out[m.Name] = d.DataPoints[0].Value
			}
		}
	}
	return out
}

// bracketed is one collection between two reads of /proc/net/udp.
type bracketed struct {
	before, after procUDP
	v             map[string]float64
}

func collectBracketed(t testing.TB, r *sdkmetric.ManualReader, inode uint64) bracketed {
	t.Helper()
	var b bracketed
	b.before = procUDPInode(t, inode)
	b.v = metricValues(t, r)
	b.after = procUDPInode(t, inode)
	return b
}

func (b bracketed) drops() uint64 { return uint64(b.v[MetricDrops]) }

// checkDropsBracketed fails unless the exported drops lie between the
// /proc/net/udp drops read just before and just after the collection.
func checkDropsBracketed(t testing.TB, what string, b bracketed) {
	t.Helper()
	if d := b.drops(); d < b.before.drops || d > b.after.drops {
		t.Errorf("%s: exported drops %d, /proc/net/udp drops %d before and %d after the collection",
			what, d, b.before.drops, b.after.drops)
	}
}

// pacedSender sends 64-byte datagrams to dst at rate per second by the
// clock (catching up after a late wake-up) until stop is closed or limit
// datagrams are sent (limit 0: no limit). It reports the number sent.
func pacedSender(s *sender, dst netip.AddrPort, rate, limit int, stop <-chan struct{}, sent *atomic.Uint64) <-chan error {
	done := make(chan error, 1)
	go func() {
		sa := &unix.SockaddrInet4{Addr: dst.Addr().As4(), Port: int(dst.Port())}
		payload := make([]byte, 64)
		start := time.Now()
		for i := 0; limit == 0 || i < limit; i++ {
			if i%(rate/100+1) == 0 {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
					time.Sleep(d)
				}
			}
			if err := unix.Sendto(s.fd, payload, 0, sa); err != nil {
				done <- err
				return
			}
			sent.Add(1)
		}
		done <- nil
	}()
	return done
}

// TestMetricsLiveWithAppReadLoop is the first case: a socket
// wrapped with FromUDPConn whose application keeps its own ReadFromUDP
// loop, overloaded. ReadBatch is never called, yet the exported drops move
// with every collection and equal /proc/net/udp's drops for the socket's
// inode within the collection, and at the end sent == read + drops.
func TestMetricsLiveWithAppReadLoop(t *testing.T) {
	const (
		port = 6410
		sent = 60000
		rate = 30000 // datagrams a second: two seconds of overload
	)
	inNS(t, func() {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())

		uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero, Port: port})
		if err != nil {
			t.Fatal(err)
		}
		c, err := FromUDPConn(uc, Config{Interface: "lo", Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 16384})
		if err != nil {
			uc.Close()
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.RegisterMetrics(mp); err != nil {
			t.Fatal(err)
		}
		inode := connInode(t, c)

		// The application's own receive loop, with some work per datagram.
		var received atomic.Uint64
		appDone := make(chan error, 1)
		go func() {
			buf := make([]byte, 2048)
			for {
				if _, _, err := uc.ReadFromUDP(buf); err != nil {
					appDone <- err
					return
				}
				received.Add(1)
				time.Sleep(100 * time.Microsecond)
			}
		}()

		var nsent atomic.Uint64
		sendDone := pacedSender(newSender(t, loopback1), netip.AddrPortFrom(testGroup4, port), rate, sent, nil, &nsent)
		var during []uint64
		for sending := true; sending; {
			select {
			case err := <-sendDone:
				if err != nil {
					t.Fatalf("sender: %v", err)
				}
				sending = false
			case <-time.After(100 * time.Millisecond):
			}
			b := collectBracketed(t, reader, inode)
			checkDropsBracketed(t, "during the overload", b)
			if p := b.v[MetricPackets]; p != 0 {
				t.Errorf("packets %v exported: ReadBatch was never called", p)
			}
			during = append(during, b.drops())
		}
		moves := 0
		for i := 1; i < len(during); i++ {
			if during[i] < during[i-1] {
				t.Errorf("exported drops went back: %v", during)
			}
			if during[i] > during[i-1] {
				moves++
			}
		}
		if moves < 3 {
			t.Errorf("exported drops moved %d times over %d collections during the overload: %v", moves, len(during), during)
		}

		// Let the application drain the queue, then stop it.
		for last := uint64(0); ; {
			time.Sleep(100 * time.Millisecond)
			k, err := c.sampleKernel(true)
			if err != nil {
				t.Fatal(err)
			}
			if r := received.Load(); r == last && k.inq == 0 {
				break
			} else {
				last = r
			}
		}
		c.uc.SetReadDeadline(time.Now())
		if err := <-appDone; !errors.Is(err, net.ErrClosed) && !errors.Is(err, unix.EAGAIN) && !isTimeout(err) {
			t.Fatalf("application read: %v", err)
		}
		b := collectBracketed(t, reader, inode)
		drops, got := b.drops(), received.Load()
		if b.before.drops != drops || b.after.drops != drops || got+drops != sent || drops == 0 {
			t.Errorf("after the overload: sent %d, read by the application %d, exported drops %d, /proc/net/udp drops %d/%d",
				sent, got, drops, b.before.drops, b.after.drops)
		}
		if b.v[MetricNextDatagramSize] != 0 || b.v[MetricBufferSize] != 32768 {
			t.Errorf("after the drain: pending %v, buffer.size %v, want 0 and 32768", b.v[MetricNextDatagramSize], b.v[MetricBufferSize])
		}
		t.Logf("sent %d, read by the application's ReadFromUDP loop %d, dropped %d (exported and /proc/net/udp); %d collections during the overload, drops %v",
			sent, got, drops, len(during), during)
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestMetricsMoveDuringReadBatchStall is the second case: a
// ReadBatch reader that stalls for 3 s while datagrams keep arriving at
// 1,000 a second. Collections during the stall must see the buffer fill
// and the drops grow, with drops equal to /proc/net/udp's within each
// collection, during the stall and after it.
func TestMetricsMoveDuringReadBatchStall(t *testing.T) {
	const (
		port  = 6411
		rate  = 1000
		stall = 3 * time.Second
	)
	inNS(t, func() {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())

		// 1,250,000 bytes of buffer: about 1,500 datagrams of 64 bytes (832
		// bytes of truesize each on lo), full about 1.5 s into the stall.
		c, err := Open(Config{Interface: "lo", Port: port, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 625000})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.RegisterMetrics(mp); err != nil {
			t.Fatal(err)
		}
		inode := connInode(t, c)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stallReq, stalled, resumed := make(chan struct{}), make(chan struct{}), make(chan struct{})
		var received atomic.Uint64
		readDone := make(chan error, 1)
		go func() {
			msgs := newMessages(64, 2048)
			for {
				select {
				case <-stallReq:
					close(stalled)
					time.Sleep(stall)
					close(resumed)
				default:
				}
				n, err := c.ReadBatch(ctx, msgs)
				received.Add(uint64(n))
				if err != nil {
					readDone <- err
					return
				}
			}
		}()

		stop := make(chan struct{})
		var nsent atomic.Uint64
		sendDone := pacedSender(newSender(t, loopback1), netip.AddrPortFrom(testGroup4, port), rate, 0, stop, &nsent)

		time.Sleep(300 * time.Millisecond)
		before := collectBracketed(t, reader, inode)
		checkDropsBracketed(t, "before the stall", before)
		if before.drops() != 0 {
			t.Fatalf("%d drops before the stall: the reader does not keep up with %d datagrams a second", before.drops(), rate)
		}

		stallReq <- struct{}{}
		<-stalled
		start := time.Now()
		var in []bracketed
		for i := 1; i <= 5; i++ {
			time.Sleep(time.Until(start.Add(time.Duration(i) * stall / 6)))
			b := collectBracketed(t, reader, inode)
			checkDropsBracketed(t, "during the stall", b)
			in = append(in, b)
		}
		select {
		case <-resumed:
			t.Fatal("the collections took longer than the stall")
		default:
		}
		usedMoves, dropMoves := 0, 0
		for i, b := range in {
			if b.v[MetricPackets] != in[0].v[MetricPackets] {
				t.Errorf("packets moved during the stall: %v then %v", in[0].v[MetricPackets], b.v[MetricPackets])
			}
			if b.v[MetricNextDatagramSize] == 0 {
				t.Errorf("collection %d of the stall: pending 0 with datagrams queued", i)
			}
			// rx_queue is rmem_alloc less UDP's forward-allocation deficit,
			// which is at most a quarter of the buffer (udp_rmem_release).
			if u := uint64(b.v[MetricBufferUsed]); u < b.before.rxQueue || u > b.after.rxQueue+1250000/4 {
				t.Errorf("collection %d of the stall: buffer.used %d, /proc/net/udp rx_queue %d before and %d after",
					i, u, b.before.rxQueue, b.after.rxQueue)
			}
			if b.v[MetricBufferSize] != 1250000 {
				t.Errorf("collection %d of the stall: buffer.size %v, want 1250000", i, b.v[MetricBufferSize])
			}
			if i == 0 {
				if b.v[MetricBufferUsed] <= before.v[MetricBufferUsed] {
					t.Errorf("buffer.used %v in the stall, %v before it: did not move", b.v[MetricBufferUsed], before.v[MetricBufferUsed])
				}
				continue
			}
			p := in[i-1]
			if b.v[MetricBufferUsed] > p.v[MetricBufferUsed] {
				usedMoves++
			}
			if b.drops() < p.drops() {
				t.Errorf("drops went back during the stall: %d then %d", p.drops(), b.drops())
			}
			if b.drops() > p.drops() {
				dropMoves++
			}
			if b.v[MetricBufferHighWater] < b.v[MetricBufferUsed] {
				t.Errorf("high_water %v below buffer.used %v", b.v[MetricBufferHighWater], b.v[MetricBufferUsed])
			}
		}
		if usedMoves == 0 || dropMoves == 0 {
			t.Errorf("during the stall buffer.used grew %d times and drops %d times over 4 steps, want both to move", usedMoves, dropMoves)
		}

		<-resumed
		for range 3 {
			time.Sleep(200 * time.Millisecond)
			checkDropsBracketed(t, "after the stall", collectBracketed(t, reader, inode))
		}
		close(stop)
		if err := <-sendDone; err != nil {
			t.Fatalf("sender: %v", err)
		}
		// Let the reader drain, then stop it.
		for last := uint64(0); ; last = received.Load() {
			time.Sleep(100 * time.Millisecond)
			if received.Load() == last {
				break
			}
		}
		cancel()
		if err := <-readDone; !errors.Is(err, context.Canceled) {
			t.Fatalf("reader: %v", err)
		}
		after := collectBracketed(t, reader, inode)
		drops, got, n := after.drops(), received.Load(), nsent.Load()
		if after.before.drops != drops || after.after.drops != drops || got+drops != n || drops == 0 {
			t.Errorf("after the stall: sent %d, read %d, exported drops %d, /proc/net/udp drops %d/%d",
				n, got, drops, after.before.drops, after.after.drops)
		}
		if st := c.Stats(); st.Drops != drops || st.Packets != got {
			t.Errorf("Stats: drops %d packets %d, want %d and %d", st.Drops, st.Packets, drops, got)
		}
		for i, b := range in {
			t.Logf("stall +%v: drops %d (/proc %d..%d), buffer.used %v (/proc rx_queue %d..%d), pending %v, packets %v",
				time.Duration(i+1)*stall/6, b.drops(), b.before.drops, b.after.drops, b.v[MetricBufferUsed],
				b.before.rxQueue, b.after.rxQueue, b.v[MetricNextDatagramSize], b.v[MetricPackets])
		}
		t.Logf("before the stall: drops %d, buffer.used %v; at the end: sent %d, read %d, dropped %d", before.drops(), before.v[MetricBufferUsed], n, got, drops)
	})
}

// TestSampleRacesReadBatch runs metrics collections, SampleStats and
// Sample on two goroutines while a third drains a flood with ReadBatch:
// no data race (go test -race), drops never go back, and the totals are
// exact at the end.
func TestSampleRacesReadBatch(t *testing.T) {
	const port, sent = 6412, 20000
	inNS(t, func() {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		c, err := Open(Config{Interface: "lo", Port: port, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 8192, MemInfoEvery: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.RegisterMetrics(mp); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var received atomic.Uint64
		readDone := make(chan error, 1)
		go func() {
			msgs := newMessages(16, 2048)
			for {
				n, err := c.ReadBatch(ctx, msgs)
				received.Add(uint64(n))
				if err != nil {
					readDone <- err
					return
				}
			}
		}()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var errs [2]error
		for g := range 2 {
			wg.Go(func() {
				var st Stats
				var last uint64
				for {
					select {
					case <-stop:
						return
					default:
					}
					var err error
					if g == 0 {
						var rm metricdata.ResourceMetrics
						err = reader.Collect(context.Background(), &rm)
					} else if err = c.SampleStats(&st); err == nil {
						_, err = c.Sample()
					}
					if err != nil {
						errs[g] = err
						return
					}
					c.ReadStats(&st)
					if st.Drops < last {
						errs[g] = errors.New("drops went back")
						return
					}
					last = st.Drops
				}
			})
		}
		var nsent atomic.Uint64
		if err := <-pacedSender(newSender(t, loopback1), netip.AddrPortFrom(testGroup4, port), 100000, sent, nil, &nsent); err != nil {
			t.Fatal(err)
		}
		for last := uint64(0); ; last = received.Load() {
			time.Sleep(100 * time.Millisecond)
			if received.Load() == last {
				break
			}
		}
		close(stop)
		wg.Wait()
		cancel()
		<-readDone
		for g, err := range errs {
			if err != nil {
				t.Errorf("sampler %d: %v", g, err)
			}
		}
		var st Stats
		if err := c.SampleStats(&st); err != nil {
			t.Fatal(err)
		}
		proc := udpDrops(t, procparse.FileUDP, netip.AddrPortFrom(testGroup4, port))
		if st.Packets != received.Load() || st.Packets+st.Drops != sent || st.Drops != proc {
			t.Errorf("sent %d, read %d (Stats %d), drops %d, /proc/net/udp %d", sent, received.Load(), st.Packets, st.Drops, proc)
		}
		t.Logf("sent %d, read %d, dropped %d", sent, st.Packets, st.Drops)
	})
}

// TestSampleStatsAllocs: the per-collection kernel read allocates nothing.
func TestSampleStatsAllocs(t *testing.T) {
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6413, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 4096})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := newSender(t, loopback1)
		for range 100 {
			s.send(t, netip.AddrPortFrom(testGroup4, 6413), make([]byte, 64))
		}
		var st Stats
		if a := testing.AllocsPerRun(100, func() {
			if err := c.SampleStats(&st); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("SampleStats: %.1f allocs, want 0", a)
		}
		if a := testing.AllocsPerRun(100, func() {
			if _, err := c.Sample(); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("Sample: %.1f allocs, want 0", a)
		}
		proc := udpDrops(t, procparse.FileUDP, netip.AddrPortFrom(testGroup4, 6413))
		if !st.DropsKnown || st.Drops != proc || st.Drops == 0 || !st.BufferKnown || st.Buffer.Size != 8192 || st.Packets != 0 {
			t.Errorf("SampleStats without any read: %+v, /proc/net/udp drops %d", st, proc)
		}
		c.Close()
		if err := c.SampleStats(&st); !errors.Is(err, net.ErrClosed) || st.Drops != proc {
			t.Errorf("after Close: %v (drops %d), want net.ErrClosed and the last drops %d", err, st.Drops, proc)
		}
	})
}

// TestObserveDropsConcurrentWrap feeds increasing raw counters that cross
// 2^32 from four goroutines at once, as the reader's SO_RXQ_OVFL values
// and the samplers' SO_MEMINFO values interleave: the widened total never
// decreases and ends at the last value.
func TestObserveDropsConcurrentWrap(t *testing.T) {
	const steps = 0x3000
	var base uint32 = 0xfffff000
	ctr := &counters{dropsBase: base}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := uint32(g); k <= steps; k += 3 {
				ctr.observeDrops(base + k)
			}
			ctr.observeDrops(base + steps)
		})
	}
	stop, watched := make(chan struct{}), make(chan struct{})
	var back atomic.Bool
	go func() {
		defer close(watched)
		var last uint64
		for {
			select {
			case <-stop:
				return
			default:
			}
			if v := ctr.drops.Load(); v < last {
				back.Store(true)
			} else {
				last = v
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-watched
	if back.Load() {
		t.Error("the widened total went back")
	}
	if got := ctr.drops.Load(); got != steps {
		t.Errorf("total %#x, want %#x", got, steps)
	}
	// Absolute: a socket opened with nothing dropped, past the wrap.
	ctr = new(counters)
	for _, raw := range []uint32{0x7fffffff, 0xfffffffe, 0x00000003, 0x7ffffffe} {
		ctr.observeDrops(raw)
	}
	if got := ctr.drops.Load(); got != 0x17ffffffe {
		t.Errorf("across one wrap: %#x, want 0x17ffffffe", got)
	}
}

// TestMetricsWrappedAfterDrops: a socket that had already dropped when it
// was wrapped exports the drops since wrapping: /proc/net/udp's drops less
// the count at wrapping, read at each collection.
func TestMetricsWrappedAfterDrops(t *testing.T) {
	const port = 6414
	inNS(t, func() {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		if err := uc.SetReadBuffer(4096); err != nil {
			t.Fatal(err)
		}
		tx, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Close()
		payload := make([]byte, 64)
		for range 200 {
			if _, err := tx.Write(payload); err != nil {
				t.Fatal(err)
			}
		}
		c, err := FromUDPConn(uc, Config{})
		if err != nil {
			uc.Close()
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.RegisterMetrics(mp); err != nil {
			t.Fatal(err)
		}
		inode := connInode(t, c)
		b := collectBracketed(t, reader, inode)
		base := b.before.drops
		if base == 0 || b.drops() != 0 {
			t.Fatalf("at wrapping: /proc/net/udp drops %d, exported %d; want some and 0", base, b.drops())
		}
		for range 200 {
			if _, err := tx.Write(payload); err != nil {
				t.Fatal(err)
			}
		}
		b = collectBracketed(t, reader, inode)
		if b.before.drops != b.after.drops || b.drops() != b.after.drops-base || b.drops() != 200 {
			t.Errorf("200 more into a full buffer: exported %d, /proc/net/udp %d/%d, %d at wrapping", b.drops(), b.before.drops, b.after.drops, base)
		}
		t.Logf("dropped %d before wrapping and %d after (exported %d)", base, b.after.drops-base, b.drops())
	})
}
