package procparse

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// headerKeyCount counts the keys of every header line of a header/value
// file independently of the parser: group name -> total keys.
func headerKeyCount(b []byte) map[string]int {
	m := map[string]int{}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		f := strings.Fields(lines[i])
		m[strings.TrimSuffix(f[0], ":")] += len(f) - 1
	}
	return m
}

func TestSNMPEveryKeyKept(t *testing.T) {
	for _, path := range []string{
		"linux-6.18-vm/proc/net/snmp", "linux-6.18-vm/proc/net/netstat",
		"linux-6.18-netns-udp-drops/proc/net/snmp", "linux-6.18-netns-udp-drops/proc/net/netstat",
		"procfs-corpus/proc/26231/net/snmp", "procfs-corpus/proc/26231/net/netstat",
	} {
		b := fixtureBytes(t, path)
		var s SNMP
		if err := ParseSNMP(b, &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := map[string]int{}
		for _, g := range s.Groups {
			got[g.Name] += len(g.Fields)
		}
		want := headerKeyCount(b)
		if len(got) != len(want) {
			t.Errorf("%s: groups %v, want %v", path, got, want)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: group %s has %d fields, header names %d", path, k, got[k], n)
			}
		}
	}
}

func TestSNMPVM(t *testing.T) {
	s, err := openFixture(t, "linux-6.18-vm/proc").SNMP()
	if err != nil {
		t.Fatal(err)
	}
	ip := s.IP()
	requireCounter(t, "Ip InReceives", ip.InReceives, 5567)
	requireCounter(t, "Ip InHdrErrors", ip.InHdrErrors, 0)
	requireCounter(t, "Ip InAddrErrors", ip.InAddrErrors, 0)
	requireCounter(t, "Ip InDiscards", ip.InDiscards, 0)
	requireCounter(t, "Ip InDelivers", ip.InDelivers, 5567)
	requireCounter(t, "Ip OutRequests", ip.OutRequests, 6469)
	requireCounter(t, "Ip OutDiscards", ip.OutDiscards, 0)
	requireCounter(t, "Ip OutTransmits", ip.OutTransmits, 6469)

	udp := s.UDP()
	requireCounter(t, "Udp InDatagrams", udp.InDatagrams, 119)
	requireCounter(t, "Udp NoPorts", udp.NoPorts, 0)
	requireCounter(t, "Udp InErrors", udp.InErrors, 199)
	requireCounter(t, "Udp OutDatagrams", udp.OutDatagrams, 320)
	requireCounter(t, "Udp RcvbufErrors", udp.RcvbufErrors, 199)
	requireCounter(t, "Udp SndbufErrors", udp.SndbufErrors, 0)
	requireCounter(t, "Udp InCsumErrors", udp.InCsumErrors, 0)
	requireCounter(t, "Udp IgnoredMulti", udp.IgnoredMulti, 0)
	requireCounter(t, "Udp MemErrors", udp.MemErrors, 0)
	lite := s.UDPLite()
	requireCounter(t, "UdpLite MemErrors", lite.MemErrors, 0)
	requireCounter(t, "UdpLite InDatagrams", lite.InDatagrams, 0)

	maxConn, ok := s.Get("Tcp", "MaxConn")
	if !ok || !maxConn.Signed || maxConn.Int() != -1 {
		t.Errorf("Tcp MaxConn = %+v, want signed -1", maxConn)
	}
	rtoMax, _ := s.Get("Tcp", "RtoMax")
	if !rtoMax.Signed || rtoMax.Int() != 120000 {
		t.Errorf("Tcp RtoMax = %+v, want signed 120000", rtoMax)
	}
	if f, _ := s.Get("Tcp", "InSegs"); f.Signed || f.Value != 5247 {
		t.Errorf("Tcp InSegs = %+v, want unsigned 5247", f)
	}
	requireCounter(t, "IcmpMsg InType3", s.Counter("IcmpMsg", "InType3"), 1)
	requireCounter(t, "Icmp OutRateLimitHost", s.Counter("Icmp", "OutRateLimitHost"), 0)
	requireAbsent(t, "Udp NoSuchKey", s.Counter("Udp", "NoSuchKey"))
}

func TestSNMPCorpusOlderKernel(t *testing.T) {
	s, err := openFixture(t, "procfs-corpus/proc/26231").SNMP()
	if err != nil {
		t.Fatal(err)
	}
	ip := s.IP()
	requireCounter(t, "Ip InReceives", ip.InReceives, 594223)
	requireCounter(t, "Ip InAddrErrors", ip.InAddrErrors, 1)
	requireCounter(t, "Ip InDelivers", ip.InDelivers, 593186)
	requireCounter(t, "Ip OutDiscards", ip.OutDiscards, 20)
	requireCounter(t, "Ip OutNoRoutes", ip.OutNoRoutes, 231)
	requireAbsent(t, "Ip OutTransmits", ip.OutTransmits)
	udp := s.UDP()
	requireCounter(t, "Udp InDatagrams", udp.InDatagrams, 10179)
	requireCounter(t, "Udp NoPorts", udp.NoPorts, 50)
	requireCounter(t, "Udp OutDatagrams", udp.OutDatagrams, 9846)
	requireCounter(t, "Udp IgnoredMulti", udp.IgnoredMulti, 58)
	requireAbsent(t, "Udp MemErrors", udp.MemErrors)
	requireAbsent(t, "UdpLite MemErrors", s.UDPLite().MemErrors)
	requireCounter(t, "IcmpMsg OutType3", s.Counter("IcmpMsg", "OutType3"), 50)
	requireAbsent(t, "Icmp OutRateLimitHost", s.Counter("Icmp", "OutRateLimitHost"))
}

func TestSNMPNetnsDrops(t *testing.T) {
	// 5,000 multicast + 5,000 unicast datagrams to two non-reading sockets,
	// 5,000 to a closed port.
	s, err := openFixture(t, "linux-6.18-netns-udp-drops/proc").SNMP()
	if err != nil {
		t.Fatal(err)
	}
	udp := s.UDP()
	requireCounter(t, "Udp NoPorts", udp.NoPorts, 5000)
	requireCounter(t, "Udp RcvbufErrors", udp.RcvbufErrors, 9735)
	requireCounter(t, "Udp InErrors", udp.InErrors, 9735)
	requireCounter(t, "Udp OutDatagrams", udp.OutDatagrams, 15000)
	requireCounter(t, "Udp InDatagrams", udp.InDatagrams, 0)
	requireCounter(t, "Ip InReceives", s.IP().InReceives, 20001)
	requireCounter(t, "IcmpMsg InType3", s.Counter("IcmpMsg", "InType3"), 5000)
}

func TestNetstat(t *testing.T) {
	vm, err := openFixture(t, "linux-6.18-vm/proc").Netstat()
	if err != nil {
		t.Fatal(err)
	}
	requireCounter(t, "TcpExt TW", vm.Counter("TcpExt", "TW"), 79)
	requireCounter(t, "IpExt InOctets", vm.Counter("IpExt", "InOctets"), 59340509)
	requireCounter(t, "MPTcpExt MPCapableSYNRX", vm.Counter("MPTcpExt", "MPCapableSYNRX"), 0)
	requireCounter(t, "TcpExt TCPAODroppedIcmps", vm.Counter("TcpExt", "TCPAODroppedIcmps"), 0)

	ns, err := openFixture(t, "linux-6.18-netns-udp-drops/proc").Netstat()
	if err != nil {
		t.Fatal(err)
	}
	requireCounter(t, "IpExt InMcastPkts", ns.Counter("IpExt", "InMcastPkts"), 5001)

	old, err := openFixture(t, "procfs-corpus/proc/26231").Netstat()
	if err != nil {
		t.Fatal(err)
	}
	requireCounter(t, "TcpExt TCPRcvQDrop", old.Counter("TcpExt", "TCPRcvQDrop"), 92425)
	requireCounter(t, "IpExt InMcastPkts", old.Counter("IpExt", "InMcastPkts"), 208)
	requireAbsent(t, "MPTcpExt MPCapableSYNRX", old.Counter("MPTcpExt", "MPCapableSYNRX"))
}

func TestSNMPRepeatedGroup(t *testing.T) {
	// IcmpMsg is printed in pairs of at most 16 keys: the same prefix twice.
	in := "IcmpMsg: InType0 InType3\nIcmpMsg: 1 2\nIcmpMsg: OutType3\nIcmpMsg: 7\n"
	var s SNMP
	if err := ParseSNMP([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	requireCounter(t, "InType3", s.Counter("IcmpMsg", "InType3"), 2)
	requireCounter(t, "OutType3", s.Counter("IcmpMsg", "OutType3"), 7)
}

func TestSNMPErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		reason   string
	}{
		{"no value line", "Udp: InDatagrams NoPorts\n", 1, "header line without a value line"},
		{"prefix mismatch", "Udp: InDatagrams\nTcp: 1\n", 2, "prefix"},
		{"more keys", "Udp: InDatagrams NoPorts\nUdp: 1\n", 2, "2 keys but 1 values"},
		{"more values", "Udp: InDatagrams\nUdp: 1 2 3\n", 2, "1 keys but 3 values"},
		{"not a number", "Udp: InDatagrams\nUdp: 1x\n", 2, "Udp InDatagrams"},
		{"no prefix", "Udp InDatagrams\nUdp: 1\n", 1, "prefix"},
		{"overflow", "Udp: InDatagrams\nUdp: 18446744073709551616\n", 2, "out of range"},
		{"signed overflow", "Tcp: MaxConn\nTcp: 9223372036854775808\n", 2, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s SNMP
			err := ParseSNMP([]byte(tc.in), &s)
			requireParseError(t, err, tc.line)
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestSNMPFullPathInErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/net", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/net/snmp", []byte("Udp: A\nUdp: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.SNMP()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != dir+"/net/snmp" || pe.Line != 2 {
		t.Fatalf("error %v, want a ParseError naming %s line 2", err, dir+"/net/snmp")
	}
	if _, err := fs.Netstat(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing netstat: %v, want os.ErrNotExist", err)
	}
}

func TestSNMPReaderAllocs(t *testing.T) {
	fs := openFixture(t, "linux-6.18-vm/proc")
	for name, open := range map[string]func() (*Reader[SNMP], error){
		"snmp": fs.SNMPReader, "netstat": fs.NetstatReader,
	} {
		r, err := open()
		if err != nil {
			t.Fatal(err)
		}
		var s SNMP
		if err := r.Read(&s); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if err := r.Read(&s); err != nil {
				t.Fatal(err)
			}
			_ = s.UDP()
			_ = s.IP()
		})
		if allocs != 0 {
			t.Errorf("%s: Read + accessors allocate %.1f times, want 0", name, allocs)
		}
		r.Close()
	}
}
