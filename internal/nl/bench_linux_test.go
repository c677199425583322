package nl

import (
	"context"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// BenchmarkLinkDump compares one RTM_GETLINK dump of the caller's
// namespace through Conn.Dump with the same dump through
// github.com/mdlayher/netlink's Conn.Execute (Send + Receive), the reason
// nl keeps its own read loop: Receive allocates the messages and a buffer
// per call, Dump nothing.
func BenchmarkLinkDump(b *testing.B) {
	body := make([]byte, 16)
	b.Run("nl.Dump", func(b *testing.B) {
		c, err := Dial(unix.NETLINK_ROUTE, 0)
		if err != nil {
			b.Skip(err)
		}
		defer c.Close()
		n := 0
		fn := func(netlink.Message) error { n++; return nil }
		req := Request{Type: unix.RTM_GETLINK, Body: body}
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Dump(context.Background(), req, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mdlayher-Execute", func(b *testing.B) {
		c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
		if err != nil {
			b.Skip(err)
		}
		defer c.Close()
		m := netlink.Message{Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request | netlink.Dump}, Data: body}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Execute(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
