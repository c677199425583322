package qdisc_test

import (
	"context"
	"testing"

	"github.com/packetpath/packetpath/qdisc"
)

func BenchmarkDecodeQdiscsFixture(b *testing.B) {
	raw := readFixture(b, "qdisc.nl")
	qs, _ := qdisc.DecodeQdiscs(raw, nil)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if qs, err = qdisc.DecodeQdiscs(raw, qs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(qs)), "qdiscs")
}

func BenchmarkConnQdiscs(b *testing.B) {
	c, err := qdisc.Open(qdisc.Config{})
	if err != nil {
		b.Skip(err)
	}
	defer c.Close()
	var qs []qdisc.Qdisc
	b.ReportAllocs()
	for b.Loop() {
		if qs, err = c.Qdiscs(context.Background(), qs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(qs)), "qdiscs")
}
