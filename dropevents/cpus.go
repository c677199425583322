package dropevents

import (
	"bytes"
	"fmt"

	"github.com/packetpath/packetpath/internal/scan"
)

// maxCPUs bounds a CPU list so that a malformed range cannot make a huge
// slice (the kernel's NR_CPUS maximum is 8192).
const maxCPUs = 8192

// parseCPUList parses a kernel CPU list such as "0-3,5,7-8\n"
// (/sys/devices/system/cpu/online; lib/bitmap-str.c bitmap_parselist).
func parseCPUList(file string, b []byte) ([]int, error) {
	b = scan.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	var cpus []int
	for len(b) > 0 {
		var item []byte
		item, b, _ = bytes.Cut(b, []byte(","))
		lo, hi, isRange := bytes.Cut(item, []byte("-"))
		first, err := scan.Uint(lo)
		if err != nil {
			return nil, malformed(file, 1, err, "bad CPU %q", item)
		}
		last := first
		if isRange {
			if last, err = scan.Uint(hi); err != nil {
				return nil, malformed(file, 1, err, "bad CPU range %q", item)
			}
		}
		if last < first || last >= maxCPUs {
			return nil, malformed(file, 1, nil, "bad CPU range %q", item)
		}
		for c := first; c <= last; c++ {
			cpus = append(cpus, int(c))
		}
		if len(cpus) > maxCPUs {
			return nil, malformed(file, 1, nil, "more than %d CPUs", maxCPUs)
		}
	}
	return cpus, nil
}

func cpuListError(file string, err error) error {
	return fmt.Errorf("dropevents: reading %s: %w", file, err)
}
