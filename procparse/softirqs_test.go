package procparse

import (
	"errors"
	"slices"
	"testing"
)

func TestSoftirqsFixtures(t *testing.T) {
	for _, c := range []struct {
		fixture      string
		netRX, netTX []uint64
		rcu          []uint64
	}{
		{"linux-6.18-vm", []uint64{112987139, 96555}, []uint64{265240, 739}, []uint64{7851269, 2214426}},
		{"linux-6.18-netns-udp-drops", []uint64{112987138, 96555}, []uint64{265239, 739}, []uint64{7851076, 2214361}},
	} {
		s, err := bFixture(t, c.fixture).Softirqs()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.CPUs, []int{0, 1}) {
			t.Errorf("%s: CPUs = %v", c.fixture, s.CPUs)
		}
		if len(s.Rows) != 10 {
			t.Errorf("%s: %d rows, want 10", c.fixture, len(s.Rows))
		}
		if !slices.Equal(s.NetRX(), c.netRX) || !slices.Equal(s.NetTX(), c.netTX) || !slices.Equal(s.Row("RCU"), c.rcu) {
			t.Errorf("%s: NET_RX %v NET_TX %v RCU %v; want %v %v %v", c.fixture, s.NetRX(), s.NetTX(), s.Row("RCU"), c.netRX, c.netTX, c.rcu)
		}
		if s.Row("NOPE") != nil {
			t.Error("absent row not nil")
		}
	}
}

func TestParseSoftirqsErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"   CPU0 CPUx\n",
		"   CPU0 CPU1\nNET_RX: 1\n",
		"   CPU0 CPU1\nNET_RX: 1 2 3\n",
		"   CPU0 CPU1\nNET_RX 1 2\n",
		"   CPU0 CPU1\nNET_RX: 1 -2\n",
		"   CPU0\nNET_RX: 99999999999999999999\n",
	} {
		var s Softirqs
		if err := ParseSoftirqs([]byte(in), &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSoftirqs(%q) = %v, want ErrMalformed", in, err)
		}
	}
	// Possible CPUs need not be numbered without gaps.
	var s Softirqs
	if err := ParseSoftirqs([]byte("   CPU0 CPU4\n  NET_RX: 5 6\n"), &s); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.CPUs, []int{0, 4}) || !slices.Equal(s.NetRX(), []uint64{5, 6}) || s.NetTX() != nil {
		t.Errorf("sparse CPUs: %+v", s)
	}
}

func TestSoftirqsLive(t *testing.T) {
	fs, err := NewDefaultFS()
	if err != nil {
		t.Skip(err)
	}
	r, err := fs.SoftirqsReader()
	if err != nil {
		t.Skipf("no /proc/softirqs: %v", err)
	}
	defer r.Close()
	var s Softirqs
	if err := r.Read(&s); err != nil {
		t.Fatal(err)
	}
	if len(s.CPUs) == 0 || len(s.NetRX()) != len(s.CPUs) || len(s.NetTX()) != len(s.CPUs) {
		t.Fatalf("live softirqs: CPUs %v NET_RX %v NET_TX %v", s.CPUs, s.NetRX(), s.NetTX())
	}
	if n := testing.AllocsPerRun(50, func() { _ = r.Read(&s) }); n != 0 {
		t.Errorf("Softirqs Reader.Read allocates %v times, want 0", n)
	}
}

func TestSoftirqsAllocs(t *testing.T) {
	b := bRead(t, "linux-6.18-vm", "proc", "softirqs")
	var s Softirqs
	if err := ParseSoftirqs(b, &s); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = ParseSoftirqs(b, &s) }); n != 0 {
		t.Errorf("ParseSoftirqs allocates %v times per re-parse, want 0", n)
	}
}

func FuzzSoftirqs(f *testing.F) {
	f.Add(bRead(f, "linux-6.18-vm", "proc", "softirqs"))
	f.Add(bRead(f, "linux-6.18-netns-udp-drops", "proc", "softirqs"))
	addStrictSeeds(f, "softirqs")
	var reused Softirqs // across inputs: the checks it skips must not miss
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Softirqs
		err := ParseSoftirqs(b, &s)
		if err2 := ParseSoftirqs(b, &reused); (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, r := range s.Rows {
			if len(r.PerCPU) != len(s.CPUs) {
				t.Fatalf("row %s has %d counts for %d CPUs", r.Name, len(r.PerCPU), len(s.CPUs))
			}
		}
	})
}

func TestSoftirqsDelta(t *testing.T) {
	var prev, cur Softirqs
	if err := ParseSoftirqs([]byte("  CPU0 CPU1\nNET_RX: 4294967290 10\nNET_TX: 1 2\n"), &prev); err != nil {
		t.Fatal(err)
	}
	if err := ParseSoftirqs([]byte("  CPU0 CPU1\nNET_RX: 4 25\nNET_TX: 1 2\n"), &cur); err != nil {
		t.Fatal(err)
	}
	if d := cur.Delta(&prev, "NET_RX", nil); !slices.Equal(d, []uint64{10, 15}) {
		t.Errorf("NET_RX delta across a 32-bit wrap = %v, want [10 15]", d)
	}
	if d := cur.Delta(&prev, "NOPE", nil); d != nil {
		t.Errorf("absent softirq delta = %v", d)
	}
	var other Softirqs
	_ = ParseSoftirqs([]byte("  CPU0 CPU2\nNET_RX: 4 25\n"), &other)
	if d := other.Delta(&prev, "NET_RX", nil); d != nil {
		t.Errorf("delta across different CPU sets = %v", d)
	}
	dst := make([]uint64, 0, 2)
	if n := testing.AllocsPerRun(100, func() { dst = cur.Delta(&prev, "NET_RX", dst) }); n != 0 {
		t.Errorf("Delta allocates %v times", n)
	}
}

func BenchmarkParseSoftirqs(b *testing.B) {
	in := bRead(b, "linux-6.18-vm", "proc", "softirqs")
	var s Softirqs
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseSoftirqs(in, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSoftirqsReaderLive(b *testing.B) {
	fs, err := NewDefaultFS()
	if err != nil {
		b.Skip(err)
	}
	r, err := fs.SoftirqsReader()
	if err != nil {
		b.Skip(err)
	}
	defer r.Close()
	var s Softirqs
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(&s); err != nil {
			b.Fatal(err)
		}
	}
}
