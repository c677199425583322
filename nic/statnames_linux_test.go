package nic

import (
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// checkLiveNames compares a device's statistic names, read through
// ETHTOOL_GSTRINGS, with the list the driver's generator produces for the
// device's queue counts (so the generators are checked against this
// kernel), then checks Stats.QueueStats places every name as the list
// says.
func checkLiveNames(t *testing.T, c *Client, dev, generated string) {
	t.Helper()
	st, err := c.OpenStats(dev)
	if err != nil {
		t.Fatalf("%s: %v", dev, err)
	}
	defer st.Close()
	lines := parseStatNames(t, dev, generated)
	var want []string
	for _, l := range lines {
		want = append(want, l.name)
	}
	if got := st.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s names:\nkernel    %q\ngenerator %q", dev, got, want)
	}
	qs, err := st.QueueStats()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lines {
		if !l.global && !l.marker {
			n++
		}
	}
	if len(qs) != n {
		t.Errorf("%s: %d queue stats, want %d: %+v", dev, len(qs), n, qs)
	}
	for _, q := range qs {
		l := lines[q.Index]
		if l.global || q.Queue != l.queue || q.Dir.String() != l.dir || q.Counter != l.counter {
			t.Errorf("%s %q: got %+v, want %+v", dev, l.name, q, l)
		}
	}
	again, err := st.QueueStats()
	if err != nil || len(again) != len(qs) || (len(qs) > 0 && &again[0] != &qs[0]) {
		t.Errorf("%s: second QueueStats call mapped again or failed: %v", dev, err)
	}
	t.Logf("%s: %d names equal the generator's, %d per-queue", dev, len(want), len(qs))
	st.Close()
	if _, err := st.QueueStats(); err == nil {
		t.Errorf("%s: QueueStats after Close: no error", dev)
	}
}

// TestLiveVirtioNetNames: the host's virtio_net device (eth0 on the
// project's VMs) has the names genVirtioNet makes for its queue pairs.
func TestLiveVirtioNetNames(t *testing.T) {
	netnstest.RequireRoot(t)
	c := openHost(t)
	info, err := c.DriverInfo("eth0")
	if err != nil || info.Driver != "virtio_net" {
		t.Skipf("eth0 is not virtio_net here (%q, %v)", info.Driver, err)
	}
	ch, err := c.Channels("eth0")
	if err != nil {
		t.Fatal(err)
	}
	checkLiveNames(t, c, "eth0", genVirtioNet(int(ch.Combined)))
}

// TestLiveVethIfbNames makes a multi-queue veth pair and a multi-queue ifb
// inside a namespace and checks their names against genVeth and genIfb.
func TestLiveVethIfbNames(t *testing.T) {
	netnstest.RequireTool(t, "ip")
	ns := netnstest.New(t)
	ns.Run("ip", "link", "add", "ppqa", "numtxqueues", "3", "numrxqueues", "2", "type", "veth",
		"peer", "name", "ppqb", "numtxqueues", "1", "numrxqueues", "4")
	ns.Run("ip", "link", "add", "ppifb", "numtxqueues", "3", "numrxqueues", "3", "type", "ifb")
	c, err := Open(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.OpenStats("ppqa")
	if err != nil {
		t.Fatal(err)
	}
	pagePool := false
	for _, n := range st.Names() {
		pagePool = pagePool || n == "rx_pp_alloc_fast"
	}
	st.Close()
	checkLiveNames(t, c, "ppqa", genVeth(2, 3, pagePool))
	checkLiveNames(t, c, "ppqb", genVeth(4, 1, pagePool))
	checkLiveNames(t, c, "ppifb", genIfb(3, 3))
}
