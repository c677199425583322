package bench

import (
	"context"
	"net"
	"syscall"
	"time"
	"unsafe"

	"testing"

	"github.com/packetpath/packetpath/socketstats"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// Receive-path benchmarks: drain b.N queued 64-byte multicast datagrams
// (run with -benchtime=1000000x) with four readers in one run. See
// results/socketstats-recv.md.

// floorReader is a bare recvmmsg loop on the runtime poller: no control
// messages, no ioctl, no counters. The floor the instrumented socket is
// compared with.
type floorReader struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	cbuf  []byte
	ctrl  int
	n     int
	errno syscall.Errno
	fn    func(uintptr) bool
}

// newFloorReader reads into bufs. With ctrl > 0 it also offers ctrl bytes
// of control space per datagram (which it does not parse).
func newFloorReader(uc *net.UDPConn, bufs [][]byte, ctrl int) *floorReader {
	rc, _ := uc.SyscallConn()
	r := &floorReader{rc: rc, hdrs: make([]unix.Mmsghdr, len(bufs)), iovs: make([]unix.Iovec, len(bufs)), names: make([]unix.RawSockaddrInet6, len(bufs)), ctrl: ctrl}
	if ctrl > 0 {
		r.cbuf = make([]byte, ctrl*len(bufs))
	}
	for i := range bufs {
		r.iovs[i].Base = &bufs[i][0]
		r.iovs[i].SetLen(len(bufs[i]))
		r.hdrs[i].Hdr.Iov = &r.iovs[i]
		r.hdrs[i].Hdr.SetIovlen(1)
		r.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		if ctrl > 0 {
			r.hdrs[i].Hdr.Control = &r.cbuf[i*ctrl]
		}
	}
	r.fn = r.read
	return r
}

func (r *floorReader) read(fd uintptr) bool {
	for i := range r.hdrs {
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].Hdr.SetControllen(r.ctrl)
	}
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN {
		return false
	}
	r.n, r.errno = int(n), e
	return true
}

func (r *floorReader) readBatch() (int, error) {
	if err := r.rc.Read(r.fn); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, r.errno
	}
	return r.n, nil
}

func batchBufs() [][]byte {
	bufs := make([][]byte, benchBatch)
	for i := range bufs {
		bufs[i] = make([]byte, 2048)
	}
	return bufs
}

type controller interface{ Control(func(uintptr)) error }

func plainOpen(b *testing.B, mk func(uc *net.UDPConn) func(n int) error) (controller, func(int) error, func()) {
	uc := plainReceiver(b)
	rc, _ := uc.SyscallConn()
	drain := mk(uc)
	return rc, func(n int) error {
		// A deadline so a lost datagram fails the run instead of hanging it.
		_ = uc.SetReadDeadline(time.Now().Add(5 * time.Minute))
		return drain(n)
	}, func() { uc.Close() }
}

func BenchmarkRecvDrain(b *testing.B) {
	for _, fl := range []struct {
		name string
		ts   bool
	}{{"floor-recvmmsg", false}, {"floor-recvmmsg-timestamps", true}} {
		b.Run(fl.name, func(b *testing.B) {
			drainBench(b, func(b *testing.B) (controller, func(int) error, func()) {
				return plainOpen(b, func(uc *net.UDPConn) func(int) error {
					ctrl := 0
					if fl.ts {
						// The kernel work of timestamps without their use:
						// SO_TIMESTAMPNS on, control space offered, nothing parsed.
						rc, _ := uc.SyscallConn()
						_ = rc.Control(func(fd uintptr) {
							if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
								b.Fatal(err)
							}
						})
						ctrl = 128
					}
					r := newFloorReader(uc, batchBufs(), ctrl)
					return func(n int) error {
						for got := 0; got < n; {
							k, err := r.readBatch()
							if err != nil {
								return err
							}
							got += k
						}
						return nil
					}
				})
			})
		})
	}
	for _, tc := range []struct {
		name string
		ts   socketstats.TimestampMode
	}{{"socketstats", socketstats.TimestampsOff}, {"socketstats-timestamps", socketstats.TimestampsNS}} {
		b.Run(tc.name, func(b *testing.B) {
			drainBench(b, func(b *testing.B) (controller, func(int) error, func()) {
				c, err := socketstats.Open(socketstats.Config{Interface: "lo", Port: uint16(benchPort),
					Groups:        []socketstats.Group{{Addr: benchGroup}},
					ReceiveBuffer: benchRcvbuf, Timestamps: tc.ts, MaxBatch: benchBatch})
				if err != nil {
					b.Fatal(err)
				}
				if err := c.RegisterMetrics(nil); err != nil {
					b.Fatal(err)
				}
				rc, _ := c.UDPConn().SyscallConn()
				msgs := make([]socketstats.Message, benchBatch)
				for i, buf := range batchBufs() {
					msgs[i].Buf = buf
				}
				ctx, cancel := context.WithCancel(context.Background())
				return rc, func(n int) error {
						_ = c.SetReadDeadline(time.Now().Add(5 * time.Minute))
						for got := 0; got < n; {
							k, err := c.ReadBatch(ctx, msgs)
							if err != nil {
								return err
							}
							got += k
						}
						if st := c.Stats(); st.Packets != uint64(n) || st.Drops != 0 || st.Batches == 0 || !st.BufferKnown {
							b.Errorf("stats after the drain: %+v", st)
						}
						return nil
					}, func() {
						cancel()
						c.Close()
					}
			})
		})
	}
	b.Run("xnet-ipv4-ReadBatch", func(b *testing.B) {
		drainBench(b, func(b *testing.B) (controller, func(int) error, func()) {
			return plainOpen(b, func(uc *net.UDPConn) func(int) error {
				pc := ipv4.NewPacketConn(uc)
				msgs := make([]ipv4.Message, benchBatch)
				for i, buf := range batchBufs() {
					msgs[i].Buffers = [][]byte{buf}
				}
				return func(n int) error {
					for got := 0; got < n; {
						k, err := pc.ReadBatch(msgs, 0)
						if err != nil {
							return err
						}
						got += k
					}
					return nil
				}
			})
		})
	})
	b.Run("net-ReadFromUDP", func(b *testing.B) {
		drainBench(b, func(b *testing.B) (controller, func(int) error, func()) {
			return plainOpen(b, func(uc *net.UDPConn) func(int) error {
				buf := make([]byte, 2048)
				return func(n int) error {
					for range n {
						if _, _, err := uc.ReadFromUDP(buf); err != nil {
							return err
						}
					}
					return nil
				}
			})
		})
	})
}
