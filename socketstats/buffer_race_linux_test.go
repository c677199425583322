package socketstats

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetpath/packetpath/procparse"
)

// TestBufferSampleRacesReadBatch: the reader samples SO_MEMINFO after
// every batch while two samplers (SampleStats, Sample) read it as fast
// as they can and two observers take Stats, during a flood into a small
// buffer that keeps the kernel dropping. Each observer checks that the
// buffer sample never goes back (its sequence number and the kernel's
// raw drop counter in Buffer.Drops only grow), that Buffer.Size is the
// socket's SO_RCVBUF and that HighWater is never below Buffer.Used. At
// the end Buffer.Drops, Drops and /proc/net/udp agree.
func TestBufferSampleRacesReadBatch(t *testing.T) {
	const port, sent = 6413, 20000
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: port, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 8192, MemInfoEvery: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rcvbuf := uint64(c.Buffer().Obtained)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var received, batches atomic.Uint64
		readDone := make(chan error, 1)
		go func() {
			msgs := newMessages(16, 2048)
			for {
				n, err := c.ReadBatch(ctx, msgs)
				received.Add(uint64(n))
				batches.Add(1)
				if err != nil {
					readDone <- err
					return
				}
			}
		}()
		stop := make(chan struct{})
		stopped := func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		}
		var wg sync.WaitGroup
		var samples [2]uint64
		var errs [4]error
		for g := range 2 {
			wg.Go(func() {
				var st Stats
				for !stopped() {
					var err error
					if g == 0 {
						err = c.SampleStats(&st)
					} else {
						_, err = c.Sample()
					}
					if err != nil {
						errs[g] = err
						return
					}
					samples[g]++
					// Leave the reader time to publish its own samples.
					time.Sleep(20 * time.Microsecond)
				}
			})
		}
		var changes [2]uint64
		for g := range 2 {
			wg.Go(func() {
				var st Stats
				var lastSeq uint64
				var last BufferUsage
				for !stopped() {
					c.ReadStats(&st)
					_, seq := c.ctr.buf.load()
					b := st.Buffer
					var err error
					switch {
					case !st.BufferKnown:
						continue
					case seq < lastSeq:
						err = fmt.Errorf("sample %d after sample %d", seq, lastSeq)
					case b.Drops < last.Drops:
						err = fmt.Errorf("Buffer %+v after %+v: the kernel's drop counter went back", b, last)
					case b.Size != rcvbuf:
						err = fmt.Errorf("Buffer %+v, Size is not SO_RCVBUF %d", b, rcvbuf)
					case st.HighWater < b.Used:
						err = fmt.Errorf("HighWater %d below Buffer.Used %d", st.HighWater, b.Used)
					}
					if err != nil {
						errs[2+g] = err
						return
					}
					if b != last {
						changes[g]++
					}
					lastSeq, last = seq, b
					runtime.Gosched()
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
				t.Errorf("goroutine %d: %v", g, err)
			}
		}
		var st Stats
		if err := c.SampleStats(&st); err != nil {
			t.Fatal(err)
		}
		_, seq := c.ctr.buf.load()
		proc := udpDrops(t, procparse.FileUDP, netip.AddrPortFrom(testGroup4, port))
		if st.Drops == 0 || uint64(st.Buffer.Drops) != st.Drops || st.Drops != proc || st.Packets+st.Drops != sent || st.Buffer.Used != 0 {
			t.Errorf("sent %d, read %d, Drops %d, Buffer %+v, /proc/net/udp drops %d", sent, st.Packets, st.Drops, st.Buffer, proc)
		}
		// Every sampler call publishes; the reader publishes after the
		// batches where no sampler was reading at the same moment.
		byReader := int64(seq) - int64(samples[0]+samples[1]+1)
		if byReader < 1 || uint64(byReader) > batches.Load() {
			t.Errorf("%d samples published, %d by the samplers: %d by the reader, want 1..%d (batches)", seq, samples[0]+samples[1]+1, byReader, batches.Load())
		}
		t.Logf("sent %d, read %d in %d batches, dropped %d (/proc/net/udp %d); SO_MEMINFO samples published %d (samplers %d+%d+1, reader %d); observers saw %v changes; SO_RCVBUF %d",
			sent, st.Packets, batches.Load(), st.Drops, proc, seq, samples[0], samples[1], byReader, changes, rcvbuf)
	})
}
