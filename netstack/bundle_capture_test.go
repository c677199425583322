package netstack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBundleCaptureCarriesProcNetDev: a frame captured live, where the
// link counters come from rtnetlink, still holds proc/net/dev, so that an
// older packetpath or plain tools read the devices. Opened again, the
// counters come from rtnetlink (the recorded RTM_GETLINK dump) and say so,
// while the file is in the typed data; with the netlink dumps removed, as a
// user copying only /proc would have it, the same devices come from
// proc/net/dev.
func TestBundleCaptureCarriesProcNetDev(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	live, err := NewCollector(Config{Sources: SourceLinks})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.WriteBundle(context.Background(), dir, CaptureOptions{Frames: 2, Interval: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for _, fr := range []string{"frame-000", "frame-001"} {
		if _, err := os.Stat(filepath.Join(dir, fr, "proc", "net", "dev")); err != nil {
			t.Fatalf("%s lacks proc/net/dev: %v", fr, err)
		}
	}
	read := func() *Snapshot {
		c, err := NewCollector(Config{Bundle: dir, Sources: SourceLinks})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := new(Snapshot)
		if err := c.Collect(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		for _, e := range s.Errors {
			t.Errorf("%v", e)
		}
		return s
	}
	s := read()
	if len(s.Sources.Links) == 0 || len(s.Sources.NetDev.Devices) != len(s.Sources.Links) {
		t.Fatalf("%d links from the RTM_GETLINK dump, %d devices in proc/net/dev", len(s.Sources.Links), len(s.Sources.NetDev.Devices))
	}
	for _, c := range s.Counters {
		if c.Label == ProcNetDevLabel {
			t.Errorf("%s %s read from /proc/net/dev although rtnetlink had it", c.Object, c.Name)
		}
	}
	for _, fr := range []string{"frame-000", "frame-001"} {
		os.RemoveAll(filepath.Join(dir, fr, "netlink"))
		os.RemoveAll(filepath.Join(dir, fr, "sys"))
	}
	p := read()
	for _, d := range s.Sources.Links {
		m := linkCounters(p, d.Name)
		if len(m) != 16 || m["rx_packets"].Label != ProcNetDevLabel {
			t.Errorf("%s: %d counters from proc/net/dev, want 16", d.Name, len(m))
		}
		// The file was read just after the dump: the packet counts of the
		// same frame can only have grown.
		if m["rx_packets"].Value < d.Stats.RxPackets || m["tx_packets"].Value < d.Stats.TxPackets {
			t.Errorf("%s: proc/net/dev rx %d tx %d below rtnetlink's %d %d", d.Name, m["rx_packets"].Value, m["tx_packets"].Value, d.Stats.RxPackets, d.Stats.TxPackets)
		}
	}
	t.Logf("%d devices from the RTM_GETLINK dump, then from proc/net/dev alone", len(s.Sources.Links))
}
