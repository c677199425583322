package procparse

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestSNMP6EveryLineKept(t *testing.T) {
	for _, path := range []string{
		"linux-6.18-vm/proc/net/snmp6",
		"linux-6.18-netns-udp-drops/proc/net/snmp6",
		"procfs-corpus/proc/26231/net/snmp6",
		"procfs-corpus/proc/net/dev_snmp6/eth0",
		"procfs-corpus/proc/net/dev_snmp6/eth1",
	} {
		b := fixtureBytes(t, path)
		var s SNMP6
		if err := ParseSNMP6(b, &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if want := bytes.Count(bytes.TrimSpace(b), []byte("\n")) + 1; len(s.Fields) != want {
			t.Errorf("%s: %d fields, want %d", path, len(s.Fields), want)
		}
	}
}

func TestSNMP6Values(t *testing.T) {
	vm, err := openFixture(t, "linux-6.18-vm/proc").SNMP6()
	if err != nil {
		t.Fatal(err)
	}
	ip6 := vm.IP6()
	requireCounter(t, "Ip6InReceives", ip6.InReceives, 1)
	requireCounter(t, "Ip6InDelivers", ip6.InDelivers, 1)
	requireCounter(t, "Ip6OutRequests", ip6.OutRequests, 10)
	requireCounter(t, "Ip6OutTransmits", ip6.OutTransmits, 10)
	requireCounter(t, "Ip6InDiscards", ip6.InDiscards, 0)
	requireCounter(t, "Ip6OutForwDatagrams", ip6.ForwDatagrams, 0)
	u6 := vm.UDP6()
	requireCounter(t, "Udp6MemErrors", u6.MemErrors, 0)
	requireCounter(t, "Udp6RcvbufErrors", u6.RcvbufErrors, 0)
	requireCounter(t, "UdpLite6MemErrors", vm.UDPLite6().MemErrors, 0)
	requireCounter(t, "Ip6OutOctets", vm.Counter("Ip6OutOctets"), 880)

	old, err := openFixture(t, "procfs-corpus/proc/26231").SNMP6()
	if err != nil {
		t.Fatal(err)
	}
	u6 = old.UDP6()
	requireCounter(t, "Udp6InDatagrams", u6.InDatagrams, 2016)
	requireCounter(t, "Udp6OutDatagrams", u6.OutDatagrams, 1546)
	requireCounter(t, "Udp6IgnoredMulti", u6.IgnoredMulti, 12)
	requireAbsent(t, "Udp6MemErrors", u6.MemErrors)
	requireCounter(t, "UdpLite6InDatagrams", old.UDPLite6().InDatagrams, 0)
	requireAbsent(t, "UdpLite6IgnoredMulti", old.UDPLite6().IgnoredMulti)
	requireCounter(t, "Ip6InReceives", old.IP6().InReceives, 92166)
	requireCounter(t, "Ip6InDelivers", old.IP6().InDelivers, 92053)
	requireAbsent(t, "Ip6OutTransmits", old.IP6().OutTransmits)

	// The two families keep separate counters: Udp6 must not pick up
	// UdpLite6 keys and vice versa.
	if u := old.UDP6(); u.InDatagrams.Value == old.UDPLite6().InDatagrams.Value {
		t.Errorf("Udp6 and UdpLite6 mixed up: %+v", u)
	}
}

func TestDevSNMP6(t *testing.T) {
	fs := openFixture(t, "procfs-corpus/proc")
	s, err := fs.DevSNMP6("eth0")
	if err != nil {
		t.Fatal(err)
	}
	idx, ok := s.Get("ifIndex")
	if !ok || !idx.Signed || idx.Int() != 1 {
		t.Errorf("ifIndex = %+v, want signed 1", idx)
	}
	requireCounter(t, "Ip6InReceives", s.IP6().InReceives, 3057229)
	if _, err := fs.DevSNMP6("nosuch0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v, want os.ErrNotExist", err)
	}
	if _, err := fs.DevSNMP6("../snmp"); err == nil {
		t.Error("DevSNMP6(\"../snmp\") succeeded, want an error")
	}
	r, err := fs.DevSNMP6Reader("eth1")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var s1 SNMP6
	if err := r.Read(&s1); err != nil {
		t.Fatal(err)
	}
	if idx, _ := s1.Get("ifIndex"); idx.Value != 2 {
		t.Errorf("eth1 ifIndex = %+v, want 2", idx)
	}
	if _, err := fs.DevSNMP6Reader(""); err == nil {
		t.Error("DevSNMP6Reader(\"\") succeeded, want an error")
	}
}

func TestSNMP6Errors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		line   int
		reason string
	}{
		{"Ip6InReceives 1\nUdp6InErrors\n", 2, "no value"},
		{"Ip6InReceives 1 2\n", 1, "more than one value"},
		{"Ip6InReceives x\n", 1, "Ip6InReceives"},
	} {
		var s SNMP6
		err := ParseSNMP6([]byte(tc.in), &s)
		requireParseError(t, err, tc.line)
		if !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("error %q does not say %q", err, tc.reason)
		}
	}
}

func TestSNMP6ReaderAllocs(t *testing.T) {
	r, err := openFixture(t, "linux-6.18-vm/proc").SNMP6Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var s SNMP6
	if err := r.Read(&s); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Read(&s); err != nil {
			t.Fatal(err)
		}
		_ = s.UDP6()
	})
	if allocs != 0 {
		t.Errorf("Read + UDP6 allocate %.1f times, want 0", allocs)
	}
}
