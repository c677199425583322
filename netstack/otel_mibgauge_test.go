package netstack

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestOtelMIBGauges: the MIB entries that are levels are exported on the
// gauge packetpath.mib.gauge, with the namespace's /proc/net/snmp values,
// and not on the monotonic packetpath.mib.tcp; the counts stay there.
func TestOtelMIBGauges(t *testing.T) {
	ns := netnstest.New(t)
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceSNMP})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, MIBGroups: []string{"Ip", "Tcp"}, NoSocketOwners: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	snmp := ns.Run("cat", "/proc/net/snmp")
	gauges, ok := findMetric(&rm, MetricMIBGauge)
	if !ok {
		t.Fatalf("no %s", MetricMIBGauge)
	}
	if _, isGauge := gauges.Data.(metricdata.Gauge[int64]); !isGauge {
		t.Fatalf("%s is a %T, want a gauge", MetricMIBGauge, gauges.Data)
	}
	counters, ok := findMetric(&rm, MetricMIBTcp)
	if !ok {
		t.Fatalf("no %s", MetricMIBTcp)
	}
	for _, n := range []struct{ name, group, key string }{
		{MIBIpDefaultTTL, "Ip", "DefaultTTL"}, {MIBIpForwarding, "Ip", "Forwarding"},
		{MIBTcpCurrEstab, "Tcp", "CurrEstab"}, {MIBTcpRtoMax, "Tcp", "RtoMax"}, {MIBTcpRtoMin, "Tcp", "RtoMin"},
	} {
		v, ok := point(t, gauges, attribute.String(string(AttrCounter), n.name))
		if want := procMIB(t, snmp, n.group, n.key); !ok || uint64(v) != want {
			t.Errorf("%s %s = %d (%v), /proc/net/snmp says %d", MetricMIBGauge, n.name, v, ok, want)
		}
		if _, ok := point(t, counters, attribute.String(string(AttrCounter), n.name)); ok {
			t.Errorf("%s is on the counter %s too", n.name, MetricMIBTcp)
		}
	}
	if v, ok := point(t, counters, attribute.String(string(AttrCounter), "Tcp.ActiveOpens")); !ok || uint64(v) != procMIB(t, snmp, "Tcp", "ActiveOpens") {
		t.Errorf("%s Tcp.ActiveOpens = %d (%v)", MetricMIBTcp, v, ok)
	}
	if _, ok := point(t, gauges, attribute.String(string(AttrCounter), "Tcp.ActiveOpens")); ok {
		t.Errorf("Tcp.ActiveOpens is on the gauge")
	}
}
