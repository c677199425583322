package procparse

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

func vmSysctls() Sysctls {
	p := func(v int64) SysctlInt { return SysctlInt{Value: v, Present: true} }
	return Sysctls{
		NetdevBudget: p(300), NetdevBudgetUsecs: p(8000),
		DevWeight: p(64), DevWeightRxBias: p(1), DevWeightTxBias: p(1),
		NetdevMaxBacklog: p(1000),
		RmemDefault:      p(212992), RmemMax: p(4194304), WmemDefault: p(212992), WmemMax: p(4194304),
		OptmemMax: p(131072), BusyPoll: p(0), BusyRead: p(0),
		DefaultQdisc:      SysctlString{Value: "pfifo_fast", Present: true},
		FlowLimitTableLen: p(4096), RPSSockFlowEntries: p(0),
		UDPMem:     UDPMem{Min: 575802, Pressure: 767736, Max: 1151604, Present: true},
		UDPRmemMin: p(4096), UDPWmemMin: p(4096), IGMPMaxMemberships: p(20),
		IPFragHighThresh: p(4194304), IPFragTime: p(30), RPFilterAll: p(0),
	}
}

// netnsSysctls is what a non-initial namespace of 6.18 exposes: the
// socket buffer limits and the UDP/IGMP per-namespace settings, not the
// machine-wide net.core ones nor udp_mem.
func netnsSysctls() Sysctls {
	p := func(v int64) SysctlInt { return SysctlInt{Value: v, Present: true} }
	return Sysctls{
		RmemDefault: p(212992), RmemMax: p(4194304), WmemDefault: p(212992), WmemMax: p(4194304),
		OptmemMax:  p(131072),
		UDPRmemMin: p(4096), UDPWmemMin: p(4096), IGMPMaxMemberships: p(20),
		IPFragHighThresh: p(4194304), IPFragTime: p(30), RPFilterAll: p(0),
	}
}

func TestSysctlsFixtures(t *testing.T) {
	for _, c := range []struct {
		fixture string
		want    Sysctls
	}{
		{"linux-6.18-vm", vmSysctls()},
		{"linux-6.18-netns-udp-drops", netnsSysctls()},
	} {
		fs := bFixture(t, c.fixture)
		got, err := fs.Sysctls()
		if err != nil {
			t.Fatalf("%s: %v", c.fixture, err)
		}
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.fixture, got, c.want)
		}
		r, err := fs.SysctlsReader()
		if err != nil {
			t.Fatal(err)
		}
		// Stale values in dst must not survive as present.
		stale := vmSysctls()
		if err := r.Read(&stale); err != nil {
			t.Fatal(err)
		}
		if stale != c.want {
			t.Errorf("%s reader:\n got %+v\nwant %+v", c.fixture, stale, c.want)
		}
		if n := testing.AllocsPerRun(50, func() { _ = r.Read(&stale) }); n != 0 {
			t.Errorf("SysctlsReader.Read allocates %v times, want 0", n)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	mem := vmSysctls().UDPMem
	if lo, pr, hi := mem.Bytes(4096); lo != 575802*4096 || pr != 767736*4096 || hi != 1151604*4096 {
		t.Errorf("UDPMem.Bytes = %d %d %d", lo, pr, hi)
	}
}

func TestSysctlRaw(t *testing.T) {
	fs := bFixture(t, "linux-6.18-vm")
	for name, want := range map[string]string{
		"net.core.rmem_max":      "4194304",
		"net/core/default_qdisc": "pfifo_fast",
		"net.ipv4.udp_mem":       "575802\t767736\t1151604",
	} {
		got, err := fs.Sysctl(name)
		if err != nil || got != want {
			t.Errorf("Sysctl(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := fs.Sysctl("net.core.no_such"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing sysctl: %v, want os.ErrNotExist", err)
	}
	for _, bad := range []string{"", "net..core", "../etc/passwd", "net/../../x", ".net"} {
		if _, err := fs.Sysctl(bad); err == nil || errors.Is(err, os.ErrNotExist) {
			t.Errorf("Sysctl(%q) = %v, want an invalid-name error", bad, err)
		}
	}
}

func TestParseSysctl(t *testing.T) {
	var s Sysctls
	for name, in := range map[string]string{
		"net.core.rmem_max":      "x\n",
		"net.core.default_qdisc": " \n",
		"net.ipv4.udp_mem":       "1 2\n",
		"net.ipv4.udp_rmem_min":  "99999999999999999999\n",
		"net.core.no_such":       "1\n",
	} {
		if err := ParseSysctl(name, []byte(in), &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSysctl(%s, %q) = %v, want ErrMalformed", name, in, err)
		}
	}
	if err := ParseSysctl("net.ipv4.udp_mem", []byte("1 2 3 4\n"), &s); !errors.Is(err, ErrMalformed) || s.UDPMem.Present {
		t.Errorf("4 values: %v, present %v", err, s.UDPMem.Present)
	}
	if err := ParseSysctl("net.core.busy_read", []byte("50\n"), &s); err != nil || s.BusyRead != (SysctlInt{50, true}) {
		t.Errorf("busy_read: %+v, %v", s.BusyRead, err)
	}
	// A failed parse leaves the field absent, not stale.
	if err := ParseSysctl("net.core.busy_read", []byte("fifty\n"), &s); err == nil || s.BusyRead.Present {
		t.Errorf("bad busy_read left %+v", s.BusyRead)
	}
	if len(SysctlNames()) != 23 {
		t.Errorf("%d sysctl names, want 23", len(SysctlNames()))
	}
}

// TestSysctlsBroken checks one unreadable value does not spoil the others.
func TestSysctlsBroken(t *testing.T) {
	root := t.TempDir()
	for name, v := range map[string]string{
		"core/rmem_max":     "4194304\n",
		"core/rmem_default": "garbage\n",
		"ipv4/udp_mem":      "1\t2\t3\n",
	} {
		p := filepath.Join(root, "sys", "net", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fs.Sysctls()
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.File, "rmem_default") {
		t.Fatalf("error %v does not name rmem_default", err)
	}
	if s.RmemDefault.Present || s.RmemMax != (SysctlInt{4194304, true}) || s.UDPMem != (UDPMem{1, 2, 3, true}) || s.NetdevBudget.Present {
		t.Errorf("partial read: %+v", s)
	}
}

// TestSysctlsNamespace sets net.ipv4.igmp_max_memberships inside a fresh
// namespace (rmem_max is read-only there on 6.18) and
// checks a reader opened there reads the namespace's value, not the
// host's, and that the machine-wide sysctls are absent there.
func TestSysctlsNamespace(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("sh", "-c", "echo 37 > /proc/sys/net/ipv4/igmp_max_memberships")
	var (
		r   *SysctlsReader
		raw string
	)
	err := ns.Do(func() error {
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		if raw, err = fs.Sysctl("net.ipv4.igmp_max_memberships"); err != nil {
			return err
		}
		r, err = fs.SysctlsReader()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if raw != "37" {
		t.Errorf("Sysctl in namespace = %q, want 37", raw)
	}
	var s Sysctls
	if err := r.Read(&s); err != nil {
		t.Fatal(err)
	}
	if s.IGMPMaxMemberships != (SysctlInt{37, true}) {
		t.Errorf("namespace igmp_max_memberships = %+v, want 37", s.IGMPMaxMemberships)
	}
	if !s.UDPRmemMin.Present || !s.RmemMax.Present {
		t.Errorf("per-namespace sysctls absent: %+v", s)
	}
	if s.NetdevBudget.Present || s.NetdevMaxBacklog.Present {
		t.Errorf("machine-wide sysctls present in a namespace: %+v", s)
	}

	host, err := NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := host.Sysctls()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("/proc/sys/net/ipv4/igmp_max_memberships")
	if err != nil {
		t.Fatal(err)
	}
	if got := hs.IGMPMaxMemberships; !got.Present || strings.TrimSpace(string(want)) != strconv.FormatInt(got.Value, 10) || got.Value == 37 {
		t.Errorf("host igmp_max_memberships = %+v, file says %q", got, want)
	}
	for i, name := range SysctlNames() {
		raw, err := host.Sysctl(name)
		if err != nil {
			t.Errorf("host %s: %v", name, err)
			continue
		}
		// Peer: sysctl(8) prints the same value.
		if _, err := exec.LookPath("sysctl"); err == nil {
			out, err := exec.Command("sysctl", "-n", name).Output()
			if err != nil || strings.TrimSpace(string(out)) != raw {
				t.Errorf("host %s: sysctl -n says %q (%v), Sysctl %q", name, out, err, raw)
			}
		}
		var one Sysctls
		if err := ParseSysctl(name, []byte(raw), &one); err != nil {
			t.Errorf("host %s: %v", name, err)
		}
		iv, sv, uv := sysctlField(&hs, i)
		if (iv != nil && !iv.Present) || (sv != nil && !sv.Present) || (uv != nil && !uv.Present) {
			t.Errorf("host %s absent from Sysctls", name)
		}
	}
}

func FuzzSysctl(f *testing.F) {
	for _, name := range SysctlNames() {
		elems := append([]string{"linux-6.18-vm", "proc", "sys"}, strings.Split(name, ".")...)
		f.Add(name, bRead(f, elems...))
	}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		var s Sysctls
		if err := ParseSysctl(name, b, &s); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
	})
}

func BenchmarkSysctlsReaderLive(b *testing.B) {
	fs, err := NewDefaultFS()
	if err != nil {
		b.Skip(err)
	}
	r, err := fs.SysctlsReader()
	if err != nil {
		b.Skip(err)
	}
	defer r.Close()
	var s Sysctls
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(&s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSysctlsReaderRestrict: the netns fixture lacks the machine-wide
// sysctls; a VM reader restricted to what the namespace lacks reads exactly
// those, and Has follows the open files.
func TestSysctlsReaderRestrict(t *testing.T) {
	ns, err := bFixture(t, "linux-6.18-netns-udp-drops").SysctlsReader()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	vm, err := bFixture(t, "linux-6.18-vm").SysctlsReader()
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	if !vm.Has("net.core.netdev_max_backlog") || ns.Has("net.core.netdev_max_backlog") || !ns.Has("net.core.rmem_max") || vm.Has("net.core.nonexistent") {
		t.Fatal("Has does not follow the fixtures' files")
	}
	n := vm.Restrict(func(name string) bool { return !ns.Has(name) })
	missing := 0
	for _, name := range SysctlNames() {
		if !ns.Has(name) {
			missing++
		}
		if vm.Has(name) == ns.Has(name) {
			t.Errorf("%s: after Restrict the VM reader has it %v, the namespace %v", name, vm.Has(name), ns.Has(name))
		}
	}
	if n != missing || n == 0 {
		t.Errorf("Restrict kept %d files, the namespace lacks %d", n, missing)
	}
	var got Sysctls
	if err := vm.Read(&got); err != nil {
		t.Fatal(err)
	}
	want := vmSysctls()
	if got.NetdevMaxBacklog != want.NetdevMaxBacklog || got.UDPMem != want.UDPMem || got.RmemMax.Present {
		t.Errorf("restricted read: backlog %+v udp_mem %+v rmem_max %+v", got.NetdevMaxBacklog, got.UDPMem, got.RmemMax)
	}
}

func TestSysctlsFillAbsent(t *testing.T) {
	ns, vm := netnsSysctls(), vmSysctls()
	ns.RmemMax = SysctlInt{Value: 1, Present: true} // the namespace's own wins
	got := ns
	got.FillAbsent(&vm)
	want := vm
	want.RmemMax = ns.RmemMax
	if got != want {
		t.Errorf("FillAbsent:\n got %+v\nwant %+v", got, want)
	}
	var empty Sysctls
	before := got
	got.FillAbsent(&empty)
	if got != before {
		t.Error("FillAbsent from an empty Sysctls changed fields")
	}
}
