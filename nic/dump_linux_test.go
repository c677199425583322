package nic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/internal/nl"
)

// TestLinksMultiChunkAndAbandonedDump uses a namespace with 121 links, so
// the dump spans several reads, and checks that a dump abandoned after its
// first read does not break the next one (the kernel answers EBUSY to a new
// dump while one is unread).
func TestLinksMultiChunkAndAbandonedDump(t *testing.T) {
	ns := netnstest.New(t)
	var batch strings.Builder
	for i := range 60 {
		fmt.Fprintf(&batch, "link add ppa%d type veth peer name ppb%d\n", i, i)
	}
	cmd := ns.Cmd("ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(batch.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ip -batch: %v: %s", err, out)
	}
	c, err := Open(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	links, err := c.Links(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 121 {
		t.Fatalf("%d links, want 121", len(links))
	}
	// Start a dump and leave it after its first message.
	stop := errors.New("stop")
	n := 0
	err = c.nl.Dump(context.Background(), nl.Request{Type: unix.RTM_GETLINK, Body: c.req[:]}, func(netlink.Message) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("abandoned dump: %d messages, %v", n, err)
	}
	links, err = c.Links(context.Background(), links)
	if err != nil || len(links) != 121 {
		t.Fatalf("after abandoned dump: %d links, %v", len(links), err)
	}
	// Steady state with many links: no allocation.
	allocs := testing.AllocsPerRun(20, func() {
		if links, err = c.Links(context.Background(), links); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per 121-link dump", allocs)
	}
}
