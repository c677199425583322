package nic

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/nl"
)

func openHost(t testing.TB) *Client {
	t.Helper()
	c, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLinksZeroAllocs(t *testing.T) {
	c := openHost(t)
	ctx := context.Background()
	links, err := c.Links(ctx, nil)
	if err != nil || len(links) == 0 {
		t.Fatalf("%d links, %v", len(links), err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if links, err = c.Links(ctx, links); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Links: %v allocs per dump, want 0", allocs)
	}
	// With a deadline the dump still allocates nothing of its own beyond
	// the context machinery.
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := c.Links(dctx, links); err != nil {
		t.Fatal(err)
	}
}

func TestLinksCancelled(t *testing.T) {
	c := openHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Links(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// The Client still works afterwards.
	if _, err := c.Links(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestStatsReadZeroAllocs(t *testing.T) {
	c := openHost(t)
	s, err := c.OpenStats("ifb0")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, errors.ErrUnsupported) {
			s, err = c.OpenStats("eth0")
		}
		if err != nil {
			t.Skipf("no device with driver statistics: %v", err)
		}
	}
	defer s.Close()
	vals, err := s.Read(nil)
	if err != nil || len(vals) != s.Len() {
		t.Fatalf("%d values, %v", len(vals), err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if vals, err = s.Read(vals); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Stats.Read: %v allocs, want 0", allocs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(vals); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}

func TestEthtoolErrors(t *testing.T) {
	c := openHost(t)
	for _, dev := range []string{"nosuchdev0", "", "a-name-longer-than-ifnamsiz", "nul\x00"} {
		if _, err := c.DriverInfo(dev); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("DriverInfo(%q): %v, want os.ErrNotExist", dev, err)
		}
		if _, err := c.OpenStats(dev); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenStats(%q): %v, want os.ErrNotExist", dev, err)
		}
	}
	// lo has no ethtool operations; each fails alone with ErrUnsupported.
	if _, err := c.DriverInfo("lo"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("lo DriverInfo: %v", err)
	}
	if _, err := c.OpenStats("lo"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("lo OpenStats: %v", err)
	}
	if _, err := c.Links(context.Background(), nil); err != nil {
		t.Errorf("Links after failed ioctls: %v", err)
	}
}

func TestOpenMissingNamespace(t *testing.T) {
	if _, err := Open(Config{NetNS: "/var/run/netns/packetpath-does-not-exist"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing namespace: %v", err)
	}
}

func TestClosedClient(t *testing.T) {
	c, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Links(context.Background(), nil); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Links after Close: %v", err)
	}
	if _, err := c.DriverInfo("eth0"); !errors.Is(err, os.ErrClosed) {
		t.Errorf("DriverInfo after Close: %v", err)
	}
}

func BenchmarkLinks(b *testing.B) {
	c := openHost(b)
	ctx := context.Background()
	links, _ := c.Links(ctx, nil)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if links, err = c.Links(ctx, links); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatsRead(b *testing.B) {
	c := openHost(b)
	s, err := c.OpenStats("eth0")
	if err != nil {
		b.Skip(err)
	}
	vals, _ := s.Read(nil)
	b.ReportAllocs()
	for b.Loop() {
		if vals, err = s.Read(vals); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLinksCancelDuringDump cancels contexts at random points of many dumps;
// afterwards the Client must still work with a background context.
func TestLinksCancelDuringDump(t *testing.T) {
	c := openHost(t)
	for range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		go cancel()
		_, err := c.Links(ctx, nil)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled dump: %v", err)
		}
	}
	if _, err := c.Links(context.Background(), nil); err != nil {
		t.Fatalf("after cancellations: %v", err)
	}
}

// TestLinksDrainOfFinishedDump: a dump left after its first message is
// read out by the next call without blocking for long.
func TestLinksDrainOfFinishedDump(t *testing.T) {
	c := openHost(t)
	_ = c.nl.Dump(context.Background(), nl.Request{Type: unix.RTM_GETLINK, Body: c.req[:]}, func(netlink.Message) error {
		return errors.New("stop")
	})
	start := time.Now()
	links, err := c.Links(context.Background(), nil)
	if err != nil || len(links) == 0 {
		t.Fatalf("%d links, %v", len(links), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	// The drain's deadline is gone: a later dump is not cut short.
	if _, err := c.Links(context.Background(), links); err != nil {
		t.Fatal(err)
	}
}
