package netstack

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// copyTree copies the directory src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hasErr(s *Snapshot, src Source, object string) bool {
	for _, e := range s.Errors {
		if e.Source == src && e.Object == object {
			return true
		}
	}
	return false
}

func countersOf(s *Snapshot, src Source) int {
	n := 0
	for i := range s.Counters {
		if s.Counters[i].Source == src {
			n++
		}
	}
	return n
}

// TestFailedSourceLeavesNoData collects a proc tree (from the 6.18 VM
// fixture) into one Snapshot, breaks some of its files so that their
// parsers fail part-way, and collects into the same Snapshot again: the
// failed sources' typed data must be empty, not the previous collection's
// and not the parser's partial output (issue 20 item 5), and the healthy
// files still read.
func TestFailedSourceLeavesNoData(t *testing.T) {
	root := t.TempDir()
	copyTree(t, "testdata/core-proc", root)
	c, err := NewCollector(Config{ProcRoot: root, Sources: SourceSoftnet | SourceSNMP | SourceNetstat | SourceSoftirqs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s Snapshot
	if err := c.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Errors {
		t.Fatalf("source error on the intact tree: %v", e)
	}
	d := &s.Sources
	if len(d.Softnet.CPUs) != 2 || len(d.SNMP.Groups) == 0 || len(d.Netstat.Groups) == 0 || len(d.SNMP6.Fields) == 0 || len(d.Softirqs.Rows) == 0 {
		t.Fatalf("intact tree: %d softnet CPUs, %d snmp groups, %d netstat groups, %d snmp6 fields, %d softirqs",
			len(d.Softnet.CPUs), len(d.SNMP.Groups), len(d.Netstat.Groups), len(d.SNMP6.Fields), len(d.Softirqs.Rows))
	}
	snmp6 := len(d.SNMP6.Fields)
	good := map[string][]byte{}
	for _, f := range []string{"net/softnet_stat", "net/snmp", "net/netstat", "softirqs"} {
		good[f], _ = os.ReadFile(filepath.Join(root, f))
	}
	lines := func(f string, n int) string {
		return strings.Join(strings.SplitAfter(string(good[f]), "\n")[:n], "")
	}
	broken := map[string]string{
		// A valid first CPU, then a line the parser rejects.
		"net/softnet_stat": lines("net/softnet_stat", 1) + "zz not hex\n",
		// Two valid groups, then a header without its value line.
		"net/snmp":    lines("net/snmp", 4) + "Udp: InDatagrams NoPorts\n",
		"net/netstat": lines("net/netstat", 2) + "IpExt: InNoRoutes\nIpExt: x\n",
		"softirqs":    lines("softirqs", 2) + "NET_RX: what\n",
	}
	for f, b := range broken {
		if err := os.WriteFile(filepath.Join(root, f), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	for _, src := range []Source{SourceSoftnet, SourceSNMP, SourceNetstat, SourceSoftirqs} {
		if !hasErr(&s, src, "") {
			t.Errorf("no error for %s: %v", src, s.Err())
		}
	}
	if n := len(d.Softnet.CPUs); n != 0 {
		t.Errorf("failed softnet_stat left %d CPUs", n)
	}
	if n := len(d.SNMP.Groups); n != 0 {
		t.Errorf("failed snmp left %d groups", n)
	}
	if n := len(d.Netstat.Groups); n != 0 {
		t.Errorf("failed netstat left %d groups", n)
	}
	if n := len(d.Softirqs.Rows) + len(d.Softirqs.CPUs); n != 0 {
		t.Errorf("failed softirqs left %d rows and CPUs", n)
	}
	if len(d.SNMP6.Fields) != snmp6 {
		t.Errorf("snmp6 (intact) has %d fields, want %d", len(d.SNMP6.Fields), snmp6)
	}
	if countersOf(&s, SourceSoftnet)+countersOf(&s, SourceNetstat)+countersOf(&s, SourceSoftirqs) != 0 {
		t.Errorf("counters from failed sources: %d softnet, %d netstat, %d softirqs",
			countersOf(&s, SourceSoftnet), countersOf(&s, SourceNetstat), countersOf(&s, SourceSoftirqs))
	}
	if n := countersOf(&s, SourceSNMP); n != snmp6 {
		t.Errorf("%d SNMP counters, want the %d of snmp6 alone", n, snmp6)
	}
	t.Logf("after breaking 4 files: %d errors, %d counters (snmp6)", len(s.Errors), len(s.Counters))

	// Repaired: everything is back, in the same Snapshot.
	for f, b := range good {
		if err := os.WriteFile(filepath.Join(root, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) != 0 || len(d.Softnet.CPUs) != 2 || len(d.SNMP.Groups) == 0 {
		t.Errorf("after the repair: %v, %d CPUs, %d snmp groups", s.Err(), len(d.Softnet.CPUs), len(d.SNMP.Groups))
	}
	if v := d.Softnet.CPUs[0].Processed; v != 0x06a301c8 {
		t.Errorf("CPU 0 processed %#x, the file says 0x06a301c8", v)
	}

	// A Snapshot filled by this collector, then by one that reads only
	// softnet_stat, holds nothing of the sources the second does not read.
	c2, err := NewCollector(Config{ProcRoot: root, Sources: SourceSoftnet})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if len(d.SNMP.Groups)+len(d.SNMP6.Fields)+len(d.Netstat.Groups)+len(d.Softirqs.Rows) != 0 || len(d.Softnet.CPUs) != 2 {
		t.Errorf("unread sources kept data: %d snmp groups, %d snmp6, %d netstat, %d softirqs",
			len(d.SNMP.Groups), len(d.SNMP6.Fields), len(d.Netstat.Groups), len(d.Softirqs.Rows))
	}
}

// TestMissingDevice: a Config.Devices name that no device has is reported
// in every collection, once, as an error wrapping os.ErrNotExist with the
// name as Object (issue 17 item 5), by a collector with the link dump and
// by one with the qdisc source alone; the existing name is still collected.
func TestMissingDevice(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithVeth("md0", "md1", "", ""))
	for _, sources := range []Source{SourceLinks | SourceQdisc | SourceEthtool, SourceQdisc} {
		c, err := NewCollector(Config{NetNS: ns.Path, Sources: sources, Devices: []string{"md0", "nosuch0"}})
		if err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		for round := range 3 {
			if err := c.Collect(context.Background(), &s); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range s.Errors {
				switch {
				case e.Object == "nosuch0" && errors.Is(e, os.ErrNotExist):
					n++
				case e.Object == "md0":
					t.Errorf("%s: error for the existing device: %v", sources, e)
				}
			}
			if n != 1 {
				t.Errorf("%s, collection %d: %d errors for nosuch0, want 1: %v", sources, round, n, s.Err())
			}
			if countersOf(&s, SourceQdisc) == 0 {
				t.Errorf("%s: no qdisc counters of md0", sources)
			}
			for _, k := range s.Counters {
				if k.Object != "md0" && k.Object != "" {
					t.Errorf("%s: counter of %s collected", sources, k.Object)
					break
				}
			}
		}
		t.Logf("%s: %v", sources, s.Err())
		c.Close()
	}
}

// TestQdiscNamesFollowLinks renames a device and gives another one an old
// device's ifindex between collections: the qdisc counters must carry the
// names of the same collection's link dump (issue 20 item 6), also in a
// collector without the link dump.
func TestQdiscNamesFollowLinks(t *testing.T) {
	netnstest.RequireTool(t, "tc")
	ns := netnstest.New(t)
	ns.Run("ip", "link", "add", "qn0", "index", "60", "type", "veth", "peer", "name", "qn1")
	ns.Run("ip", "link", "add", "qr0", "index", "61", "type", "veth", "peer", "name", "qr1")
	for _, dev := range []string{"qn0", "qr0"} {
		ns.Run("ip", "link", "set", dev, "up")
		ns.Run("tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb")
	}
	ctx := context.Background()
	withLinks, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceLinks | SourceQdisc})
	if err != nil {
		t.Fatal(err)
	}
	defer withLinks.Close()
	alone, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceQdisc})
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	var a, b Snapshot
	for _, c := range []*Collector{withLinks, alone} {
		if err := c.Collect(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	// qr0 is renamed (same ifindex 61); qn0 is deleted and a new device
	// takes its ifindex 60 under another name.
	ns.Run("ip", "link", "set", "qr0", "down")
	ns.Run("ip", "link", "set", "qr0", "name", "qs0")
	ns.Run("ip", "link", "set", "qs0", "up")
	ns.Run("ip", "link", "del", "qn0")
	ns.Run("ip", "link", "add", "qm0", "index", "60", "type", "veth", "peer", "name", "qm1")
	ns.Run("ip", "link", "set", "qm0", "up")
	ns.Run("tc", "qdisc", "add", "dev", "qm0", "root", "handle", "1:", "htb")
	for _, c := range []*Collector{withLinks, alone} {
		if err := c.Collect(ctx, &b); err != nil {
			t.Fatal(err)
		}
		got := map[uint64]string{}
		for _, k := range b.Counters {
			if k.Source == SourceQdisc && k.Index == 0x10000 {
				got[k.Gen>>32] = k.Object
			}
		}
		if got[60] != "qm0" || got[61] != "qs0" {
			t.Errorf("qdisc devices by ifindex: %v, want 60=qm0 61=qs0", got)
		}
		if len(b.Sources.Links) > 0 {
			for _, q := range b.Sources.Qdiscs {
				for _, l := range b.Sources.Links {
					if int(l.Index) == q.Ifindex && l.Name != q.Device {
						t.Errorf("qdisc of ifindex %d named %q, the link dump says %q", q.Ifindex, q.Device, l.Name)
					}
				}
			}
		}
		var d Delta
		ComputeDelta(&a, &b, &d)
		if fs := Diagnose(&d); len(fs) != 0 {
			t.Errorf("findings:\n%s", findingsText(fs))
		}
	}
}

// TestNamespaceDetached deletes the namespace a Collector reads (ip netns
// del) and then creates another under the same name: the snapshots must
// say that the path no longer leads to the collector's namespace (issue
// 20 item 12) while its counters stay readable.
func TestNamespaceDetached(t *testing.T) {
	ns := netnstest.New(t)
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceSNMP | SourceLinks})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var s Snapshot
	if err := c.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if s.NetNSDetached || len(s.Errors) != 0 {
		t.Fatalf("fresh namespace: detached %v, %v", s.NetNSDetached, s.Err())
	}
	if n := testing.AllocsPerRun(20, func() { c.Collect(ctx, &s) }); n != 0 {
		t.Errorf("Collect in a namespace allocates %.1f times", n)
	}
	if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns del: %v: %s", err, out)
	}
	if err := c.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if !s.NetNSDetached || !hasErr(&s, 0, ns.Path) || !errors.Is(s.Err(), os.ErrNotExist) {
		t.Errorf("deleted namespace: detached %v, errors %v", s.NetNSDetached, s.Err())
	}
	if countersOf(&s, SourceLinks) == 0 || findCounter(&s, SourceLinks, "lo", -1, "rx_packets") == nil {
		t.Errorf("the collector's namespace is still alive, its counters must still be read")
	}
	t.Logf("deleted: %v", s.Err())
	// Another namespace under the same name (netnstest's cleanup deletes
	// it).
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	if err := c.Collect(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if !s.NetNSDetached || !hasErr(&s, 0, ns.Path) || errors.Is(s.Err(), os.ErrNotExist) {
		t.Errorf("name re-used by another namespace: detached %v, errors %v", s.NetNSDetached, s.Err())
	}
	t.Logf("re-used: %v", s.Err())
}
