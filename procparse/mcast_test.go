package procparse

import (
	"errors"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

func TestIGMPFixtures(t *testing.T) {
	all := netip.MustParseAddr("224.0.0.1")
	vm, err := bFixture(t, "linux-6.18-vm").IGMP()
	if err != nil {
		t.Fatal(err)
	}
	want := []IGMPInterface{
		{Index: 1, Name: "lo", Count: 1, Querier: "V3", Groups: []IGMPGroup{{Group: all, Raw: 0x010000E0, Users: 1}}},
		{Index: 4, Name: "eth0", Count: 1, Querier: "V3", Groups: []IGMPGroup{{Group: all, Raw: 0x010000E0, Users: 1}}},
	}
	checkIGMP(t, "linux-6.18-vm", vm, want)

	ns, err := bFixture(t, "linux-6.18-netns-udp-drops").IGMP()
	if err != nil {
		t.Fatal(err)
	}
	want = []IGMPInterface{{Index: 1, Name: "lo", Count: 2, Querier: "V3", Groups: []IGMPGroup{
		{Group: netip.MustParseAddr("239.1.1.1"), Raw: 0x010101EF, Users: 1},
		{Group: all, Raw: 0x010000E0, Users: 1},
	}}}
	checkIGMP(t, "linux-6.18-netns-udp-drops", ns, want)
	if !ns.Joined("lo", netip.MustParseAddr("239.1.1.1")) || ns.Joined("eth0", all) || ns.Joined("lo", netip.MustParseAddr("239.9.9.9")) {
		t.Error("Joined disagrees with the fixture")
	}
}

func checkIGMP(t *testing.T, name string, got IGMP, want []IGMPInterface) {
	t.Helper()
	if len(got.Interfaces) != len(want) {
		t.Fatalf("%s: %d interfaces, want %d: %+v", name, len(got.Interfaces), len(want), got)
	}
	for i, w := range want {
		g := got.Interfaces[i]
		if g.Index != w.Index || g.Name != w.Name || g.Count != w.Count || g.Querier != w.Querier || len(g.Groups) != len(w.Groups) {
			t.Errorf("%s: interface %d = %+v, want %+v", name, i, g, w)
			continue
		}
		for j := range w.Groups {
			if g.Groups[j] != w.Groups[j] {
				t.Errorf("%s: %s group %d = %+v, want %+v", name, w.Name, j, g.Groups[j], w.Groups[j])
			}
		}
	}
}

func TestParseIGMPLayouts(t *testing.T) {
	// A running timer, a reporter, an old querier, and a name padded past
	// its 10 columns.
	in := "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n" +
		"12\tverylongname15:     1      V2\n" +
		"\t\t\t\t030201EF     2 1:0000012C\t\t1\n"
	var m IGMP
	if err := ParseIGMP([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	ifc := m.Interface("verylongname15")
	if ifc == nil || ifc.Index != 12 || ifc.Querier != "V2" || len(ifc.Groups) != 1 {
		t.Fatalf("interface = %+v", ifc)
	}
	g := ifc.Groups[0]
	if g.Group != netip.MustParseAddr("239.1.2.3") || g.Users != 2 || !g.TimerRunning || g.Timer != 300 || !g.Reporter {
		t.Errorf("group = %+v", g)
	}
	for _, bad := range []string{
		"",
		"Idx\n\t\t\t\t010000E0     1 0:00000000\t\t0\n",
		"Idx\nx\tlo        :     1      V3\n",
		"Idx\n1\tlo             1      V3\n",
		"Idx\n1\tlo        :     1\n",
		"Idx\n1\tlo        :     1      V3\n\t\t\t\t010000E     1 0:00000000\t\t0\n",
		"Idx\n1\tlo        :     1      V3\n\t\t\t\t010000E0     1 000000000\t\t0\n",
		"Idx\n1\tlo        :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0 extra\n",
	} {
		if err := ParseIGMP([]byte(bad), &m); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseIGMP(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestIGMP6Fixtures(t *testing.T) {
	m, err := bFixture(t, "linux-6.18-vm").IGMP6()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Groups) != 10 {
		t.Fatalf("%d groups, want 10", len(m.Groups))
	}
	want0 := IGMP6Group{Index: 1, Device: "lo", Group: netip.MustParseAddr("ff02::1"), Users: 1, Flags: IGMP6Loaded | IGMP6NoReport}
	if m.Groups[0] != want0 {
		t.Errorf("group 0 = %+v, want %+v", m.Groups[0], want0)
	}
	want6 := IGMP6Group{Index: 4, Device: "eth0", Group: netip.MustParseAddr("ff02::1:ff00:2"), Users: 1, Flags: IGMP6Loaded}
	if m.Groups[6] != want6 {
		t.Errorf("group 6 = %+v, want %+v", m.Groups[6], want6)
	}
	if !m.Joined("ifb1", netip.MustParseAddr("ff01::1")) || m.Joined("ifb1", netip.MustParseAddr("ff02::1:ff00:1")) {
		t.Error("Joined disagrees with the fixture")
	}
	ns, err := bFixture(t, "linux-6.18-netns-udp-drops").IGMP6()
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.Groups) != 2 || ns.Groups[1].Group != netip.MustParseAddr("ff01::1") || ns.Groups[1].Flags != IGMP6NoReport {
		t.Errorf("netns igmp6 = %+v", ns.Groups)
	}
	for _, bad := range []string{
		"1 lo ff02 1 0000000C 0\n",
		"1 lo ff02000000000000000000000000000g 1 0000000C 0\n",
		"x lo ff020000000000000000000000000001 1 0000000C 0\n",
		"1 lo ff020000000000000000000000000001 1 1000000000C 0\n",
		"1 lo ff020000000000000000000000000001 1 0000000C\n",
	} {
		var m IGMP6
		if err := ParseIGMP6([]byte(bad), &m); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseIGMP6(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestDevMcastFixtures(t *testing.T) {
	m, err := bFixture(t, "linux-6.18-vm").DevMcast()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Addrs) != 6 {
		t.Fatalf("%d entries, want 6", len(m.Addrs))
	}
	a := m.Addrs[3]
	if a.Index != 4 || a.Device != "eth0" || a.Refcount != 1 || a.Global || a.Addr.String() != "01:00:5e:00:00:01" {
		t.Errorf("entry 3 = %+v %s", a, a.Addr)
	}
	if a := m.Addrs[0]; a.Device != "ifb0" || a.Index != 2 || a.Addr.String() != "33:33:00:00:00:01" {
		t.Errorf("entry 0 = %+v %s", a, a.Addr)
	}
	empty, err := bFixture(t, "linux-6.18-netns-udp-drops").DevMcast()
	if err != nil || len(empty.Addrs) != 0 {
		t.Errorf("empty dev_mcast: %+v, %v", empty, err)
	}
	for _, bad := range []string{"2 ifb0 1 0\n", "2 ifb0 1 0 33330000001\n", "2 ifb0 1 0 3333000000zz\n", "2 ifb0 x 0 333300000001\n"} {
		var m DevMcast
		if err := ParseDevMcast([]byte(bad), &m); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseDevMcast(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestMcastAllocs(t *testing.T) {
	igmp := bRead(t, "linux-6.18-vm", "proc", "net", "igmp")
	igmp6 := bRead(t, "linux-6.18-vm", "proc", "net", "igmp6")
	dev := bRead(t, "linux-6.18-vm", "proc", "net", "dev_mcast")
	var (
		m  IGMP
		m6 IGMP6
		d  DevMcast
	)
	if ParseIGMP(igmp, &m) != nil || ParseIGMP6(igmp6, &m6) != nil || ParseDevMcast(dev, &d) != nil {
		t.Fatal("fixtures do not parse")
	}
	for name, fn := range map[string]func(){
		"ParseIGMP":     func() { _ = ParseIGMP(igmp, &m) },
		"ParseIGMP6":    func() { _ = ParseIGMP6(igmp6, &m6) },
		"ParseDevMcast": func() { _ = ParseDevMcast(dev, &d) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s allocates %v times per re-parse, want 0", name, n)
		}
	}
}

// TestMcastNamespace joins 239.1.2.3 on lo and on a veth, and ff12::123 on
// lo, inside a fresh namespace, and checks igmp, igmp6 and dev_mcast read
// there (through Readers opened inside it) show exactly those memberships.
func TestMcastNamespace(t *testing.T) {
	bRequireIPv6(t)
	ns := netnstest.New(t, netnstest.WithMulticastLoopback(),
		netnstest.WithVeth("ppm0", "ppm1", "10.77.0.1/24", "10.77.0.2/24"))
	group := netip.MustParseAddr("239.1.2.3")
	group6 := netip.MustParseAddr("ff12::123")
	var (
		ri  *Reader[IGMP]
		ri6 *Reader[IGMP6]
		rd  *Reader[DevMcast]
	)
	err := ns.Do(func() error {
		for _, j := range []struct{ net, dev, addr string }{
			{"udp4", "lo", "239.1.2.3:5000"},
			{"udp4", "ppm0", "239.1.2.3:5001"},
			{"udp6", "lo", "[ff12::123]:5002"},
		} {
			ifi, err := net.InterfaceByName(j.dev)
			if err != nil {
				return err
			}
			c, err := net.ListenMulticastUDP(j.net, ifi, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(j.addr)))
			if err != nil {
				return err
			}
			t.Cleanup(func() { c.Close() })
		}
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		if ri, err = fs.IGMPReader(); err != nil {
			return err
		}
		if ri6, err = fs.IGMP6Reader(); err != nil {
			return err
		}
		rd, err = fs.DevMcastReader()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ri.Close()
	defer ri6.Close()
	defer rd.Close()

	var m IGMP
	if err := ri.Read(&m); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"lo", "ppm0"} {
		if !m.Joined(dev, group) {
			t.Errorf("igmp: 239.1.2.3 not joined on %s: %+v", dev, m.Interfaces)
		}
	}
	if m.Joined("ppm1", group) {
		t.Error("igmp: 239.1.2.3 joined on ppm1, which no socket joined")
	}
	lo := m.Interface("lo")
	if lo == nil || lo.Index != 1 || lo.Count != len(lo.Groups) || lo.Querier != "V3" {
		t.Errorf("igmp lo = %+v", lo)
	}
	for _, g := range lo.Groups {
		if g.Group == group && g.Users != 1 {
			t.Errorf("239.1.2.3 on lo has %d users, want 1", g.Users)
		}
	}

	var m6 IGMP6
	if err := ri6.Read(&m6); err != nil {
		t.Fatal(err)
	}
	if !m6.Joined("lo", group6) {
		t.Errorf("igmp6: ff12::123 not joined on lo: %+v", m6.Groups)
	}

	var d DevMcast
	if err := rd.Read(&d); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range d.Addrs {
		if a.Device == "ppm0" && a.Addr.String() == "01:00:5e:01:02:03" {
			found = true
		}
	}
	if !found {
		t.Errorf("dev_mcast: 01:00:5e:01:02:03 missing on ppm0: %+v", d.Addrs)
	}

	// Peer: ip maddr (iproute2) lists the same memberships.
	peer := parseIPMaddr(ns.Run("ip", "maddr", "show"))
	ours := map[string]bool{}
	for _, ifc := range m.Interfaces {
		for _, g := range ifc.Groups {
			ours[ifc.Name+" inet "+g.Group.String()] = true
		}
	}
	for _, g := range m6.Groups {
		ours[g.Device+" inet6 "+g.Group.String()] = true
	}
	for _, a := range d.Addrs {
		ours[a.Device+" link "+a.Addr.String()] = true
	}
	if !maps.Equal(peer, ours) {
		t.Errorf("memberships differ from ip maddr:\n ip maddr %v\n ours     %v", slices.Sorted(maps.Keys(peer)), slices.Sorted(maps.Keys(ours)))
	}

	for name, fn := range map[string]func(){
		"IGMP":     func() { _ = ri.Read(&m) },
		"IGMP6":    func() { _ = ri6.Read(&m6) },
		"DevMcast": func() { _ = rd.Read(&d) },
	} {
		if n := testing.AllocsPerRun(20, fn); n != 0 {
			t.Errorf("%s Reader.Read allocates %v times, want 0", name, n)
		}
	}
}

func FuzzIGMP(f *testing.F) {
	f.Add(bRead(f, "linux-6.18-vm", "proc", "net", "igmp"))
	f.Add(bRead(f, "linux-6.18-netns-udp-drops", "proc", "net", "igmp"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m IGMP
		if err := ParseIGMP(b, &m); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, ifc := range m.Interfaces {
			for _, g := range ifc.Groups {
				if !g.Group.Is4() {
					t.Fatalf("group %v is not IPv4", g.Group)
				}
			}
		}
	})
}

func FuzzIGMP6(f *testing.F) {
	f.Add(bRead(f, "linux-6.18-vm", "proc", "net", "igmp6"))
	f.Add(bRead(f, "linux-6.18-netns-udp-drops", "proc", "net", "igmp6"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m IGMP6
		if err := ParseIGMP6(b, &m); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, g := range m.Groups {
			if !g.Group.Is6() {
				t.Fatalf("group %v is not IPv6", g.Group)
			}
		}
	})
}

func FuzzDevMcast(f *testing.F) {
	f.Add(bRead(f, "linux-6.18-vm", "proc", "net", "dev_mcast"))
	f.Add([]byte("4    eth0            1     0     01005e000001\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m DevMcast
		if err := ParseDevMcast(b, &m); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
		}
	})
}

// parseIPMaddr turns `ip maddr show` output into "dev family address" keys.
func parseIPMaddr(out string) map[string]bool {
	set := map[string]bool{}
	dev := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, " "):
			dev = f[len(f)-1]
		case len(f) >= 2 && (f[0] == "inet" || f[0] == "inet6" || f[0] == "link"):
			set[dev+" "+f[0]+" "+f[1]] = true
		}
	}
	return set
}

func BenchmarkParseIGMP(b *testing.B) {
	in := bRead(b, "linux-6.18-vm", "proc", "net", "igmp")
	var m IGMP
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseIGMP(in, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseIGMP6(b *testing.B) {
	in := bRead(b, "linux-6.18-vm", "proc", "net", "igmp6")
	var m IGMP6
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseIGMP6(in, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDevMcast(b *testing.B) {
	in := bRead(b, "linux-6.18-vm", "proc", "net", "dev_mcast")
	var m DevMcast
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseDevMcast(in, &m); err != nil {
			b.Fatal(err)
		}
	}
}
