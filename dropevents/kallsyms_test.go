package dropevents

import (
	"errors"
	"os"
	"testing"
)

func TestParseKallsyms(t *testing.T) {
	b, err := os.ReadFile("testdata/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKallsyms("kallsyms", b)
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 13 {
		t.Errorf("Len = %d; want 13", k.Len())
	}
	for _, tt := range []struct {
		addr uint64
		name string
		off  uint64
		ok   bool
	}{
		{0xffffffff82046290 + 0x3a1, "__udp4_lib_rcv", 0x3a1, true},
		{0xffffffff82047440, "udp_rcv", 0, true},
		{0xffffffff81ef4340 + 0x10, "tbf_enqueue", 0x10, true},
		{0xffffffffc0001020, "fake_mod_fn [fakemod]", 0x20, true},
		{0xffffffff80000000, "", 0, false},
	} {
		name, off, ok := k.Lookup(tt.addr)
		if name != tt.name || off != tt.off || ok != tt.ok {
			t.Errorf("Lookup(%#x) = %q+%#x, %v; want %q+%#x, %v", tt.addr, name, off, ok, tt.name, tt.off, tt.ok)
		}
	}
	u, _ := os.ReadFile("testdata/kallsyms.unprivileged")
	if _, err := ParseKallsyms("kallsyms", u); !errors.Is(err, os.ErrPermission) {
		t.Errorf("zeroed addresses: %v; want os.ErrPermission", err)
	}
	for _, bad := range []string{"ffff T", "zz T x\n", "ffff TT x\n"} {
		if _, err := ParseKallsyms("kallsyms", []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v; want ErrMalformed", bad, err)
		}
	}
}

func TestSitesInto(t *testing.T) {
	a := newTestAggregator()
	for i, n := range []int{3, 10, 1, 10} {
		for j := 0; j < n; j++ {
			a.location(uint64(0x100 * (i + 1)))
		}
	}
	for i := 0; i < maxLocations+5; i++ {
		a.location(uint64(0x10000 + i))
	}
	dst := make([]DropSite, 0, 128)
	sites, overflow := a.sitesInto(dst)
	if len(sites) != maxLocations || overflow != 9 {
		t.Fatalf("%d sites, overflow %d; want %d, 9", len(sites), overflow, maxLocations)
	}
	if sites[0] != (DropSite{0x200, 10}) || sites[1] != (DropSite{0x400, 10}) || sites[2] != (DropSite{0x100, 3}) {
		t.Errorf("top sites = %v", sites[:3])
	}
	if n := testing.AllocsPerRun(50, func() { a.sitesInto(dst) }); n != 0 {
		t.Errorf("sitesInto allocates %v times", n)
	}
}

func FuzzParseKallsyms(f *testing.F) {
	b, _ := os.ReadFile("testdata/kallsyms")
	f.Add(b)
	u, _ := os.ReadFile("testdata/kallsyms.unprivileged")
	f.Add(u)
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKallsyms("fuzz", b)
		if err != nil {
			return
		}
		for i := 1; i < len(k.addrs); i++ {
			if k.addrs[i] < k.addrs[i-1] {
				t.Fatal("not sorted")
			}
		}
		for _, a := range k.addrs {
			if name, off, ok := k.Lookup(a + 1); !ok || name == "" || off > 1 {
				t.Fatalf("Lookup(%#x) = %q, %d, %v", a+1, name, off, ok)
			}
		}
	})
}
