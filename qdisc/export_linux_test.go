//go:build linux

package qdisc

import (
	"context"

	"golang.org/x/sys/unix"
)

// RawDumpForTest returns the raw messages of one RTM_GETQDISC (class false)
// or RTM_GETTCLASS dump, each with a rebuilt struct nlmsghdr and ending with
// NLMSG_DONE, for capturing testdata.
func RawDumpForTest(ctx context.Context, c *Conn, class bool, ifindex int) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.arm(ctx); err != nil {
		return nil, err
	}
	typ := uint16(unix.RTM_GETQDISC)
	if class {
		typ = unix.RTM_GETTCLASS
	}
	if err := c.startDump(ctx, typ, int32(ifindex)); err != nil {
		return nil, err
	}
	var out []byte
	for {
		t, payload, done, err := c.nextMsg(ctx)
		if err != nil {
			return nil, err
		}
		if done {
			return append(out, nlmsg(nlmsgDone, u32s(0))...), nil
		}
		out = append(out, nlmsg(t, payload)...)
	}
}
