package netstack

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// scaleDelta is a delta of n devices as the flatteners lay them out: each
// device's link counters and tx_queue_len, its ethtool ring sizes and its
// root qdisc, and a UDP socket for every tenth device. Every 1000th device
// missed i/1000+1 packets in its RX ring, dropped as many in the backlog
// (rx_dropped, which softnet_stat's dropped column sums), dropped i/1000+2
// in its qdisc and has a socket that dropped 3.
func scaleDelta(n int) *Delta {
	d := &Delta{Interval: time.Second, Counters: make([]CounterDelta, 0, 13*n/1000*1000+n)}
	add := func(src Source, stage Stage, gauge bool, obj string, idx int64, gen uint64, name string, v, delta uint64) {
		c := CounterDelta{Delta: delta, Rate: float64(delta)}
		c.Counter.set(src, stage, 64, gauge, idx, v, gen, obj, name, "")
		if gauge {
			c.Delta, c.Rate = 0, 0
		}
		d.Counters = append(d.Counters, c)
	}
	var backlog uint64
	for i := range n {
		dev := fmt.Sprintf("veth%d", i)
		gen := uint64(i + 1)
		var missed, qdrops, sdrops uint64
		if i%1000 == 999 {
			missed, qdrops, sdrops = uint64(i/1000+1), uint64(i/1000+2), 3
		}
		backlog += missed
		add(SourceLinks, StageNIC, false, dev, -1, gen, "rx_packets", 1000, 10)
		add(SourceLinks, StageNIC, false, dev, -1, gen, "rx_dropped", missed, missed)
		add(SourceLinks, StageNIC, false, dev, -1, gen, "rx_missed_errors", missed, missed)
		add(SourceLinks, StageTxNIC, false, dev, -1, gen, "tx_packets", 1000, 10)
		add(SourceLinks, StageQdisc, true, dev, -1, gen, LinkTxQueueLen, 1000, 0)
		add(SourceEthtool, StageNIC, true, dev, -1, gen, EthtoolRingRx, 256, 0)
		add(SourceEthtool, StageNIC, true, dev, -1, gen, EthtoolRingRxMax, 4096, 0)
		add(SourceEthtool, StageTxDriver, true, dev, -1, gen, EthtoolRingTx, 256, 0)
		add(SourceEthtool, StageTxDriver, true, dev, -1, gen, EthtoolRingTxMax, 4096, 0)
		add(SourceQdisc, StageQdisc, false, dev, 0x10000, gen, "drops", qdrops, qdrops)
		add(SourceQdisc, StageQdisc, true, dev, 0x10000, gen, QdiscBacklog, 1500, 0)
		add(SourceQdisc, StageQdisc, true, dev, 0x10000, gen, QdiscQlen, 1, 0)
		if i%10 == 9 {
			obj, ino := fmt.Sprintf("10.0.%d.%d:5000", i/256%256, i%256), int64(100000+i)
			add(SourceUDP, StageSocket, false, obj, ino, gen, "drops", sdrops, sdrops)
			add(SourceUDP, StageSocket, true, obj, ino, gen, SocketRmemAlloc, 4096, 0)
			add(SourceUDP, StageSocket, true, obj, ino, gen, SocketRcvbuf, 212992, 0)
		}
	}
	add(SourceSoftnet, StageSoftirq, false, "", 0, 0, "dropped", backlog, backlog)
	add(SourceSysctls, StageSoftirq, true, "", -1, 0, "net.core.netdev_max_backlog", 1000, 0)
	return d
}

// passTime is the best time of five plain passes over d's counters, the
// floor of any linear diagnosis.
func passTime(d *Delta) time.Duration {
	best := time.Hour
	var sink uint64
	for range 5 {
		start := time.Now()
		for i := range d.Counters {
			c := &d.Counters[i]
			if c.Source&(SourceLinks|SourceQdisc) != 0 && !c.Gauge && c.Delta > 0 && len(c.Name) > 2 {
				sink += c.Delta
			}
		}
		best = min(best, time.Since(start))
	}
	if sink == 1 {
		panic("unreachable")
	}
	return best
}

// diagnoseTime runs Diagnose on d and returns the best time of three runs,
// the allocations of one, and its findings.
func diagnoseTime(d *Delta) (best time.Duration, allocs uint64, fs []Finding) {
	fs = Diagnose(d)
	best = time.Hour
	for range 3 {
		runtime.GC()
		start := time.Now()
		Diagnose(d)
		best = min(best, time.Since(start))
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	Diagnose(d)
	runtime.ReadMemStats(&m1)
	return best, m1.Mallocs - m0.Mallocs, fs
}

// TestDiagnoseLinearInDevices: Diagnose of 200,000 devices costs about ten
// times that of 20,000, as a plain pass over the counters does; a lookup
// per finding through the whole delta (as Delta.Find does) made it a
// hundred times. The findings are those of each device, with its own ring
// and queue gauges.
func TestDiagnoseLinearInDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200,000-device delta")
	}
	small, big := scaleDelta(20_000), scaleDelta(200_000)
	ts, as, fsS := diagnoseTime(small)
	tb, ab, fsB := diagnoseTime(big)
	ps, pb := passTime(small), passTime(big)
	tr, pr, ar := float64(tb)/float64(ts), float64(pb)/float64(ps), float64(ab)/float64(as)
	t.Logf("20,000 devices (%d counters): Diagnose %v (plain pass %v), %d allocs, %d findings; 200,000 (%d counters): %v (plain pass %v), %d allocs, %d findings",
		len(small.Counters), ts, ps, as, len(fsS), len(big.Counters), tb, pb, ab, len(fsB))
	t.Logf("200,000 against 20,000: Diagnose x%.1f, plain pass x%.1f, Diagnose per plain pass x%.2f, allocs x%.1f", tr, pr, tr/pr, ar)
	// As in examples/netstack-top's TestViewLinearInDevices: a quadratic
	// Diagnose fails both bounds, noise in one measurement one at most.
	if tr/pr > 5 && tr > 40 {
		t.Errorf("200,000 devices took %.1f times as long as 20,000 (%v vs %v), a plain pass %.1f times: not linear", tr, tb, ts, pr)
	}
	if ar > 15 {
		t.Errorf("200,000 devices allocated %.1f times as much as 20,000 (%d vs %d)", ar, ab, as)
	}
	// 200 devices dropped: one rx-nic and one qdisc finding each, one
	// softirq finding for the backlog, one socket finding for 20,000
	// sockets' 200 that dropped.
	count := map[Stage]int{}
	for _, f := range fsB {
		count[f.Stage]++
	}
	if count[StageNIC] != 200 || count[StageQdisc] != 200 || count[StageSoftirq] != 1 || count[StageSocket] != 1 || len(fsB) != 402 {
		t.Fatalf("findings per stage %v (%d in all), want 200 rx-nic, 200 qdisc, 1 softirq, 1 socket", count, len(fsB))
	}
	var backlog uint64
	for i := range 200 {
		backlog += uint64(i + 1)
	}
	for _, f := range fsB {
		switch f.Stage {
		case StageSoftirq:
			// The backlog drops are every device's rx_dropped: 200 of them
			// quoted beside softnet's dropped and netdev_max_backlog.
			if f.Drops != backlog || len(f.Evidence) != 202 {
				t.Errorf("softirq: %d drops, %d evidence, want %d and 202", f.Drops, len(f.Evidence), backlog)
			}
		case StageSocket:
			if f.Drops != 600 || len(f.Evidence) != 600 {
				t.Errorf("socket: %d drops, %d evidence, want 600 (200 sockets x 3) and 600 (drops, rmem_alloc, rcvbuf each)", f.Drops, len(f.Evidence))
			}
		}
	}
	// The last device: its own ring sizes (256 of 4096) and qdisc gauges.
	last := fsB[199]
	if last.Stage != StageNIC || last.Object != "veth199999" || last.Drops != 200 {
		t.Fatalf("200th finding %s %s %d drops, want rx-nic veth199999 200", last.Stage, last.Object, last.Drops)
	}
	if len(last.Evidence) != 3 || last.Evidence[1].Name != EthtoolRingRx || last.Evidence[1].Value != 256 || last.Evidence[2].Value != 4096 {
		t.Errorf("veth199999 evidence %v, want rx_missed_errors +200, ring.rx 256, ring.rx_max 4096", last.Evidence)
	}
	if len(last.Knobs) == 0 || last.Knobs[0].Command != "ethtool -G veth199999 rx 4096" {
		t.Errorf("veth199999 knobs %v", last.Knobs)
	}
	q := fsB[len(fsB)-1]
	if q.Stage != StageQdisc || q.Object != "veth199999" || q.Drops != 201 || len(q.Evidence) != 3 ||
		q.Evidence[1].Value != 1500 || q.Evidence[2].Value != 1 || q.Knobs[0].Command != "ip link set dev veth199999 txqueuelen 2000" {
		t.Errorf("last qdisc finding %+v", q)
	}
}

// TestSourceBits: diag's spans cover every source.
func TestSourceBits(t *testing.T) {
	if sourceEnd != 1<<sourceBits {
		t.Fatalf("sourceEnd %#x, sourceBits %d", sourceEnd, sourceBits)
	}
}
