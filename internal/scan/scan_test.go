package scan

import (
	"bytes"
	"testing"
)

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, line, rest string }{
		{"", "", ""},
		{"a", "a", ""},
		{"a\n", "a", ""},
		{"a\nb\n", "a", "b\n"},
		{"\n\n", "", "\n"},
		{"Udp: InDatagrams NoPorts\nUdp: 1 2\n", "Udp: InDatagrams NoPorts", "Udp: 1 2\n"},
	} {
		line, rest := Line([]byte(tc.in))
		if string(line) != tc.line || string(rest) != tc.rest {
			t.Errorf("Line(%q) = %q, %q; want %q, %q", tc.in, line, rest, tc.line, tc.rest)
		}
	}
}

// FuzzLine checks Line against bytes.Cut and that the lines of any input
// put back together with '\n' give the input.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb", "a\nb\n", "Ip: 1 2\nIp: 3 4\n", "\x00\n\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		line, rest := Line(b)
		wl, wr, found := bytes.Cut(b, []byte{'\n'})
		if !bytes.Equal(line, wl) || !bytes.Equal(rest, wr) || (!found && rest != nil) {
			t.Fatalf("Line(%q) = %q, %q; bytes.Cut gives %q, %q, %v", b, line, rest, wl, wr, found)
		}
		var joined []byte
		for rest := b; len(rest) > 0; {
			var l []byte
			l, rest = Line(rest)
			joined = append(append(joined, l...), '\n')
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			joined = joined[:len(joined)-1]
		}
		if !bytes.Equal(joined, b) {
			t.Fatalf("lines of %q rejoin as %q", b, joined)
		}
	})
}
