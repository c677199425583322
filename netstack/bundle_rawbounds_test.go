//go:build linux

package netstack

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetpath/packetpath/bundle"
)

// firstMessage returns the first message of a recorded dump of type typ.
func firstMessage(t testing.TB, b []byte, typ uint16) []byte {
	t.Helper()
	for off := 0; off+16 <= len(b); {
		l := int(binary.NativeEndian.Uint32(b[off:]))
		if l < 16 || off+l > len(b) {
			break
		}
		if binary.NativeEndian.Uint16(b[off+4:]) == typ {
			return b[off : off+l]
		}
		off += (l + 3) &^ 3
	}
	t.Fatalf("no message of type %d", typ)
	return nil
}

// repeatDump is n copies of msg (ifindex, at index, made unique when
// index >= 0), then an NLMSG_DONE.
func repeatDump(msg []byte, n, index int) []byte {
	l := (len(msg) + 3) &^ 3
	out := make([]byte, 0, n*l+20)
	for i := range n {
		m := len(out)
		out = append(out, msg...)
		out = append(out, make([]byte, l-len(msg))...)
		if index >= 0 {
			binary.NativeEndian.PutUint32(out[m+index:], uint32(i+1))
		}
	}
	done := make([]byte, 20)
	binary.NativeEndian.PutUint32(done, 20)
	binary.NativeEndian.PutUint16(done[4:], 3)
	binary.NativeEndian.PutUint16(done[6:], 2)
	return append(out, done...)
}

// rawBundle writes a one-frame raw bundle of the files (frame-relative).
func rawBundle(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	w, err := bundle.Create(dir, BundleInfo{})
	if err != nil {
		t.Fatal(err)
	}
	fw := w.Frame(time.Unix(1700000000, 0))
	for _, e := range frameEntries(t) {
		files[e.name] = []byte(e.body)
	}
	for rel, b := range files {
		if err := fw.WriteFile(rel, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readRaw(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "raw", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRawCountCaps: a raw frame whose link and qdisc dumps hold more
// objects than the caps (the VM capture's first RTM_NEWLINK and
// RTM_NEWQDISC repeated) decodes the first rawMaxLinks and rawMaxQdiscs
// and reports the cut; the UDP dump likewise (1,048,586 sockets, 92 MB:
// not with -short or -race).
func TestRawCountCaps(t *testing.T) {
	link := firstMessage(t, readRaw(t, "rtm_getlink.bin"), 16) // RTM_NEWLINK
	qd := firstMessage(t, readRaw(t, "rtm_getqdisc.bin"), 36)  // RTM_NEWQDISC
	files := map[string][]byte{
		bundle.LinkDump:  repeatDump(link, rawMaxLinks+10, 16+4), // ifinfomsg.ifi_index
		bundle.QdiscDump: repeatDump(qd, rawMaxQdiscs+10, -1),
	}
	src := SourceLinks | SourceQdisc
	udp := !testing.Short() && !raceEnabled
	if udp {
		files[bundle.UDPDump] = repeatDump(firstMessage(t, readRaw(t, "sock_diag_udp.bin"), 20), rawMaxUDP+10, -1) // SOCK_DIAG_BY_FAMILY
		src |= SourceUDP
	}
	c, err := NewCollector(Config{Bundle: rawBundle(t, files), Sources: src})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s Snapshot
	if err := c.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	want := map[string]Source{
		"32778 links, more than the 32768":  SourceLinks | SourceEthtool | SourceDevices,
		"65546 qdiscs, more than the 65536": SourceQdisc,
	}
	if udp {
		want["1048586 UDP sockets, more than the 1048576"] = SourceUDP
	}
	for w, src := range want {
		found := false
		for _, e := range s.Errors {
			if strings.Contains(e.Err.Error(), w) {
				found = true
				if e.Source&src == 0 {
					t.Errorf("%v under %v, want %v", e.Err, e.Source, src)
				}
			}
		}
		if !found {
			t.Errorf("no error saying %q", w)
		}
	}
	for _, e := range s.Errors[:min(len(s.Errors), 8)] {
		t.Logf("%v %s: %v", e.Source, e.Object, e.Err)
	}
	d := &s.Sources
	if len(d.Links) != rawMaxLinks || len(d.Qdiscs) != rawMaxQdiscs {
		t.Errorf("%d links, %d qdiscs; want %d, %d", len(d.Links), len(d.Qdiscs), rawMaxLinks, rawMaxQdiscs)
	}
	if udp && len(d.UDP) != rawMaxUDP {
		t.Errorf("%d UDP sockets, want %d", len(d.UDP), rawMaxUDP)
	}
	t.Logf("%d links, %d qdiscs, %d UDP sockets, %d errors", len(d.Links), len(d.Qdiscs), len(d.UDP), len(s.Errors))
}

// TestRawEthtoolCountBound: a recorded ETHTOOL_GSSET_INFO reply that
// reports 2^24 statistics (what nic accepts from a live kernel) is refused
// and reported for eth0 before the devices source sizes its buffers by it
// (670 MB of GSTRINGS buffer before); the child's peak RSS stays small.
func TestRawEthtoolCountBound(t *testing.T) {
	if p := os.Getenv("PACKETPATH_BUNDLE_CHILD"); p != "" {
		t.Skip("child")
	}
	sset := readRaw(t, "gsset_info_eth0.bin")
	sset = append([]byte(nil), sset...)
	binary.NativeEndian.PutUint32(sset[16:], 1<<24) // data[0]: the ETH_SS_STATS count
	files := map[string][]byte{
		bundle.LinkDump: readRaw(t, "rtm_getlink.bin"),
		bundle.EthtoolReply("eth0", bundle.EthtoolDrvInfo):  readRaw(t, "gdrvinfo_eth0.bin"),
		bundle.EthtoolReply("eth0", bundle.EthtoolSSetInfo): sset,
		bundle.EthtoolReply("eth0", bundle.EthtoolStrings):  readRaw(t, "gstrings_eth0.bin"),
		bundle.EthtoolReply("eth0", bundle.EthtoolStats):    readRaw(t, "gstats_eth0.bin"),
	}
	dir := rawBundle(t, files)
	c, err := NewCollector(Config{Bundle: dir})
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := c.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	c.Close()
	found := false
	for _, e := range s.Errors {
		if strings.Contains(e.Err.Error(), "reports 16777216 statistics, more than 16384") {
			found = true
			t.Logf("%v %s: %v", e.Source, e.Object, e.Err)
		}
	}
	if !found {
		t.Errorf("no error for the GSSET_INFO count: %v", s.Errors)
	}
	bound := int64(64 << 20)
	if raceEnabled {
		bound = 128 << 20
	}
	hwm := childHWM(t, dir)
	t.Logf("peak RSS %.1f MiB, bound %d MiB", float64(hwm)/(1<<20), bound>>20)
	if hwm > bound {
		t.Errorf("peak RSS %d MiB, bound %d MiB", hwm>>20, bound>>20)
	}
}

// TestRawLinkDumpMemoryBound collects, in a child process, a raw frame
// whose RTM_GETLINK dump holds 1,000,000 minimal RTM_NEWLINK messages
// (header and ifinfomsg, 32 bytes each: a 32 MB file), and bounds its peak
// RSS: the dump is cut at rawMaxLinks (9.3 MiB of nic.Link) where the
// whole decoded to 296 MB before. The bound is three times the file plus
// 64 MiB, as TestBundleMemoryBound's.
func TestRawLinkDumpMemoryBound(t *testing.T) {
	if p := os.Getenv("PACKETPATH_BUNDLE_CHILD"); p != "" {
		t.Skip("child")
	}
	msg := make([]byte, 32)
	binary.NativeEndian.PutUint32(msg, 32)
	binary.NativeEndian.PutUint16(msg[4:], 16) // RTM_NEWLINK
	binary.NativeEndian.PutUint16(msg[6:], 2)  // NLM_F_MULTI
	dump := repeatDump(msg, 1_000_000, 16+4)
	dir := rawBundle(t, map[string][]byte{bundle.LinkDump: dump})
	factor, floor := int64(3), int64(64<<20)
	if raceEnabled {
		factor, floor = 8, 128<<20
	}
	bound := factor*int64(len(dump)) + floor
	hwm := childHWM(t, dir)
	t.Logf("%d-byte dump: peak RSS %.1f MiB, bound %d MiB", len(dump), float64(hwm)/(1<<20), bound>>20)
	if hwm > bound {
		t.Errorf("peak RSS %d MiB, bound %d MiB", hwm>>20, bound>>20)
	}
}
