package socketstats

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkFinish times the user-space accounting of one 64-datagram batch
// (no syscalls): what the instrumented socket adds per packet on top of
// recvmmsg.
func BenchmarkFinish(b *testing.B) {
	for _, mode := range []TimestampMode{TimestampsOff, TimestampsNS} {
		b.Run(map[TimestampMode]string{TimestampsOff: "no-timestamps", TimestampsNS: "timestamps"}[mode], func(b *testing.B) {
			const batch, space = 64, DefaultControlSpace
			c := &Conn{tsMode: mode, ctrlSpace: space, hdrs: make([]unix.Mmsghdr, batch),
				names: make([]unix.RawSockaddrInet6, batch), ctrl: make([]byte, batch*space)}
			ts := timespecCmsg(unix.SO_TIMESTAMPNS, time.Now().Unix(), 0, 1)
			for i := range c.hdrs {
				c.hdrs[i].Len = 64
				c.names[i].Family = unix.AF_INET
				if mode != TimestampsOff {
					copy(c.ctrl[i*space:], ts)
					c.hdrs[i].Hdr.SetControllen(len(ts))
				}
				c.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
			}
			msgs := newMessages(batch, 2048)
			c.n, c.now = batch, time.Now().UnixNano()
			b.ReportAllocs()
			for b.Loop() {
				c.finish(msgs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/pkt")
		})
	}
}
