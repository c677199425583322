package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/packetpath/packetpath/netstack"
	"github.com/packetpath/packetpath/socketstats"
)

// otelExport is -otel: the socket's instruments and the namespace's Udp MIB
// counters on an SDK MeterProvider with a ManualReader, printed as text.
// It needs no exporter module, so mcast-recv stays in the library's module;
// examples/exporter serves the same instruments to Prometheus.
type otelExport struct {
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	coll   *netstack.Collector
	reg    metric.Registration
	rm     metricdata.ResourceMetrics
}

func newOTelExport(conn *socketstats.Conn, ns string) (*otelExport, error) {
	e := &otelExport{reader: sdkmetric.NewManualReader()}
	e.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	if err := conn.RegisterMetrics(e.mp); err != nil {
		e.close()
		return nil, err
	}
	coll, err := netstack.NewCollector(netstack.Config{NetNS: ns, Sources: netstack.SourceSNMP})
	if err != nil {
		e.close()
		return nil, err
	}
	e.coll = coll
	e.reg, err = coll.RegisterMetrics(netstack.MetricOptions{
		MeterProvider: e.mp, MIBGroups: []string{"Udp", "Udp6"}, MaxSockets: -1,
	})
	if err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *otelExport) close() {
	if e.reg != nil {
		_ = e.reg.Unregister()
	}
	if e.coll != nil {
		_ = e.coll.Close()
	}
	_ = e.mp.Shutdown(context.Background())
}

// print collects once and writes one line per data point (leaving out the
// stack counters that are zero):
//
//	otel packetpath.socket.drops{network.local.address=239.1.2.3,...} 1990 {packet}
func (e *otelExport) print(ctx context.Context, w io.Writer) {
	if err := e.reader.Collect(ctx, &e.rm); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "otel: collect: %v\n", err)
	}
	var lines []string
	for _, sm := range e.rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, p := range points(m.Data) {
				if p.value == "0" && !strings.HasPrefix(m.Name, "packetpath.socket.") {
					continue // the stack's zero counters would drown the socket's
				}
				lines = append(lines, fmt.Sprintf("otel %s{%s} %s %s", m.Name, attrs(p.attrs), p.value, m.Unit))
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

type point struct {
	attrs attribute.Set
	value string
}

// points flattens the aggregations the packetpath instruments produce.
func points(d metricdata.Aggregation) []point {
	var out []point
	switch v := d.(type) {
	case metricdata.Sum[int64]:
		for _, p := range v.DataPoints {
			out = append(out, point{p.Attributes, fmt.Sprint(p.Value)})
		}
	case metricdata.Sum[float64]:
		for _, p := range v.DataPoints {
			out = append(out, point{p.Attributes, fmt.Sprint(p.Value)})
		}
	case metricdata.Gauge[int64]:
		for _, p := range v.DataPoints {
			out = append(out, point{p.Attributes, fmt.Sprint(p.Value)})
		}
	case metricdata.Gauge[float64]:
		for _, p := range v.DataPoints {
			out = append(out, point{p.Attributes, fmt.Sprint(p.Value)})
		}
	}
	return out
}

func attrs(s attribute.Set) string {
	var b strings.Builder
	for i, kv := range s.ToSlice() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(kv.Key))
		b.WriteByte('=')
		b.WriteString(kv.Value.String())
	}
	return b.String()
}
