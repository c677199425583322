package netstack

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// tcMQQdisc is the part of `tc -s -j qdisc show` the test compares.
type tcMQQdisc struct {
	Kind       string `json:"kind"`
	Handle     string `json:"handle"`
	Parent     string `json:"parent"`
	Root       bool   `json:"root"`
	Bytes      int64  `json:"bytes"`
	Packets    int64  `json:"packets"`
	Drops      int64  `json:"drops"`
	Overlimits int64  `json:"overlimits"`
	Requeues   int64  `json:"requeues"`
}

// TestMetricsMQChildren: the four default children of an mq root on a
// 4-queue veth all have handle 0:0; each has its own
// packetpath.qdisc.* series, told apart by packetpath.qdisc.parent,
// and each series equals what `tc -s -j qdisc show` reports for the child
// below that parent (bytes, packets, drops, overlimits, requeues).
func TestMetricsMQChildren(t *testing.T) {
	netnstest.RequireTool(t, "tc")
	a := netnstest.New(t)
	b := netnstest.New(t)
	a.Run("ip", "link", "add", "mq0", "numtxqueues", "4", "numrxqueues", "4", "type", "veth",
		"peer", "name", "mq1", "numtxqueues", "4", "numrxqueues", "4")
	a.Run("ip", "link", "set", "mq1", "netns", b.Name)
	// No IPv6 on mq0: no router or neighbour solicitations add packets
	// between the metrics and tc.
	a.Run("sysctl", "-q", "-w", "net.ipv6.conf.mq0.disable_ipv6=1")
	a.Run("ip", "addr", "add", "10.84.0.1/24", "dev", "mq0")
	a.Run("ip", "link", "set", "mq0", "up")
	b.Run("ip", "addr", "add", "10.84.0.2/24", "dev", "mq1")
	b.Run("ip", "link", "set", "mq1", "up")
	a.Run("tc", "qdisc", "add", "dev", "mq0", "root", "handle", "8001:", "mq")
	// A static neighbour: no ARP traffic either.
	a.Run("ip", "neigh", "replace", "10.84.0.2", "lladdr", "02:00:00:00:00:02", "dev", "mq0", "nud", "permanent")
	if err := a.Do(func() error {
		for p := range 32 {
			fd := udpSocket(t, [4]byte{}, 0, 0)
			sendN(t, fd, [4]byte{10, 84, 0, 2}, 9000+p, 10+p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)

	c, err := NewCollector(Config{NetNS: a.Path, Sources: SourceQdisc, Devices: []string{"mq0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var tc []tcMQQdisc
	if err := json.Unmarshal([]byte(a.Run("tc", "-s", "-j", "qdisc", "show", "dev", "mq0")), &tc); err != nil {
		t.Fatal(err)
	}
	m, ok := findMetric(&rm, MetricQdiscPackets)
	if !ok {
		t.Fatal("no qdisc counter metric")
	}
	// Every series of the metric is distinct by construction of the SDK;
	// count the children's packets series to see none collapsed.
	children := 0
	if d, ok := m.Data.(metricdata.Sum[int64]); ok {
		for _, p := range d.DataPoints {
			if h, _ := p.Attributes.Value(AttrQdiscHandle); h.AsString() == "0:0" {
				children++
			}
		}
	}
	if children != 4 {
		t.Errorf("%d packets series with handle 0:0, want 4 (one per child)", children)
	}
	carried := 0
	for _, q := range tc {
		if q.Root || q.Handle != "0:" {
			continue
		}
		var maj, min uint32
		if _, err := fmt.Sscanf(q.Parent, "%x:%x", &maj, &min); err != nil {
			t.Fatalf("tc parent %q: %v", q.Parent, err)
		}
		parent := fmt.Sprintf("%x:%x", maj, min)
		for name, want := range map[string]int64{MetricQdiscBytes: q.Bytes, MetricQdiscPackets: q.Packets, MetricQdiscDrops: q.Drops, MetricQdiscOverlimits: q.Overlimits, MetricQdiscRequeues: q.Requeues} {
			fm, _ := findMetric(&rm, name)
			got, ok := point(t, fm, AttrInterface.String("mq0"), AttrQdiscHandle.String("0:0"), AttrQdiscParent.String(parent),
				AttrQdiscKind.String(q.Kind))
			if !ok || got != want {
				t.Errorf("%s child below %s %s = %d (found %v), tc %d", q.Kind, parent, name, got, ok, want)
			}
		}
		if q.Packets > 0 {
			carried++
		}
		t.Logf("%s 0: parent %s: %d packets %d bytes, as tc", q.Kind, parent, q.Packets, q.Bytes)
	}
	if carried < 2 {
		t.Logf("traffic reached %d of the 4 queues", carried)
	}
	// The root keeps its handle, no parent attribute.
	for _, q := range tc {
		if q.Root && q.Kind == "mq" {
			got, ok := point(t, m, AttrQdiscHandle.String("8001:0"), AttrQdiscKind.String("mq"))
			if !ok || got != q.Packets {
				t.Errorf("mq root packets %d (found %v), tc %d", got, ok, q.Packets)
			}
		}
	}
}
