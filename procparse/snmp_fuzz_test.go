package procparse

import (
	"reflect"
	"testing"
)

func FuzzParseSNMP(f *testing.F) {
	for _, p := range []string{
		"linux-6.18-vm/proc/net/snmp", "linux-6.18-vm/proc/net/netstat",
		"linux-6.18-netns-udp-drops/proc/net/snmp", "linux-6.18-netns-udp-drops/proc/net/netstat",
		"procfs-corpus/proc/26231/net/snmp", "procfs-corpus/proc/26231/net/netstat",
	} {
		f.Add(fixtureBytes(f, p))
	}
	f.Add([]byte("IcmpMsg: InType0 InType3\nIcmpMsg: 1 2\nTcp: MaxConn RtoMin\nTcp: -1 +200\n"))
	addStrictSeeds(f, "snmp ")
	addStrictSeeds(f, "netstat")
	var reused SNMP
	f.Fuzz(func(t *testing.T, b []byte) {
		var fresh SNMP
		err := ParseSNMP(b, &fresh)
		err2 := ParseSNMP(b, &reused)
		if err2 == nil {
			// Again: the second parse of unchanged content takes the fast paths.
			err2 = ParseSNMP(b, &reused)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			return
		}
		if !snmpEqual(fresh, reused) {
			t.Fatalf("reused parse differs:\n%+v\n%+v", fresh, reused)
		}
		// Every group name once (IcmpMsg excepted), every key once per
		// group name.
		keys := map[string]bool{}
		for i, g := range fresh.Groups {
			for _, h := range fresh.Groups[:i] {
				if h.Name == g.Name && g.Name != "IcmpMsg" {
					t.Fatalf("group %q accepted twice", g.Name)
				}
			}
			for _, k := range g.Fields {
				if keys[g.Name+" "+k.Name] {
					t.Fatalf("key %s %s accepted twice", g.Name, k.Name)
				}
				keys[g.Name+" "+k.Name] = true
			}
		}
		_, _, _ = fresh.IP(), fresh.UDP(), fresh.UDPLite()
	})
}

func snmpEqual(a, b SNMP) bool {
	if len(a.Groups) != len(b.Groups) {
		return false
	}
	for i := range a.Groups {
		x, y := a.Groups[i], b.Groups[i]
		if x.Name != y.Name || len(x.Fields) != len(y.Fields) {
			return false
		}
		if len(x.Fields) > 0 && !reflect.DeepEqual(x.Fields, y.Fields) {
			return false
		}
	}
	return true
}

func FuzzParseSNMP6(f *testing.F) {
	for _, p := range []string{
		"linux-6.18-vm/proc/net/snmp6",
		"linux-6.18-netns-udp-drops/proc/net/snmp6",
		"procfs-corpus/proc/26231/net/snmp6",
		"procfs-corpus/proc/net/dev_snmp6/eth0",
	} {
		f.Add(fixtureBytes(f, p))
	}
	addStrictSeeds(f, "snmp6")
	var reused SNMP6
	f.Fuzz(func(t *testing.T, b []byte) {
		var fresh SNMP6
		err := ParseSNMP6(b, &fresh)
		err2 := ParseSNMP6(b, &reused)
		if err2 == nil {
			// Again: the second parse of unchanged content takes the fast paths.
			err2 = ParseSNMP6(b, &reused)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			return
		}
		if len(fresh.Fields) != len(reused.Fields) || (len(fresh.Fields) > 0 && !reflect.DeepEqual(fresh.Fields, reused.Fields)) {
			t.Fatalf("reused parse differs:\n%+v\n%+v", fresh, reused)
		}
		seen := map[string]bool{}
		for _, k := range fresh.Fields {
			if seen[k.Name] {
				t.Fatalf("%q accepted twice", k.Name)
			}
			seen[k.Name] = true
		}
		_, _, _ = fresh.IP6(), fresh.UDP6(), fresh.UDPLite6()
	})
}
