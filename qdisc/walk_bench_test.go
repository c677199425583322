package qdisc

import (
	"os"
	"testing"
)

func rawWalk(b []byte) (n int) {
	for len(b) >= 16 {
		l := int(ne.Uint32(b))
		if l < 16 || l > len(b) {
			return
		}
		if ne.Uint16(b[4:]) == rtmNewQdisc {
			a := b[16+20 : l]
			for len(a) >= 4 {
				al := int(ne.Uint16(a))
				if al < 4 || al > len(a) {
					break
				}
				n++
				if ne.Uint16(a[2:])&0x3fff == 7 {
					s := a[4:al]
					for len(s) >= 4 {
						sl := int(ne.Uint16(s))
						if sl < 4 || sl > len(s) {
							break
						}
						n++
						s = s[min((sl+3)&^3, len(s)):]
					}
				}
				a = a[min((al+3)&^3, len(a)):]
			}
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	return
}

func BenchmarkWalkVsDecode(b *testing.B) {
	raw, err := os.ReadFile("testdata/scenario/qdisc.nl")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rawwalk", func(b *testing.B) {
		for b.Loop() {
			rawWalk(raw)
		}
	})
	b.Run("decode", func(b *testing.B) {
		qs, _ := DecodeQdiscs(raw, nil)
		for b.Loop() {
			qs, _ = DecodeQdiscs(raw, qs)
		}
	})
}
