package qdisc_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/qdisc"
)

// tcQdisc is one element of `tc -s -j qdisc show`.
type tcQdisc struct {
	Kind       string  `json:"kind"`
	Handle     string  `json:"handle"`
	Dev        string  `json:"dev"`
	Root       bool    `json:"root"`
	Parent     string  `json:"parent"`
	Refcnt     *uint32 `json:"refcnt"` // absent when 1
	Bytes      uint64  `json:"bytes"`
	Packets    uint64  `json:"packets"`
	Drops      uint64  `json:"drops"`
	Overlimits uint64  `json:"overlimits"`
	Requeues   uint64  `json:"requeues"`
	Backlog    uint64  `json:"backlog"`
	Qlen       uint64  `json:"qlen"`
}

func qdiscKey(dev, kind string, handle, parent string) string {
	return dev + " " + kind + " " + handle + " parent " + parent
}

func compareQdiscs(t *testing.T, qs []qdisc.Qdisc, want []tcQdisc) {
	t.Helper()
	got := make(map[string]qdisc.Qdisc)
	for _, q := range qs {
		parent := q.Parent.String()
		k := qdiscKey(q.Device, q.Kind, fmt.Sprintf("%x:", q.Handle.Major()), parent)
		if _, dup := got[k]; dup {
			t.Errorf("duplicate qdisc %s", k)
		}
		got[k] = q
	}
	seen := map[string]bool{}
	var drops, overlimits, requeues, backlog uint64
	kinds := map[string]bool{}
	for _, w := range want {
		parent := w.Parent
		if w.Root {
			parent = "root"
		}
		if parent == "ffff:fff1" {
			parent = "ingress"
		}
		k := qdiscKey(w.Dev, w.Kind, w.Handle, parent)
		seen[k] = true
		g, ok := got[k]
		if !ok {
			t.Errorf("tc shows %s, qdisc did not return it", k)
			continue
		}
		kinds[w.Kind] = true
		s := g.Stats
		check := func(name string, a, b uint64) {
			if a != b {
				t.Errorf("%s: %s = %d, tc says %d", k, name, a, b)
			}
		}
		check("bytes", s.Bytes, w.Bytes)
		check("packets", s.Packets, w.Packets)
		check("drops", s.Drops, w.Drops)
		check("overlimits", s.Overlimits, w.Overlimits)
		check("requeues", s.Requeues, w.Requeues)
		check("backlog", s.Backlog, w.Backlog)
		check("qlen", s.Qlen, w.Qlen)
		wantRef := uint32(1)
		if w.Refcnt != nil {
			wantRef = *w.Refcnt
		}
		check("refcnt", uint64(g.Refcnt), uint64(wantRef))
		if !s.Has(qdisc.HasStats2 | qdisc.HasBasic | qdisc.HasQueue) {
			t.Errorf("%s: Present = %b", k, s.Present)
		}
		if strings.HasPrefix(w.Dev, "lo") || strings.HasSuffix(w.Dev, "1") {
			continue
		}
		drops += s.Drops
		overlimits += s.Overlimits
		requeues += s.Requeues
		backlog += s.Backlog
		t.Logf("%-45s bytes=%d packets=%d drops=%d overlimits=%d requeues=%d backlog=%d qlen=%d",
			k, s.Bytes, s.Packets, s.Drops, s.Overlimits, s.Requeues, s.Backlog, s.Qlen)
	}
	for k := range got {
		if !seen[k] {
			t.Errorf("qdisc returned %s, tc does not show it", k)
		}
	}
	for _, kind := range []string{"tbf", "htb", "pfifo", "bfifo", "mq", "pfifo_fast"} {
		if !kinds[kind] {
			t.Errorf("scenario has no %s qdisc", kind)
		}
	}
	if drops == 0 || overlimits == 0 || backlog == 0 {
		t.Errorf("scenario did not drop/overlimit/hold backlog: drops=%d overlimits=%d backlog=%d", drops, overlimits, backlog)
	}
	if requeues == 0 {
		t.Logf("no requeues observed (needs veth NAPI back-pressure, kernel >= 6.16)")
	}
}

// tcClass is one class block of `tc -s class show dev X` (iproute2 6.1
// prints classes as text even with -j).
type tcClass struct {
	kind, id, parent                  string
	hasStats                          bool
	bytes, packets, drops, overlimits uint64
	requeues, backlog, qlen           uint64
	backlogUnit                       uint64 // 1 for "b", 1024 for "Kb", 1<<20 for "Mb"
	hasHTB                            bool
	lends, borrows, giants            uint64
	tokens, ctokens                   int64
}

func parseTCClasses(t *testing.T, out string) []tcClass {
	t.Helper()
	var cs []tcClass
	num := func(s string) uint64 {
		s = strings.Trim(s, "(),")
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("tc class output: %q: %v", s, err)
		}
		return v
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "class" {
			c := tcClass{kind: f[1], id: f[2]}
			if len(f) > 3 && f[3] == "root" {
				c.parent = "root"
			} else if len(f) > 4 && f[3] == "parent" {
				c.parent = f[4]
			}
			cs = append(cs, c)
			continue
		}
		if len(cs) == 0 {
			continue
		}
		c := &cs[len(cs)-1]
		switch f[0] {
		case "Sent": // Sent B bytes P pkt (dropped D, overlimits O requeues R)
			c.hasStats = true
			c.bytes, c.packets, c.drops = num(f[1]), num(f[3]), num(f[6])
			c.overlimits, c.requeues = num(f[8]), num(f[10])
		case "backlog": // backlog 2958b 29p requeues 0
			b := f[1]
			c.backlogUnit = 1
			switch {
			case strings.HasSuffix(b, "Mb"):
				c.backlogUnit, b = 1<<20, strings.TrimSuffix(b, "Mb")
			case strings.HasSuffix(b, "Kb"):
				c.backlogUnit, b = 1024, strings.TrimSuffix(b, "Kb")
			default:
				b = strings.TrimSuffix(b, "b")
			}
			c.backlog = num(b)
			c.qlen = num(strings.TrimSuffix(f[2], "p"))
		case "lended:": // lended: 5488 borrowed: 4850 giants: 0
			c.hasHTB = true
			c.lends, c.borrows, c.giants = num(f[1]), num(f[3]), num(f[5])
		case "tokens:": // tokens: -1619 ctokens: -1219
			tok, err1 := strconv.ParseInt(f[1], 10, 64)
			ctok, err2 := strconv.ParseInt(f[3], 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("tc class tokens line %q", line)
			}
			c.tokens, c.ctokens = tok, ctok
		}
	}
	return cs
}

func compareClasses(t *testing.T, dev string, got []qdisc.Class, want []tcClass) (n int, htb bool) {
	t.Helper()
	byID := map[string]qdisc.Class{}
	for _, c := range got {
		if c.Device != dev {
			t.Errorf("class %s reports device %q, want %q", c.Handle, c.Device, dev)
		}
		byID[c.Kind+" "+c.Handle.String()] = c
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d classes, tc shows %d", dev, len(got), len(want))
	}
	for _, w := range want {
		k := w.kind + " " + w.id
		g, ok := byID[k]
		if !ok {
			t.Errorf("%s: tc shows class %s, not returned", dev, k)
			continue
		}
		n++
		if g.Parent.String() != w.parent {
			t.Errorf("%s %s: parent %s, tc says %s", dev, k, g.Parent, w.parent)
		}
		s := g.Stats
		if !w.hasStats {
			if s.Has(qdisc.HasBasic) {
				t.Errorf("%s %s: tc prints no statistics, got %+v", dev, k, s)
			}
			continue
		}
		check := func(name string, a, b uint64) {
			if a != b {
				t.Errorf("%s class %s: %s = %d, tc says %d", dev, k, name, a, b)
			}
		}
		check("bytes", s.Bytes, w.bytes)
		check("packets", s.Packets, w.packets)
		check("drops", s.Drops, w.drops)
		check("overlimits", s.Overlimits, w.overlimits)
		check("requeues", s.Requeues, w.requeues)
		check("qlen", s.Qlen, w.qlen)
		if w.backlogUnit == 1 {
			check("backlog", s.Backlog, w.backlog)
		} else if d := math.Abs(float64(s.Backlog) - float64(w.backlog*w.backlogUnit)); d > float64(w.backlogUnit/64) {
			// tc rounds (sprint_size): within 16 bytes of a KiB multiple
			// or 1 KiB of a MiB multiple.
			t.Errorf("%s class %s: backlog %d, tc says %d x %d", dev, k, s.Backlog, w.backlog, w.backlogUnit)
		}
		if w.hasHTB {
			htb = true
			x, err := qdisc.DecodeHTB(g.XStats)
			if err != nil {
				t.Errorf("%s class %s: %v", dev, k, err)
				continue
			}
			check("lends", uint64(x.Lends), w.lends)
			check("borrows", uint64(x.Borrows), w.borrows)
			check("giants", uint64(x.Giants), w.giants)
			if int64(x.Tokens) != w.tokens || int64(x.CTokens) != w.ctokens {
				t.Errorf("%s class %s: tokens %d ctokens %d, tc says %d %d", dev, k, x.Tokens, x.CTokens, w.tokens, w.ctokens)
			}
			t.Logf("%s class %s: bytes=%d packets=%d drops=%d overlimits=%d backlog=%d lends=%d borrows=%d tokens=%d ctokens=%d",
				dev, k, s.Bytes, s.Packets, s.Drops, s.Overlimits, s.Backlog, x.Lends, x.Borrows, x.Tokens, x.CTokens)
		}
	}
	return n, htb
}
