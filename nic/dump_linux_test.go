package nic

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
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
	c, err := Open(Options{NetNS: ns.Path})
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
	// Start a dump by hand and read only its first chunk.
	c.seq++
	r := c.req[:]
	clear(r)
	binary.NativeEndian.PutUint32(r[0:], uint32(len(r)))
	binary.NativeEndian.PutUint16(r[4:], rtmGetLink)
	binary.NativeEndian.PutUint16(r[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(r[8:], c.seq)
	if err := c.send(r); err != nil {
		t.Fatal(err)
	}
	if err := c.recv(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	first, ch, err := decodeLinkDump(c.nlbuf[:c.rdN], c.seq, nil)
	if err != nil || ch.done || len(first) == 0 || len(first) == 121 {
		t.Fatalf("first chunk: %d links, done %v, %v (want a partial dump)", len(first), ch.done, err)
	}
	c.pending, c.pendingSeq = true, c.seq
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
