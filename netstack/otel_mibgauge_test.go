package netstack

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestOtelMIBGauges: the MIB entries that are levels are exported each on
// a gauge of its own (packetpath.ip.default_ttl, ...), with the
// namespace's /proc/net/snmp values, and not on the monotonic
// packetpath.mib.tcp; the counts stay there.
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
	counters, ok := findMetric(&rm, MetricMIBTcp)
	if !ok {
		t.Fatalf("no %s", MetricMIBTcp)
	}
	for _, n := range []struct{ metric, name, group, key string }{
		{MetricIPDefaultTTL, MIBIpDefaultTTL, "Ip", "DefaultTTL"}, {MetricIPForwarding, MIBIpForwarding, "Ip", "Forwarding"},
		{MetricTCPEstablished, MIBTcpCurrEstab, "Tcp", "CurrEstab"}, {MetricTCPRtoMax, MIBTcpRtoMax, "Tcp", "RtoMax"}, {MetricTCPRtoMin, MIBTcpRtoMin, "Tcp", "RtoMin"},
	} {
		g, ok := findMetric(&rm, n.metric)
		if !ok {
			t.Errorf("no %s", n.metric)
			continue
		}
		if _, isGauge := g.Data.(metricdata.Gauge[int64]); !isGauge {
			t.Errorf("%s is a %T, want a gauge", n.metric, g.Data)
			continue
		}
		var attrs []attribute.KeyValue
		if n.group == "Ip" {
			attrs = append(attrs, AttrNetworkType.String("ipv4"))
		}
		v, ok := point(t, g, attrs...)
		want := procMIB(t, snmp, n.group, n.key)
		if !ok || uint64(v) != want {
			t.Errorf("%s = %d (%v), /proc/net/snmp %s says %d", n.metric, v, ok, n.name, want)
		}
		t.Logf("%s = %d, /proc/net/snmp %s %d", n.metric, v, n.name, want)
		if _, ok := point(t, counters, attribute.String(string(AttrCounter), n.name)); ok {
			t.Errorf("%s is on the counter %s too", n.name, MetricMIBTcp)
		}
	}
	if v, ok := point(t, counters, attribute.String(string(AttrCounter), "Tcp.ActiveOpens")); !ok || uint64(v) != procMIB(t, snmp, "Tcp", "ActiveOpens") {
		t.Errorf("%s Tcp.ActiveOpens = %d (%v)", MetricMIBTcp, v, ok)
	}
}
