package procparse

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestNetDevFixtures(t *testing.T) {
	type want struct {
		name                                   string
		rxBytes, rxPackets, txBytes, txPackets uint64
	}
	for _, tc := range []struct {
		tree  string
		wants []want
	}{
		{"linux-6.18-vm/proc", []want{
			{"lo", 111193, 229, 111193, 229},
			{"ifb0", 0, 0, 0, 0},
			{"ifb1", 0, 0, 0, 0},
			{"eth0", 59304358, 5343, 697246, 6253},
		}},
		{"linux-6.18-netns-udp-drops/proc", []want{{"lo", 1420040, 20001, 1420040, 20001}}},
		{"procfs-corpus/proc", []want{
			{"vethf345468", 648, 8, 438, 5},
			{"lo", 1664039048, 1566805, 1664039048, 1566805},
			{"docker0", 2568, 38, 438, 5},
			{"eth0", 874354587, 1036395, 563352563, 732147},
		}},
		{"procfs-corpus/proc/26231", []want{{"lo", 0, 0, 0, 0}, {"eth0", 438, 5, 648, 8}}},
	} {
		d, err := openFixture(t, tc.tree).NetDev()
		if err != nil {
			t.Fatalf("%s: %v", tc.tree, err)
		}
		if len(d.Devices) != len(tc.wants) {
			t.Fatalf("%s: %d devices, want %d", tc.tree, len(d.Devices), len(tc.wants))
		}
		for i, w := range tc.wants {
			g := d.Devices[i]
			if g.Name != w.name || g.RxBytes != w.rxBytes || g.RxPackets != w.rxPackets || g.TxBytes != w.txBytes || g.TxPackets != w.txPackets {
				t.Errorf("%s: device %d = %+v, want %+v", tc.tree, i, g, w)
			}
		}
	}
}

func TestNetDevNames(t *testing.T) {
	in := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
		"  eth0:68210035552 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n" +
		"ibr10:30:     648       8    0    0    0     0          0         0      438       5    0    0    0     0       0          0\n" +
		"  tün0:       1       2    0    0    0     0          0         0        3       4    0    0    0     0       0          0\n"
	var d NetDev
	if err := ParseNetDev([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Devices) != 3 {
		t.Fatalf("%d devices, want 3", len(d.Devices))
	}
	e := d.Devices[0]
	want := NetDevStats{Name: "eth0", RxBytes: 68210035552, RxPackets: 1, RxErrors: 2, RxDropped: 3, RxFIFO: 4, RxFrame: 5,
		RxCompressed: 6, RxMulticast: 7, TxBytes: 8, TxPackets: 9, TxErrors: 10, TxDropped: 11, TxFIFO: 12,
		TxCollisions: 13, TxCarrier: 14, TxCompressed: 15}
	if e != want {
		t.Errorf("wide counter line = %+v, want %+v", e, want)
	}
	if g, ok := d.Device("ibr10:30"); !ok || g.RxBytes != 648 || g.TxPackets != 5 {
		t.Errorf("ibr10:30 = %+v, %v", g, ok)
	}
	if g, ok := d.Device("tün0"); !ok || g.RxPackets != 2 || g.TxBytes != 3 {
		t.Errorf("tün0 = %+v, %v", g, ok)
	}
	if _, ok := d.Device("eth1"); ok {
		t.Error("found eth1")
	}
}

func TestNetDevErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		line   int
		reason string
	}{
		{"  eth0: 1 2 3\n", 1, "3 counters, want 16"},
		{"  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", 1, "more than 16"},
		{"x\n  eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 1, "no \"name:\""},
		{"    : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 1, "empty interface name"},
		{"  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -15 16\n", 1, "counter 15"},
	} {
		var d NetDev
		err := ParseNetDev([]byte(tc.in), &d)
		requireParseError(t, err, tc.line)
		if !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("error %q does not say %q", err, tc.reason)
		}
	}
}

func TestNetDevMissing(t *testing.T) {
	fs, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.NetDev(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v, want os.ErrNotExist", err)
	}
	if _, err := fs.NetDevReader(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v, want os.ErrNotExist", err)
	}
}

func TestNetDevReaderAllocs(t *testing.T) {
	r, err := openFixture(t, "procfs-corpus/proc").NetDevReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var d NetDev
	if err := r.Read(&d); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Read(&d); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Read allocates %.1f times, want 0", allocs)
	}
}
