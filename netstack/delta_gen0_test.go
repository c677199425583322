package netstack

import (
	"testing"
	"time"
)

// TestComputeDeltaUnknownGen: a device read from rtnetlink (Gen = its
// ifindex) in one snapshot and only from /proc/net/dev (Gen 0) in the next,
// or a UDP socket with its sock_diag cookie in one and from /proc/net/udp
// (cookie 0) in the next, is the same object: the delta is the values'
// difference, not the whole value as after a re-creation. A decrease with
// Gen 0 on one side is still a reset; a Gen that changed between two known
// values still is a re-creation.
func TestComputeDeltaUnknownGen(t *testing.T) {
	link := func(gen, v uint64) Counter {
		return Counter{Source: SourceLinks, Stage: StageNIC, Bits: 64, Index: -1, Object: "eth0", Name: "rx_dropped", Gen: gen, Value: v}
	}
	sock := func(cookie, v uint64) Counter {
		return Counter{Source: SourceUDP, Stage: StageSocket, Bits: 32, Index: 4242, Object: "0.0.0.0:5000", Name: UDPDrops, Gen: cookie, Value: v}
	}
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name       string
		prev, cur  Counter
		delta      uint64
		reset, wrp bool
	}{
		{"link netlink to /proc/net/dev", link(3, 1000), link(0, 1007), 7, false, false},
		{"link /proc/net/dev to netlink", link(0, 1007), link(3, 1010), 3, false, false},
		{"link unknown Gen, counter went back", link(3, 1000), link(0, 20), 20, true, false},
		{"link re-created (ifindex 3 to 9)", link(3, 1000), link(9, 20), 20, true, false},
		{"socket sock_diag to /proc/net/udp", sock(77, 500), sock(0, 512), 12, false, false},
		{"socket /proc/net/udp to sock_diag", sock(0, 512), sock(77, 530), 18, false, false},
		{"socket unknown cookie, 32-bit wrap", sock(77, 1<<32-10), sock(0, 5), 15, false, true},
		{"socket re-created (cookie 77 to 78)", sock(77, 500), sock(78, 4), 4, true, false},
	}
	for _, tc := range cases {
		prev := Snapshot{Time: t0, Counters: []Counter{tc.prev}}
		cur := Snapshot{Time: t0.Add(time.Second), Counters: []Counter{tc.cur}}
		var d Delta
		ComputeDelta(&prev, &cur, &d)
		got := d.Counters[0]
		if got.Delta != tc.delta || got.Reset != tc.reset || got.Wrapped != tc.wrp || got.New {
			t.Errorf("%s: delta %d reset %v wrapped %v new %v, want delta %d reset %v wrapped %v",
				tc.name, got.Delta, got.Reset, got.Wrapped, got.New, tc.delta, tc.reset, tc.wrp)
		}
	}
}

// TestComputeDeltaUnknownGenVolume: a qdisc's packets and bytes that
// both fell back mark a re-creation even when one side's Gen is 0.
func TestComputeDeltaUnknownGenVolume(t *testing.T) {
	mk := func(gen, packets, bytes uint64) Snapshot {
		return Snapshot{Counters: []Counter{
			{Source: SourceQdisc, Bits: 32, Index: 1 << 16, Object: "eth0", Name: "packets", Gen: gen, Value: packets, Label: "tbf"},
			{Source: SourceQdisc, Bits: 64, Index: 1 << 16, Object: "eth0", Name: "bytes", Gen: gen, Value: bytes, Label: "tbf"},
		}}
	}
	prev, cur := mk(0, 100, 10000), mk(0, 3, 300)
	var d Delta
	ComputeDelta(&prev, &cur, &d)
	if p := d.Counters[0]; !p.Reset || p.Delta != 3 || p.Wrapped {
		t.Errorf("packets 100 -> 3 with bytes 10000 -> 300: delta %d reset %v wrapped %v, want a reset of 3", p.Delta, p.Reset, p.Wrapped)
	}
}
