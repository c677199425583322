package netstack

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// vmxnet3Names is the ethtool -S string table of a vmxnet3 device with 4
// transmit and 4 receive queues (testdata/statnames/vmxnet3.txt, copied
// from nic's: the name is each line's first field).
func vmxnet3Names(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/statnames/vmxnet3.txt")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, "|")
		names = append(names, name)
	}
	return names
}

// vmxnet3Device is eth0 with the vmxnet3 table: "drv dropped rx total" is
// q0 in receive queue 0's block, q1 in queue 1's, the rest 0.
func vmxnet3Device(t *testing.T, q0, q1 uint64) *DeviceData {
	t.Helper()
	names := vmxnet3Names(t)
	dd := &DeviceData{Name: "eth0", Index: 2, StatNames: names, StatValues: make([]uint64, len(names))}
	dd.Driver.Driver = "vmxnet3"
	rxq := -1
	for i, n := range names {
		if n == "Rx Queue#" {
			rxq++
		}
		if n == "  drv dropped rx total" {
			switch rxq {
			case 0:
				dd.StatValues[i] = q0
			case 1:
				dd.StatValues[i] = q1
			}
		}
	}
	return dd
}

// TestEthtoolRepeatedNamesShifted: vmxnet3 repeats its statistic names in
// every queue block. With the same values in both snapshots but a veth's
// link counters added before eth0 in the second (so every counter moved
// and ComputeDelta matched through its index), no driver statistic moved
// and Diagnose finds no drops; before each statistic had its own Index,
// the duplicates shared one key and "drv dropped rx total" read 1000 ->
// 10 as a reset, delta 990 (or 10 -> 1000).
func TestEthtoolRepeatedNamesShifted(t *testing.T) {
	t0 := time.Unix(5000, 0)
	prev := Snapshot{Time: t0}
	appendEthtool(&prev, vmxnet3Device(t, 1000, 10), 2, nil)
	cur := Snapshot{Time: t0.Add(time.Second)}
	cur.next().set(SourceLinks, StageNIC, 64, false, -1, 5, 9, "veth0", LinkRxDropped, "")
	appendEthtool(&cur, vmxnet3Device(t, 1000, 10), 2, nil)

	names := vmxnet3Names(t)
	if len(prev.Counters) != len(names) || len(names) != 169 {
		t.Fatalf("%d counters from %d names, want 169", len(prev.Counters), len(names))
	}
	seen := map[counterKey]int{}
	for i := range prev.Counters {
		c := &prev.Counters[i]
		if j, dup := seen[c.key()]; dup {
			t.Errorf("counters %d and %d (%q) share one key", j, i, c.Name)
		}
		seen[c.key()] = i
		if c.Index != int64(i) {
			t.Errorf("%q: Index %d, want its table position %d", c.Name, c.Index, i)
		}
	}
	var d Delta
	ComputeDelta(&prev, &cur, &d)
	var drv, withQueue int
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source != SourceEthtool {
			continue
		}
		drv++
		if c.Delta != 0 || c.Reset || c.New {
			t.Errorf("%s %q (index %d, %s): delta %d reset %v new %v, want no change", c.Object, c.Name, c.Index, c.Label, c.Delta, c.Reset, c.New)
		}
		if c.Label != "" {
			withQueue++
		}
		if c.Name == "  drv dropped rx total" && c.Value != 0 {
			want := "rx-0"
			if c.Value == 10 {
				want = "rx-1"
			}
			if c.Label != want {
				t.Errorf("drv dropped rx total = %d: queue %q, want %q", c.Value, c.Label, want)
			}
		}
	}
	if drv != 169 {
		t.Errorf("%d driver deltas, want 169", drv)
	}
	t.Logf("%d of %d vmxnet3 statistics carry a queue label", withQueue, drv)
	for _, f := range Diagnose(&d) {
		if f.Object == "eth0" {
			t.Errorf("finding on eth0 with nothing dropped: %s: %s (%d drops)", f.Stage, f.Summary, f.Drops)
		}
	}

	// The same table again, with queue 1's drops moved by 7: exactly 7.
	next := Snapshot{Time: t0.Add(2 * time.Second)}
	appendEthtool(&next, vmxnet3Device(t, 1000, 17), 2, nil)
	ComputeDelta(&cur, &next, &d)
	if total, _ := d.Sum(SourceEthtool, "  drv dropped rx total"); total != 7 {
		t.Errorf("drv dropped rx total moved by %d, want 7", total)
	}
	var drops uint64
	for _, f := range Diagnose(&d) {
		if f.Object == "eth0" {
			drops += f.Drops
		}
	}
	if drops != 7 {
		t.Errorf("eth0 findings: %d drops, want 7", drops)
	}
}

// recObserver records what observeSnapshot observes.
type recObserver struct {
	embedded.Observer
	got []recObs
}

type recObs struct {
	inst  metric.Int64Observable
	value int64
	attrs attribute.Set
}

func (r *recObserver) ObserveFloat64(metric.Float64Observable, float64, ...metric.ObserveOption) {}

func (r *recObserver) ObserveInt64(i metric.Int64Observable, v int64, opts ...metric.ObserveOption) {
	r.got = append(r.got, recObs{i, v, metric.NewObserveConfig(opts).Attributes()})
}

// TestMetricsDriverStatsDistinct: with every vmxnet3 statistic
// allow-listed, packetpath.driver.statistic gets one observation per
// statistic (169) and no two share their attributes: the queue
// (packetpath.queue) tells the queue blocks apart, the string-table index
// the names repeated within one block ("giant hdr").
func TestMetricsDriverStatsDistinct(t *testing.T) {
	mp := sdkmetric.NewMeterProvider()
	defer mp.Shutdown(t.Context())
	drv, err := mp.Meter("t").Int64ObservableCounter(MetricDriver)
	if err != nil {
		t.Fatal(err)
	}
	ins := otelInstruments{driver: drv}
	var s Snapshot
	appendEthtool(&s, vmxnet3Device(t, 1000, 10), 2, nil)
	var o recObserver
	observeSnapshot(&o, &ins, &MetricOptions{DriverStats: []string{"*"}}, &s)
	seen := map[attribute.Distinct]int{}
	var n, indexed int
	for _, r := range o.got {
		if r.inst != drv {
			continue
		}
		n++
		if j, dup := seen[r.attrs.Equivalent()]; dup {
			t.Errorf("observations %d and %d share attributes %v", j, n-1, r.attrs.ToSlice())
		}
		seen[r.attrs.Equivalent()] = n - 1
		if _, ok := r.attrs.Value(AttrCounterIndex); ok {
			indexed++
		}
		name, _ := r.attrs.Value(AttrCounter)
		q, _ := r.attrs.Value(AttrQueue)
		if name.AsString() == "  drv dropped rx total" && r.value != 0 {
			want := map[int64]string{1000: "rx-0", 10: "rx-1"}[r.value]
			if q.AsString() != want {
				t.Errorf("drv dropped rx total %d: queue %q, want %q", r.value, q.AsString(), want)
			}
		}
	}
	if n != 169 {
		t.Errorf("%d driver observations, want 169", n)
	}
	t.Logf("%d driver observations, %d with packetpath.counter.index", n, indexed)
}
