package netstack

import (
	"context"
	"os"
	"testing"
)

// TestCounterTable: each definition names one counter of one source; the
// UDP table's and the own sockets' memory gauges share their names, as
// Diagnose's socket stage looks both up by one name.
func TestCounterTable(t *testing.T) {
	type key struct {
		src  Source
		name string
	}
	seen := map[key]counterID{}
	for id := range numCounterIDs {
		d := &counterTable[id]
		if d.source == 0 || d.name == "" || d.stage >= numStages || (d.bits != 32 && d.bits != 64) {
			t.Errorf("entry %d: %+v", id, *d)
		}
		k := key{d.source, d.name}
		if prev, dup := seen[k]; dup {
			t.Errorf("%s %s defined twice (entries %d and %d)", d.source, d.name, prev, id)
		}
		seen[k] = id
	}
	if UDPRmemAlloc != SocketRmemAlloc || UDPRcvbuf != SocketRcvbuf {
		t.Errorf("UDP table and own sockets name their memory differently")
	}
}

// TestFlattenMatchesTable: every counter a host collection flattens under a
// name of the table carries its definition's stage, width and gauge
// property, whichever flattener made it (links, softnet, sockets, the UDP
// table, qdiscs, ethtool rings and channels, device queues).
func TestFlattenMatchesTable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for ethtool and the whole UDP table")
	}
	c, err := NewCollector(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s Snapshot
	if err := c.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	defs := map[[2]string]*counterDef{}
	for id := range numCounterIDs {
		d := &counterTable[id]
		defs[[2]string{d.source.String(), d.name}] = d
	}
	checked := map[Source]int{}
	for i := range s.Counters {
		k := &s.Counters[i]
		d := defs[[2]string{k.Source.String(), k.Name}]
		if d == nil || k.Label == ProcNetDevLabel {
			continue // the kernel's names, or /proc/net/dev's columns
		}
		checked[k.Source]++
		bitsOK := k.Bits == d.bits || (d.source == SourceQdisc && d.name == QdiscPackets && k.Bits == 64)
		if k.Stage != d.stage || !bitsOK || k.Gauge != d.gauge {
			t.Errorf("%s %s %s: stage %s, %d bits, gauge %v; defined as %s, %d bits, gauge %v",
				k.Source, k.Object, k.Name, k.Stage, k.Bits, k.Gauge, d.stage, d.bits, d.gauge)
		}
	}
	for _, src := range []Source{SourceLinks, SourceSoftnet, SourceQdisc} {
		if checked[src] == 0 {
			t.Errorf("no %s counter checked", src)
		}
	}
	t.Logf("counters checked against the table, by source: %v", checked)
}
