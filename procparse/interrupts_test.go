package procparse

import (
	"errors"
	"os"
	"slices"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/irq/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseInterruptsVM(t *testing.T) {
	var in Interrupts
	if err := ParseInterrupts(readTestdata(t, "vm/interrupts"), &in); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.CPUs, []int{0, 1}) {
		t.Fatalf("CPUs = %v", in.CPUs)
	}
	if len(in.Rows) != 35 {
		t.Fatalf("%d rows, want 35", len(in.Rows))
	}
	r := in.Row(38)
	want := InterruptRow{Name: "38", IRQ: 38, Counts: []uint64{0, 4905}, Chip: "PCI-MSIX-0000:00:03.0",
		HWIRQ: 1, HasHWIRQ: true, Handler: "edge", Actions: "virtio2-input.0"}
	checkRow(t, r, want)
	checkRow(t, in.Row(24), InterruptRow{Name: "24", IRQ: 24, Counts: []uint64{1, 0}, Chip: "IO-APIC",
		HWIRQ: 5, HasHWIRQ: true, Handler: "edge", Actions: "ACPI:Ged"})
	checkRow(t, in.NamedRow("LOC"), InterruptRow{Name: "LOC", IRQ: -1, Counts: []uint64{1542370, 2028446},
		Actions: "Local timer interrupts"})
	checkRow(t, in.NamedRow("ERR"), InterruptRow{Name: "ERR", IRQ: -1, Counts: []uint64{0}})
	if got := in.NamedRow("CAL").Total(); got != 4097912+22715102 {
		t.Errorf("CAL total = %d", got)
	}
}

func TestParseInterruptsOtherLayouts(t *testing.T) {
	var in Interrupts
	if err := ParseInterrupts(readTestdata(t, "arm64-interrupts"), &in); err != nil {
		t.Fatal(err)
	}
	checkRow(t, in.Row(11), InterruptRow{Name: "11", IRQ: 11, Counts: []uint64{123456, 234567, 345678, 456789},
		Chip: "GICv3", HWIRQ: 27, HasHWIRQ: true, Level: "Level", Actions: "arch_timer"})
	checkRow(t, in.Row(52), InterruptRow{Name: "52", IRQ: 52, Counts: []uint64{1234, 0, 0, 0},
		Chip: "ITS-MSI", HWIRQ: 524288, HasHWIRQ: true, Level: "Edge", Actions: "eth0-TxRx-0"})
	r := in.Row(60)
	checkRow(t, r, InterruptRow{Name: "60", IRQ: 60, Counts: []uint64{0, 0, 0, 0},
		Chip: "mbigen-v2", HWIRQ: 1, HasHWIRQ: true, Level: "Level", Handler: "fasteoi", Actions: "ahci, ehci_hcd:usb1"})
	var names []string
	r.ActionNames(func(n string) { names = append(names, n) })
	if !slices.Equal(names, []string{"ahci", "ehci_hcd:usb1"}) {
		t.Errorf("ActionNames = %q", names)
	}
	checkRow(t, in.NamedRow("IPI0"), InterruptRow{Name: "IPI0", IRQ: -1, Counts: []uint64{1000, 2000, 3000, 4000},
		Actions: "Rescheduling interrupts"})
	checkRow(t, in.NamedRow("Err"), InterruptRow{Name: "Err", IRQ: -1, Counts: []uint64{0}})

	if err := ParseInterrupts(readTestdata(t, "x86-mlx5-interrupts"), &in); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.CPUs, []int{0, 2}) {
		t.Fatalf("CPUs = %v (offline CPU1 has no column)", in.CPUs)
	}
	checkRow(t, in.Row(121), InterruptRow{Name: "121", IRQ: 121, Counts: []uint64{18273645, 0},
		Chip: "IR-PCI-MSIX-0000:3b:00.0", HWIRQ: 1, HasHWIRQ: true, Handler: "edge", Actions: "mlx5_comp0@pci:0000:3b:00.0"})
	checkRow(t, in.Row(9), InterruptRow{Name: "9", IRQ: 9, Counts: []uint64{0, 0},
		Chip: "IO-APIC", HWIRQ: 9, HasHWIRQ: true, Handler: "fasteoi", Actions: "acpi"})
	checkRow(t, in.Row(140), InterruptRow{Name: "140", IRQ: 140, Counts: []uint64{0, 0},
		Chip: "xen-dyn", Handler: "edge", Actions: "evtchn:xenbus"})
}

func checkRow(t *testing.T, got *InterruptRow, want InterruptRow) {
	t.Helper()
	if got == nil {
		t.Fatalf("row %s missing", want.Name)
	}
	if got.Name != want.Name || got.IRQ != want.IRQ || !slices.Equal(got.Counts, want.Counts) ||
		got.Chip != want.Chip || got.HWIRQ != want.HWIRQ || got.HasHWIRQ != want.HasHWIRQ ||
		got.Level != want.Level || got.Handler != want.Handler || got.Actions != want.Actions {
		t.Errorf("row %s:\n got %+v\nwant %+v", want.Name, *got, want)
	}
}

func TestParseInterruptsErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":       "",
		"no header":   " 24: 1 0 IO-APIC 5-edge x\n",
		"bad header":  "CPU0 CPUX\n",
		"no colon":    "CPU0\n24 1 IO-APIC\n",
		"extra count": "CPU0\nNMI: 1 2 Non-maskable\n",
		"extra irq":   "CPU0\n 5: 1 2 IO-APIC 5-edge x\n",
		"overflow":    "CPU0\n 5: 99999999999999999999999 IO-APIC 5-edge x\n",
	} {
		var dst Interrupts
		err := ParseInterrupts([]byte(in), &dst)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestInterruptsFS(t *testing.T) {
	fs, err := NewFS("testdata/irq/vm")
	if err != nil {
		t.Fatal(err)
	}
	in, err := fs.Interrupts()
	if err != nil {
		t.Fatal(err)
	}
	if in.Row(39).Actions != "virtio2-output.0" {
		t.Errorf("IRQ 39 = %+v", in.Row(39))
	}
	r, err := fs.OpenInterrupts()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var dst Interrupts
	if err := r.Read(&dst); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Read(&dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Reader.Read: %v allocs, want 0", allocs)
	}
	if _, err := (FS{root: "testdata/none"}).Interrupts(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestInterruptsLive parses the running kernel's file; the IRQ numbers must
// match /proc/irq.
func TestInterruptsLive(t *testing.T) {
	fs, err := NewDefaultFS()
	if err != nil {
		t.Skip(err)
	}
	in, err := fs.Interrupts()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	irqs, err := fs.IRQNumbers()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in.Rows {
		if r.IRQ >= 0 {
			if !slices.Contains(irqs, r.IRQ) {
				t.Errorf("IRQ %d listed in interrupts but not in /proc/irq", r.IRQ)
			}
			if len(r.Counts) != len(in.CPUs) {
				t.Errorf("IRQ %d: %d counts for %d CPUs", r.IRQ, len(r.Counts), len(in.CPUs))
			}
			if r.Chip == "" {
				t.Errorf("IRQ %d: no chip", r.IRQ)
			}
		}
	}
}

func BenchmarkInterrupts(b *testing.B) {
	buf := readTestdata(b, "vm/interrupts")
	var dst Interrupts
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseInterrupts(buf, &dst); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseInterrupts(f *testing.F) {
	for _, name := range []string{"vm/interrupts", "arm64-interrupts", "x86-mlx5-interrupts"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("CPU0\nERR: 0\n"))
	addStrictSeeds(f, "interrupts")
	var reused Interrupts // across inputs: the checks it skips must not miss
	f.Fuzz(func(t *testing.T, b []byte) {
		var dst Interrupts
		err := ParseInterrupts(b, &dst)
		if err2 := ParseInterrupts(b, &reused); (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, r := range dst.Rows {
			if len(r.Counts) > len(dst.CPUs) {
				t.Fatalf("row %q has %d counts for %d CPUs", r.Name, len(r.Counts), len(dst.CPUs))
			}
			r.ActionNames(func(string) {})
		}
		// Re-parsing into the used value gives the same result.
		if err := ParseInterrupts(b, &dst); err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
	})
}
