package nic

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// statLine is one line of a testdata/statnames list (format in
// statnames_gen_test.go).
type statLine struct {
	line    int
	name    string
	global  bool
	marker  bool
	queue   int
	dir     string
	counter string
	layout  bool
	kind    string
}

func loadStatNames(t testing.TB, file string) []statLine {
	t.Helper()
	return parseStatNames(t, file, string(readFile(t, file)))
}

func parseStatNames(t testing.TB, file, text string) []statLine {
	t.Helper()
	var out []statLine
	for i, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "|")
		l := statLine{line: i + 1, name: f[0], kind: "device"}
		switch {
		case len(f) == 2 && f[1] == "-":
			l.global = true
		case len(f) == 4 && f[1] == "marker":
			l.marker, l.dir = true, f[3]
			l.queue, _ = strconv.Atoi(f[2])
		case len(f) == 4 || len(f) == 5:
			var err error
			if l.queue, err = strconv.Atoi(f[1]); err != nil {
				t.Fatalf("%s:%d: %q", file, i+1, line)
			}
			l.dir, l.counter = f[2], f[3]
			if len(f) == 5 {
				switch f[4] {
				case "layout":
					l.layout = true
				case "xdp-cpu", "xdp":
					l.kind = f[4]
				default:
					t.Fatalf("%s:%d: flag %q", file, i+1, f[4])
				}
			}
		default:
			t.Fatalf("%s:%d: %q", file, i+1, line)
		}
		out = append(out, l)
	}
	return out
}

func statNameFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/statnames/*.txt")
	if err != nil || len(files) < 14 {
		t.Fatalf("%d name lists: %v", len(files), err)
	}
	return files
}

// statValues gives each statistic a value: a marker its queue number (as
// vmxnet3_get_ethtool_stats writes it), every other one an arbitrary count.
func statValues(lines []statLine) []uint64 {
	v := make([]uint64, len(lines))
	for i, l := range lines {
		if l.marker {
			v[i] = uint64(l.queue)
		} else {
			v[i] = uint64(i)*7919 + 3
		}
	}
	return v
}

// TestParseQueueStatNameDrivers runs the per-name mapper over each driver's
// statistic names: device-wide names and markers are refused, names the
// name alone places get their queue, direction, kind and counter, and a
// name only the layout places is refused or gets its counter right.
func TestParseQueueStatNameDrivers(t *testing.T) {
	for _, file := range statNameFiles(t) {
		perQueue := 0
		for _, l := range loadStatNames(t, file) {
			q, ok := ParseQueueStatName(l.name)
			switch {
			case l.global || l.marker:
				if ok {
					t.Errorf("%s:%d %q: device-wide, got %+v", file, l.line, l.name, q)
				}
			case l.layout:
				if ok && q.Counter != l.counter {
					t.Errorf("%s:%d %q: got %+v, want counter %s", file, l.line, l.name, q, l.counter)
				}
				if strings.HasPrefix(l.name, " ") && ok {
					t.Errorf("%s:%d %q: a vmxnet3 name says no queue, got %+v", file, l.line, l.name, q)
				}
			default:
				perQueue++
				if !ok || q.Queue != l.queue || q.Dir.String() != l.dir || q.Counter != l.counter || q.Kind.String() != l.kind {
					t.Errorf("%s:%d %q: got %+v ok=%v, want queue %d dir %s counter %s kind %s", file, l.line, l.name, q, ok, l.queue, l.dir, l.counter, l.kind)
				}
			}
		}
		t.Logf("%s: %d names placed by name", file, perQueue)
	}
}

// TestMapQueueStatsDrivers maps each driver's whole string table, with the
// values (vmxnet3's markers carry the queue numbers) and without, and
// checks every per-queue name gets its queue, direction, kind and counter
// and no device-wide name or marker is listed.
func TestMapQueueStatsDrivers(t *testing.T) {
	for _, file := range statNameFiles(t) {
		lines := loadStatNames(t, file)
		names := make([]string, len(lines))
		for i, l := range lines {
			names[i] = l.name
		}
		values := statValues(lines)
		for _, withValues := range []bool{true, false} {
			var qs []QueueStat
			if withValues {
				qs = MapQueueStats(names, values, nil)
			} else {
				qs = QueueStats(names, nil)
			}
			got := make(map[int]QueueStat, len(qs))
			last := -1
			for _, q := range qs {
				if q.Index <= last {
					t.Fatalf("%s: index %d after %d", file, q.Index, last)
				}
				last = q.Index
				got[q.Index] = q
			}
			want, globals, markers := 0, 0, 0
			for i, l := range lines {
				q, ok := got[i]
				switch {
				case l.global || l.marker:
					if l.marker {
						markers++
					} else {
						globals++
					}
					if ok {
						t.Errorf("%s:%d %q (values %v): device-wide, got %+v", file, l.line, l.name, withValues, q)
					}
				default:
					want++
					if !ok || q.Queue != l.queue || q.Dir.String() != l.dir || q.Counter != l.counter || q.Kind.String() != l.kind {
						t.Errorf("%s:%d %q (values %v): got %+v ok=%v, want queue %d dir %s counter %s kind %s", file, l.line, l.name, withValues, q, ok, l.queue, l.dir, l.counter, l.kind)
					}
				}
			}
			if len(qs) != want {
				t.Errorf("%s: %d queue stats, want %d", file, len(qs), want)
			}
			if withValues {
				t.Logf("%s: %d names: %d per-queue, %d device-wide, %d markers", file, len(lines), want, globals, markers)
			}
		}
	}
}

// TestMapQueueStatsMarkerValues: vmxnet3 queue numbers come from the
// marker values, not from the position; a value no queue can have falls
// back to the position.
func TestMapQueueStatsMarkerValues(t *testing.T) {
	names := []string{"Tx Queue#", "  ucast pkts tx", "Tx Queue#", "  ucast pkts tx",
		"Rx Queue#", "  ucast pkts rx", "     xdp tx", "Rx Queue#", "  ucast pkts rx", "tx timeout count"}
	values := []uint64{5, 100, 9, 200, 2, 300, 1, 1 << 40, 400, 0}
	qs := MapQueueStats(names, values, nil)
	want := []QueueStat{
		{Index: 1, Queue: 5, Dir: DirTx, Counter: "ucast pkts tx"},
		{Index: 3, Queue: 9, Dir: DirTx, Counter: "ucast pkts tx"},
		{Index: 5, Queue: 2, Dir: DirRx, Counter: "ucast pkts rx"},
		{Index: 6, Queue: 2, Dir: DirRx, Counter: "xdp tx"},
		{Index: 8, Queue: 1, Dir: DirRx, Counter: "ucast pkts rx"}, // second rx marker: 1<<40 is no queue
	}
	if len(qs) != len(want) {
		t.Fatalf("got %+v", qs)
	}
	for i := range want {
		if qs[i] != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, qs[i], want[i])
		}
	}
	// Short values: the blocks past them are numbered by position.
	qs = MapQueueStats(names, values[:3], nil)
	if qs[1].Queue != 9 || qs[2].Queue != 0 || qs[4].Queue != 1 {
		t.Errorf("short values: %+v", qs)
	}
	if !LayoutNeedsValues(names) || LayoutNeedsValues([]string{"rx0_packets", "Tx LPI entry count"}) {
		t.Error("LayoutNeedsValues")
	}
}

// TestMapQueueStatsBnxtShapes: the tx ring shift applies only to bnxt's
// separate-ring layout.
func TestMapQueueStatsBnxtShapes(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  []int // queues
	}{
		// tx rings do not start right after the rx rings: left alone.
		{[]string{"[0]: rx_discards", "[2]: tx_discards"}, []int{0, 2}},
		// only rx rings.
		{[]string{"[0]: rx_discards", "[1]: rx_discards", "[1]: missed_irqs"}, []int{0, 1, 1}},
		// only tx rings.
		{[]string{"[0]: tx_discards", "[1]: tx_discards"}, []int{0, 1}},
		// a ring carries both: shared.
		{[]string{"[0]: rx_discards", "[1]: rx_discards", "[1]: tx_discards", "[2]: tx_discards"}, []int{0, 1, 1, 2}},
		// separate, other schemes in between are untouched.
		{[]string{"[0]: rx_discards", "rx1_packets", "[1]: tx_discards", "[1]: missed_irqs"}, []int{0, 1, 0, 0}},
	} {
		qs := QueueStats(c.names, nil)
		if len(qs) != len(c.want) {
			t.Fatalf("%q: %+v", c.names, qs)
		}
		for i, q := range qs {
			if q.Queue != c.want[i] {
				t.Errorf("%q: %+v, want queues %v", c.names, qs, c.want)
				break
			}
		}
	}
}

func TestParseQueueStatNameEdges(t *testing.T) {
	for _, n := range []string{"", "rx", "rx0", "rx0_", "rx-", "rx-1", "rx-1.", "[", "[0]", "[0]:", "[x]: rx_a",
		"queue_", "queue_0", "queue_0_", "rx_queue_", "rx_queue_0", "rx12345678901_packets", "ch_x", "tx_queue_a_b",
		// issue 20 item 9: a direction prefix and nothing after it
		"[0]:rx_", "[0]: tx_", "[0]:   ", "queue_0_rx_", "queue_0_tx_",
		"rxq", "rxq0", "rxq0:", "txq0: ", "rxqa: rx_bytes", "chq0: x",
		"tx-xdp-cpu-", "tx-xdp-cpu-0", "tx-xdp-cpu-0.", "tx-xdp-cpu-x.tx_packets",
		"Tx Queue#", "Rx Queue#", "  ucast pkts rx", "Tx LPI entry count",
		"rx_64_to_127_bytes", "rx_prio3_bytes", "tx_collide_2times", "rx_bytes_cos0", "tx_pfc_ena_frames_pri7",
		"rx_pb_7_pxon", "port_rx_65_to_127", "tx_tc_0_packets"} {
		if q, ok := ParseQueueStatName(n); ok {
			t.Errorf("%q: %+v", n, q)
		}
	}
	// A direction prefix the queue already says is kept when nothing else
	// is left.
	for n, want := range map[string]QueueStat{
		"rxq0: rx_":         {Queue: 0, Dir: DirRx, Counter: "rx_"},
		"tx-1.tx_":          {Queue: 1, Dir: DirTx, Counter: "tx_"},
		"rx-64.x":           {Queue: 64, Dir: DirRx, Counter: "x"},
		"[7]: tpa_aborts":   {Queue: 7, Dir: DirRx, Counter: "tpa_aborts"},
		"[2]:missed_irqs":   {Queue: 2, Dir: DirUnknown, Counter: "missed_irqs"},
		"txq11:  tx_stops":  {Queue: 11, Dir: DirTx, Counter: "stops"},
		"tx-xdp-cpu-63.foo": {Queue: 63, Dir: DirTx, Kind: QueueXDPCPU, Counter: "foo"},
	} {
		if q, ok := ParseQueueStatName(n); !ok || q != want {
			t.Errorf("%q: %+v %v, want %+v", n, q, ok, want)
		}
	}
}

// TestQueueStatZeroAllocs: the mapper allocates nothing (names are cut,
// not copied; MapQueueStats appends into the caller's slice).
func TestQueueStatZeroAllocs(t *testing.T) {
	var names []string
	for _, file := range statNameFiles(t) {
		for _, l := range loadStatNames(t, file) {
			names = append(names, l.name)
		}
	}
	n := 0
	if a := testing.AllocsPerRun(20, func() {
		n = 0
		for _, name := range names {
			if _, ok := ParseQueueStatName(name); ok {
				n++
			}
		}
	}); a != 0 {
		t.Errorf("ParseQueueStatName: %v allocs", a)
	}
	values := make([]uint64, len(names))
	dst := MapQueueStats(names, values, nil)
	if a := testing.AllocsPerRun(20, func() { dst = MapQueueStats(names, values, dst[:0]) }); a != 0 {
		t.Errorf("MapQueueStats: %v allocs", a)
	}
	t.Logf("%d names: ParseQueueStatName places %d, MapQueueStats %d", len(names), n, len(dst))
}

func BenchmarkParseQueueStatName(b *testing.B) {
	lines := loadStatNames(b, "testdata/statnames/bnxt.txt")
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			ParseQueueStatName(l.name)
		}
	}
}

func BenchmarkMapQueueStats(b *testing.B) {
	lines := loadStatNames(b, "testdata/statnames/vmxnet3.txt")
	names := make([]string, len(lines))
	for i, l := range lines {
		names[i] = l.name
	}
	values := statValues(lines)
	dst := MapQueueStats(names, values, nil)
	b.ReportAllocs()
	for b.Loop() {
		dst = MapQueueStats(names, values, dst[:0])
	}
}

func checkQueueStat(t *testing.T, name string, q QueueStat) {
	if q.Queue < 0 || q.Counter == "" || !strings.HasSuffix(name, q.Counter) ||
		q.Dir > DirTx || q.Kind > QueueXDP || (q.Kind != QueueDevice && q.Dir != DirTx) {
		t.Fatalf("%q -> %+v", name, q)
	}
}

func FuzzParseQueueStatName(f *testing.F) {
	files, _ := filepath.Glob("testdata/statnames/*.txt")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(b), "\n") {
			if name, _, ok := strings.Cut(line, "|"); ok {
				f.Add(name)
			}
		}
	}
	f.Fuzz(func(t *testing.T, name string) {
		q, ok := ParseQueueStatName(name)
		if !ok {
			if q != (QueueStat{}) {
				t.Fatalf("%q: refused with %+v", name, q)
			}
			return
		}
		checkQueueStat(t, name, q)
	})
}

// FuzzMapQueueStats maps a string table (names separated by newlines) with
// values taken from raw bytes: indexes rise and stay in range, every
// counter ends its name, markers are never listed.
func FuzzMapQueueStats(f *testing.F) {
	for _, file := range []string{"vmxnet3.txt", "bnxt_rx3_tx2.txt", "sfc.txt", "be2net.txt"} {
		b, _ := os.ReadFile(filepath.Join("testdata", "statnames", file))
		var names []string
		for _, line := range strings.Split(string(b), "\n") {
			if name, _, ok := strings.Cut(line, "|"); ok {
				names = append(names, name)
			}
		}
		f.Add(strings.Join(names, "\n"), []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	}
	f.Add("Tx Queue#\n  a\nRx Queue#\n b\nx", []byte{255, 255, 255, 255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, table string, raw []byte) {
		names := strings.Split(table, "\n")
		values := make([]uint64, len(raw)/8)
		for i := range values {
			for j := range 8 {
				values[i] |= uint64(raw[i*8+j]) << (8 * j)
			}
		}
		last := -1
		for _, q := range MapQueueStats(names, values, nil) {
			if q.Index <= last || q.Index >= len(names) {
				t.Fatalf("index %d after %d of %d", q.Index, last, len(names))
			}
			last = q.Index
			if _, m := vmxnet3Marker(names[q.Index]); m {
				t.Fatalf("marker %q listed", names[q.Index])
			}
			checkQueueStat(t, names[q.Index], q)
		}
	})
}

func FuzzClassifyIRQAction(f *testing.F) {
	for _, s := range []string{"virtio2-input.0", "eth0-TxRx-7", "mlx5_comp5@pci:0000:3b:00.0", "eth0-rx-1", "virtio2-config"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, d, comb := ClassifyIRQAction(s)
		if q < -1 || (q == -1 && (comb || d != DirUnknown)) {
			t.Fatalf("%q -> %d %v %v", s, q, d, comb)
		}
	})
}
