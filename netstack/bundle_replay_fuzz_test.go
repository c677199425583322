package netstack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetpath/packetpath/bundle"
)

// FuzzReplayFrame replays a one-frame bundle whose recorded kernel bytes
// are the fuzzer's: the RTM_GETLINK, RTM_GETQDISC and sock_diag dumps and
// eth0's ETHTOOL_GDRVINFO and ETHTOOL_GSTATS replies. Whatever they hold,
// opening and collecting never panics or fails (a bad dump is an error in
// Snapshot.Errors). Seeds: captures of a 6.18 VM (testdata/raw, copied
// from the nic, qdisc and udptable fixtures).
func FuzzReplayFrame(f *testing.F) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "raw", name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	link, qd, udp := read("rtm_getlink.bin"), read("rtm_getqdisc.bin"), read("sock_diag_udp.bin")
	drv, stats := read("gdrvinfo_eth0.bin"), read("gstats_eth0.bin")
	f.Add(link, qd, udp, drv, stats)
	f.Add(link[:len(link)/2], qd[:7], udp[:100], drv[:10], stats[:8])
	f.Add([]byte{}, []byte{}, []byte{}, []byte{}, []byte{})
	static := map[string][]byte{
		bundle.EthtoolReply("eth0", bundle.EthtoolSSetInfo): read("gsset_info_eth0.bin"),
		bundle.EthtoolReply("eth0", bundle.EthtoolStrings):  read("gstrings_eth0.bin"),
		bundle.EthtoolReply("eth0", bundle.EthtoolRings):    read("gringparam_eth0.bin"),
		bundle.EthtoolReply("eth0", bundle.EthtoolChannels): read("gchannels_eth0.bin"),
	}
	f.Fuzz(func(t *testing.T, link, qd, udp, drv, stats []byte) {
		dir := filepath.Join(t.TempDir(), "b")
		w, err := bundle.Create(dir, BundleInfo{})
		if err != nil {
			t.Fatal(err)
		}
		fw := w.Frame(time.Unix(1700000000, 0))
		files := map[string][]byte{
			bundle.LinkDump: link, bundle.QdiscDump: qd, bundle.UDPDump: udp,
			bundle.EthtoolReply("eth0", bundle.EthtoolDrvInfo): drv,
			bundle.EthtoolReply("eth0", bundle.EthtoolStats):   stats,
			"proc/net/dev": nil,
		}
		for rel, b := range static {
			files[rel] = b
		}
		for rel, b := range files {
			if err := fw.WriteFile(rel, b); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		c, err := NewCollector(Config{Bundle: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var s Snapshot
		if err := c.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
	})
}
