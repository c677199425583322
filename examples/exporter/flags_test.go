package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/netstack"
)

func TestBadFlagsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-listen", "localhost"}, "-listen"},
		{[]string{"-listen", "127.0.0.1:http2"}, "bad port"},
		{[]string{"-sources", "softnet,bogus"}, "unknown source"},
		{[]string{"-max-sockets", "-2"}, "-max-sockets"},
		{[]string{"-join", "10.0.0.1:5000"}, "multicast"},
		{[]string{"-join", "239.1.1.1:5000", "-join", "239.1.1.2:5001"}, "share the port"},
		{[]string{"-rcvbuf", "-1"}, "negative"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"-nosuch"}, "flag provided but not defined"},
		{[]string{"-mib-groups", "Nope"}, `-mib-groups "Nope": unknown MIB group`},
		{[]string{"-mib-groups", "Udp,udp6"}, "did you mean Udp6?"},
		{[]string{"-devices", "eth0,a/b"}, `-devices "a/b"`},
		{[]string{"-devices", "averyveryverylongname"}, "1 to 15 bytes"},
		{[]string{"-driver-stats", "rx*_drops"}, "may only end a prefix"},
		{[]string{"-iface", "lo"}, "only used with -join"},
		{[]string{"-rcvbuf", "4096"}, "only used with -join"},
		{[]string{"-join", "239.1.1.1:5000", "-iface", "e:0"}, `-iface "e:0"`},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "Usage: exporter") {
			t.Errorf("%q: stderr lacks %q and the usage:\n%s", tc.args, tc.want, stderr.String())
		}
	}
}

func TestMissingNamespaceExit1(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-netns", "/var/run/netns/no-such-namespace-pp"}, &stderr); code != 1 {
		t.Errorf("exit %d, want 1; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "no-such-namespace-pp") {
		t.Errorf("error does not name the namespace: %s", stderr.String())
	}
}

func TestParseFlags(t *testing.T) {
	var stderr bytes.Buffer
	o, err := parseFlags([]string{"-devices", "eth0, lo", "-percpu", "-driver-stats", "rx_*,tx_timeout",
		"-sources", "snmp,udp", "-max-sockets", "0", "-join", "239.1.1.1:5000", "-mib-groups", "Udp,TcpExt",
		"-proc-root", "/host/proc"}, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if strings.Join(o.devices, "|") != "eth0|lo" || !o.perCPU || len(o.driverStats) != 2 ||
		o.sources != netstack.SourceSNMP|netstack.SourceUDP || o.maxSockets != -1 || len(o.join) != 1 || o.listen != "127.0.0.1:9464" ||
		strings.Join(o.mibGroups, "|") != "Udp|TcpExt" || o.procRoot != "/host/proc" {
		t.Errorf("%+v", o)
	}
}
