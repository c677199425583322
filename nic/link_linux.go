//go:build linux

package nic

import (
	"context"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/nl"
)

// Links dumps every link of the Client's namespace with one RTM_GETLINK
// request (NLM_F_DUMP) and returns them in dst[:0], reusing its elements
// and their names: in steady state it allocates nothing. The dump runs on
// internal/nl: the context's deadline or cancellation ends it, a dump the
// kernel flags NLM_F_DUMP_INTR (a device changed meanwhile) or that lost a
// datagram (MSG_TRUNC, ENOBUFS) restarts (bounded; after the last attempt
// the error wraps nl.ErrDumpInterrupted), and a dump left unfinished is read
// out before the next one. Errors are *netlink.OpError: errors.Is finds
// the errno, context.DeadlineExceeded, or nl.ErrClosed (net.ErrClosed and os.ErrClosed) after Close.
func (c *Client) Links(ctx context.Context, dst []Link) ([]Link, error) {
	if c.nl.Closed() {
		return dst[:0], fmt.Errorf("nic: links: %w", nl.ErrClosed)
	}
	c.links = dst[:0]
	err := c.nl.Dump(ctx, nl.Request{Type: unix.RTM_GETLINK, Body: c.req[:], Reset: c.resetFn}, c.linkFn)
	dst, c.links = c.links, nil
	if err != nil {
		return dst, fmt.Errorf("nic: RTM_GETLINK dump: %w", markMalformed(err))
	}
	return dst, nil
}

func (c *Client) resetLinks() { c.links = c.links[:0] }

func (c *Client) onLink(m netlink.Message) error {
	var err error
	c.links, err = appendLink(c.links, m)
	return err
}
