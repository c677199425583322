package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/packetpath/packetpath/netstack"
)

// exporter owns the MeterProvider, its Prometheus reader, the netstack
// collector and the optional socketstats sink.
type exporter struct {
	registry *prometheus.Registry
	mp       *sdkmetric.MeterProvider
	coll     *netstack.Collector
	reg      metric.Registration
	sink     *sink
}

// newExporter builds the pipeline: netstack.Collector -> observable
// instruments -> SDK MeterProvider -> Prometheus exporter (a reader that
// collects on every scrape) -> a private prometheus.Registry.
func newExporter(o *options) (*exporter, error) {
	e := &exporter{registry: prometheus.NewRegistry()}
	reader, err := otelprom.New(
		otelprom.WithRegisterer(e.registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
	)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "packetpath-exporter"))
	e.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))

	e.coll, err = netstack.NewCollector(netstack.Config{NetNS: o.netns, Sources: o.sources, Devices: o.devices})
	if err != nil {
		e.close()
		return nil, err
	}
	e.reg, err = e.coll.RegisterMetrics(netstack.MetricOptions{
		MeterProvider: e.mp,
		Devices:       o.devices,
		PerCPU:        o.perCPU,
		DriverStats:   o.driverStats,
		MIBGroups:     o.mibGroups,
		MaxSockets:    o.maxSockets,
	})
	if err != nil {
		e.close()
		return nil, err
	}
	if len(o.join) > 0 {
		e.sink, err = openSink(o, e.mp)
		if err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

// handler serves /metrics and a short index at /.
func (e *exporter) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "packetpath exporter: metrics at /metrics\n")
	})
	return mux
}

// close releases everything in reverse order of creation.
func (e *exporter) close() {
	var errs []error
	if e.sink != nil {
		errs = append(errs, e.sink.close())
	}
	if e.reg != nil {
		errs = append(errs, e.reg.Unregister())
	}
	if e.coll != nil {
		errs = append(errs, e.coll.Close())
	}
	if e.mp != nil {
		errs = append(errs, e.mp.Shutdown(context.Background()))
	}
	_ = errors.Join(errs...)
}
