package socketstats

import (
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// procNetLines returns the lines of /proc/thread-self/net/name (the
// calling thread's namespace; /proc/net is the thread-group leader's)
// that contain every one of want.
func procNetLines(t *testing.T, name string, want ...string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/net/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for l := range strings.Lines(string(b)) {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// TestMembershipReachesKernel: the kernel's own tables (the peer) show
// what Join asked for, on the interface asked for, and Leave removes it.
// /proc/net/igmp lists an IPv4 group as the hex of its network-order
// 32-bit value printed as a host integer (239.77.0.1 is 01004DEF on
// little-endian), /proc/net/mcfilter an IPv4 (S,G) as ntohl values, and
// /proc/net/igmp6 and mcfilter6 the IPv6 groups and sources as 32 hex
// digits, each with the interface index and name.
func TestMembershipReachesKernel(t *testing.T) {
	hex4 := func(a netip.Addr) string { b := a.As4(); return "0x" + hex.EncodeToString(b[:]) }
	hex6 := func(a netip.Addr) string { b := a.As16(); return hex.EncodeToString(b[:]) }
	inNS(t, func() {
		asm, ssm := netip.MustParseAddr("239.77.0.1"), netip.MustParseAddr("232.77.0.1")
		c, err := Open(Config{Interface: "lo", Port: 6095})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		gs := []Group{{Addr: asm}, {Addr: ssm, Source: loopback2}}
		for _, g := range gs {
			if err := c.Join(g); err != nil {
				t.Fatal(err)
			}
		}
		igmp := strings.Join(procNetLines(t, "igmp"), "\n")
		for _, g := range []string{"01004DEF", "01004DE8"} {
			if !strings.Contains(igmp, g) {
				t.Errorf("/proc/net/igmp lacks %s after the joins:\n%s", g, igmp)
			}
		}
		if l := procNetLines(t, "mcfilter", "lo", hex4(ssm), hex4(loopback2)); len(l) != 1 || !strings.HasPrefix(l[0], "1 ") {
			t.Errorf("/proc/net/mcfilter lines for (%s,%s) on lo (index 1): %q", loopback2, ssm, l)
		}
		t.Logf("after the joins: igmp\n%s\nmcfilter %q", igmp, procNetLines(t, "mcfilter", hex4(ssm)))
		for _, g := range gs {
			if err := c.Leave(g); err != nil {
				t.Fatal(err)
			}
		}
		igmp = strings.Join(procNetLines(t, "igmp"), "\n")
		if strings.Contains(igmp, "01004DEF") || strings.Contains(igmp, "01004DE8") {
			t.Errorf("/proc/net/igmp still lists a group after the leaves:\n%s", igmp)
		}
		if l := procNetLines(t, "mcfilter", hex4(ssm)); len(l) != 0 {
			t.Errorf("/proc/net/mcfilter after the leave: %q", l)
		}
		if g := c.Groups(); len(g) != 0 {
			t.Errorf("Groups() after the leaves: %v", g)
		}

		g6, s6 := netip.MustParseAddr("ff15::77"), netip.MustParseAddr("ff15::78")
		c6, err := Open(Config{Interface: "lo", Port: 6096, Groups: []Group{{Addr: g6}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c6.Close()
		if err := c6.Join(Group{Addr: s6, Source: netip.IPv6Loopback()}); err != nil {
			t.Fatal(err)
		}
		for _, g := range []netip.Addr{g6, s6} {
			if l := procNetLines(t, "igmp6", " lo ", hex6(g)); len(l) != 1 || !strings.HasPrefix(l[0], "1 ") {
				t.Errorf("/proc/net/igmp6 lines for %s on lo (index 1): %q", g, l)
			}
		}
		if l := procNetLines(t, "mcfilter6", " lo ", hex6(s6), hex6(netip.IPv6Loopback())); len(l) != 1 || !strings.HasPrefix(l[0], "1 ") {
			t.Errorf("/proc/net/mcfilter6 lines for (::1,%s) on lo: %q", s6, l)
		}
		t.Logf("igmp6 %q, mcfilter6 %q", procNetLines(t, "igmp6", "ff15"), procNetLines(t, "mcfilter6", hex6(s6)))
		if err := c6.Leave(Group{Addr: g6}); err != nil {
			t.Fatal(err)
		}
		if l := procNetLines(t, "igmp6", hex6(g6)); len(l) != 0 {
			t.Errorf("/proc/net/igmp6 after leaving %s: %q", g6, l)
		}
		if got := c6.Groups(); len(got) != 1 || got[0] != (Group{Addr: s6, Source: netip.IPv6Loopback()}) {
			t.Errorf("Groups() = %v", got)
		}
	})
}
