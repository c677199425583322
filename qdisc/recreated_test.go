package qdisc_test

import (
	"testing"

	"github.com/packetpath/packetpath/qdisc"
)

func TestRecreated(t *testing.T) {
	base := qdisc.Qdisc{Ifindex: 3, Kind: "tbf", Handle: 0x10000, Parent: qdisc.HandleRoot,
		Stats: qdisc.Stats{Bytes: 1_000_000, Packets: 2000, Drops: 2996}}
	for _, c := range []struct {
		name string
		mod  func(q *qdisc.Qdisc)
		want bool
	}{
		{"same qdisc, more traffic", func(q *qdisc.Qdisc) { q.Stats.Bytes += 10; q.Stats.Packets++; q.Stats.Drops++ }, false},
		{"same qdisc, drops wrapped", func(q *qdisc.Qdisc) { q.Stats.Bytes += 10; q.Stats.Drops = 5 }, false},
		{"deleted and added again", func(q *qdisc.Qdisc) { q.Stats = qdisc.Stats{Bytes: 500, Packets: 5} }, true},
		{"another kind", func(q *qdisc.Qdisc) { q.Kind = "pfifo" }, true},
		{"another parent", func(q *qdisc.Qdisc) { q.Parent = 0x10001 }, true},
		{"another handle", func(q *qdisc.Qdisc) { q.Handle = 0x20000 }, true},
		{"another device", func(q *qdisc.Qdisc) { q.Ifindex = 4 }, true},
		{"only bytes fell", func(q *qdisc.Qdisc) { q.Stats.Bytes = 10; q.Stats.Packets = 3000 }, false},
	} {
		cur := base
		c.mod(&cur)
		if got := qdisc.Recreated(&base, &cur); got != c.want {
			t.Errorf("%s: Recreated = %v, want %v", c.name, got, c.want)
		}
	}
}
