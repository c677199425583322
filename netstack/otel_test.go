package netstack

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func findMetric(rm *metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// point returns the value of the data point whose attributes include all of
// kvs.
func point(t *testing.T, m metricdata.Metrics, kvs ...attribute.KeyValue) (int64, bool) {
	t.Helper()
	match := func(set attribute.Set) bool {
		for _, kv := range kvs {
			v, ok := set.Value(kv.Key)
			if !ok || v != kv.Value {
				return false
			}
		}
		return true
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				return p.Value, true
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				return p.Value, true
			}
		}
	default:
		t.Fatalf("%s: unexpected data type %T", m.Name, m.Data)
	}
	return 0, false
}

func TestRegisterMetrics(t *testing.T) {
	bundle := rxStagesBundle(t)
	c, err := NewCollector(Config{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, DriverStats: []string{"rx*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil { // frame 0
		t.Fatal(err)
	}
	if err := reader.Collect(ctx, &rm); err != nil { // frame 1, and the delta 0 -> 1
		t.Fatal(err)
	}

	// The reference: the same bundle's second frame, read directly.
	ref, err := NewCollector(Config{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var s0, s1 Snapshot
	ref.Collect(ctx, &s0)
	ref.Collect(ctx, &s1)
	counter := func(src Source, obj string, idx int64, name string) int64 {
		for _, k := range s1.Counters {
			if k.Source == src && k.Object == obj && k.Index == idx && k.Name == name {
				return int64(k.Value)
			}
		}
		t.Fatalf("reference snapshot lacks %s %s %s", src, obj, name)
		return 0
	}

	checks := []struct {
		metric string
		unit   string
		attrs  []attribute.KeyValue
		want   int64
	}{
		{MetricPacketCount, "{packet}", []attribute.KeyValue{AttrInterface.String("eth0"), AttrDirection.String("receive")}, counter(SourceLinks, "eth0", -1, "rx_packets")},
		{MetricIO, "By", []attribute.KeyValue{AttrInterface.String("eth0"), AttrDirection.String("transmit")}, counter(SourceLinks, "eth0", -1, "tx_bytes")},
		{MetricPacketDropped, "{packet}", []attribute.KeyValue{AttrInterface.String("eth0"), AttrDirection.String("receive")}, counter(SourceLinks, "eth0", -1, "rx_dropped")},
		{MetricErrors, "{error}", []attribute.KeyValue{AttrInterface.String("eth0"), AttrDirection.String("receive")}, counter(SourceLinks, "eth0", -1, "rx_errors")},
		{MetricLinkRxMissedErrors, "{packet}", []attribute.KeyValue{AttrInterface.String("eth0")}, 1234},
		{MetricSoftnetTimeSqueeze, "{event}", nil, 0x45},
		{MetricSoftnetProcessed, "{packet}", nil, counter(SourceSoftnet, "", 0, "processed") + counter(SourceSoftnet, "", 1, "processed")},
		{MetricUDPDatagramsReceived, "{datagram}", []attribute.KeyValue{AttrNetworkType.String("ipv4"), AttrTransport.String("udp")}, counter(SourceSNMP, "", -1, "Udp.InDatagrams")},
		{MetricUDPReceiveBufferErrors, "{datagram}", []attribute.KeyValue{AttrNetworkType.String("ipv4"), AttrTransport.String("udp")}, counter(SourceSNMP, "", -1, "Udp.RcvbufErrors")},
		{MetricIPReceived, "{packet}", []attribute.KeyValue{AttrNetworkType.String("ipv4")}, counter(SourceSNMP, "", -1, "Ip.InReceives")},
		{MetricStageDrops, "{packet}", []attribute.KeyValue{AttrStage.String("rx-nic")}, 1234},
		{MetricFindings, "{finding}", []attribute.KeyValue{AttrStage.String("rx-softirq")}, 1},
		{MetricFindings, "{finding}", []attribute.KeyValue{AttrStage.String("tx-qdisc")}, 0},
	}
	// A counter with a family of its own is not in its group's family too.
	if m, ok := findMetric(&rm, MetricMIBUdp); ok {
		if _, found := point(t, m, AttrCounter.String("Udp.RcvbufErrors")); found {
			t.Errorf("Udp.RcvbufErrors on %s as well as %s", MetricMIBUdp, MetricUDPReceiveBufferErrors)
		}
	}
	for _, ck := range checks {
		m, ok := findMetric(&rm, ck.metric)
		if !ok {
			t.Errorf("metric %s not exported", ck.metric)
			continue
		}
		if m.Unit != ck.unit {
			t.Errorf("%s unit %q, want %q", ck.metric, m.Unit, ck.unit)
		}
		got, ok := point(t, m, ck.attrs...)
		if !ok || got != ck.want {
			t.Errorf("%s%v = %d (found %v), want %d", ck.metric, ck.attrs, got, ok, ck.want)
		}
	}
	// TcpExt is not among the default MIB groups: no series for it.
	if m, ok := findMetric(&rm, MetricMIBTcpExt); ok {
		if _, found := point(t, m, AttrCounter.String("TcpExt.SyncookiesSent")); found {
			t.Errorf("TcpExt exported although not in MIBGroups")
		}
	}
	// Per-CPU off: softnet has no cpu attribute.
	if m, ok := findMetric(&rm, MetricSoftnetProcessed); ok {
		if _, found := point(t, m, AttrCPU.Int64(0)); found {
			t.Errorf("per-CPU series exported with PerCPU off")
		}
	}
}
