//go:build linux

package qdisc

import (
	"context"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// RawDumpForTest returns the raw messages of one RTM_GETQDISC (class false)
// or RTM_GETTCLASS dump, each with a rebuilt struct nlmsghdr and ending with
// NLMSG_DONE, for capturing testdata.
func RawDumpForTest(ctx context.Context, c *Conn, class bool, ifindex int) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	typ := uint16(unix.RTM_GETQDISC)
	if class {
		typ = unix.RTM_GETTCLASS
	}
	var out []byte
	err := c.dump(ctx, typ, int32(ifindex), func(m netlink.Message) error {
		out = append(out, nlmsg(uint16(m.Header.Type), m.Data)...)
		return nil
	}, func() { out = out[:0] })
	if err != nil {
		return nil, err
	}
	return append(out, nlmsg(nlmsgDone, u32s(0))...), nil
}
