//go:build linux

package qdisc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/qdisc"
)

// devicesOf maps ifindex to the device names a dump reported.
func devicesOf(qs []qdisc.Qdisc) map[int]string {
	m := map[int]string{}
	for _, q := range qs {
		m[q.Ifindex] = q.Device
	}
	return m
}

// ifindexOf reads a device's ifindex in the namespace.
func ifindexOf(t *testing.T, ns *netnstest.NS, dev string) int {
	t.Helper()
	var idx int
	if _, err := fmt.Sscan(strings.TrimSpace(ns.Run("cat", "/sys/class/net/"+dev+"/ifindex")), &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestNamesFollowRename renames a device between dumps of one Conn: the
// next Qdiscs, Classes and AllClasses must name it by its new name (issue
// 20 item 6: the table used to keep the old name until RefreshDevices).
func TestNamesFollowRename(t *testing.T) {
	netnstest.RequireTool(t, "tc")
	ns := netnstest.New(t, netnstest.WithVeth("rn0", "rn1", "", ""))
	ns.Run("tc", "qdisc", "add", "dev", "rn0", "root", "handle", "1:", "htb", "default", "10")
	ns.Run("tc", "class", "add", "dev", "rn0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit")
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	idx := ifindexOf(t, ns, "rn0")
	qs, err := c.Qdiscs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := devicesOf(qs)[idx]; got != "rn0" {
		t.Fatalf("before the rename: ifindex %d named %q", idx, got)
	}
	ns.Run("ip", "link", "set", "rn0", "down")
	ns.Run("ip", "link", "set", "rn0", "name", "rx9")
	ns.Run("ip", "link", "set", "rx9", "up")
	if got := ifindexOf(t, ns, "rx9"); got != idx {
		t.Fatalf("rename changed the ifindex %d -> %d", idx, got)
	}
	qs, err = c.Qdiscs(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	if got := devicesOf(qs)[idx]; got != "rx9" {
		t.Errorf("Qdiscs after the rename: ifindex %d named %q, want rx9", idx, got)
	}
	ns.Run("ip", "link", "set", "rx9", "down")
	ns.Run("ip", "link", "set", "rx9", "name", "ry8")
	cls, err := c.Classes(ctx, idx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cls) == 0 || cls[0].Device != "ry8" {
		t.Errorf("Classes after the second rename: %+v, want device ry8", cls)
	}
	ns.Run("ip", "link", "set", "ry8", "name", "rz7")
	all, err := c.AllClasses(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cl := range all {
		if cl.Ifindex == idx {
			n++
			if cl.Device != "rz7" {
				t.Errorf("AllClasses after the third rename: class %v named %q, want rz7", cl.Handle, cl.Device)
			}
		}
	}
	if n == 0 {
		t.Errorf("AllClasses found no class of ifindex %d", idx)
	}
}

// TestNamesFollowIfindexReuse deletes a device and creates another under
// the same ifindex (ip link add ... index N): the dump must name the new
// device.
func TestNamesFollowIfindexReuse(t *testing.T) {
	ns := netnstest.New(t)
	// Up, so that the device has a qdisc the dump shows (a down device has
	// the built-in noop, which dumps leave out).
	ns.Run("ip", "link", "add", "ua0", "index", "77", "type", "veth", "peer", "name", "ua1")
	ns.Run("ip", "link", "set", "ua0", "up")
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	qs, err := c.Qdiscs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := devicesOf(qs)[77]; got != "ua0" {
		t.Fatalf("ifindex 77 named %q, want ua0", got)
	}
	ns.Run("ip", "link", "del", "ua0")
	ns.Run("ip", "link", "add", "ub0", "index", "77", "type", "veth", "peer", "name", "ub1")
	ns.Run("ip", "link", "set", "ub0", "up")
	qs, err = c.Qdiscs(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	if got := devicesOf(qs)[77]; got != "ub0" {
		t.Errorf("after re-creating ifindex 77: named %q, want ub0", got)
	}
	for _, q := range qs {
		if q.Device == "ua0" || q.Device == "ua1" {
			t.Errorf("deleted device still reported: %+v", q)
		}
	}
}

// TestQdiscDeadlineMidDump dumps a namespace with a few hundred qdiscs
// under deadlines that expire before, during and after the dump. Every
// failure must wrap context.DeadlineExceeded (issue 20 item 8: the read
// deadline set from the context used to surface as "i/o timeout" when the
// poller's timer fired before the context's), and the next dump without a
// deadline must return every qdisc.
func TestQdiscDeadlineMidDump(t *testing.T) {
	netnstest.RequireTool(t, "tc")
	ns := netnstest.New(t)
	const pairs = 150
	var batch strings.Builder
	for i := range pairs {
		fmt.Fprintf(&batch, "link add dl%d type veth peer name dm%d\n", i, i)
	}
	f, err := os.CreateTemp(t.TempDir(), "batch")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(batch.String())
	f.Close()
	ns.Run("ip", "-batch", f.Name())
	var tcb strings.Builder
	for i := range pairs {
		fmt.Fprintf(&tcb, "qdisc add dev dl%d root handle 1: htb default 1\n", i)
		fmt.Fprintf(&tcb, "qdisc add dev dl%d ingress\n", i)
	}
	if err := os.WriteFile(f.Name(), []byte(tcb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ns.Run("tc", "-batch", f.Name())
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	qs, err := c.Qdiscs(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	total := len(qs)
	if total < 2*pairs {
		t.Fatalf("%d qdiscs, want at least %d", total, 2*pairs)
	}
	start := time.Now()
	for range 5 {
		if qs, err = c.Qdiscs(context.Background(), qs); err != nil {
			t.Fatal(err)
		}
	}
	full := time.Since(start) / 5
	t.Logf("a dump of %d qdiscs takes %v", total, full)
	const rounds = 400
	failed := 0
	for i := range rounds {
		d := full * time.Duration(i%40) * 3 / 80
		ctx, cancel := context.WithTimeout(context.Background(), d)
		var err error
		if i%2 == 0 {
			qs, err = c.Qdiscs(ctx, qs)
		} else {
			_, err = c.AllClasses(ctx, nil)
		}
		cancel()
		if err != nil {
			failed++
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("round %d (deadline %v): %v does not wrap context.DeadlineExceeded", i, d, err)
			}
		}
		got, err := c.Qdiscs(context.Background(), qs)
		if err != nil || len(got) != total {
			t.Fatalf("round %d: dump after a deadline: %d qdiscs, %v; want %d", i, len(got), err, total)
		}
		qs = got
	}
	t.Logf("%d of %d dumps stopped by their deadline", failed, rounds)
	if failed == 0 {
		t.Errorf("no dump was stopped by its deadline")
	}
}
