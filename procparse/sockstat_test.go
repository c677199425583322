package procparse

import (
	"errors"
	"net"
	"os"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

func TestSockstatFixtures(t *testing.T) {
	type want struct {
		proto, key string
		v          int64
	}
	for _, c := range []struct {
		fixture string
		v6      bool
		want    []want
		lines   int
	}{
		{"linux-6.18-vm", false, []want{{"sockets", "used", 7}, {"TCP", "inuse", 1}, {"TCP", "alloc", 1}, {"TCP", "mem", 0},
			{"UDP", "inuse", 0}, {"UDP", "mem", 7}, {"UDPLITE", "inuse", 0}, {"RAW", "inuse", 0}, {"FRAG", "memory", 0}}, 6},
		{"linux-6.18-netns-udp-drops", false, []want{{"sockets", "used", 3}, {"UDP", "inuse", 3}, {"UDP", "mem", 7}}, 6},
		{"procfs-corpus", false, []want{{"sockets", "used", 1602}, {"TCP", "inuse", 35}, {"TCP", "orphan", 0}, {"TCP", "tw", 4},
			{"TCP", "alloc", 59}, {"TCP", "mem", 22}, {"UDP", "inuse", 12}, {"UDP", "mem", 62}}, 6},
		{"linux-6.18-vm", true, []want{{"TCP6", "inuse", 0}, {"UDP6", "inuse", 0}, {"FRAG6", "memory", 0}}, 5},
		{"procfs-corpus", true, []want{{"TCP6", "inuse", 17}, {"UDP6", "inuse", 9}, {"UDPLITE6", "inuse", 0}, {"RAW6", "inuse", 1}}, 5},
	} {
		fs := bFixture(t, c.fixture)
		var (
			s   Sockstat
			err error
		)
		if c.v6 {
			s, err = fs.Sockstat6()
		} else {
			s, err = fs.Sockstat()
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Protocols) != c.lines {
			t.Errorf("%s v6=%v: %d lines, want %d", c.fixture, c.v6, len(s.Protocols), c.lines)
		}
		for _, w := range c.want {
			if v, ok := s.Value(w.proto, w.key); !ok || v != w.v {
				t.Errorf("%s: %s %s = %d, %v; want %d", c.fixture, w.proto, w.key, v, ok, w.v)
			}
		}
		if s.PageSize != int64(os.Getpagesize()) {
			t.Errorf("PageSize = %d, want os.Getpagesize() = %d", s.PageSize, os.Getpagesize())
		}
	}
}

func TestSockstatMemory(t *testing.T) {
	b := bRead(t, "procfs-corpus", "proc", "net", "sockstat")
	s := Sockstat{PageSize: 4096}
	if err := ParseSockstat(b, &s); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.MemPages("UDP"); !ok || v != 62 {
		t.Errorf("UDP MemPages = %d, %v; want 62", v, ok)
	}
	if v, ok := s.MemBytes("UDP"); !ok || v != 62*4096 {
		t.Errorf("UDP MemBytes = %d, %v; want %d", v, ok, 62*4096)
	}
	if v, ok := s.MemBytes("TCP"); !ok || v != 22*4096 {
		t.Errorf("TCP MemBytes = %d, %v; want %d", v, ok, 22*4096)
	}
	if v, ok := s.MemBytes("FRAG"); !ok || v != 0 {
		t.Errorf("FRAG MemBytes = %d, %v; want 0", v, ok)
	}
	if _, ok := s.MemBytes("RAW"); ok {
		t.Error("RAW has no memory field but MemBytes reported one")
	}
	if v, ok := s.InUse("UDP"); !ok || v != 12 {
		t.Errorf("UDP InUse = %d, %v", v, ok)
	}
	if v, ok := s.SocketsUsed(); !ok || v != 1602 {
		t.Errorf("SocketsUsed = %d, %v", v, ok)
	}
	// A 64 KiB-page capture keeps the caller's page size.
	s64 := Sockstat{PageSize: 65536}
	if err := ParseSockstat([]byte("UDP: inuse 1 mem 3\nFRAG: inuse 1 memory 70000\n"), &s64); err != nil {
		t.Fatal(err)
	}
	if v, _ := s64.MemBytes("UDP"); v != 3*65536 {
		t.Errorf("UDP MemBytes with 64K pages = %d", v)
	}
	if v, _ := s64.MemPages("FRAG"); v != 2 {
		t.Errorf("FRAG MemPages = %d, want 2 (70000 bytes rounded up)", v)
	}
}

func TestParseSockstatErrors(t *testing.T) {
	for _, in := range []string{"sockets used 3\n", "UDP: inuse\n", "UDP: inuse x\n", ":\n", "UDP: inuse 99999999999999999999\n"} {
		var s Sockstat
		if err := ParseSockstat([]byte(in), &s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSockstat(%q) = %v, want ErrMalformed", in, err)
		}
	}
	// New lines and keys are kept.
	var s Sockstat
	if err := ParseSockstat([]byte("MPTCP: inuse 2 new_key -1\n"), &s); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Value("MPTCP", "new_key"); !ok || v != -1 {
		t.Errorf("MPTCP new_key = %d, %v", v, ok)
	}
}

func TestSockstatAllocs(t *testing.T) {
	b := bRead(t, "procfs-corpus", "proc", "net", "sockstat")
	var s Sockstat
	if err := ParseSockstat(b, &s); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = ParseSockstat(b, &s) }); n != 0 {
		t.Errorf("ParseSockstat allocates %v times per re-parse, want 0", n)
	}
}

// TestSockstatNamespace opens UDP sockets inside a fresh namespace and
// checks sockstat (and sockstat6) there count exactly them, through
// Readers opened inside the namespace.
func TestSockstatNamespace(t *testing.T) {
	bRequireIPv6(t)
	ns := netnstest.New(t)
	var r, r6 *Reader[Sockstat]
	err := ns.Do(func() error {
		for _, a := range []string{"127.0.0.1:0", "127.0.0.1:0", "[::1]:0"} {
			c, err := net.ListenPacket("udp", a)
			if err != nil {
				return err
			}
			t.Cleanup(func() { c.Close() })
		}
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		if r, err = fs.SockstatReader(); err != nil {
			return err
		}
		r6, err = fs.Sockstat6Reader()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer r6.Close()
	var s, s6 Sockstat
	if err := r.Read(&s); err != nil {
		t.Fatal(err)
	}
	if err := r6.Read(&s6); err != nil {
		t.Fatal(err)
	}
	if v, ok := s.InUse("UDP"); !ok || v != 2 {
		t.Errorf("namespace UDP inuse = %d, %v; want 2", v, ok)
	}
	if v, ok := s6.InUse("UDP6"); !ok || v != 1 {
		t.Errorf("namespace UDP6 inuse = %d, %v; want 1", v, ok)
	}
	if v, ok := s.SocketsUsed(); !ok || v < 3 {
		t.Errorf("namespace sockets used = %d, %v; want >= 3", v, ok)
	}
	if n := testing.AllocsPerRun(20, func() { _ = r.Read(&s) }); n != 0 {
		t.Errorf("Sockstat Reader.Read allocates %v times, want 0", n)
	}
}

func FuzzSockstat(f *testing.F) {
	for _, p := range [][]string{
		{"linux-6.18-vm", "proc", "net", "sockstat"},
		{"linux-6.18-vm", "proc", "net", "sockstat6"},
		{"procfs-corpus", "proc", "net", "sockstat"},
		{"linux-6.18-netns-udp-drops", "proc", "net", "sockstat"},
	} {
		f.Add(bRead(f, p...))
	}
	addStrictSeeds(f, "sockstat")
	var reused Sockstat // across inputs: the checks it skips must not miss
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sockstat
		err := ParseSockstat(b, &s)
		if err2 := ParseSockstat(b, &reused); (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, p := range s.Protocols {
			s.MemBytes(p.Name)
			s.MemPages(p.Name)
		}
	})
}

func BenchmarkParseSockstat(b *testing.B) {
	in := bRead(b, "procfs-corpus", "proc", "net", "sockstat")
	var s Sockstat
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseSockstat(in, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// bRequireIPv6 skips tests that open IPv6 sockets on a kernel without IPv6.
func bRequireIPv6(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/proc/net/if_inet6"); err != nil {
		t.Skipf("skipped: IPv6 is disabled: %v", err)
	}
}
