package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"slices"
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
		{[]string{"-otlp", "localhost:4317"}, `-otlp "localhost:4317": want an http:// or https:// URL`},
		{[]string{"-otlp", "http://"}, "no host"},
		{[]string{"-otlp", "http://127.0.0.1:4317", "-otlp-protocol", "http/json"}, `-otlp-protocol "http/json"`},
		{[]string{"-otlp", "http://127.0.0.1:4317", "-otlp-interval", "0s"}, "positive durations"},
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

// FuzzParseFlags: any command line either parses into options that hold
// the checks (known MIB groups, kernel-valid device names, * only at the
// end of a driver-stats prefix) or is a usage error; never a panic.
func FuzzParseFlags(f *testing.F) {
	for _, args := range [][]string{
		{"-mib-groups", "Nope"}, {"-mib-groups", "Udp,TcpExt"}, {"-devices", "eth0, lo"}, {"-devices", "a/b"},
		{"-driver-stats", "rx_*,tx_timeout"}, {"-driver-stats", "rx*x"}, {"-iface", "lo"}, {"-rcvbuf", "4096"},
		{"-join", "239.1.1.1:5000", "-iface", "lo", "-rcvbuf", "8388608"}, {"-sources", "snmp,udp"},
		{"-listen", "127.0.0.1:0", "-max-sockets", "-1", "-proc-root", "/host/proc"}, {"-h"},
	} {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		o, err := parseFlags(args, io.Discard)
		if err != nil {
			if !errors.Is(err, errUsage) && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("%q: error %v is neither a usage error nor help", args, err)
			}
			return
		}
		for _, g := range o.mibGroups {
			if !slices.Contains(netstack.MIBGroupNames(), g) {
				t.Errorf("%q: unknown MIB group %q accepted", args, g)
			}
		}
		for _, d := range append(slices.Clone(o.devices), o.iface) {
			if d != "" && validDevice(d) != nil {
				t.Errorf("%q: bad device %q accepted", args, d)
			}
		}
		for _, p := range o.driverStats {
			if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
				t.Errorf("%q: driver-stats %q accepted", args, p)
			}
		}
		if len(o.join) == 0 && (o.iface != "" || o.rcvbuf != 0) {
			t.Errorf("%q: -iface/-rcvbuf accepted without -join", args)
		}
	})
}
