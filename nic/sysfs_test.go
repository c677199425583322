package nic

import (
	"errors"
	"os"
	"testing"

	"github.com/packetpath/packetpath/procparse"
)

func TestSysFSFixture(t *testing.T) {
	s := NewSysFS("testdata/sys")
	names, err := s.DeviceNames()
	if err != nil || len(names) != 4 || names[0] != "eth0" || names[3] != "lo" {
		t.Fatalf("DeviceNames = %v, %v", names, err)
	}
	st, err := s.Stats("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if st.RxPackets != 4342 || !st.HasRxNohandler || st.HasRxOtherhostDropped {
		t.Errorf("eth0 stats = %+v", st)
	}
	d, err := s.Device("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if d.Speed.Present || !d.Duplex.Present || d.Duplex.Value != "unknown" || !d.Carrier.Value || d.CarrierChanges.Value != 2 ||
		d.NUMANode.Present || d.Driver != "virtio_net" {
		t.Errorf("eth0 = %+v", d)
	}
	if len(d.RxQueues) != 1 || len(d.TxQueues) != 1 {
		t.Fatalf("eth0 queues %d/%d", len(d.RxQueues), len(d.TxQueues))
	}
	tx := d.TxQueues[0]
	if tx.XPSCPUs.Present || tx.TrafficClass.Present || !tx.XPSRxQueues.Present || !tx.BQL.Present ||
		!tx.BQL.LimitMax.Present || tx.BQL.LimitMax.Value != 1879048192 || !tx.BQL.StallThrs.Present {
		t.Errorf("eth0 tx-0 = %+v", tx)
	}
	rx := d.RxQueues[0]
	if !rx.RPSCPUs.Present || rx.RPSCPUs.Value.Count() != 0 || !rx.RPSFlowCnt.Present {
		t.Errorf("eth0 rx-0 = %+v", rx)
	}
	lo, err := s.Device("lo")
	if err != nil {
		t.Fatal(err)
	}
	if lo.TxQueues[0].BQL.Present || lo.Driver != "" || lo.Speed.Present || lo.Carrier.Present {
		t.Errorf("lo = %+v", lo)
	}
	if _, err := s.Device("nope0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v", err)
	}
	if _, err := s.Stats("nope0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device stats: %v", err)
	}
}

func TestSysFSMalformed(t *testing.T) {
	dir := t.TempDir()
	st := dir + "/class/net/bad0/statistics"
	if err := os.MkdirAll(st, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range statFiles {
		if err := os.WriteFile(st+"/"+f.name, []byte("12x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewSysFS(dir).Stats("bad0"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed statistics: %v", err)
	}
	if err := os.WriteFile(dir+"/class/net/bad0/speed", []byte("fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSysFS(dir).Device("bad0"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed speed: %v", err)
	}
}

func TestDeviceIRQsFixture(t *testing.T) {
	proc, err := procparse.NewFS("testdata/proc")
	if err != nil {
		t.Fatal(err)
	}
	irqs, err := DeviceIRQs(NewSysFS("testdata/sys"), proc, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	if len(irqs) != 3 {
		t.Fatalf("eth0 IRQs = %+v", irqs)
	}
	want := []struct {
		irq, queue int
		dir        Direction
		eff        string
		total      uint64
	}{{37, -1, DirUnknown, "0", 0}, {38, 0, DirRx, "1", 4905}, {39, 0, DirTx, "0", 5546}}
	for i, w := range want {
		q := irqs[i]
		if q.IRQ != w.irq || q.Queue != w.queue || q.Dir != w.dir || !q.HasAffinity || q.Affinity.Effective.String() != w.eff ||
			q.Total() != w.total || q.Affinity.Affinity.String() != "0-1" {
			t.Errorf("IRQ %d = %+v", w.irq, q)
		}
	}
	if !irqs[1].MayRunOn(1) || irqs[1].MayRunOn(0) {
		t.Error("IRQ 38 runs on CPU 1 only")
	}
	var app procparse.CPUSet
	app.Add(1)
	if !irqs[1].SharesCPUWith(app) || irqs[2].SharesCPUWith(app) {
		t.Error("application on CPU 1 shares it with rx IRQ 38, not with tx IRQ 39")
	}
	// Without msi_irqs the names decide: the fixture's ifb0 has none.
	irqs, err = DeviceIRQs(NewSysFS("testdata/sys"), proc, "ifb0")
	if err != nil || len(irqs) != 0 {
		t.Errorf("ifb0 IRQs = %+v, %v", irqs, err)
	}
}

func TestClassifyIRQAction(t *testing.T) {
	for _, c := range []struct {
		name     string
		queue    int
		dir      Direction
		combined bool
	}{
		{"virtio2-input.0", 0, DirRx, false},
		{"virtio2-output.3", 3, DirTx, false},
		{"virtio2-config", -1, DirUnknown, false},
		{"virtio3-rx", -1, DirUnknown, false},
		{"eth0-TxRx-7", 7, DirUnknown, true},
		{"i40e-eth0-TxRx-12", 12, DirUnknown, true},
		{"ice-ens1f0-TxRx-0", 0, DirUnknown, true},
		{"eth0-rx-1", 1, DirRx, false},
		{"eth0-tx-2", 2, DirTx, false},
		{"eth0", -1, DirUnknown, false},
		{"i40e-0000:3b:00.0:misc", -1, DirUnknown, false},
		{"mlx5_comp5@pci:0000:3b:00.0", 5, DirUnknown, true},
		{"mlx5_async0@pci:0000:3b:00.0", -1, DirUnknown, false},
		{"bnxt_en-TxRx-0, other", 0, DirUnknown, true},
		{"", -1, DirUnknown, false},
		{"-5", -1, DirUnknown, false},
	} {
		q, d, comb := ClassifyIRQAction(c.name)
		if q != c.queue || d != c.dir || comb != c.combined {
			t.Errorf("%q: queue %d dir %s combined %v; want %d %s %v", c.name, q, d, comb, c.queue, c.dir, c.combined)
		}
	}
}

func TestActionNamesDevice(t *testing.T) {
	for _, c := range []struct {
		action, dev, bus string
		want             bool
	}{
		{"virtio2-input.0", "eth0", "virtio2", true},
		{"virtio21-input.0", "eth0", "virtio2", false},
		{"eth0-TxRx-0", "eth0", "0000:3b:00.0", true},
		{"eth01-TxRx-0", "eth0", "", false},
		{"i40e-eth0-TxRx-0", "eth0", "", true},
		{"mlx5_comp0@pci:0000:3b:00.0", "ens1", "0000:3b:00.0", true},
		{"eth0", "eth0", "", true},
	} {
		if got := actionNamesDevice(c.action, c.dev, c.bus); got != c.want {
			t.Errorf("%q for %s/%s = %v", c.action, c.dev, c.bus, got)
		}
	}
}

func TestLinkStatsReaderFixture(t *testing.T) {
	s := NewSysFS("testdata/sys")
	r, err := s.OpenLinkStats("eth0")
	if err != nil {
		t.Fatal(err)
	}
	var st LinkStats
	if err := r.Read(&st); err != nil {
		t.Fatal(err)
	}
	want, err := s.Stats("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if st != want {
		t.Errorf("reader %+v\nStats  %+v", st, want)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Read(&st); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per Read", allocs)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Read(&st); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := s.OpenLinkStats("nope0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v", err)
	}
}
