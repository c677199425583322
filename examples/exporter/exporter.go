package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

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
	health   *healthLog
}

// newExporter builds the pipeline: netstack.Collector -> observable
// instruments -> SDK MeterProvider -> Prometheus exporter (a reader that
// collects on every scrape) -> a private prometheus.Registry. Sources that
// start failing or recover are logged to logw.
func newExporter(o *options, logw io.Writer) (*exporter, error) {
	e := &exporter{registry: prometheus.NewRegistry(), health: &healthLog{w: logw, last: map[netstack.Source]string{}}}
	reader, err := otelprom.New(
		otelprom.WithRegisterer(e.registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		// No otel_scope_* labels: the instrumentation scopes carry no
		// version or schema URL, so the labels would be empty on every
		// series, and the metric names already say which package
		// produced them (docs/metrics.md).
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "packetpath-exporter"))
	mpOpts := []sdkmetric.Option{sdkmetric.WithReader(reader), sdkmetric.WithResource(res)}
	if o.otlp != "" {
		// A second reader on the same provider: the same instruments
		// pushed to a Collector. Creating the exporter does not connect
		// (gRPC dials lazily), so a Collector that is down only fails
		// pushes, which the SDK reports through otel.Handle.
		push, err := otlpReader(context.Background(), o.otlp, o.otlpProtocol, o.otlpInterval, o.otlpTimeout)
		if err != nil {
			return nil, err
		}
		mpOpts = append(mpOpts, sdkmetric.WithReader(push))
	}
	e.mp = sdkmetric.NewMeterProvider(mpOpts...)

	e.coll, err = netstack.NewCollector(netstack.Config{NetNS: o.netns, ProcRoot: o.procRoot, Sources: o.sources, Devices: o.devices})
	if err != nil {
		e.close()
		return nil, err
	}
	// One collection before serving, so a source that cannot work (no
	// permission, no tracefs, a file missing under -proc-root) is logged at
	// start, not at the first scrape.
	var probe netstack.Snapshot
	if err := e.coll.Collect(context.Background(), &probe); err == nil {
		e.health.snapshot(&probe)
	}
	e.reg, err = e.coll.RegisterMetrics(netstack.MetricOptions{
		MeterProvider: e.mp,
		Devices:       o.devices,
		PerCPU:        o.perCPU,
		DriverStats:   o.driverStats,
		MIBGroups:     o.mibGroups,
		MaxSockets:    o.maxSockets,
		SourceHealth:  e.health.report,
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

// healthLog logs each source that starts failing, changes its error or
// recovers, once per change: from the start-up probe and then from the
// collection callback (netstack.MetricOptions.SourceHealth).
type healthLog struct {
	mu   sync.Mutex
	w    io.Writer
	last map[netstack.Source]string
}

func (h *healthLog) report(src netstack.Source, err error) {
	if h.w == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == h.last[src] {
		return
	}
	if err == nil {
		delete(h.last, src)
		fmt.Fprintf(h.w, "exporter: source %s recovered (packetpath_source_up{packetpath_source=%q} 1)\n", src, src.String())
		return
	}
	h.last[src] = msg
	fmt.Fprintf(h.w, "exporter: source %s failing, its series are missing (packetpath_source_up{packetpath_source=%q} 0): %s\n", src, src.String(), msg)
}

// snapshot reports the failing sources of one snapshot, each source's
// errors joined as the collection callback joins them.
func (h *healthLog) snapshot(s *netstack.Snapshot) {
	var order []netstack.Source
	by := map[netstack.Source][]error{}
	for _, e := range s.Errors {
		if _, ok := by[e.Source]; !ok {
			order = append(order, e.Source)
		}
		err := e.Err
		if e.Object != "" {
			err = fmt.Errorf("%s: %w", e.Object, e.Err)
		}
		by[e.Source] = append(by[e.Source], err)
	}
	for _, src := range order {
		h.report(src, errors.Join(by[src]...))
	}
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
