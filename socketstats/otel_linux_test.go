package socketstats

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestRegisterMetrics(t *testing.T) {
	inNS(t, func() {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())

		c, err := Open(Config{Interface: "lo", Port: 6300, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 4096, Timestamps: TimestampsNS})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.RegisterMetrics(mp, attribute.String("feed", "A")); err != nil {
			t.Fatal(err)
		}
		s := newSender(t, loopback1)
		for range 200 {
			s.send(t, netip.AddrPortFrom(testGroup4, 6300), make([]byte, 100))
		}
		got := drain(t, c, newMessages(8, 2048), 50*time.Millisecond)
		st := c.Stats()

		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		if len(rm.ScopeMetrics) != 1 || rm.ScopeMetrics[0].Scope.Name != MeterName {
			t.Fatalf("scopes %+v", rm.ScopeMetrics)
		}
		type point struct {
			unit  string
			value float64
			attrs attribute.Set
		}
		points := map[string]point{}
		for _, m := range rm.ScopeMetrics[0].Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points[m.Name] = point{m.Unit, float64(d.DataPoints[0].Value), d.DataPoints[0].Attributes}
				if !d.IsMonotonic {
					t.Errorf("%s is not monotonic", m.Name)
				}
			case metricdata.Sum[float64]:
				points[m.Name] = point{m.Unit, d.DataPoints[0].Value, d.DataPoints[0].Attributes}
			case metricdata.Gauge[int64]:
				points[m.Name] = point{m.Unit, float64(d.DataPoints[0].Value), d.DataPoints[0].Attributes}
			case metricdata.Gauge[float64]:
				points[m.Name] = point{m.Unit, d.DataPoints[0].Value, d.DataPoints[0].Attributes}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
		want := map[string]struct {
			unit  string
			value float64
		}{
			MetricPackets:          {"{packet}", float64(got)},
			MetricBytes:            {"By", float64(100 * got)},
			MetricBatches:          {"{batch}", float64(st.Batches)},
			MetricDrops:            {"{packet}", float64(200 - got)},
			MetricTruncated:        {"{packet}", 0},
			MetricControlTruncated: {"{packet}", 0},
			MetricNextDatagramSize: {"By", 0},
			MetricBufferUsed:       {"By", float64(st.Buffer.Used)},
			MetricBufferSize:       {"By", 8192},
			MetricBufferFill:       {"1", st.Buffer.Fill()},
			MetricBufferHighWater:  {"By", float64(st.HighWater)},
			MetricQueueDelayMax:    {"s", float64(st.QueueDelay.Max) / 1e9},
			MetricQueueDelaySum:    {"s", float64(st.QueueDelay.Sum) / 1e9},
			MetricQueueDelayCount:  {"{packet}", float64(got)},
		}
		for name, w := range want {
			p, ok := points[name]
			if !ok {
				t.Errorf("%s not exported", name)
				continue
			}
			if p.unit != w.unit || p.value != w.value {
				t.Errorf("%s = %v %s, want %v %s", name, p.value, p.unit, w.value, w.unit)
			}
			for _, kv := range []attribute.KeyValue{
				attribute.String(AttrInterface, "lo"),
				attribute.Int(AttrLocalPort, 6300),
				attribute.String(AttrLocalAddress, "239.1.2.3"),
				attribute.String(AttrGroups, "239.1.2.3"),
				attribute.String("feed", "A"),
			} {
				if v, ok := p.attrs.Value(kv.Key); !ok || v != kv.Value {
					t.Errorf("%s: attribute %s = %v, want %v", name, kv.Key, v.String(), kv.Value.String())
				}
			}
		}
		if len(points) != len(want) {
			t.Errorf("%d instruments exported, want %d", len(points), len(want))
		}
		if got == 200 || got == 0 {
			t.Errorf("expected drops with a 4 KiB buffer, received %d of 200", got)
		}

		// Close unregisters: nothing is observed afterwards.
		c.Close()
		rm = metricdata.ResourceMetrics{}
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			if len(sm.Metrics) != 0 {
				t.Errorf("after Close: %d metrics still observed", len(sm.Metrics))
			}
		}
	})
}
