package reuse

import "testing"

func TestNext(t *testing.T) {
	s := make([]string, 0, 1)
	s, p := Next(s)
	*p = "kept"
	s = s[:0]
	s, p = Next(s)
	if len(s) != 1 || *p != "kept" {
		t.Fatalf("within capacity: %q, %q (want the element left there)", s, *p)
	}
	s, p = Next(s)
	if len(s) != 2 || *p != "" || &s[1] != p {
		t.Fatalf("beyond capacity: %q, %q (want a zero element)", s, *p)
	}
	if n := testing.AllocsPerRun(100, func() { s, _ = Next(s[:0]) }); n != 0 {
		t.Errorf("%v allocs within capacity", n)
	}
}
