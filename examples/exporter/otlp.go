package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// OTLP protocols of -otlp-protocol, named as OTEL_EXPORTER_OTLP_PROTOCOL
// names them.
const (
	otlpGRPC = "grpc"
	otlpHTTP = "http/protobuf"
)

// otlpReader returns a periodic reader that pushes every interval to the
// OTLP endpoint (a URL: http:// without TLS, https:// with it; for HTTP the
// path defaults to /v1/metrics) over protocol. It is a second reader of the
// same MeterProvider as /metrics: the same instruments and values, each
// push a collection of its own (so a push, like a scrape, is one snapshot).
func otlpReader(ctx context.Context, endpoint, protocol string, interval, timeout time.Duration) (sdkmetric.Reader, error) {
	var exp sdkmetric.Exporter
	var err error
	switch protocol {
	case otlpGRPC:
		exp, err = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpointURL(endpoint), otlpmetricgrpc.WithTimeout(timeout))
	case otlpHTTP:
		exp, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(endpoint), otlpmetrichttp.WithTimeout(timeout))
	default:
		return nil, fmt.Errorf("otlp: unknown protocol %q (want %s or %s)", protocol, otlpGRPC, otlpHTTP)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp exporter %s %s: %w", protocol, endpoint, err)
	}
	return sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(interval), sdkmetric.WithTimeout(timeout)), nil
}

// validOTLPEndpoint checks an -otlp value: an http or https URL with a host.
func validOTLPEndpoint(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http:// or https:// URL (http: no TLS)")
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	return nil
}
