package netstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/qdisc"
	"github.com/packetpath/packetpath/udptable"
)

// repeatJSON is n copies of elem, comma-separated.
func repeatJSON(elem string, n int) string {
	if n == 0 {
		return ""
	}
	return strings.Repeat(elem+",", n-1) + elem
}

// legacyBundle writes a format 1 bundle directory whose frames (frames of
// them) hold the procdev-vm proc tree and netlink.json json.
func legacyBundle(t testing.TB, json string, frames int) string {
	t.Helper()
	dir := t.TempDir()
	var fs []string
	for i := range frames {
		fd := fmt.Sprintf("frame-%03d", i)
		fs = append(fs, `{"dir":"`+fd+`"}`)
		for _, e := range frameEntries(t) {
			p := filepath.Join(dir, fd, e.name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(e.body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fd, bundle.LegacyFile), []byte(json), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	info := `{"format":"` + bundle.FormatV1 + `","frames":[` + strings.Join(fs, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "bundle.json"), []byte(info), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hostileLegacyJSON is a netlink.json of 15.7 MB (under the 16 MiB cap)
// made of empty elements: 1,000,000 links at the top and 1,000,000 in
// "sources", 500,000 qdiscs and 500,000 UDP sockets, a device with
// 1,500,000 statistics names and one with 20,000, and 500,000 classes.
// json.Unmarshal of the like took 5.9 GB for 1M links (the review).
func hostileLegacyJSON() string {
	var b strings.Builder
	b.WriteString(`{"time":"2026-12-02T14:53:09Z","links":[` + repeatJSON("{}", 1_000_000) + `],"sources":{`)
	b.WriteString(`"links":[` + repeatJSON("{}", 1_000_000) + `],`)
	b.WriteString(`"devices":[{"name":"big","stat_names":[` + repeatJSON(`""`, 1_500_000) + `]},`)
	b.WriteString(`{"name":"many","stat_names":[` + repeatJSON(`"x"`, 20_000) + `],"stat_values":[` + repeatJSON("1", 20_000) + `]}],`)
	b.WriteString(`"qdiscs":[` + repeatJSON("{}", 500_000) + `],`)
	b.WriteString(`"classes":[` + repeatJSON("{}", 500_000) + `],`)
	b.WriteString(`"udp":[` + repeatJSON("{}", 500_000) + `]}}`)
	return b.String()
}

// TestLegacyCountCaps: a format 1 frame's element counts are cut at the
// caps, each cut reported in Snapshot.Errors under its source, and the
// elements under the caps kept.
func TestLegacyCountCaps(t *testing.T) {
	js := hostileLegacyJSON()
	if len(js) > bundle.MaxLegacySize {
		t.Fatalf("%d bytes, over the cap", len(js))
	}
	dir := legacyBundle(t, js, 1)
	c, err := NewCollector(Config{Bundle: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s Snapshot
	if err := c.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	want := map[string]Source{
		"1000000 links, more than the 32768":          SourceLinks,
		"500000 qdiscs, more than the 65536":          SourceQdisc,
		"500000 classes, more than the 65536":         SourceQdisc,
		"500000 UDP sockets, more than the 65536":     SourceUDP,
		"1 devices left out: they hold more than":     SourceEthtool | SourceDevices,
		"device many: 20000 ethtool statistics, more": SourceEthtool,
	}
	found := map[string]int{}
	for _, e := range s.Errors {
		for w, src := range want {
			if strings.Contains(e.Err.Error(), w) {
				found[w]++
				if e.Source != src {
					t.Errorf("%v under %v, want %v", e.Err, e.Source, src)
				}
			}
		}
		t.Logf("%v: %v", e.Source, e.Err)
	}
	for w := range want {
		if found[w] == 0 {
			t.Errorf("no error saying %q", w)
		}
	}
	d := &s.Sources
	if len(d.Qdiscs) != legacyMaxQdiscs || len(d.Classes) != legacyMaxQdiscs || len(d.UDP) != legacyMaxUDP {
		t.Errorf("%d qdiscs, %d classes, %d UDP; want %d, %d, %d", len(d.Qdiscs), len(d.Classes), len(d.UDP), legacyMaxQdiscs, legacyMaxQdiscs, legacyMaxUDP)
	}
	if len(d.Devices) != 1 || d.Devices[0].Name != "many" || len(d.Devices[0].StatNames) != legacyMaxStatNames || len(d.Devices[0].StatValues) != legacyMaxStatNames {
		t.Errorf("devices %d", len(d.Devices))
	}
}

// TestLegacyFileCap: a netlink.json over bundle.MaxLegacySize is refused
// (reported, with ErrTooLarge) without being read, and the frame's proc
// files still give their counters; invalid JSON is reported the same way
// at collection (it used to fail the open).
func TestLegacyFileCap(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       error
	}{
		{"over the cap", `{"links":[` + strings.Repeat(" ", bundle.MaxLegacySize) + `]}`, readfile.ErrTooLarge},
		{"damaged", `{"links":[{]}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCollector(Config{Bundle: legacyBundle(t, tc.json, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var s Snapshot
			if err := c.Collect(context.Background(), &s); err != nil {
				t.Fatal(err)
			}
			var got error
			for _, e := range s.Errors {
				if e.Object == bundle.LegacyFile {
					got = e.Err
				}
			}
			if got == nil || (tc.want != nil && !errors.Is(got, tc.want)) {
				t.Errorf("error %v, want one for %s wrapping %v", got, bundle.LegacyFile, tc.want)
			}
			v := s.Sources.SNMP.Counter("Udp", "InDatagrams")
			if !v.Present || v.Value == 0 {
				t.Errorf("Udp InDatagrams = %+v: the frame's proc tree was not read", v)
			}
			t.Logf("%v; %d counters, Udp InDatagrams %d", got, len(s.Counters), v.Value)
		})
	}
}

// TestLegacyMemoryBound collects a two-frame format 1 bundle holding
// hostileLegacyJSON in each frame, in a child process, and bounds its
// peak RSS (VmHWM). Before the bounds, each frame's json.Unmarshal at open
// allocated gigabytes (1M links took 5.9 GB in the review).
func TestLegacyMemoryBound(t *testing.T) {
	if p := os.Getenv("PACKETPATH_BUNDLE_CHILD"); p != "" {
		t.Skip("child")
	}
	dir := legacyBundle(t, hostileLegacyJSON(), 2)
	// What the caps let a frame decode to: 97 MB with every cap full
	// (links twice, devices, qdiscs, classes, UDP and own sockets at
	// their caps, and the file itself). It is held in the decoded frame
	// and in the snapshot's copy: the bound is three times it (the two
	// and the garbage collector's headroom) plus 64 MiB, as
	// TestBundleMemoryBound's; under -race a wider factor.
	worst := int64(2*legacyMaxLinks*unsafe.Sizeof(nic.Link{})+legacyMaxLinks*unsafe.Sizeof(DeviceData{})+
		2*legacyMaxQdiscs*unsafe.Sizeof(qdisc.Qdisc{})+legacyMaxUDP*unsafe.Sizeof(udptable.UDPSocket{})+
		legacyMaxSockets*unsafe.Sizeof(OwnSocket{})) + bundle.MaxLegacySize
	factor, floor := int64(3), int64(64<<20)
	if raceEnabled {
		factor, floor = 8, 128<<20
	}
	bound := factor*worst + floor
	t.Logf("decoded frame at the caps: %.1f MiB", float64(worst)/(1<<20))
	hwm := childHWM(t, dir)
	t.Logf("peak RSS %.1f MiB, bound %d MiB", float64(hwm)/(1<<20), bound>>20)
	if hwm > bound {
		t.Errorf("peak RSS %d MiB, bound %d MiB", hwm>>20, bound>>20)
	}
}

// childHWM runs TestBundleMemoryChild on target and returns its VmHWM in
// bytes.
func childHWM(t *testing.T, target string) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBundleMemoryChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "PACKETPATH_BUNDLE_CHILD="+target)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child for %s: %v\n%s", target, err, out)
	}
	var hwm int64
	if i := bytes.Index(out, []byte("VmHWM=")); i >= 0 {
		fmt.Sscanf(string(out[i:]), "VmHWM=%d", &hwm)
	}
	if hwm == 0 {
		t.Fatalf("child did not report VmHWM:\n%s", out)
	}
	t.Logf("child: %s", bytes.TrimSpace(lastLine(out)))
	return hwm << 10
}
