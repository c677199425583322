package procparse

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// bFixture returns an FS rooted at testdata/b/<name>/proc, a copy of the
// fixture tree of the same name (linux-6.18-stat holds /proc/net/stat
// captured on the project's 6.18 VM).
func bFixture(t testing.TB, name string) FS {
	t.Helper()
	fs, err := NewFS(filepath.Join("testdata", "b", name, "proc"))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// bRead returns the bytes of a fixture file below testdata/b.
func bRead(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata", "b"}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStatTableFixture(t *testing.T) {
	fs := bFixture(t, "linux-6.18-stat")

	arp, err := fs.StatTable(StatARPCache)
	if err != nil {
		t.Fatal(err)
	}
	if len(arp.Columns) != 13 || arp.Rows() != 2 {
		t.Fatalf("arp_cache: %d columns, %d rows; want 13, 2", len(arp.Columns), arp.Rows())
	}
	if n, ok := arp.Entries(); !ok || n != 2 {
		t.Errorf("arp_cache entries = %d, %v; want 2", n, ok)
	}
	for _, c := range []struct {
		col string
		sum uint64
	}{
		{"allocs", 2}, {"lookups", 0x2 + 0xf}, {"hits", 3}, {"periodic_gc_runs", 0x17},
		{"table_fulls", 0}, {"unresolved_discards", 0},
	} {
		if got, ok := arp.Sum(c.col); !ok || got != c.sum {
			t.Errorf("arp_cache Sum(%s) = %d, %v; want %d", c.col, got, ok, c.sum)
		}
	}
	if v, ok := arp.Value(1, "lookups"); !ok || v != 0xf {
		t.Errorf("arp_cache row 1 lookups = %d, %v; want 15", v, ok)
	}
	if _, ok := arp.Value(2, "lookups"); ok {
		t.Error("row 2 of a 2-row table reported present")
	}
	if _, ok := arp.Sum("no_such_column"); ok {
		t.Error("absent column reported present")
	}

	nd, err := fs.StatTable(StatNDISCCache)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := nd.Entries(); n != 4 {
		t.Errorf("ndisc_cache entries = %d, want 4", n)
	}
	if s, _ := nd.Sum("allocs"); s != 10 {
		t.Errorf("ndisc_cache allocs = %d, want 10", s)
	}
	if s, _ := nd.Sum("res_failed"); s != 1 {
		t.Errorf("ndisc_cache res_failed = %d, want 1", s)
	}

	ct, err := fs.StatTable(StatNFConntrack)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct.Columns) != 17 || ct.Rows() != 2 {
		t.Fatalf("nf_conntrack: %d columns, %d rows; want 17, 2", len(ct.Columns), ct.Rows())
	}
	for _, col := range []string{"drop", "early_drop", "insert_failed", "search_restart"} {
		if v, ok := ct.Sum(col); !ok || v != 0 {
			t.Errorf("nf_conntrack %s = %d, %v; want 0, true", col, v, ok)
		}
	}

	rt, err := fs.StatTable(StatRTCache)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := rt.Entries(); n != 5 {
		t.Errorf("rt_cache entries = %d, want 5", n)
	}
	if s, _ := rt.Sum("out_slow_tot"); s != 4 {
		t.Errorf("rt_cache out_slow_tot = %d, want 4", s)
	}
	if s, _ := rt.Sum("in_slow_tot"); s != 1 {
		t.Errorf("rt_cache in_slow_tot = %d, want 1", s)
	}

	// Tab-separated (synproxy prints with \t).
	sp, err := fs.StatTable("synproxy")
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Columns) != 6 || sp.Columns[5] != "conn_reopened" || sp.Rows() != 2 {
		t.Errorf("synproxy: columns %q, %d rows", sp.Columns, sp.Rows())
	}
}

func TestStatTableMissing(t *testing.T) {
	fs := bFixture(t, "linux-6.18-vm")
	_, err := fs.StatTable(StatNFConntrack)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing table: %v, want os.ErrNotExist", err)
	}
	if _, err := fs.StatTableReader(StatARPCache); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing table reader: %v, want os.ErrNotExist", err)
	}
	for _, bad := range []string{"", "..", "../snmp", "a/b"} {
		if _, err := fs.StatTable(bad); err == nil {
			t.Errorf("StatTable(%q) succeeded", bad)
		}
	}
}

func TestParseStatTableErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"\n",
		"entries allocs\n00000001\n",
		"entries allocs\n00000001 00000002 00000003\n",
		"entries allocs\n0000000g 00000002\n",
		"entries allocs\n00000001 11111111111111111111\n",
	} {
		var st StatTable
		err := ParseStatTable([]byte(in), &st)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseStatTable(%q) = %v, want ErrMalformed", in, err)
		}
	}
	// Wide (64-bit) neighbour counters parse whole.
	var st StatTable
	if err := ParseStatTable([]byte("entries allocs\n00000001 1122334455667788\n"), &st); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Sum("allocs"); v != 0x1122334455667788 {
		t.Errorf("allocs = %#x", v)
	}
}

func TestStatTableAllocs(t *testing.T) {
	b := bRead(t, "linux-6.18-stat", "proc", "net", "stat", "nf_conntrack")
	var st StatTable
	if err := ParseStatTable(b, &st); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = ParseStatTable(b, &st) }); n != 0 {
		t.Errorf("ParseStatTable allocates %v times per re-parse, want 0", n)
	}
	fs := bFixture(t, "linux-6.18-stat")
	r, err := fs.StatTableReader(StatRTCache)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Read(&st); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = r.Read(&st) }); n != 0 {
		t.Errorf("StatTable Reader.Read allocates %v times, want 0", n)
	}
}

func FuzzStatTable(f *testing.F) {
	for _, name := range []string{"arp_cache", "ndisc_cache", "nf_conntrack", "rt_cache", "synproxy"} {
		f.Add(bRead(f, "linux-6.18-stat", "proc", "net", "stat", name))
	}
	f.Add([]byte("entries allocs\n00000001\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var st StatTable
		if err := ParseStatTable(b, &st); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if len(st.Columns) == 0 || len(st.Values)%len(st.Columns) != 0 {
			t.Fatalf("%d values for %d columns", len(st.Values), len(st.Columns))
		}
		for r := 0; r < st.Rows(); r++ {
			for _, c := range st.Columns {
				if _, ok := st.Value(r, c); !ok {
					t.Fatalf("row %d column %q missing", r, c)
				}
			}
		}
		// Re-parsing into the used value gives the same result.
		var again StatTable
		again.Columns = append(again.Columns, "stale", "names", "here", "x")
		again.Values = append(again.Values, 1, 2, 3)
		if err := ParseStatTable(b, &again); err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
		if len(again.Values) != len(st.Values) || len(again.Columns) != len(st.Columns) {
			t.Fatal("re-parse differs")
		}
	})
}

// TestStatTableNamespace reads the stat tables inside a fresh namespace:
// conntrack and rt_cache are per namespace, the neighbour tables exist
// only in the initial one.
func TestStatTableNamespace(t *testing.T) {
	ns := netnstest.New(t)
	var (
		r      *Reader[StatTable]
		arpErr error
	)
	err := ns.Do(func() error {
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		_, arpErr = fs.StatTable(StatARPCache)
		r, err = fs.StatTableReader(StatRTCache)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !errors.Is(arpErr, os.ErrNotExist) {
		t.Errorf("arp_cache in a namespace: %v, want os.ErrNotExist", arpErr)
	}
	var st StatTable
	if err := r.Read(&st); err != nil {
		t.Fatal(err)
	}
	// One row per possible CPU, as /proc/softirqs has one column each.
	host, err := NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	si, err := host.Softirqs()
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows() != len(si.CPUs) || st.Column("in_slow_tot") < 0 {
		t.Errorf("rt_cache in namespace: %d rows (%d possible CPUs), columns %q", st.Rows(), len(si.CPUs), st.Columns)
	}
}

// TestLiveHostB parses this machine's live files of every parser in this
// part of the package.
func TestLiveHostB(t *testing.T) {
	fs, err := NewDefaultFS()
	if err != nil {
		t.Skip(err)
	}
	for _, name := range []string{StatARPCache, StatNDISCCache, StatNFConntrack, StatRTCache} {
		st, err := fs.StatTable(name)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: absent on this kernel", name)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if st.Rows() == 0 {
			t.Errorf("%s: no rows", name)
		}
	}
	pt, err := fs.PacketTypes()
	if err != nil {
		t.Fatal(err)
	}
	ip := false
	for _, h := range pt.Handlers {
		ip = ip || (h.Type == 0x0800 && h.Func == "ip_rcv")
	}
	if !ip {
		t.Errorf("ptype lacks ip_rcv: %+v", pt.Handlers)
	}
	s, err := fs.Sockstat()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.MemBytes("UDP"); !ok {
		t.Errorf("sockstat lacks UDP mem: %+v", s)
	}
	if _, err := fs.Sockstat6(); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Error(err)
	}
	if _, err := fs.Softirqs(); err != nil {
		t.Error(err)
	}
	if _, err := fs.IGMP(); err != nil {
		t.Error(err)
	}
	if _, err := fs.IGMP6(); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Error(err)
	}
	if _, err := fs.DevMcast(); err != nil {
		t.Error(err)
	}
	if _, err := fs.Sysctls(); err != nil {
		t.Error(err)
	}
}

// TestStatTableLnstat compares the per-CPU sums with lnstat(8) (iproute2),
// which sums the same files over CPUs. The counters move while the test
// runs, so lnstat's value must lie between a read before and one after.
func TestStatTableLnstat(t *testing.T) {
	netnstest.RequireTool(t, "lnstat")
	fs, err := NewDefaultFS()
	if err != nil {
		t.Skip(err)
	}
	for _, name := range []string{StatARPCache, StatRTCache, StatNFConntrack} {
		before, err := fs.StatTable(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		// lnstat 6.1 exits 1 even after printing its sample.
		out, err := exec.Command("lnstat", "-f", name, "-j", "-c", "1", "-i", "1").Output()
		if len(out) == 0 {
			t.Fatalf("lnstat %s: %v", name, err)
		}
		after, err := fs.StatTable(name)
		if err != nil {
			t.Fatal(err)
		}
		var peer map[string]uint64
		if err := json.Unmarshal(out, &peer); err != nil {
			t.Fatalf("lnstat %s output %q: %v", name, out, err)
		}
		if len(peer) != len(before.Columns) {
			t.Errorf("%s: lnstat has %d columns, we have %d", name, len(peer), len(before.Columns))
		}
		for _, col := range before.Columns {
			if col == "entries" {
				continue // a gauge: no ordering between reads
			}
			lo, _ := before.Sum(col)
			hi, _ := after.Sum(col)
			if p, ok := peer[col]; !ok || p < lo || p > hi {
				t.Errorf("%s %s: lnstat %d (present %v), ours %d..%d", name, col, p, ok, lo, hi)
			}
		}
	}
}

func TestStatTableSumDelta(t *testing.T) {
	var prev, cur StatTable
	if err := ParseStatTable([]byte("entries drop allocs\n00000001 fffffffe 1111111100000000\n00000001 00000005 00000002\n"), &prev); err != nil {
		t.Fatal(err)
	}
	if err := ParseStatTable([]byte("entries drop allocs\n00000003 00000001 1111111100000010\n00000003 00000007 00000003\n"), &cur); err != nil {
		t.Fatal(err)
	}
	if d, ok := cur.SumDelta(&prev, "drop"); !ok || d != 3+2 {
		t.Errorf("drop delta across a 32-bit wrap = %d, %v; want 5", d, ok)
	}
	if d, ok := cur.SumDelta(&prev, "allocs"); !ok || d != 0x10+1 {
		t.Errorf("64-bit allocs delta = %d, %v; want 17", d, ok)
	}
	if _, ok := cur.SumDelta(&prev, "nope"); ok {
		t.Error("absent column delta reported ok")
	}
	var short StatTable
	_ = ParseStatTable([]byte("entries drop\n00000001 00000002\n"), &short)
	if _, ok := cur.SumDelta(&short, "drop"); ok {
		t.Error("delta across different row counts reported ok")
	}
}

func BenchmarkParseStatTable(b *testing.B) {
	in := bRead(b, "linux-6.18-stat", "proc", "net", "stat", "nf_conntrack")
	var st StatTable
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseStatTable(in, &st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatTableReaderLive(b *testing.B) {
	fs, err := NewDefaultFS()
	if err != nil {
		b.Skip(err)
	}
	r, err := fs.StatTableReader(StatRTCache)
	if err != nil {
		b.Skip(err)
	}
	defer r.Close()
	var st StatTable
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(&st); err != nil {
			b.Fatal(err)
		}
	}
}
