package procparse

import (
	"fmt"
	"strings"
	"testing"
)

// The parsers reject what the kernel's seq_printf formats cannot produce
// (issue 20 item 11). Each case is one class of such input, with the line
// and column the error must name.

const softnetRow9 = "00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000"

// udpHeader4 and udpLine4 build IPv4 UDP table content as udp4_seq_show
// prints it, lines padded to 127 characters (the fast path's layout).
func udpHeader4() string {
	return fmt.Sprintf("%-127s\n", "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops")
}

func udpLine4(txrx, drops string) string {
	return fmt.Sprintf("%-127s\n", fmt.Sprintf("%5d: %08X:%04X %08X:%04X %02X %s %02X:%08X %08X %5d %8d %d %d %016x %s",
		1, 0x0100007F, 5000, 0, 0, 7, txrx, 0, 0, 0, 0, 0, 12345, 2, uint64(0xffff888000000040), drops))
}

const udp6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

func udp6Line(drops string) string {
	return " 1315: 00000000000000000000000000000000:14EB 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   981        0 21040 2 0000000013726323 " + drops + "\n"
}

const softirqsHead = "                    CPU0       CPU1\n"

const interruptsHead = "           CPU0       CPU1\n"

type strictCase struct {
	name         string
	parse        func() func([]byte) error // a parser bound to a fresh value
	good, bad    string                    // good shares bad's layout where it can
	line, column int
	reason       string // part of the message
}

func strictCases() []strictCase {
	softnet := func() func([]byte) error {
		var st SoftnetStat
		return func(b []byte) error { return ParseSoftnetStat(b, &st) }
	}
	udp := func() func([]byte) error {
		var u UDPSockets
		return func(b []byte) error { return ParseUDP(b, &u) }
	}
	udpScan := func() func([]byte) error {
		var sc UDPScanner
		return func(b []byte) error {
			sc.Reset(b, UDPFilter{LocalPort: 5000})
			for sc.Next() {
			}
			return sc.Err()
		}
	}
	snmp := func() func([]byte) error {
		var s SNMP
		return func(b []byte) error { return ParseSNMP(b, &s) }
	}
	netstat := func() func([]byte) error {
		var s SNMP
		return func(b []byte) error { return ParseNetstat(b, &s) }
	}
	snmp6 := func() func([]byte) error {
		var s SNMP6
		return func(b []byte) error { return ParseSNMP6(b, &s) }
	}
	dev := func() func([]byte) error {
		var d NetDev
		return func(b []byte) error { return ParseNetDev(b, &d) }
	}
	sockstat := func() func([]byte) error {
		var s Sockstat
		return func(b []byte) error { return ParseSockstat(b, &s) }
	}
	softirqs := func() func([]byte) error {
		var s Softirqs
		return func(b []byte) error { return ParseSoftirqs(b, &s) }
	}
	interrupts := func() func([]byte) error {
		var s Interrupts
		return func(b []byte) error { return ParseInterrupts(b, &s) }
	}
	devHead := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
	devLine := func(name string) string {
		return fmt.Sprintf("%6s: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n", name)
	}
	return []strictCase{
		// softnet_stat: %08x of 32-bit counters, one width per file.
		{"softnet 9 digits", softnet, softnetRow9 + "\n", "000000001" + softnetRow9[8:] + "\n", 1, 1, "not eight lowercase hexadecimal digits"},
		{"softnet 9 digits last column", softnet, softnetRow9 + "\n", softnetRow9 + "0\n", 1, 9, "not eight"},
		{"softnet 7 digits", softnet, softnetRow9 + "\n", softnetRow9[:18] + "0000003" + softnetRow9[26:] + "\n", 1, 3, "not eight"},
		{"softnet capitals", softnet, softnetRow9 + "\n" + softnetRow9 + "\n", softnetRow9 + "\n" + softnetRow9[:72] + "0000000A\n", 2, 9, "not eight lowercase"},
		{"softnet wider row", softnet, softnetRow9 + "\n" + softnetRow9 + "\n", softnetRow9 + "\n" + softnetRow9 + " 00000004\n", 2, 10, "10 columns, but line 1 has 9"},
		{"softnet narrower row", softnet, softnetRow9 + " 00000004\n" + softnetRow9 + " 00000004\n", softnetRow9 + " 00000004\n" + softnetRow9 + "\n", 2, 10, "9 columns, but line 1 has 10"},

		// udp: drops is %u of an atomic_t; tx_queue and rx_queue %08X of an int.
		{"udp drops 2^32 (fast layout)", udp, udpHeader4() + udpLine4("00000000:00000000", "4294967295"), udpHeader4() + udpLine4("00000000:00000000", "4294967296"), 2, 13, "drops"},
		{"udp drops 2^32 (scanner)", udpScan, udpHeader4() + udpLine4("00000000:00000000", "4294967295"), udpHeader4() + udpLine4("00000000:00000000", "4294967296"), 2, 13, "drops"},
		{"udp drops 20 digits", udp, udpHeader4() + udpLine4("00000000:00000000", "7"), udpHeader4() + udpLine4("00000000:00000000", "18446744073709551615"), 2, 13, "out of range"},
		{"udp6 drops 2^32", udp, udp6Header + udp6Line("0"), udp6Header + udp6Line("4294967296"), 2, 13, "drops"},
		{"udp rx_queue 9 digits", udp, udpHeader4() + udpLine4("00000000:00000000", "0"), udpHeader4() + udpLine4("00000000:100000000", "0"), 2, 5, "tx_queue:rx_queue"},

		// snmp and netstat: %lu / %ld values, unique groups and keys, as
		// many values as keys.
		{"snmp plus sign", snmp, "Udp: InDatagrams NoPorts\nUdp: 3 4\n", "Udp: InDatagrams NoPorts\nUdp: 3 +4\n", 2, 3, "Udp NoPorts: value \"+4\""},
		{"snmp plus sign first", snmp, "Udp: InDatagrams NoPorts\nUdp: 3 4\n", "Udp: InDatagrams NoPorts\nUdp: +3 4\n", 2, 2, "value \"+3\""},
		{"snmp value over 64 bits", snmp, "Udp: InDatagrams\nUdp: 18446744073709551615\n", "Udp: InDatagrams\nUdp: 18446744073709551616\n", 2, 2, "out of range"},
		{"snmp repeated group", snmp, "Ip: Forwarding\nIp: 1\nUdp: InDatagrams\nUdp: 3\n", "Ip: Forwarding\nIp: 1\nIp: Forwarding\nIp: 1\n", 3, 1, "group \"Ip\" repeats"},
		{"snmp repeated key", snmp, "Udp: InDatagrams NoPorts InErrors\nUdp: 3 4 5\n", "Udp: InDatagrams NoPorts InDatagrams\nUdp: 3 4 5\n", 1, 4, "key \"InDatagrams\" repeats column 2"},
		{"snmp IcmpMsg repeated key", snmp, "IcmpMsg: InType3 OutType3\nIcmpMsg: 1 2\nIcmpMsg: InType8 OutType0\nIcmpMsg: 3 4\n", "IcmpMsg: InType3 OutType3\nIcmpMsg: 1 2\nIcmpMsg: InType8 OutType3\nIcmpMsg: 3 4\n", 3, 3, "IcmpMsg key \"OutType3\" repeats"},
		{"snmp more values", snmp, "Udp: InDatagrams NoPorts\nUdp: 3 4\n", "Udp: InDatagrams NoPorts\nUdp: 3 4 5\n", 2, 4, "2 keys but 3 values"},
		{"snmp fewer values", snmp, "Udp: InDatagrams NoPorts\nUdp: 3 4\n", "Udp: InDatagrams NoPorts\nUdp: 3\n", 2, 3, "2 keys but 1 values"},
		{"netstat repeated group", netstat, "TcpExt: SyncookiesSent\nTcpExt: 0\nIpExt: InNoRoutes\nIpExt: 0\n", "TcpExt: SyncookiesSent\nTcpExt: 0\nTcpExt: SyncookiesSent\nTcpExt: 0\n", 3, 1, "group \"TcpExt\" repeats"},
		{"netstat plus sign", netstat, "TcpExt: SyncookiesSent\nTcpExt: 0\n", "TcpExt: SyncookiesSent\nTcpExt: +0\n", 2, 2, "value \"+0\""},

		// snmp6: "%-32s\t%lu", each name once.
		{"snmp6 repeated name", snmp6, "Udp6InDatagrams                 \t1\nUdp6NoPorts                     \t2\n", "Udp6InDatagrams                 \t1\nUdp6InDatagrams                 \t2\n", 2, 1, "\"Udp6InDatagrams\" repeats line 1"},
		{"snmp6 repeated name later", snmp6, "Ip6InReceives                   \t1\nUdp6InDatagrams                 \t1\nUdp6NoPorts                     \t2\n", "Ip6InReceives                   \t1\nUdp6InDatagrams                 \t1\nUdp6NoPorts                     \t2\nUdp6InDatagrams                 \t3\n", 4, 1, "repeats line 2"},
		{"snmp6 plus sign", snmp6, "Udp6InDatagrams                 \t1\n", "Udp6InDatagrams                 \t+1\n", 1, 2, "value \"+1\""},
		{"snmp6 minus sign", snmp6, "Udp6InDatagrams                 \t1\n", "Udp6InDatagrams                 \t-1\n", 1, 2, "value \"-1\""},

		// dev: one line per device name.
		{"dev repeated device", dev, devHead + devLine("lo") + devLine("eth0"), devHead + devLine("lo") + devLine("lo"), 4, 1, "device \"lo\" repeats line 3"},

		// sockstat: %d/%ld/%u/%lu, each line and key once.
		{"sockstat plus sign", sockstat, "sockets: used 5\nUDP: inuse 1 mem 2\n", "sockets: used 5\nUDP: inuse +1 mem 2\n", 2, 3, "value \"+1\" has a '+'"},
		{"sockstat repeated line", sockstat, "sockets: used 5\nUDP: inuse 1 mem 2\n", "sockets: used 5\nsockets: used 6\n", 2, 1, "sockets repeats line 1"},
		{"sockstat repeated key", sockstat, "sockets: used 5\nUDP: inuse 1 mem 2\n", "sockets: used 5\nUDP: inuse 1 inuse 2\n", 2, 4, "key \"inuse\" repeats column 2"},

		// softirqs: %10u of unsigned int, CPUs in order, each softirq once.
		{"softirqs count over 32 bits", softirqs, softirqsHead + "     NET_RX:          1          2\n", softirqsHead + "     NET_RX:          1 4294967296\n", 2, 3, "count \"4294967296\" for CPU1"},
		{"softirqs repeated softirq", softirqs, softirqsHead + "     NET_TX:          1          2\n     NET_RX:          1          2\n", softirqsHead + "     NET_RX:          1          2\n     NET_RX:          1          2\n", 3, 1, "softirq \"NET_RX\" repeats line 2"},
		{"softirqs repeated CPU", softirqs, softirqsHead + "     NET_RX:          1          2\n", "                    CPU0       CPU0\n     NET_RX:          1          2\n", 1, 2, "CPU0 after CPU0"},

		// interrupts: counts are unsigned int, CPUs in order, each row once.
		{"interrupts count over 32 bits", interrupts, interruptsHead + " 24:          5          6  PCI-MSIX-0000:00:03.0   0-edge      virtio2-config\n", interruptsHead + " 24:          5 4294967296  PCI-MSIX-0000:00:03.0   0-edge      virtio2-config\n", 2, 3, "wider than 32 bits"},
		{"interrupts repeated IRQ", interrupts, interruptsHead + " 24:          5          6  PCI-MSIX   0-edge  a\n 25:          5          6  PCI-MSIX   1-edge  b\n", interruptsHead + " 24:          5          6  PCI-MSIX   0-edge  a\n 24:          5          6  PCI-MSIX   1-edge  b\n", 3, 1, "row \"24\" repeats line 2"},
		{"interrupts repeated named row", interrupts, interruptsHead + "NMI:          0          0   Non-maskable interrupts\nLOC:          1          1   Local timer interrupts\n", interruptsHead + "NMI:          0          0   Non-maskable interrupts\nNMI:          1          1   Local timer interrupts\n", 3, 1, "row \"NMI\" repeats line 2"},
		{"interrupts CPUs out of order", interrupts, interruptsHead + "NMI:          0          0   Non-maskable interrupts\n", "           CPU1       CPU0\nNMI:          0          0   Non-maskable interrupts\n", 1, 2, "CPU0 after CPU1"},
	}
}

func TestStrictRejects(t *testing.T) {
	for _, tc := range strictCases() {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error for %q", what, tc.bad)
				}
				requireParseErrorAt(t, err, tc.line, tc.column)
				if !strings.Contains(err.Error(), tc.reason) {
					t.Errorf("%s: error %q does not say %q", what, err, tc.reason)
				}
			}
			// The good input parses: the parser is not just failing.
			parse := tc.parse()
			if err := parse([]byte(tc.good)); err != nil {
				t.Fatalf("good input %q: %v", tc.good, err)
			}
			check("fresh value", tc.parse()([]byte(tc.bad)))
			// Into a value that parsed the good input (the re-read fast
			// paths), twice, and again after a good parse in between.
			check("after a good parse", parse([]byte(tc.bad)))
			check("again", parse([]byte(tc.bad)))
			if err := parse([]byte(tc.good)); err != nil {
				t.Fatalf("good input after a bad one: %v", err)
			}
			if err := parse([]byte(tc.good)); err != nil {
				t.Fatalf("good input twice: %v", err)
			}
			check("after good parses", parse([]byte(tc.bad)))
		})
	}
}

// TestStrictStaleReuse: a value that once held a rejected layout, then a
// shorter good one, must not take the rejected layout's leftovers (names
// kept in the slices' spare capacity) for checked ones.
func TestStrictStaleReuse(t *testing.T) {
	var ss Sockstat
	bad := []byte("UDP: inuse 1 inuse 2\n")
	if ParseSockstat(bad, &ss) == nil {
		t.Fatal("repeated key accepted")
	}
	if err := ParseSockstat([]byte("UDP: inuse 1\n"), &ss); err != nil {
		t.Fatal(err)
	}
	requireParseErrorAt(t, ParseSockstat(bad, &ss), 1, 4)

	var s6 SNMP6
	bad = []byte("Udp6InDatagrams                 \t1\nUdp6InDatagrams                 \t2\n")
	if ParseSNMP6(bad, &s6) == nil {
		t.Fatal("repeated name accepted")
	}
	if err := ParseSNMP6([]byte("Udp6InDatagrams                 \t1\n"), &s6); err != nil {
		t.Fatal(err)
	}
	requireParseErrorAt(t, ParseSNMP6(bad, &s6), 2, 1)

	var sn SNMP
	bad = []byte("Ip: Forwarding\nIp: 1\nIp: Forwarding\nIp: 1\n")
	if ParseSNMP(bad, &sn) == nil {
		t.Fatal("repeated group accepted")
	}
	if err := ParseSNMP([]byte("Ip: Forwarding\nIp: 1\n"), &sn); err != nil {
		t.Fatal(err)
	}
	requireParseErrorAt(t, ParseSNMP(bad, &sn), 3, 1)
}

// TestStrictEmptyFiles: files the kernel can print with nothing in them
// still parse.
func TestStrictEmptyFiles(t *testing.T) {
	var st SoftnetStat
	var u UDPSockets
	var s SNMP
	var s6 SNMP6
	var ss Sockstat
	for name, err := range map[string]error{
		"softnet_stat":    ParseSoftnetStat(nil, &st),
		"udp":             ParseUDP(nil, &u),
		"udp header":      ParseUDP([]byte(udpHeader4()), &u),
		"snmp":            ParseSNMP(nil, &s),
		"dev_snmp6":       ParseSNMP6(nil, &s6),
		"sockstat":        ParseSockstat(nil, &ss),
		"snmp IcmpMsg x2": ParseSNMP([]byte("IcmpMsg: InType3\nIcmpMsg: 1\nIcmpMsg: OutType3\nIcmpMsg: 2\n"), &s),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
