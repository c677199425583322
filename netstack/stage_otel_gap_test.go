package netstack

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// writeSNMP writes root/net/snmp: the rx-bundle fixture's, with Udp
// InErrors and RcvbufErrors set to rcvbuf (a full socket buffer counts in
// both), or a file no parser accepts when rcvbuf is negative.
func writeSNMP(t *testing.T, root string, rcvbuf int) {
	t.Helper()
	b, err := os.ReadFile("testdata/bundle-rx/frame-000/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if rcvbuf < 0 {
		out = "Udp: InDatagrams NoPorts\nUdp: 1\n"
	} else {
		lines := strings.Split(out, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "Udp: ") && i > 0 && strings.HasPrefix(lines[i-1], "Udp: InDatagrams") {
				f := strings.Fields(l)
				f[3], f[5] = strconv.Itoa(rcvbuf), strconv.Itoa(rcvbuf)
				lines[i] = strings.Join(f, " ")
			}
		}
		out = strings.Join(lines, "\n")
	}
	if err := os.MkdirAll(filepath.Join(root, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Written in place (same inode): the collector may keep the file open.
	f, err := os.OpenFile(filepath.Join(root, "net", "snmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(out); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestStageDropsAcrossFailedCollection: /proc/net/snmp cannot be parsed
// for one collection while the socket stage keeps dropping. The counters
// are missing from that snapshot and New in the next; the exported
// packetpath.stage.drops{rx-socket} must still reach the kernel's
// Udp.RcvbufErrors delta over the whole span (taken against the last good
// value), not only the intervals on either side of the gap.
func TestStageDropsAcrossFailedCollection(t *testing.T) {
	root := t.TempDir()
	writeSNMP(t, root, 100)
	c, err := NewCollector(Config{ProcRoot: root, Sources: SourceSNMP})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, MaxSockets: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	ctx := context.Background()
	// RcvbufErrors at each collection; -1: the file does not parse.
	steps := []struct {
		rcvbuf int
		want   int64 // stage drops since the first collection
	}{{100, 0}, {150, 50}, {-1, 50}, {400, 300}, {-1, 300}, {-1, 300}, {450, 350}, {470, 370}}
	for i, s := range steps {
		writeSNMP(t, root, s.rcvbuf)
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		up, _ := findMetric(&rm, MetricSourceUp)
		v, _ := point(t, up, AttrSource.String("snmp"))
		if (v == 0) != (s.rcvbuf < 0) {
			t.Errorf("step %d: source up %d with RcvbufErrors %d", i, v, s.rcvbuf)
		}
		if got := stageDrops(t, &rm, StageSocket); got != s.want {
			t.Errorf("step %d (RcvbufErrors %d): rx-socket drops %d, want %d (the kernel's delta since the first collection)", i, s.rcvbuf, got, s.want)
		}
	}
}

// TestCarryCountersAllocs: keeping the counters of a failing source
// between collections allocates nothing once its buffers have grown, and
// keeps exactly the counters the failed source left out.
func TestCarryCountersAllocs(t *testing.T) {
	var prev, cur Snapshot
	for cpu := range int64(4) {
		prev.next().set(SourceSoftnet, StageSoftirq, 32, false, cpu, 10, 0, "", "dropped", "")
		cur.next().set(SourceSoftnet, StageSoftirq, 32, false, cpu, 12, 0, "", "dropped", "")
	}
	prev.next().set(SourceSNMP, StageUDP, 64, false, -1, 100, 0, "", "Udp.RcvbufErrors", "")
	prev.next().set(SourceEthtool, StageNIC, 64, false, 3, 7, 2, "eth1", "rx_missed", "")
	prev.next().set(SourceLinks, StageNIC, 64, false, -1, 7, 5, "gone0", "rx_dropped", "")
	cur.addErr(SourceSNMP, "", os.ErrNotExist)
	cur.addErr(SourceEthtool, "eth1", os.ErrPermission)
	var st otelState
	st.carryCounters(&prev, &cur)
	if len(st.carry) != 2 || st.carry[0].Name != "Udp.RcvbufErrors" || st.carry[1].Name != "rx_missed" {
		t.Fatalf("carried %+v, want Udp.RcvbufErrors and eth1's rx_missed", st.carry)
	}
	if a := testing.AllocsPerRun(100, func() { st.carryCounters(&prev, &cur) }); a != 0 {
		t.Errorf("carryCounters: %.1f allocs, want 0", a)
	}
}
