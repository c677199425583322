package procparse

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{
		"0-1\n":       {0, 1},
		"0":           {0},
		"":            nil,
		"0-3,8,10-11": {0, 1, 2, 3, 8, 10, 11},
		"63-65":       {63, 64, 65},
		" 5 \n":       {5},
		"100,2":       {2, 100},
	} {
		var s CPUSet
		if err := ParseCPUList([]byte(in), &s); err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := s.AppendCPUs(nil); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"a", "3-1", "1,", "1--2", "-1", "0-99999999", ",1"} {
		var s CPUSet
		if err := ParseCPUList([]byte(in), &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestParseCPUMask(t *testing.T) {
	for in, want := range map[string][]int{
		"3\n":               {0, 1},
		"00000002":          {1},
		"1,00000000":        {32},
		"ff,00000001":       {0, 32, 33, 34, 35, 36, 37, 38, 39},
		"00000000,00000000": nil,
		"80000000,0,1":      {0, 95},
	} {
		var s CPUSet
		if err := ParseCPUMask([]byte(in), &s); err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := s.AppendCPUs(nil); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"", "g", "123456789", "1,,2"} {
		var s CPUSet
		if err := ParseCPUMask([]byte(in), &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestCPUSetMethods(t *testing.T) {
	var a, b CPUSet
	if err := ParseCPUList([]byte("0-3,8,70"), &a); err != nil {
		t.Fatal(err)
	}
	if a.String() != "0-3,8,70" || a.Count() != 6 || !a.Has(70) || a.Has(69) || a.Has(-1) {
		t.Errorf("a = %s count %d", a, a.Count())
	}
	b.Add(8)
	if !a.Intersects(b) || b.Intersects(CPUSet{}) {
		t.Error("Intersects")
	}
	var c CPUSet
	if err := ParseCPUMask([]byte("40,00000000,0000010f"), &c); err != nil {
		t.Fatal(err)
	}
	if !c.Equal(a) {
		t.Errorf("mask %s != list %s", c, a)
	}
}

func TestIRQAffinityFixture(t *testing.T) {
	fs, err := NewFS("testdata/irq/vm")
	if err != nil {
		t.Fatal(err)
	}
	a, err := fs.IRQAffinity(38)
	if err != nil {
		t.Fatal(err)
	}
	if a.Affinity.String() != "0-1" || !a.HasEffective || a.Effective.String() != "1" || a.HasNode || !a.OnCPU(1) || a.OnCPU(0) {
		t.Errorf("IRQ 38 = %+v", a)
	}
	if _, err := fs.IRQAffinity(999); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("IRQ 999: %v", err)
	}
	irqs, err := fs.IRQNumbers()
	if err != nil || len(irqs) != 19 || irqs[0] != 24 || irqs[18] != 43 {
		t.Errorf("IRQNumbers = %v, %v", irqs, err)
	}
	def, err := fs.DefaultIRQAffinity()
	if err != nil || def.String() != "0-1" {
		t.Errorf("default = %s, %v", def, err)
	}
}

// TestIRQAffinityLive compares with the list and mask files of the running
// kernel: both forms must give the same set.
func TestIRQAffinityLive(t *testing.T) {
	fs, err := NewDefaultFS()
	if err != nil {
		t.Skip(err)
	}
	irqs, err := fs.IRQNumbers()
	if err != nil || len(irqs) == 0 {
		t.Skipf("no /proc/irq: %v", err)
	}
	for _, irq := range irqs {
		a, err := fs.IRQAffinity(irq)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(fs.Path("irq", itoa(irq), "smp_affinity"))
		if err != nil {
			t.Fatal(err)
		}
		var m CPUSet
		if err := ParseCPUMask(b, &m); err != nil {
			t.Fatal(err)
		}
		if !m.Equal(a.Affinity) {
			t.Errorf("IRQ %d: mask %s, list %s", irq, m, a.Affinity)
		}
		if a.HasEffective && a.Effective.Count() == 0 && a.Affinity.Count() > 0 {
			t.Logf("IRQ %d: empty effective affinity (not started)", irq)
		}
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0-1\n", "0-3,8,10-11", "", "63-65", "1,"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s CPUSet
		if err := ParseCPUList(b, &s); err != nil {
			return
		}
		var again CPUSet
		if err := ParseCPUList([]byte(s.String()), &again); err != nil || !again.Equal(s) {
			t.Fatalf("round trip %q -> %q: %v", b, s.String(), err)
		}
	})
}

func FuzzParseCPUMask(f *testing.F) {
	for _, s := range []string{"3\n", "ff,00000001", "00000000,00000000", "80000000,0,1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s CPUSet
		_ = ParseCPUMask(b, &s)
	})
}

func TestIRQCountDelta(t *testing.T) {
	if d := IRQCountDelta(4294967290, 5); d != 11 {
		t.Errorf("wrapped delta = %d, want 11", d)
	}
	if d := IRQCountDelta(100, 250); d != 150 {
		t.Errorf("delta = %d", d)
	}
}

func TestCPUSetJSON(t *testing.T) {
	var s CPUSet
	if err := ParseCPUList([]byte("0-3,8"), &s); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct{ CPUs CPUSet }{s})
	if err != nil || string(b) != `{"CPUs":"0-3,8"}` {
		t.Fatalf("%s %v", b, err)
	}
	var back struct{ CPUs CPUSet }
	if err := json.Unmarshal(b, &back); err != nil || !back.CPUs.Equal(s) {
		t.Errorf("round trip: %s %v", back.CPUs, err)
	}
	b, _ = json.Marshal(struct{ CPUs CPUSet }{})
	if string(b) != `{"CPUs":""}` {
		t.Errorf("empty set: %s", b)
	}
}
