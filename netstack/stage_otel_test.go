package netstack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// stageDrops reads packetpath.stage.drops{stage} from one collection, and
// checks that it is a monotonic cumulative sum.
func stageDrops(t *testing.T, rm *metricdata.ResourceMetrics, st Stage) int64 {
	t.Helper()
	m, ok := findMetric(rm, MetricStageDrops)
	if !ok {
		t.Fatalf("no %s", MetricStageDrops)
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality {
		t.Fatalf("%s is %T (monotonic %v), want a cumulative monotonic sum", MetricStageDrops, m.Data, sum.IsMonotonic)
	}
	v, found := point(t, m, AttrStage.String(st.String()))
	if !found {
		t.Fatalf("%s has no %s series", MetricStageDrops, st)
	}
	return v
}

// TestStageDropsTwoReaders is issue 17 item 4: two readers of one
// registration (two Prometheus servers scraping one exporter), collecting
// in turn while a socket drops. Each reader must see the whole loss of the
// socket stage, equal to the kernel's Udp RcvbufErrors since the first
// collection, not the part that fell into its own intervals.
func TestStageDropsTwoReaders(t *testing.T) {
	ns := netnstest.New(t)
	const port = 5317
	var tx int
	if err := ns.Do(func() error {
		udpSocket(t, [4]byte{127, 0, 0, 1}, port, 4096)
		tx = udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceSNMP | SourceUDP})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, b := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(a), sdkmetric.WithReader(b))
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	ctx := context.Background()
	base := procSNMP(t, ns, "RcvbufErrors")
	readers := map[string]*sdkmetric.ManualReader{"A": a, "B": b}
	last := map[string]int64{}
	// Each step: optionally overflow the socket, then one reader collects
	// and must show the kernel's total since the first collection.
	steps := []struct {
		reader string
		send   int
	}{{"A", 0}, {"B", 0}, {"A", 500}, {"B", 300}, {"A", 0}, {"A", 700}, {"B", 0}, {"B", 200}, {"A", 0}}
	for i, s := range steps {
		if s.send > 0 {
			sendN(t, tx, [4]byte{127, 0, 0, 1}, port, s.send)
		}
		var rm metricdata.ResourceMetrics
		if err := readers[s.reader].Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		kernel := procSNMP(t, ns, "RcvbufErrors") - base
		got := stageDrops(t, &rm, StageSocket)
		if uint64(got) != kernel {
			t.Errorf("step %d, reader %s: rx-socket drops %d, kernel Udp.RcvbufErrors +%d since the first collection", i, s.reader, got, kernel)
		}
		if got < last[s.reader] {
			t.Errorf("step %d, reader %s: the counter went back from %d to %d", i, s.reader, last[s.reader], got)
		}
		last[s.reader] = got
	}
	if last["A"] != last["B"] || last["A"] == 0 {
		t.Errorf("final rx-socket drops: reader A %d, reader B %d; want equal and non-zero", last["A"], last["B"])
	}
	t.Logf("kernel Udp.RcvbufErrors +%d; reader A %d, reader B %d", procSNMP(t, ns, "RcvbufErrors")-base, last["A"], last["B"])
}

// TestSourceHealthMetrics reads a procfs tree that lacks net/snmp: the
// snmp source is down (up 0, one not_found error per collection, the hook
// told once), softnet is up, and softnet's counters are still exported.
func TestSourceHealthMetrics(t *testing.T) {
	root := t.TempDir()
	src := "testdata/bundle-rx/frame-000/proc/net/softnet_stat"
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "net", "softnet_stat"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{ProcRoot: root, Sources: SourceSoftnet | SourceSNMP})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type report struct {
		src Source
		err error
	}
	var reports []report
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, MaxSockets: -1,
		SourceHealth: func(src Source, err error) { reports = append(reports, report{src, err}) }})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	var rm metricdata.ResourceMetrics
	const collections = 3
	for range collections {
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
	}
	up, ok := findMetric(&rm, MetricSourceUp)
	if !ok {
		t.Fatal("no source up metric")
	}
	for src, want := range map[string]int64{"snmp": 0, "softnet": 1} {
		if v, ok := point(t, up, AttrSource.String(src)); !ok || v != want {
			t.Errorf("%s{%s} = %d (found %v), want %d", MetricSourceUp, src, v, ok, want)
		}
	}
	errs, ok := findMetric(&rm, MetricSourceErrors)
	if !ok {
		t.Fatal("no source errors metric")
	}
	if v, ok := point(t, errs, AttrSource.String("snmp"), AttrErrorType.String("not_found")); !ok || v != collections {
		t.Errorf("%s{snmp,not_found} = %d (found %v), want %d", MetricSourceErrors, v, ok, collections)
	}
	if _, ok := point(t, errs, AttrSource.String("softnet")); ok {
		t.Errorf("errors counted for softnet, which has none")
	}
	if m, ok := findMetric(&rm, MetricSoftnetProcessed); !ok {
		t.Error("softnet not exported beside the failing snmp source")
	} else if _, ok := point(t, m); !ok {
		t.Error("no softnet processed series")
	}
	if len(reports) != 1 || reports[0].src != SourceSNMP || !errors.Is(reports[0].err, os.ErrNotExist) ||
		!strings.Contains(reports[0].err.Error(), "snmp") {
		t.Errorf("SourceHealth reports %+v, want one for snmp wrapping os.ErrNotExist and naming the file", reports)
	}
	t.Logf("snmp: %v", reports[0].err)
}

// TestUnknownMIBGroup: a MIB group name the kernel does not have is an
// error, not a silently empty export.
func TestUnknownMIBGroup(t *testing.T) {
	c, err := NewCollector(Config{Bundle: rxStagesBundle(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	if _, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, MIBGroups: []string{"Udp", "Nope"}}); err == nil || !strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("MIBGroups Nope: err %v, want one naming it", err)
	}
	reg, err := c.RegisterMetrics(MetricOptions{MeterProvider: mp, MIBGroups: MIBGroupNames()})
	if err != nil {
		t.Fatalf("every known group: %v", err)
	}
	reg.Unregister()
}
