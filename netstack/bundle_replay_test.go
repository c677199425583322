package netstack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/internal/netnstest"
)

// findingKey is what a finding says, less the rates (which depend on the
// interval a reader measures).
func findingKey(f Finding) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s [%s] drops=%d: %s\n", f.Stage, f.Object, f.Drops, f.Summary)
	for _, e := range f.Evidence {
		fmt.Fprintf(&sb, "  %s %s %d %s delta=%d value=%d gauge=%v inode=%d\n", e.Source, e.Object, e.Index, e.Name, e.Delta, e.Value, e.Gauge, e.Inode)
	}
	return sb.String()
}

func bundleFindings(t *testing.T, path string) (*Delta, []Finding) {
	t.Helper()
	c, err := NewCollector(Config{Bundle: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var a, b Snapshot
	for _, s := range []*Snapshot{&a, &b} {
		if err := c.Collect(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		for _, e := range s.Errors {
			t.Errorf("%s: %v", path, e)
		}
	}
	d := new(Delta)
	ComputeDelta(&a, &b, d)
	return d, Diagnose(d)
}

// jsonFindings renders findings in JSON (as Diagnose's output is written)
// without their rates.
func jsonFindings(t *testing.T, b []byte) string {
	t.Helper()
	var fs []map[string]any
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		ev, _ := f["evidence"].([]any)
		for _, e := range ev {
			delete(e.(map[string]any), "rate")
		}
	}
	out, _ := json.MarshalIndent(fs, "", " ")
	return string(out)
}

func sameFindings(t *testing.T, what string, got, want []Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d findings, live %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if g, w := findingKey(got[i]), findingKey(want[i]); g != w {
			t.Errorf("%s: finding %d:\n%s\nlive:\n%s", what, i, g, w)
		}
	}
}

// TestBundleV1SameFindings opens a bundle captured before bundles held raw
// kernel bytes (format 1: netlink.json of decoded data; testdata/
// bundle-v1.tar.gz, captured from a namespace whose socket at
// 127.0.0.1:5400, rcvbuf 4096, was sent 300 datagrams between the frames)
// and checks that its findings are those the live collector that wrote it
// gave (testdata/bundle-v1-findings.json): 296 drops at rx-socket.
func TestBundleV1SameFindings(t *testing.T) {
	raw, err := os.ReadFile("testdata/bundle-v1-findings.json")
	if err != nil {
		t.Fatal(err)
	}
	live := jsonFindings(t, raw)
	c, err := NewCollector(Config{Bundle: "testdata/bundle-v1.tar.gz"})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := c.Info()
	c.Close()
	if info.Format != bundle.FormatV1 {
		t.Fatalf("format %q, want %q", info.Format, bundle.FormatV1)
	}
	_, got := bundleFindings(t, "testdata/bundle-v1.tar.gz")
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := jsonFindings(t, b), live; g != w {
		t.Errorf("format 1 bundle findings:\n%s\nlive:\n%s", g, w)
	}
	if len(got) != 1 || got[0].Stage != StageSocket || got[0].Drops != 296 {
		t.Errorf("findings %v, want one rx-socket finding of 296 drops", got)
	}
	for _, f := range got {
		t.Logf("%s [%s] drops=%d", f.Stage, f.Object, f.Drops)
	}
}

// TestBundleReplaySameFindings captures a namespace in the current format
// (raw RTM_GETLINK, RTM_GETQDISC, RTM_GETTCLASS and sock_diag dumps and
// ethtool replies) around drops at a small socket buffer, as WriteBundle
// does (a live collection, then the frame), and checks that the bundle,
// read as a directory and as a .tar.gz, gives the live run's findings, and
// that every link, qdisc, UDP and ethtool counter of each frame equals the
// live collection's.
func TestBundleReplaySameFindings(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("ip", "link", "add", "ppr0", "type", "veth", "peer", "name", "ppr1")
	ns.Run("tc", "qdisc", "add", "dev", "ppr0", "root", "handle", "1:", "htb", "default", "10")
	ns.Run("tc", "class", "add", "dev", "ppr0", "parent", "1:", "classid", "1:10", "htb", "rate", "10mbit")
	var tx int
	ns.Do(func() error {
		udpSocket(t, [4]byte{127, 0, 0, 1}, 5401, 2048)
		tx = udpSocket(t, [4]byte{127, 0, 0, 1}, -1, 0)
		return nil
	})
	live, err := NewCollector(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "b")
	w, err := bundle.Create(dir, BundleInfo{})
	if err != nil {
		t.Fatal(err)
	}
	var snaps [2]Snapshot
	for i := range snaps {
		if i == 1 {
			ns.Do(func() error { sendN(t, tx, [4]byte{127, 0, 0, 1}, 5401, 300); return nil })
		}
		if err := live.Collect(ctx, &snaps[i]); err != nil {
			t.Fatal(err)
		}
		if err := live.writeFrame(ctx, w.Frame(snaps[i].Time), &snaps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d := new(Delta)
	ComputeDelta(&snaps[0], &snaps[1], d)
	want := Diagnose(d)
	if len(want) == 0 || want[0].Stage != StageSocket {
		t.Fatalf("live findings %v, want rx-socket drops", want)
	}
	archive := dir + ".tar.gz"
	if err := bundle.Archive(archive, dir); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, archive} {
		bd, got := bundleFindings(t, path)
		sameFindings(t, path, got, want)
		// Every counter of the kernel's dumps, as the live run read it.
		for _, snap := range []*Snapshot{bd.Prev, bd.Cur} {
			i := 0
			if snap == bd.Cur {
				i = 1
			}
			liveVals := map[string]uint64{}
			n := 0
			for _, c := range snaps[i].Counters {
				if c.Source&(SourceLinks|SourceQdisc|SourceUDP|SourceEthtool) != 0 {
					liveVals[fmt.Sprint(c.Source, c.Object, c.Index, c.Name, c.Label)] = c.Value
					n++
				}
			}
			m := 0
			bySource := map[Source]int{}
			for _, c := range snap.Counters {
				k := fmt.Sprint(c.Source, c.Object, c.Index, c.Name, c.Label)
				v, ok := liveVals[k]
				if c.Source&(SourceLinks|SourceQdisc|SourceUDP|SourceEthtool) == 0 {
					continue
				}
				m++
				bySource[c.Source]++
				if !ok || v != c.Value {
					t.Errorf("%s frame %d: %s = %d, live %d (%v)", path, i, k, c.Value, v, ok)
				}
			}
			for _, src := range []Source{SourceLinks, SourceQdisc, SourceUDP, SourceEthtool} {
				if bySource[src] == 0 {
					t.Errorf("%s frame %d: no %s counters", path, i, src)
				}
			}
			if m != n || n == 0 {
				t.Errorf("%s frame %d: %d link/qdisc/udp/ethtool counters, live %d", path, i, m, n)
			}
			if i == 1 {
				t.Logf("%s: %d counters (%v) equal the live run's; %d findings, first %s [%s] drops=%d", filepath.Base(path), m, bySource, len(got), got[0].Stage, got[0].Object, got[0].Drops)
			}
		}
	}
}
