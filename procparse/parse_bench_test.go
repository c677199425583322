package procparse

import "testing"

// Re-parse benchmarks for the parsers the other benchmarks do not cover,
// on this package's 6.18 fixtures.

func BenchmarkParseNetDev(b *testing.B) {
	in := fixtureBytes(b, "linux-6.18-vm/proc/net/dev")
	var d NetDev
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := ParseNetDev(in, &d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseNetstat(b *testing.B) {
	in := fixtureBytes(b, "linux-6.18-vm/proc/net/netstat")
	var s SNMP
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := ParseNetstat(in, &s); err != nil {
			b.Fatal(err)
		}
	}
}
