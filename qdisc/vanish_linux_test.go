//go:build linux

package qdisc

import (
	"context"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// A qdisc message whose device is gone by the time names are resolved is
// dropped and counted, not reported as an error.
func TestResolveDropsVanishedDevices(t *testing.T) {
	ns := netnstest.New(t)
	c, err := Open(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.begin(ctx); err != nil {
		t.Fatal(err)
	}
	dst := []Qdisc{{Ifindex: 1, Kind: "noqueue"}, {Ifindex: 4242, Kind: "pfifo"}, {Ifindex: 1, Kind: "ingress"}}
	c.info = DumpInfo{}
	dst = c.resolveQdiscNames(ctx, dst)
	if len(dst) != 2 || dst[0].Device != "lo" || dst[1].Device != "lo" || dst[1].Kind != "ingress" || c.info.Vanished != 1 {
		t.Fatalf("got %+v, vanished %d", dst, c.info.Vanished)
	}
}
