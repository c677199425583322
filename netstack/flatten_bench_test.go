package netstack

import (
	"os"
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
