package netstack

import (
	"os"
	"strings"
	"testing"
)

// FuzzEthtoolIdentity: any driver string table (names separated by
// newlines) flattens without a panic into one counter per name, each with
// its own key and its table position as Index.
func FuzzEthtoolIdentity(f *testing.F) {
	for _, file := range []string{"testdata/statnames/vmxnet3.txt"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var names []string
		for _, line := range strings.Split(string(b), "\n") {
			if line != "" && line[0] != '#' {
				name, _, _ := strings.Cut(line, "|")
				names = append(names, name)
			}
		}
		f.Add(strings.Join(names, "\n"))
	}
	f.Add("rx_queue_0_drops\nrx_queue_0_drops\ntx-0.tx_packets\nrx0_packets \nrx0_packets")
	f.Fuzz(func(t *testing.T, table string) {
		names := strings.Split(table, "\n")
		dd := &DeviceData{Name: "eth0", StatNames: names, StatValues: make([]uint64, len(names))}
		var s Snapshot
		appendEthtool(&s, dd, 2, nil)
		if len(s.Counters) != len(names) {
			t.Fatalf("%d counters from %d names", len(s.Counters), len(names))
		}
		seen := make(map[counterKey]bool, len(names))
		for i := range s.Counters {
			c := &s.Counters[i]
			if c.Index != int64(i) || seen[c.key()] {
				t.Fatalf("counter %d (%q): Index %d, duplicate key %v", i, c.Name, c.Index, seen[c.key()])
			}
			seen[c.key()] = true
		}
	})
}
