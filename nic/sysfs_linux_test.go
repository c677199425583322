package nic

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/procparse"
)

// sysfsKeys maps LinkStats to the ip(8) JSON names for the counters sysfs
// has (all but otherhost_dropped).
func sysfsKeys(s *LinkStats) map[string]uint64 {
	m := ipKeys(s, &Link{})
	delete(m, "rx.otherhost_dropped")
	delete(m, "tx.carrier_changes")
	return m
}

// TestSysFSLiveAgainstIP reads statistics/* for every device, then ip, then
// statistics/* again: ip's values lie between.
func TestSysFSLiveAgainstIP(t *testing.T) {
	netnstest.RequireRoot(t)
	s := NewSysFS("/sys")
	names, err := s.DeviceNames()
	if err != nil {
		t.Skip(err)
	}
	a := map[string]LinkStats{}
	for _, n := range names {
		if a[n], err = s.Stats(n); err != nil {
			t.Fatal(err)
		}
	}
	readers := map[string]*LinkStatsReader{}
	for _, n := range names {
		r, err := s.OpenLinkStats(n)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		readers[n] = r
	}
	peer := ipLinkStats(t, hostRunner)
	for _, n := range names {
		var b LinkStats
		if err := readers[n].Read(&b); err != nil {
			t.Fatal(err)
		}
		as := a[n]
		p := peer[n]
		delete(p, "rx.otherhost_dropped")
		delete(p, "tx.carrier_changes")
		between(t, "sysfs "+n, sysfsKeys(&as), p, sysfsKeys(&b))
	}
}

// catAttr reads a sysfs attribute with cat(1): ok false when cat fails (the
// kernel refused the read).
func catAttr(path string) (string, bool) {
	out, err := exec.Command("cat", path).Output()
	return strings.TrimSpace(string(out)), err == nil
}

// TestDeviceLive checks every attribute's presence and value against cat(1)
// and the link dump.
func TestDeviceLive(t *testing.T) {
	netnstest.RequireRoot(t)
	c, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	links, err := c.Links(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		d, err := c.SysFS().Device(l.Name)
		if err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
		dir := "/sys/class/net/" + l.Name
		check := func(what, path string, present bool, value string) {
			t.Helper()
			v, ok := catAttr(path)
			if ok != present || (ok && v != value) {
				t.Errorf("%s %s: cat %q ok=%v, ours %q present=%v", l.Name, what, v, ok, value, present)
			}
		}
		if v, ok := catAttr(dir + "/speed"); ok != d.Speed.Present && !(ok && v == "-1") {
			t.Errorf("%s speed: cat %q ok=%v, ours %+v", l.Name, v, ok, d.Speed)
		}
		check("duplex", dir+"/duplex", d.Duplex.Present, d.Duplex.Value)
		carrier := "0"
		if d.Carrier.Value {
			carrier = "1"
		}
		check("carrier", dir+"/carrier", d.Carrier.Present, carrier)
		if d.CarrierChanges.Value != uint64(l.CarrierChanges) {
			t.Errorf("%s carrier_changes %d, rtnetlink %d", l.Name, d.CarrierChanges.Value, l.CarrierChanges)
		}
		if info, err := c.DriverInfo(l.Name); err == nil && info.BusInfo != "" && d.Driver != info.Driver {
			t.Errorf("%s driver %q, ethtool -i %q", l.Name, d.Driver, info.Driver)
		}
		for _, q := range d.TxQueues {
			qd := dir + "/queues/tx-" + itoa(q.Index)
			_, ok := catAttr(qd + "/xps_cpus")
			if ok != q.XPSCPUs.Present {
				t.Errorf("%s tx-%d xps_cpus present=%v, cat ok=%v", l.Name, q.Index, q.XPSCPUs.Present, ok)
			}
			check("traffic_class", qd+"/traffic_class", q.TrafficClass.Present, q.TrafficClass.Value)
			check("tx_timeout", qd+"/tx_timeout", q.TxTimeout.Present, utoa(q.TxTimeout.Value))
			check("bql limit_max", qd+"/byte_queue_limits/limit_max", q.BQL.LimitMax.Present, utoa(q.BQL.LimitMax.Value))
			check("bql hold_time", qd+"/byte_queue_limits/hold_time", q.BQL.HoldTime.Present, utoa(q.BQL.HoldTime.Value))
		}
		for _, q := range d.RxQueues {
			qd := dir + "/queues/rx-" + itoa(q.Index)
			check("rps_flow_cnt", qd+"/rps_flow_cnt", q.RPSFlowCnt.Present, utoa(q.RPSFlowCnt.Value))
			v, _ := catAttr(qd + "/rps_cpus")
			var m procparse.CPUSet
			if err := procparse.ParseCPUMask([]byte(v), &m); err != nil || !m.Equal(q.RPSCPUs.Value) {
				t.Errorf("%s rx-%d rps_cpus %q, ours %s", l.Name, q.Index, v, q.RPSCPUs.Value)
			}
		}
		if uint32(len(d.TxQueues)) > l.NumTxQueues || uint32(len(d.RxQueues)) > l.NumRxQueues {
			t.Errorf("%s: %d/%d queues in sysfs, %d/%d allocated", l.Name, len(d.RxQueues), len(d.TxQueues), l.NumRxQueues, l.NumTxQueues)
		}
	}
}

// TestDeviceIRQsLive: eth0's interrupts against /proc/interrupts, read
// independently.
func TestDeviceIRQsLive(t *testing.T) {
	if _, err := os.Stat("/sys/class/net/eth0/device"); err != nil {
		t.Skip("no eth0 bus device")
	}
	c, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	irqs, err := c.IRQs("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if len(irqs) == 0 {
		t.Skip("eth0 has no MSI interrupts")
	}
	raw, err := os.ReadFile("/proc/interrupts")
	if err != nil {
		t.Fatal(err)
	}
	queues := 0
	for _, q := range irqs {
		found := false
		for _, line := range strings.Split(string(raw), "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && f[0] == itoa(q.IRQ)+":" {
				found = f[len(f)-1] == q.Action
			}
		}
		if !found {
			t.Errorf("IRQ %d %q not in /proc/interrupts", q.IRQ, q.Action)
		}
		if !q.HasAffinity || q.Affinity.Affinity.Count() == 0 {
			t.Errorf("IRQ %d: no affinity", q.IRQ)
		}
		if q.Queue >= 0 {
			queues++
		}
		t.Logf("IRQ %d %s queue %d %s combined=%v affinity %s effective %s total %d",
			q.IRQ, q.Action, q.Queue, q.Dir, q.Combined, q.Affinity.Affinity, q.Affinity.Effective, q.Total())
	}
	if queues == 0 {
		t.Error("no queue IRQ recognised for eth0")
	}
}
