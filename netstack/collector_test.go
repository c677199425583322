package netstack

import (
	"context"
	"os"
	"testing"
)

func TestCollectHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root for the ethtool ioctl and sock_diag of every socket")
	}
	c, err := NewCollector(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var a, b Snapshot
	if err := c.Collect(ctx, &a); err != nil {
		t.Fatal(err)
	}
	for _, e := range a.Errors {
		t.Errorf("source error: %v", e)
	}
	per := map[Source]int{}
	for _, k := range a.Counters {
		per[k.Source]++
	}
	for _, s := range []Source{SourceSoftnet, SourceSNMP, SourceSoftirqs, SourceLinks, SourceEthtool, SourceQdisc, SourceSysctls} {
		if per[s] == 0 {
			t.Errorf("no counters from %s", s)
		}
	}
	t.Logf("counters per source: %v (%d total), took %v", per, len(a.Counters), a.Duration)
	if err := c.Collect(ctx, &b); err != nil {
		t.Fatal(err)
	}
	var d Delta
	ComputeDelta(&a, &b, &d)
	for _, f := range Diagnose(&d) {
		t.Logf("finding: %s %s", f.Stage, f.Summary)
	}
}
