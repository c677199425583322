//go:build linux

package qdisc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/qdisc"
)

// smallTree builds a namespace with an htb tree, an mq and a pfifo.
func smallTree(t *testing.T) *netnstest.NS {
	t.Helper()
	netnstest.RequireTool(t, "tc")
	ns := netnstest.New(t, netnstest.WithVeth("va0", "va1", "", ""), netnstest.WithVeth("vb0", "vb1", "", ""))
	ns.Run("tc", "qdisc", "add", "dev", "va0", "root", "handle", "1:", "htb", "default", "10")
	ns.Run("tc", "class", "add", "dev", "va0", "parent", "1:", "classid", "1:1", "htb", "rate", "10mbit")
	ns.Run("tc", "class", "add", "dev", "va0", "parent", "1:1", "classid", "1:10", "htb", "rate", "5mbit")
	ns.Run("tc", "qdisc", "add", "dev", "va0", "parent", "1:10", "handle", "10:", "pfifo", "limit", "50")
	ns.Run("tc", "qdisc", "add", "dev", "vb0", "root", "handle", "1:", "pfifo", "limit", "100")
	return ns
}

func TestConnSteadyStateAllocatesNothing(t *testing.T) {
	ns := smallTree(t)
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
	if len(qs) < 5 {
		t.Fatalf("%d qdiscs", len(qs))
	}
	var va0 int
	for _, q := range qs {
		if q.Device == "" {
			t.Errorf("unnamed qdisc %+v", q)
		}
		if q.Device == "va0" {
			va0 = q.Ifindex
		}
	}
	cs, err := c.Classes(ctx, va0, nil)
	if err != nil || len(cs) != 2 {
		t.Fatalf("classes: %d %v", len(cs), err)
	}
	all, err := c.AllClasses(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("AllClasses: %d", len(all))
	}
	only, err := c.QdiscsOf(ctx, va0, nil)
	if err != nil || len(only) != 2 {
		t.Errorf("QdiscsOf: %d %v", len(only), err)
	}
	for name, fn := range map[string]func(){
		"Qdiscs":     func() { qs, err = c.Qdiscs(ctx, qs) },
		"QdiscsOf":   func() { only, err = c.QdiscsOf(ctx, va0, only) },
		"Classes":    func() { cs, err = c.Classes(ctx, va0, cs) },
		"AllClasses": func() { all, err = c.AllClasses(ctx, all) },
	} {
		fn()
		if a := testing.AllocsPerRun(50, fn); a != 0 || err != nil {
			t.Errorf("%s: %v allocs per call (err %v)", name, a, err)
		}
	}
}

func TestConnErrors(t *testing.T) {
	if _, err := qdisc.Open(qdisc.Config{NetNS: "/var/run/netns/does-not-exist-qdisc"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing namespace: %v", err)
	}
	ns := smallTree(t)
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Classes(context.Background(), 99999, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("classes of a missing device: %v", err)
	}
	if _, err := c.QdiscsOf(context.Background(), 0, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("QdiscsOf(0): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Qdiscs(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// A past deadline abandons the dump; the next call drains it and works.
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, _ = c.Qdiscs(dctx, nil)
	if qs, err := c.Qdiscs(context.Background(), nil); err != nil || len(qs) < 5 {
		t.Errorf("after an abandoned dump: %d %v", len(qs), err)
	}
}

// TestDevicesComingAndGoing adds and removes devices while dumping: no dump
// may fail and every returned qdisc must carry its device name.
func TestDevicesComingAndGoing(t *testing.T) {
	ns := smallTree(t)
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load() && i < 40; i++ {
			name := fmt.Sprintf("churn%d", i%4)
			_ = ns.Cmd("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").Run()
			_ = ns.Cmd("ip", "link", "set", name, "up").Run()
			_ = ns.Cmd("tc", "qdisc", "add", "dev", name, "root", "pfifo").Run()
			_ = ns.Cmd("ip", "link", "del", name).Run()
		}
	}()
	var qs []qdisc.Qdisc
	var cs []qdisc.Class
	dumps, vanished := 0, 0
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		qs, err = c.Qdiscs(context.Background(), qs)
		if err != nil {
			t.Fatalf("dump %d: %v", dumps, err)
		}
		vanished += c.LastDump().Vanished
		for _, q := range qs {
			if q.Device == "" {
				t.Fatalf("qdisc without device name: %+v", q)
			}
		}
		if cs, err = c.AllClasses(context.Background(), cs); err != nil {
			t.Fatalf("AllClasses: %v", err)
		}
		dumps++
		if dumps > 20 && stopAfterChurn(&wg) {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d dumps during churn, %d qdiscs of vanished devices skipped", dumps, vanished)
}

func stopAfterChurn(wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(time.Millisecond):
		return false
	}
}

func TestRefreshDevicesAfterRename(t *testing.T) {
	ns := smallTree(t)
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Qdiscs(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ns.Run("ip", "link", "set", "vb0", "down")
	ns.Run("ip", "link", "set", "vb0", "name", "vb0renamed")
	if err := c.RefreshDevices(ctx); err != nil {
		t.Fatal(err)
	}
	qs, err := c.Qdiscs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range qs {
		if q.Device == "vb0" {
			t.Errorf("stale name: %+v", q)
		}
		found = found || (q.Device == "vb0renamed" && q.Kind == "pfifo")
	}
	if !found {
		t.Errorf("renamed device's pfifo not found in %+v", qs)
	}
}
