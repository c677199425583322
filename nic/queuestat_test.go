package nic

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestParseQueueStatNameDrivers runs the mapper over each driver's
// statistic names in testdata/statnames (name|queue|dir|counter, or
// name|- for a device-wide statistic).
func TestParseQueueStatNameDrivers(t *testing.T) {
	files, err := filepath.Glob("testdata/statnames/*.txt")
	if err != nil || len(files) < 9 {
		t.Fatalf("%d name lists: %v", len(files), err)
	}
	for _, file := range files {
		b := readFile(t, file)
		var names []string
		wantQueue := 0
		for i, line := range strings.Split(string(b), "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			f := strings.Split(line, "|")
			names = append(names, f[0])
			q, ok := ParseQueueStatName(f[0])
			if f[1] == "-" {
				if ok {
					t.Errorf("%s:%d %q: device-wide, got %+v", file, i+1, f[0], q)
				}
				continue
			}
			wantQueue++
			n, _ := strconv.Atoi(f[1])
			if !ok || q.Queue != n || q.Dir.String() != f[2] || q.Counter != f[3] {
				t.Errorf("%s:%d %q: got %+v ok=%v, want queue %s dir %s counter %s", file, i+1, f[0], q, ok, f[1], f[2], f[3])
			}
		}
		qs := QueueStats(names, nil)
		if len(qs) != wantQueue {
			t.Errorf("%s: %d queue stats, want %d", file, len(qs), wantQueue)
		}
		for _, q := range qs {
			if p, _ := ParseQueueStatName(names[q.Index]); p.Counter != q.Counter {
				t.Errorf("%s: index %d does not point at its name", file, q.Index)
			}
		}
	}
}

func TestParseQueueStatNameEdges(t *testing.T) {
	for _, n := range []string{"", "rx", "rx0", "rx0_", "rx-", "rx-1", "rx-1.", "[", "[0]", "[0]:", "[x]: rx_a",
		"queue_", "queue_0", "queue_0_", "rx_queue_", "rx_queue_0", "rx12345678901_packets", "ch_x", "tx_queue_a_b"} {
		if q, ok := ParseQueueStatName(n); ok {
			t.Errorf("%q: %+v", n, q)
		}
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
			return
		}
		if q.Queue < 0 || q.Counter == "" || !strings.HasSuffix(name, q.Counter) {
			t.Fatalf("%q -> %+v", name, q)
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
