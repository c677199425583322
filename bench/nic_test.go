package bench

// Comparisons of package nic with github.com/safchain/ethtool and with
// reading /sys/class/net/*/statistics/*, in one run:
//
//	go test -run '^$' -bench 'NIC' -benchmem -count 6 .
//
//   - NICStats: one device's driver statistics (`ethtool -S eth0`).
//     packetpath re-reads values into a reused slice (names read once, at
//     OpenStats: GSSET_INFO + GSTATS per read); safchain.Stats does
//     GDRVINFO + GSTRINGS + GSTATS and builds a map every call;
//     safchain.StatsWithBuffer is the same with caller buffers.
//   - NICDriverInfo: `ethtool -i eth0`.
//   - NICLinkCounters: the 24 link counters of every device: packetpath
//     rtnetlink (one RTM_GETLINK dump with IFLA_STATS64) against sysfs
//     statistics/* read with os.ReadFile per file (what a plain sysfs
//     reader does), through packetpath's SysFS.Stats (open/read/close per
//     file) and through LinkStatsReader (descriptors kept open, re-read).
//
// They need root only for nothing: all of this is readable by any user on
// Linux, but eth0 must exist (a virtio_net device on the project's VM).

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safchain/ethtool"

	"github.com/packetpath/packetpath/nic"
)

const nicBenchDev = "eth0"

func nicClient(tb testing.TB) *nic.Client {
	tb.Helper()
	if _, err := os.Stat("/sys/class/net/" + nicBenchDev); err != nil {
		tb.Skipf("no %s: %v", nicBenchDev, err)
	}
	c, err := nic.Open(nic.Config{})
	if err != nil {
		tb.Skip(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func safchainClient(tb testing.TB) *ethtool.Ethtool {
	tb.Helper()
	e, err := ethtool.NewEthtool()
	if err != nil {
		tb.Skip(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// TestNICAgreesWithSafchain is the bench module's quick sanity check: both
// libraries see the same statistic names and the same driver.
func TestNICAgreesWithSafchain(t *testing.T) {
	c := nicClient(t)
	e := safchainClient(t)
	s, err := c.OpenStats(nicBenchDev)
	if err != nil {
		t.Skip(err)
	}
	defer s.Close()
	m, err := e.Stats(nicBenchDev)
	if err != nil {
		t.Skip(err)
	}
	for _, n := range s.Names() {
		if _, ok := m[n]; !ok {
			t.Errorf("safchain lacks %q", n)
		}
	}
	info, err := c.DriverInfo(nicBenchDev)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := e.DriverName(nicBenchDev); err != nil || d != info.Driver {
		t.Errorf("driver %q vs safchain %q (%v)", info.Driver, d, err)
	}
}

func BenchmarkNICStats(b *testing.B) {
	b.Run("packetpath-reread", func(b *testing.B) {
		c := nicClient(b)
		s, err := c.OpenStats(nicBenchDev)
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
	})
	b.Run("safchain-Stats", func(b *testing.B) {
		e := safchainClient(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Stats(nicBenchDev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("safchain-StatsWithBuffer", func(b *testing.B) {
		e := safchainClient(b)
		gs, st := new(ethtool.EthtoolGStrings), new(ethtool.EthtoolStats)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.StatsWithBuffer(nicBenchDev, gs, st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkNICDriverInfo(b *testing.B) {
	b.Run("packetpath", func(b *testing.B) {
		c := nicClient(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.DriverInfo(nicBenchDev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("safchain", func(b *testing.B) {
		e := safchainClient(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.DriverInfo(nicBenchDev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// sysfsStatistics reads every statistics/* file of every device with
// os.ReadFile, as a plain sysfs reader does.
func sysfsStatistics(devs []string, dst map[string]uint64) error {
	for _, d := range devs {
		dir := "/sys/class/net/" + d + "/statistics"
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
			if err != nil {
				return err
			}
			dst[d+"/"+e.Name()] = v
		}
	}
	return nil
}

func BenchmarkNICLinkCounters(b *testing.B) {
	devs, err := nic.NewSysFS("/sys").DeviceNames()
	if err != nil || len(devs) == 0 {
		b.Skip("no /sys/class/net")
	}
	b.Logf("%d devices: %s", len(devs), strings.Join(devs, " "))
	b.Run("rtnetlink-packetpath", func(b *testing.B) {
		c := nicClient(b)
		ctx := context.Background()
		links, _ := c.Links(ctx, nil)
		b.ReportAllocs()
		for b.Loop() {
			if links, err = c.Links(ctx, links); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sysfs-readfile", func(b *testing.B) {
		m := make(map[string]uint64)
		b.ReportAllocs()
		for b.Loop() {
			if err := sysfsStatistics(devs, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sysfs-packetpath-reread", func(b *testing.B) {
		var rs []*nic.LinkStatsReader
		for _, d := range devs {
			r, err := nic.NewSysFS("/sys").OpenLinkStats(d)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			rs = append(rs, r)
		}
		var st nic.LinkStats
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range rs {
				if err := r.Read(&st); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("sysfs-packetpath", func(b *testing.B) {
		s := nic.NewSysFS("/sys")
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range devs {
				if _, err := s.Stats(d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkNICInterleaved alternates the competitors inside every
// iteration and times each call separately, so that load from other jobs
// on a shared machine hits both alike: the reported ratios are the robust
// figures (x-ns/op are per-call means; ns/op is the pair).
func BenchmarkNICInterleaved(b *testing.B) {
	b.Run("Stats", func(b *testing.B) {
		c := nicClient(b)
		e := safchainClient(b)
		s, err := c.OpenStats(nicBenchDev)
		if err != nil {
			b.Skip(err)
		}
		vals, _ := s.Read(nil)
		var ours, theirs time.Duration
		for b.Loop() {
			t0 := time.Now()
			if vals, err = s.Read(vals); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := e.Stats(nicBenchDev); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			ours += t1.Sub(t0)
			theirs += t2.Sub(t1)
		}
		b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "packetpath-ns/op")
		b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "safchain-ns/op")
		b.ReportMetric(float64(theirs)/float64(ours), "safchain/packetpath")
	})
	b.Run("LinkCounters", func(b *testing.B) {
		c := nicClient(b)
		devs, err := nic.NewSysFS("/sys").DeviceNames()
		if err != nil {
			b.Skip(err)
		}
		ctx := context.Background()
		links, _ := c.Links(ctx, nil)
		m := make(map[string]uint64)
		var ours, theirs time.Duration
		for b.Loop() {
			t0 := time.Now()
			if links, err = c.Links(ctx, links); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := sysfsStatistics(devs, m); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			ours += t1.Sub(t0)
			theirs += t2.Sub(t1)
		}
		b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "rtnetlink-ns/op")
		b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "sysfs-ns/op")
		b.ReportMetric(float64(theirs)/float64(ours), "sysfs/rtnetlink")
	})
}
