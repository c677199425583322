package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/packetpath/packetpath/netstack"
)

// Example serves the stack's /proc/net/snmp counters the way the exporter
// does and shows how OpenTelemetry names appear in Prometheus.
func Example() {
	ex, err := newExporter(&options{sources: netstack.SourceSNMP, mibGroups: []string{"Udp"}, maxSockets: -1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ex.close()
	srv := httptest.NewServer(ex.handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "# TYPE packetpath_udp_receive_buffer_errors") || strings.HasPrefix(line, "packetpath_udp_receive_buffer_errors_total{") {
			// Print the series without its value, which is the machine's.
			if i := strings.LastIndexByte(line, ' '); i > 0 && !strings.HasPrefix(line, "#") {
				line = line[:i]
			}
			fmt.Println(line)
		}
	}
	// Output:
	// # TYPE packetpath_udp_receive_buffer_errors_total counter
	// packetpath_udp_receive_buffer_errors_total{network_transport="udp",network_type="ipv4"}
}

// Example_otlp is what a service that already runs an OpenTelemetry
// pipeline does instead of running the exporter: it registers the stack's
// instruments on its own MeterProvider, whose OTLP reader pushes them to
// its Collector. Here the Collector is a stand-in HTTP server that decodes
// the OTLP/HTTP request; against a real one, drop WithEndpointURL (the SDK
// reads OTEL_EXPORTER_OTLP_ENDPOINT) or point it at the Collector.
func Example_otlp() {
	got := make(chan *colmetricspb.ExportMetricsServiceRequest, 1)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &colmetricspb.ExportMetricsServiceRequest{}
		if err := proto.Unmarshal(body, req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case got <- req:
		default:
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&colmetricspb.ExportMetricsServiceResponse{})
		_, _ = w.Write(b)
	}))
	defer collector.Close()

	ctx := context.Background()
	exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(collector.URL+"/v1/metrics"))
	if err != nil {
		fmt.Println(err)
		return
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Minute))))
	defer mp.Shutdown(ctx)

	coll, err := netstack.NewCollector(netstack.Config{Sources: netstack.SourceSNMP})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer coll.Close()
	reg, err := coll.RegisterMetrics(netstack.MetricOptions{MeterProvider: mp, MIBGroups: []string{"Udp"}, MaxSockets: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Unregister()

	// Push now rather than at the interval.
	if err := mp.ForceFlush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	req := <-got
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != netstack.MetricUDPReceiveBufferErrors {
					continue
				}
				for _, dp := range m.GetSum().GetDataPoints() {
					for _, kv := range dp.Attributes {
						if kv.Key == string(netstack.AttrNetworkType) && kv.Value.GetStringValue() == "ipv4" && len(dp.Attributes) == 2 && dp.Attributes[0].Value.GetStringValue() == "udp" {
							fmt.Printf("%s %s{%s=%q} monotonic=%v\n", sm.Scope.Name, m.Name, kv.Key, kv.Value.GetStringValue(), m.GetSum().IsMonotonic)
						}
					}
				}
			}
		}
	}
	// Output:
	// github.com/packetpath/packetpath/netstack packetpath.udp.receive_buffer_errors{network.type="ipv4"} monotonic=true
}
