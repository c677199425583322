package netstack

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// procMIB reads one "Group Key" value of a snmp-format file as the kernel
// prints it.
func procMIB(t *testing.T, text, group, key string) uint64 {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		hdr, val := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(hdr) == 0 || hdr[0] != group+":" || len(val) != len(hdr) {
			continue
		}
		for j, k := range hdr {
			if k == key {
				v, err := strconv.ParseUint(val[j], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
	}
	t.Fatalf("%s %s not in the file", group, key)
	return 0
}

// TestNetstatSource: /proc/net/netstat counters are labelled SourceNetstat
// (issue 20 item 10: they were SourceSNMP, so Delta.Sum(SourceNetstat,
// "TcpExt....") found nothing), live and from a bundle, with the kernel's
// values.
func TestNetstatSource(t *testing.T) {
	ns := netnstest.New(t)
	var tx int
	if err := ns.Do(func() error {
		tx = udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
		udpSocket(t, [4]byte{127, 0, 0, 1}, 5401, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceSNMP | SourceNetstat})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var a, b Snapshot
	if err := c.Collect(ctx, &a); err != nil {
		t.Fatal(err)
	}
	const n = 100
	sent := sendN(t, tx, [4]byte{127, 0, 0, 1}, 5401, n)
	if err := c.Collect(ctx, &b); err != nil {
		t.Fatal(err)
	}
	for _, e := range b.Errors {
		t.Errorf("source error: %v", e)
	}
	netstat := ns.Run("cat", "/proc/net/netstat")
	var d Delta
	ComputeDelta(&a, &b, &d)
	if _, found := d.Sum(SourceNetstat, "TcpExt.TW"); !found {
		t.Errorf("TcpExt.TW not found under SourceNetstat")
	}
	if _, found := d.Sum(SourceSNMP, "TcpExt.TW"); found {
		t.Errorf("TcpExt.TW found under SourceSNMP")
	}
	octets := d.Find(SourceNetstat, "", -1, "IpExt.InOctets")
	if octets == nil {
		t.Fatal("IpExt.InOctets not under SourceNetstat")
	}
	// The namespace is idle but for our datagrams: the kernel's file now
	// says what the snapshot read.
	if want := procMIB(t, netstat, "IpExt", "InOctets"); octets.Value != want {
		t.Errorf("IpExt.InOctets = %d, /proc/net/netstat says %d", octets.Value, want)
	}
	// 100 datagrams of 64 bytes + 8 UDP + 20 IP header each.
	if octets.Delta != uint64(sent)*92 {
		t.Errorf("IpExt.InOctets moved by %d for %d datagrams of 92 bytes", octets.Delta, sent)
	}
	if got, found := d.Sum(SourceSNMP, "Udp.OutDatagrams"); !found || got != uint64(sent) {
		t.Errorf("Udp.OutDatagrams under SourceSNMP: %d, %v; sent %d", got, found, sent)
	}
	for _, k := range b.Counters {
		if k.Source == SourceNetstat && !strings.Contains(k.Name, "Ext.") {
			t.Errorf("SourceNetstat counter %s is not from netstat", k.Name)
		}
		if k.Source == SourceSNMP && strings.Contains(k.Name, "Ext.") {
			t.Errorf("SourceSNMP counter %s is from netstat", k.Name)
		}
	}

	// A bundle's netstat file too.
	bc, err := NewCollector(Config{Bundle: rxStagesBundle(t), Sources: SourceSNMP | SourceNetstat})
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	var s Snapshot
	if err := bc.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	nNetstat := 0
	for _, k := range s.Counters {
		if k.Source == SourceNetstat {
			nNetstat++
		}
	}
	if nNetstat == 0 {
		t.Errorf("bundle: no SourceNetstat counters")
	}
	t.Logf("live: IpExt.InOctets %d (+%d); bundle: %d netstat counters", octets.Value, octets.Delta, nNetstat)
}
