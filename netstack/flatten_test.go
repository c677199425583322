package netstack

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/procparse"
)

// BenchmarkFlatten measures flattening the fast profile's MIB sources into
// counters, warm and with caches thrashed between runs (cold-ns/op, thread
// CPU), as sampling at 1 kHz finds them.
func BenchmarkFlatten(b *testing.B) {
	read := func(name string) []byte {
		data, err := os.ReadFile("/proc/net/" + name)
		if err != nil {
			b.Skip(err)
		}
		return data
	}
	var snmp procparse.SNMP
	var snmp6 procparse.SNMP6
	var softnet procparse.SoftnetStat
	if err := procparse.ParseSNMP(read("snmp"), &snmp); err != nil {
		b.Fatal(err)
	}
	if err := procparse.ParseSNMP6(read("snmp6"), &snmp6); err != nil {
		b.Fatal(err)
	}
	if err := procparse.ParseSoftnetStat(read("softnet_stat"), &softnet); err != nil {
		b.Fatal(err)
	}
	var src mibSource
	var snap Snapshot
	flatten := func() {
		snap.Counters = snap.Counters[:0]
		appendSoftnet(&snap, &softnet)
		appendMIB(&snap, &snmp, &src.snmpNames)
		appendSNMP6(&snap, &snmp6, &src.snmp6Names)
	}
	flatten()
	b.Run("warm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			flatten()
		}
		b.ReportMetric(float64(len(snap.Counters)), "counters")
	})
	b.Run("cold", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		thrash := make([]byte, 4<<20)
		var cpu time.Duration
		var ts unix.Timespec
		for b.Loop() {
			for i := 0; i < len(thrash); i += 64 {
				thrash[i]++
			}
			unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
			t0 := ts.Nano()
			flatten()
			unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
			cpu += time.Duration(ts.Nano() - t0)
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cold-ns/op")
	})
}

// TestNamesShared: two Snapshots parsed apart hold their own name strings;
// after one flattening each, both hold the cache's, so that alternating
// Snapshots (as deltas do) keeps the name check to a pointer comparison.
func TestNamesShared(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "procdev-vm", "proc", "net", "snmp"))
	if err != nil {
		t.Fatal(err)
	}
	data6, err := os.ReadFile(filepath.Join("testdata", "procdev-vm", "proc", "net", "snmp6"))
	if err != nil {
		t.Fatal(err)
	}
	var src mibSource
	var a, b Snapshot
	for _, s := range []*Snapshot{&a, &b} {
		if err := procparse.ParseSNMP(data, &s.Sources.SNMP); err != nil {
			t.Fatal(err)
		}
		if err := procparse.ParseSNMP6(data6, &s.Sources.SNMP6); err != nil {
			t.Fatal(err)
		}
	}
	ga, gb := &a.Sources.SNMP.Groups[0], &b.Sources.SNMP.Groups[0]
	if sameString(ga.Fields[0].Name, gb.Fields[0].Name) || sameString(a.Sources.SNMP6.Fields[0].Name, b.Sources.SNMP6.Fields[0].Name) {
		t.Fatal("separate parses share strings already")
	}
	for _, s := range []*Snapshot{&a, &b, &a} {
		s.Counters = s.Counters[:0]
		appendMIB(s, &s.Sources.SNMP, &src.snmpNames)
		appendSNMP6(s, &s.Sources.SNMP6, &src.snmp6Names)
	}
	if !sameString(ga.Name, gb.Name) || !sameString(ga.Fields[3].Name, gb.Fields[3].Name) ||
		!sameString(a.Sources.SNMP6.Fields[5].Name, b.Sources.SNMP6.Fields[5].Name) {
		t.Error("the Snapshots do not share the cache's name strings")
	}
	if len(a.Counters) != len(b.Counters) || a.Counters[3].Name != "Ip.InReceives" && a.Counters[3].Name != ga.Name+"."+ga.Fields[3].Name {
		t.Errorf("counters: %d and %d, a[3] %q", len(a.Counters), len(b.Counters), a.Counters[3].Name)
	}
	// The parsers keep the shared strings on the next parse.
	if err := procparse.ParseSNMP(data, &b.Sources.SNMP); err != nil {
		t.Fatal(err)
	}
	if !sameString(ga.Fields[3].Name, gb.Fields[3].Name) {
		t.Error("a re-parse replaced the shared name")
	}
}
