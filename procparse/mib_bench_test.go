package procparse

import (
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The MIB parsers from bytes of this machine's files, warm (back to back)
// and cold (caches thrashed between parses, as in sampling at 1 kHz).
// The cold figure is thread CPU per parse, reported as cold-ns/op.

func liveFile(b *testing.B, name string) []byte {
	data, err := os.ReadFile("/proc/net/" + name)
	if err != nil || len(data) == 0 {
		b.Skipf("/proc/net/%s: %v", name, err)
	}
	return data
}

func threadCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

func benchMIB(b *testing.B, parse func() error) {
	if err := parse(); err != nil {
		b.Fatal(err)
	}
	b.Run("warm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parse()
		}
	})
	b.Run("cold", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		thrash := make([]byte, 4<<20)
		var cpu time.Duration
		for b.Loop() {
			for i := 0; i < len(thrash); i += 64 {
				thrash[i]++
			}
			t0 := threadCPU()
			parse()
			cpu += threadCPU() - t0
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cold-ns/op")
	})
}

func BenchmarkParseMIB(b *testing.B) {
	b.Run("snmp", func(b *testing.B) {
		data := liveFile(b, "snmp")
		var s SNMP
		benchMIB(b, func() error { return ParseSNMP(data, &s) })
	})
	b.Run("snmp6", func(b *testing.B) {
		data := liveFile(b, "snmp6")
		var s SNMP6
		benchMIB(b, func() error { return ParseSNMP6(data, &s) })
	})
	b.Run("softnet", func(b *testing.B) {
		data := liveFile(b, "softnet_stat")
		var s SoftnetStat
		benchMIB(b, func() error { return ParseSoftnetStat(data, &s) })
	})
}
