//go:build linux

package procparse

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestLiveHost parses this machine's files. Values move while the test runs,
// so it checks structure against stable peers (interface names, CPU count,
// the header's keys).
func TestLiveHost(t *testing.T) {
	fs, err := NewDefaultFS()
	if err != nil {
		t.Skipf("skipped: no /proc: %v", err)
	}
	if _, err := os.Stat(fs.NetPath("snmp")); err != nil {
		t.Skipf("skipped: no %s: %v", fs.NetPath("snmp"), err)
	}

	sn, err := fs.SoftnetStat()
	if err != nil {
		t.Fatal(err)
	}
	if online := onlineCPUs(t); online > 0 && len(sn.CPUs) != online {
		t.Errorf("softnet_stat has %d rows, %d CPUs online", len(sn.CPUs), online)
	}
	for i, c := range sn.CPUs {
		if c.Width < SoftnetWidthMin {
			t.Errorf("row %d: width %d", i, c.Width)
		}
		if c.Width >= SoftnetWidthCPU && !c.CPUFromFile {
			t.Errorf("row %d: width %d but CPU not taken from the file", i, c.Width)
		}
	}

	s, err := fs.SNMP()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Counter{s.IP().InReceives, s.IP().InDelivers, s.UDP().InDatagrams, s.UDP().RcvbufErrors, s.UDPLite().NoPorts} {
		if !c.Present {
			t.Errorf("a counter every kernel prints is absent: %+v", s.UDP())
		}
	}
	if _, err := fs.Netstat(); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.SNMP6(); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}

	d, err := fs.NetDev()
	if err != nil {
		t.Fatal(err)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) != len(d.Devices) {
		t.Errorf("%d devices in net/dev, %d interfaces", len(d.Devices), len(ifs))
	}
	for _, ifc := range ifs {
		if _, ok := d.Device(ifc.Name); !ok {
			t.Errorf("interface %s missing from net/dev", ifc.Name)
		}
	}

	for _, f := range []UDPFile{FileUDP, FileUDP6, FileUDPLite, FileUDPLite6} {
		u, err := fs.UDP(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range u.Sockets {
			if !s.HasDrops || !s.Local.IsValid() {
				t.Errorf("%s: socket %+v", f, s)
			}
		}
	}
}

func onlineCPUs(t *testing.T) int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, ok := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(lo)
		z := a
		var err2 error
		if ok {
			z, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("cannot parse cpu/online %q", b)
		}
		n += z - a + 1
	}
	return n
}

// TestNetnsAgainstPeers parses the files of a fresh namespace, whose
// counters stand still, and compares every value with iproute2: nstat for
// snmp, netstat and snmp6, `ip -s -j link` for net/dev.
func TestNetnsAgainstPeers(t *testing.T) {
	netnstest.RequireTool(t, "nstat")
	ns := netnstest.New(t)

	var (
		snmp, netstat SNMP
		snmp6         SNMP6
		dev           NetDev
		softnet       SoftnetStat
		snmp6Err      error
	)
	err := ns.Do(func() error {
		// Some traffic so that counters are not all zero: three datagrams
		// to a closed port (Udp NoPorts, ICMP port unreachable).
		// The socket is not connected, so the ICMP errors do not fail
		// later sends.
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		for range 3 {
			if _, err := c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); err != nil {
				return err
			}
		}
		c.Close()
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		if snmp, err = fs.SNMP(); err != nil {
			return err
		}
		if netstat, err = fs.Netstat(); err != nil {
			return err
		}
		snmp6, snmp6Err = fs.SNMP6()
		if dev, err = fs.NetDev(); err != nil {
			return err
		}
		softnet, err = fs.SoftnetStat()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(softnet.CPUs) == 0 {
		t.Error("softnet_stat has no rows")
	}

	ours := map[string]SNMPField{}
	for _, s := range []SNMP{snmp, netstat} {
		for _, g := range s.Groups {
			for _, f := range g.Fields {
				ours[g.Name+f.Name] = f
			}
		}
	}
	if snmp6Err == nil {
		for _, f := range snmp6.Fields {
			ours[f.Name] = f
		}
	}
	peer := nstat(t, ns)
	for k, v := range peer {
		f, ok := ours[k]
		if !ok {
			t.Errorf("nstat has %s, we do not", k)
			continue
		}
		if f.Value != v {
			t.Errorf("%s: ours %d, nstat %d", k, f.Value, v)
		}
	}
	// nstat leaves out the non-counters (settings and the CurrEstab gauge).
	for _, k := range []string{"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax", "TcpMaxConn", "TcpCurrEstab"} {
		if _, ok := ours[k]; !ok {
			t.Errorf("%s missing", k)
		}
		delete(ours, k)
	}
	if len(ours) != len(peer) {
		for k := range ours {
			if _, ok := peer[k]; !ok {
				t.Errorf("we have %s, nstat does not", k)
			}
		}
	}
	if f := ours["UdpNoPorts"]; f.Value != 3 {
		t.Errorf("UdpNoPorts = %d, want 3", f.Value)
	}

	var links []struct {
		Name  string `json:"ifname"`
		Stats struct {
			RX struct{ Bytes, Packets, Errors, Dropped, Multicast uint64 } `json:"rx"`
			TX struct{ Bytes, Packets, Errors, Dropped uint64 }            `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal([]byte(ns.Run("ip", "-s", "-j", "link", "show")), &links); err != nil {
		t.Fatal(err)
	}
	if len(links) != len(dev.Devices) {
		t.Errorf("ip link shows %d devices, net/dev %d", len(links), len(dev.Devices))
	}
	for _, l := range links {
		d, ok := dev.Device(l.Name)
		if !ok {
			t.Errorf("%s missing from net/dev", l.Name)
			continue
		}
		if d.RxBytes != l.Stats.RX.Bytes || d.RxPackets != l.Stats.RX.Packets || d.TxBytes != l.Stats.TX.Bytes ||
			d.TxPackets != l.Stats.TX.Packets || d.RxErrors != l.Stats.RX.Errors || d.TxDropped != l.Stats.TX.Dropped {
			t.Errorf("%s: net/dev %+v, ip link %+v", l.Name, *d, l.Stats)
		}
	}
	if lo, _ := dev.Device("lo"); lo == nil || lo.RxPackets != 6 {
		t.Errorf("lo = %+v, want 3 datagrams and 3 ICMP errors", lo)
	}
}

// nstat returns `nstat -azs` inside ns: absolute values of every counter.
func nstat(t *testing.T, ns *netnstest.NS) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(ns.Run("nstat", "-azs")))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("nstat line %q: %v", sc.Text(), err)
		}
		m[f[0]] = v
	}
	return m
}
