package socketstats

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestClosedConn checks the closed-handle convention every packetpath
// handle follows: after Close, each method, Close included, returns an
// error wrapping net.ErrClosed.
func TestClosedConn(t *testing.T) {
	c, err := Open(Config{Bind: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var st Stats
	g := Group{Addr: netip.MustParseAddr("239.1.1.1")}
	for name, call := range map[string]func() error{
		"Close":           c.Close,
		"ReadBatch":       func() error { _, err := c.ReadBatch(context.Background(), make([]Message, 1)); return err },
		"Sample":          func() error { _, err := c.Sample(); return err },
		"SampleStats":     func() error { return c.SampleStats(&st) },
		"SetReadDeadline": func() error { return c.SetReadDeadline(time.Now()) },
		"Join":            func() error { return c.Join(g) },
		"Leave":           func() error { return c.Leave(g) },
		"RegisterMetrics": func() error { return c.RegisterMetrics(nil) },
	} {
		if err := call(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error wrapping net.ErrClosed", name, err)
		}
	}
}
