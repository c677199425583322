package dropevents

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseFormat(f *testing.F) {
	files, _ := filepath.Glob("testdata/linux-*/*.format")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name: x\nID: 1\nformat:\n\tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;\nprint fmt: \"%s\", __print_symbolic(REC->name, { 0x1, \"A\\\"\" })\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, err := ParseFormat("fuzz", b)
		if err != nil {
			return
		}
		for _, fl := range fm.Fields {
			if fl.Offset < 0 || fl.Size < 0 || fl.Offset+fl.Size > maxRecord || fl.Name == "" {
				t.Fatalf("bad field accepted: %+v", fl)
			}
			if _, ok := fm.Field(fl.Name); !ok {
				t.Fatalf("Field(%q) not found", fl.Name)
			}
			_, _ = fm.Symbols(fl.Name)
		}
		_, _ = fm.Symbols("reason")
		_, _ = portFilter(fm, 5000)
	})
}

func FuzzWalkRing(f *testing.F) {
	var seed []byte
	seed = append(seed, kfreeRecord(2310, 6, 1)...)
	seed = append(seed, lostRecord(3)...)
	seed = append(seed, kfreeRecord(2310, 1<<20, 2)...)
	f.Add(seed, uint64(0), uint16(len(seed)))
	f.Add(seed, uint64(200), uint16(len(seed)))
	f.Add([]byte{}, uint64(0), uint16(0))
	f.Fuzz(func(t *testing.T, recs []byte, start uint64, n uint16) {
		if len(recs) > 1024 {
			return
		}
		data, tail, _ := ringOf(1024, start, recs)
		head := tail + uint64(n)
		a := newTestAggregator()
		got := walkRing(data, tail, head, make([]byte, 1<<16), a)
		if got-tail > head-tail {
			t.Fatalf("tail moved past head: %d > %d", got, head)
		}
		var sum uint64
		for _, c := range a.counts {
			sum += c
		}
		if sum+a.other != a.samples {
			t.Fatalf("counts %d + other %d != samples %d", sum, a.other, a.samples)
		}
	})
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0-1\n", "0", "0,2-4,7", "", "3-1", "0-8191"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cpus, err := parseCPUList("online", b)
		if err == nil && len(cpus) > maxCPUs {
			t.Fatalf("%d CPUs", len(cpus))
		}
	})
}

func FuzzTracefsMount(f *testing.F) {
	f.Add([]byte("40 22 0:12 / /sys/kernel/tracing rw,relatime shared:5 - tracefs nodev rw\n"))
	f.Add([]byte("40 22 0:12 / /a\\040b\\ rw - tracefs nodev rw\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = tracefsMount(b)
	})
}
