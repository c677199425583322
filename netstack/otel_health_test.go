package netstack

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestMetricsHealthSeveralSources: a Config.Devices name that matches no
// device is one SourceError naming every selected per-device source (here
// links, ethtool and qdisc, in a namespace): each of them reads up 0 with
// one not_found error per collection, SourceHealth hears about each, and
// snmp, which it does not name, stays up.
func TestMetricsHealthSeveralSources(t *testing.T) {
	ns := netnstest.New(t)
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceLinks | SourceEthtool | SourceQdisc | SourceSNMP, Devices: []string{"lo", "nosuchdev"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	health := map[Source]string{}
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, SourceHealth: func(src Source, err error) {
		if err != nil {
			health[src] = err.Error()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	var rm metricdata.ResourceMetrics
	for range 2 {
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
	}
	up, _ := findMetric(&rm, MetricSourceUp)
	errs, _ := findMetric(&rm, MetricSourceErrors)
	perDevice := c.cfg.Sources & (SourceLinks | SourceEthtool | SourceDevices | SourceQdisc)
	if perDevice&SourceLinks == 0 {
		t.Fatalf("per-device sources %v", perDevice)
	}
	for bit := Source(1); bit < sourceEnd; bit <<= 1 {
		if c.cfg.Sources&bit == 0 {
			continue
		}
		name := AttrSource.String(bit.String())
		v, ok := point(t, up, name)
		n, _ := point(t, errs, name, AttrErrorType.String("not_found"))
		if perDevice&bit != 0 {
			if !ok || v != 0 || n != 2 || !strings.Contains(health[bit], "nosuchdev") {
				t.Errorf("%s: up %d (found %v), not_found errors %d, health %q; want 0, 2 and the device", bit, v, ok, n, health[bit])
			}
			continue
		}
		if !ok || v != 1 {
			t.Errorf("%s: up %d (found %v), want 1", bit, v, ok)
		}
	}
	if v, ok := point(t, up, AttrSource.String(healthNetNS)); !ok || v != 1 {
		t.Errorf("netns up %d (found %v), want 1", v, ok)
	}
	t.Logf("per-device sources %v: up 0, 2 not_found errors each over 2 collections; health %q", perDevice, health)
}

// TestMetricsHealthNetNS: the namespace's name is deleted and added again
// (another namespace) between two collections: packetpath.source.up
// {packetpath.source="netns"} goes from 1 to 0, its error count to 1, snmp
// stays up, and SourceHealth is called with source 0.
func TestMetricsHealthNetNS(t *testing.T) {
	ns := netnstest.New(t)
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceSNMP})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var health []string
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, SourceHealth: func(src Source, err error) {
		health = append(health, healthName(src)+": "+errString(err))
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	netns := AttrSource.String(healthNetNS)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	up, _ := findMetric(&rm, MetricSourceUp)
	if v, ok := point(t, up, netns); !ok || v != 1 {
		t.Fatalf("netns up %d (found %v) before, want 1", v, ok)
	}
	for _, a := range [][]string{{"netns", "del", ns.Name}, {"netns", "add", ns.Name}} {
		if out, err := exec.Command("ip", a...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", a, err, out)
		}
	}
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	up, _ = findMetric(&rm, MetricSourceUp)
	errs, _ := findMetric(&rm, MetricSourceErrors)
	v, ok := point(t, up, netns)
	snmp, _ := point(t, up, AttrSource.String("snmp"))
	var total int64
	if d, isSum := errs.Data.(metricdata.Sum[int64]); isSum {
		for _, p := range d.DataPoints {
			if s, _ := p.Attributes.Value(AttrSource); s == attribute.StringValue(healthNetNS) {
				total += p.Value
			}
		}
	}
	if !ok || v != 0 || total != 1 || snmp != 1 || len(health) != 1 || !strings.HasPrefix(health[0], "netns: ") {
		t.Errorf("after re-use: netns up %d (found %v), netns errors %d, snmp up %d, SourceHealth %q", v, ok, total, snmp, health)
	}
	t.Logf("SourceHealth: %q", health)
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
