package netstack

import (
	"context"
	"strings"
	"testing"
	"time"
)

// rxStagesBundle is a two-frame bundle made from the 6.18 VM fixture in
// which, between the frames (2 s apart), eth0 missed 1234 packets for lack
// of RX descriptors and CPU 0's NET_RX ran out of budget 66 times: what a VM
// cannot be made to do on demand. Only frame-001's softnet_stat and
// rx_missed_errors differ from frame-000.
func rxStagesBundle(*testing.T) string { return "testdata/bundle-rx" }

func TestDiagnoseFixtureRxStages(t *testing.T) {
	c, err := NewCollector(Config{Bundle: rxStagesBundle(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var a, b Snapshot
	ctx := context.Background()
	if err := c.Collect(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if err := c.Collect(ctx, &b); err != nil {
		t.Fatal(err)
	}
	for _, e := range b.Errors {
		t.Errorf("source error: %v", e)
	}
	var d Delta
	ComputeDelta(&a, &b, &d)
	if d.Interval != 2*time.Second {
		t.Errorf("interval %v, want the frames' 2s", d.Interval)
	}
	fs := Diagnose(&d)
	if len(fs) < 2 {
		t.Fatalf("want NIC and softirq findings:\n%s", findingsText(fs))
	}
	nic, sq := fs[0], fs[1]
	if nic.Stage != StageNIC || nic.Object != "eth0" || nic.Drops != 1234 ||
		!hasEvidence(nic, SourceLinks, "rx_missed_errors", 1234) {
		t.Errorf("first finding should be eth0 missing 1234 packets:\n%s", findingsText(fs))
	}
	if !strings.Contains(nic.Summary, "RX ring") {
		t.Errorf("NIC summary %q does not name the RX ring", nic.Summary)
	}
	if sq.Stage != StageSoftirq || !hasEvidence(sq, SourceSoftnet, "time_squeeze", 0x42) ||
		!hasEvidence(sq, SourceSysctls, "net.core.netdev_budget", 0) {
		t.Errorf("second finding should be time_squeeze +66 with netdev_budget:\n%s", findingsText(fs))
	}
	var budget *Knob
	for i := range sq.Knobs {
		if sq.Knobs[i].Name == "net.core.netdev_budget" {
			budget = &sq.Knobs[i]
		}
	}
	if budget == nil || budget.Current != "300" || budget.Command != "sysctl -w net.core.netdev_budget=600" {
		t.Errorf("netdev_budget knob: %+v", budget)
	}
}

// TestDiagnoseRingKnob checks the ring-size evidence and the exact ethtool
// command when the ring is below its maximum.
func TestDiagnoseRingKnob(t *testing.T) {
	t0 := time.Unix(0, 0)
	mk := func(missed uint64, at time.Time) *Snapshot {
		return snap(at,
			Counter{Source: SourceLinks, Object: "ens1", Index: -1, Name: "rx_missed_errors", Value: missed, Bits: 64, Gen: 3},
			Counter{Source: SourceEthtool, Object: "ens1", Index: -1, Name: "rx_queue_2_drops", Value: missed / 2, Bits: 64, Gen: 3},
			Counter{Source: SourceEthtool, Object: "ens1", Index: -1, Name: "ring.rx", Value: 512, Gauge: true, Gen: 3},
			Counter{Source: SourceEthtool, Object: "ens1", Index: -1, Name: "ring.rx_max", Value: 8192, Gauge: true, Gen: 3},
		)
	}
	var d Delta
	ComputeDelta(mk(10, t0), mk(1010, t0.Add(time.Second)), &d)
	fs := Diagnose(&d)
	if len(fs) != 1 || fs[0].Stage != StageNIC || fs[0].Drops != 1000 {
		t.Fatalf("findings:\n%s", findingsText(fs))
	}
	if fs[0].Knobs[0].Command != "ethtool -G ens1 rx 8192" || fs[0].Knobs[0].Current != "512" {
		t.Errorf("ring knob: %+v", fs[0].Knobs[0])
	}
	if !hasEvidence(fs[0], SourceEthtool, "rx_queue_2_drops", 500) || !hasEvidence(fs[0], SourceEthtool, "ring.rx_max", 0) {
		t.Errorf("evidence:\n%s", findingsText(fs))
	}
}

// TestDiagnoseBacklogFold: a backlog drop is counted in softnet_stat and in
// the receiving device's rx_dropped alike. The device's share goes to the
// softirq finding; only rx_dropped beyond the backlog drops stays a NIC
// finding.
func TestDiagnoseBacklogFold(t *testing.T) {
	t0 := time.Unix(0, 0)
	mk := func(backlog, vethDropped, ethDropped uint64, at time.Time) *Snapshot {
		return snap(at,
			Counter{Source: SourceLinks, Object: "veth1", Index: -1, Name: "rx_dropped", Value: vethDropped, Bits: 64, Gen: 7},
			Counter{Source: SourceLinks, Object: "eth0", Index: -1, Name: "rx_dropped", Value: ethDropped, Bits: 64, Gen: 2},
			Counter{Source: SourceSoftnet, Index: 1, Name: "dropped", Value: backlog, Bits: 32},
		)
	}
	for _, tc := range []struct {
		name                 string
		backlog, veth, eth   uint64
		nicObject            string
		nicDrops, softirqDrs uint64
		softirqDev           string
		softirqDevDrops      uint64
	}{
		{"all backlog", 300, 300, 0, "", 0, 300, "veth1", 300},
		{"backlog plus other drops", 300, 300, 50, "eth0", 50, 300, "veth1", 300},
		{"backlog equal to one device's drops", 50, 60, 50, "veth1", 60, 50, "eth0", 50},
		{"backlog over two devices", 300, 200, 100, "", 0, 300, "veth1", 200},
		{"rx_dropped beyond the backlog: nothing folded", 100, 400, 0, "veth1", 400, 100, "", 0},
		{"no backlog drops", 0, 40, 0, "veth1", 40, 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Delta
			ComputeDelta(mk(1000, 1000, 1000, t0), mk(1000+tc.backlog, 1000+tc.veth, 1000+tc.eth, t0.Add(time.Second)), &d)
			testBacklogFold(t, &d, tc.nicObject, tc.nicDrops, tc.softirqDrs, tc.softirqDev, tc.softirqDevDrops)
		})
	}
	// A driver counter moved besides folded backlog drops: the NIC finding
	// counts the driver's drops only.
	t.Run("driver drops besides backlog drops", func(t *testing.T) {
		drv := func(v uint64, at time.Time) *Snapshot {
			s := mk(1000+v*60, 1000+v*60, 1000, at)
			s.Counters = append(s.Counters, Counter{Source: SourceEthtool, Object: "veth1", Index: -1, Name: "rx_queue_0_drops", Value: v, Bits: 64, Gen: 7})
			return s
		}
		var d Delta
		ComputeDelta(drv(0, t0), drv(5, t0.Add(time.Second)), &d)
		testBacklogFold(t, &d, "veth1", 5, 300, "veth1", 300)
	})
}

func testBacklogFold(t *testing.T, d *Delta, nicObject string, nicDrops, softirqDrops uint64, softirqDev string, softirqDevDrops uint64) {
	t.Helper()
	fs := Diagnose(d)
	var nic, soft *Finding
	for i := range fs {
		switch fs[i].Stage {
		case StageNIC:
			if nic != nil {
				t.Fatalf("two NIC findings:\n%s", findingsText(fs))
			}
			nic = &fs[i]
		case StageSoftirq:
			soft = &fs[i]
		}
	}
	if (nic == nil) != (nicObject == "") || nic != nil && (nic.Object != nicObject || nic.Drops != nicDrops) {
		t.Errorf("NIC finding, want %q with %d drops:\n%s", nicObject, nicDrops, findingsText(fs))
	}
	if (soft == nil) != (softirqDrops == 0) || soft != nil && soft.Drops != softirqDrops {
		t.Errorf("softirq finding, want %d drops:\n%s", softirqDrops, findingsText(fs))
	}
	if soft != nil && softirqDev != "" && (!hasEvidence(*soft, SourceLinks, "rx_dropped", softirqDevDrops) || !strings.Contains(soft.Summary, softirqDev)) {
		t.Errorf("softirq evidence lacks %s rx_dropped +%d:\n%s", softirqDev, softirqDevDrops, findingsText(fs))
	}
	if soft != nil && softirqDev == "" && strings.Contains(soft.Summary, "rx_dropped") {
		t.Errorf("softirq finding folds device drops:\n%s", findingsText(fs))
	}
}
