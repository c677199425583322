package udptable

import "testing"

func TestDropTracker(t *testing.T) {
	sock := func(cookie uint64, drops uint32) UDPSocket {
		return UDPSocket{Cookie: cookie, Mem: SockMemInfo{Drops: uint64(drops), Fields: 9}}
	}
	var d DropTracker
	if n := d.Update([]UDPSocket{sock(1, 10), sock(2, 4294967290)}); n != 0 {
		t.Errorf("first update: %d new drops, want 0 (baseline)", n)
	}
	// Socket 2 wraps: 4294967290 -> 4 is 10 drops. Socket 3 is new.
	if n := d.Update([]UDPSocket{sock(1, 15), sock(2, 4), sock(3, 7)}); n != 15 {
		t.Errorf("second update: %d new drops, want 15", n)
	}
	if tot, ok := d.Total(2); !ok || tot != 4294967300 {
		t.Errorf("widened total of socket 2: %d %v, want 4294967300", tot, ok)
	}
	if tot, _ := d.Total(3); tot != 7 {
		t.Errorf("total of new socket 3: %d, want 7", tot)
	}
	// Socket 1 closes; an old kernel's socket without the counter is ignored.
	old := UDPSocket{Cookie: 9, Mem: SockMemInfo{Fields: 7}}
	if n := d.Update([]UDPSocket{sock(2, 6), sock(3, 7), old}); n != 2 {
		t.Errorf("third update: %d, want 2", n)
	}
	if _, ok := d.Total(1); ok || d.Len() != 2 {
		t.Errorf("closed socket still tracked (len %d)", d.Len())
	}
	if !diagRace {
		socks := []UDPSocket{sock(2, 6), sock(3, 8)}
		if a := testing.AllocsPerRun(100, func() { d.Update(socks) }); a != 0 {
			t.Errorf("%v allocations per Update of known sockets", a)
		}
	}
}
