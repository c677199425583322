// Package otelcol holds the test that pushes packetpath's metrics over
// OTLP to a real OpenTelemetry Collector, built in the test from the
// Collector's Go modules (the OTLP receiver and the contrib Prometheus
// exporter, all of release v0.165 / v1.71). It is a nested module so that
// neither the library nor the exporter example download the Collector.
//
// Run it as root (it makes a network namespace):
//
//	cd test/otelcol && go test -count=1 ./...
package otelcol
