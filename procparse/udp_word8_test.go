package procparse

import "testing"

func TestWord8Exhaustive(t *testing.T) {
	// Every byte value at every position, against the table.
	base := []byte("0123abcd")
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			l := fieldLexer{b: b}
			got, ok := l.word8(0)
			var want uint64
			wantOK := true
			for _, ch := range b {
				d := hexValue[ch]
				if d > 15 {
					wantOK = false
				}
				want = want<<4 | uint64(d&15)
			}
			if ok != wantOK || (ok && got != want) {
				t.Fatalf("%q: got %x %v, want %x %v", b, got, ok, want, wantOK)
			}
		}
	}
}
