package nic

import (
	"context"
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"
)

// TestOpenReplay answers a Client from the captured fixtures: the
// RTM_GETLINK dump of a 6.18 VM and eth0's ethtool replies (virtio_net).
// Links, DriverInfo, OpenStats/Read, Rings and Channels give what the
// decoders give for the same bytes; lo's recorded EOPNOTSUPP is
// errors.ErrUnsupported as live; a reply never recorded is os.ErrNotExist.
func TestOpenReplay(t *testing.T) {
	files := map[string]string{
		"ETHTOOL_GDRVINFO":   "gdrvinfo_eth0",
		"ETHTOOL_GSSET_INFO": "gsset_info_eth0",
		"ETHTOOL_GSTRINGS":   "gstrings_eth0",
		"ETHTOOL_GSTATS":     "gstats_eth0",
		"ETHTOOL_GRINGPARAM": "gringparam_eth0",
		"ETHTOOL_GCHANNELS":  "gchannels_eth0",
	}
	var ops []string
	c := OpenReplay(Config{SysRoot: "testdata/sys"}, readFile(t, "testdata/rtm_getlink_dump.bin"), func(dev, op string, buf []byte) error {
		ops = append(ops, dev+" "+op)
		switch dev {
		case "lo":
			return &os.SyscallError{Syscall: "ioctl", Err: syscall.EOPNOTSUPP}
		case "eth0":
			if f, ok := files[op]; ok {
				copy(buf, readFile(t, "testdata/ethtool/"+f+".bin"))
				return nil
			}
		}
		return os.ErrNotExist
	})
	defer c.Close()
	links, err := c.Links(context.Background(), nil)
	if err != nil || len(links) != 4 || links[3].Name != "eth0" || links[3].Stats.RxPackets != 3996 {
		t.Fatalf("links %d, %v", len(links), err)
	}
	info, err := c.DriverInfo("eth0")
	if err != nil || info.Driver != "virtio_net" || info.NumStats != 20 {
		t.Errorf("drvinfo %+v, %v", info, err)
	}
	st, err := c.OpenStats("eth0")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := st.Read(nil)
	want, _ := DecodeStats(readFile(t, "testdata/ethtool/gstats_eth0.bin"), nil)
	if err != nil || !slices.Equal(vals, want) || st.Names()[0] != "rx_drops" {
		t.Errorf("stats %v, %v; want %v", vals, err, want)
	}
	if r, err := c.Rings("eth0"); err != nil || r != (Rings{RxMax: 256, TxMax: 256, Rx: 256, Tx: 256}) {
		t.Errorf("rings %+v, %v", r, err)
	}
	if ch, err := c.Channels("eth0"); err != nil || ch != (Channels{MaxCombined: 1, Combined: 1}) {
		t.Errorf("channels %+v, %v", ch, err)
	}
	if _, err := c.DriverInfo("lo"); !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("lo drvinfo: %v, want ErrUnsupported", err)
	}
	if _, err := c.Coalesce("eth0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("coalesce (not recorded): %v, want ErrNotExist", err)
	}
	t.Logf("%d links; %d ethtool requests answered: %v", len(links), len(ops), ops)
}
