package udptable

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeUDPSockets decodes the captured dump of 10 sockets into a
// reused slice: the per-socket cost of the decoder, without the kernel.
func BenchmarkDecodeUDPSockets(b *testing.B) {
	msg, err := os.ReadFile(filepath.Join("testdata", "diag", "scene.bin"))
	if err != nil {
		b.Fatal(err)
	}
	var socks []UDPSocket
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		socks, err = DecodeUDPSockets(socks[:0], msg, ProtocolUDP)
		if err != nil || len(socks) != 10 {
			b.Fatalf("%d sockets, %v", len(socks), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(socks)), "ns/socket")
}

// BenchmarkBuildFilter builds a typical compound filter (done once per
// query shape, not per dump).
func BenchmarkBuildFilter(b *testing.B) {
	lo := netip.MustParsePrefix("127.0.0.0/8")
	b.ReportAllocs()
	for b.Loop() {
		f := FilterAnd(FilterOr(FilterLocalPort(5000), FilterLocalPortRange(6000, 6100)), FilterNot(FilterLocalPrefix(lo)), FilterInterface(2))
		if f.Err() != nil {
			b.Fatal(f.Err())
		}
	}
}
