package procparse

import (
	"math/bits"
	"strconv"

	"github.com/packetpath/packetpath/internal/scan"
)

// maxCPU bounds the CPU numbers the parsers accept (the largest NR_CPUS a
// kernel config allows is 8192; this leaves room).
const maxCPU = 1 << 16

// CPUSet is a set of CPU numbers, as the kernel prints in cpu lists
// ("0-3,8", bitmap_print_list_to_buf / %*pbl) and cpu masks
// ("ff,00000001", %*pb). The zero value is the empty set. Parsing into an
// existing CPUSet reuses its storage.
type CPUSet struct {
	words []uint64
}

// Add puts cpu into the set. Negative numbers are ignored.
func (s *CPUSet) Add(cpu int) {
	if cpu < 0 {
		return
	}
	w := cpu / 64
	for len(s.words) <= w {
		s.words = append(s.words, 0)
	}
	s.words[w] |= 1 << (cpu % 64)
}

// Has reports whether cpu is in the set.
func (s CPUSet) Has(cpu int) bool {
	if cpu < 0 || cpu/64 >= len(s.words) {
		return false
	}
	return s.words[cpu/64]&(1<<(cpu%64)) != 0
}

// Count is the number of CPUs in the set.
func (s CPUSet) Count() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// Intersects reports whether the two sets share a CPU.
func (s CPUSet) Intersects(o CPUSet) bool {
	for i := 0; i < len(s.words) && i < len(o.words); i++ {
		if s.words[i]&o.words[i] != 0 {
			return true
		}
	}
	return false
}

// Equal reports whether both sets hold the same CPUs.
func (s CPUSet) Equal(o CPUSet) bool {
	for i := 0; i < len(s.words) || i < len(o.words); i++ {
		var a, b uint64
		if i < len(s.words) {
			a = s.words[i]
		}
		if i < len(o.words) {
			b = o.words[i]
		}
		if a != b {
			return false
		}
	}
	return true
}

// AppendCPUs appends the CPU numbers in ascending order to dst.
func (s CPUSet) AppendCPUs(dst []int) []int {
	for i, w := range s.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			dst = append(dst, i*64+b)
			w &^= 1 << b
		}
	}
	return dst
}

// String formats the set as a cpu list, e.g. "0-3,8"; "" when empty.
func (s CPUSet) String() string {
	var b []byte
	cpus := s.AppendCPUs(nil)
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(cpus[i]), 10)
		if j > i {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(cpus[j]), 10)
		}
		i = j + 1
	}
	return string(b)
}

func (s *CPUSet) reset() {
	clear(s.words)
	s.words = s.words[:0]
}

// ParseCPUList parses a cpu list such as "0-3,8,10-11" (whitespace around
// it ignored; an empty list is the empty set) into dst. Ranges with a
// stride ("0-7:2/4", accepted by the kernel on input) are not printed by
// the kernel and are rejected.
func ParseCPUList(b []byte, dst *CPUSet) error {
	dst.reset()
	b = scan.TrimSpace(b)
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != ',' {
			i++
		}
		item := b[:i]
		if i < len(b) {
			b = b[i+1:]
			if len(b) == 0 {
				return malformed("cpu list", 0, nil, "trailing comma")
			}
		} else {
			b = nil
		}
		lo, hi := item, item
		for j, c := range item {
			if c == '-' {
				lo, hi = item[:j], item[j+1:]
				break
			}
		}
		a, err := scan.Uint(lo)
		if err != nil {
			return malformed("cpu list", 0, err, "cpu %q", lo)
		}
		z, err := scan.Uint(hi)
		if err != nil {
			return malformed("cpu list", 0, err, "cpu %q", hi)
		}
		if a > z || z >= maxCPU {
			return malformed("cpu list", 0, nil, "range %q", item)
		}
		for c := a; c <= z; c++ {
			dst.Add(int(c))
		}
	}
	return nil
}

// ParseCPUMask parses a hexadecimal cpu mask as the kernel prints it:
// 32-bit groups separated by commas, most significant first
// ("ff,ffffffff"), into dst.
func ParseCPUMask(b []byte, dst *CPUSet) error {
	dst.reset()
	b = scan.TrimSpace(b)
	if len(b) == 0 {
		return malformed("cpu mask", 0, nil, "empty")
	}
	// Count the groups to know the bit offset of the first one.
	groups := 1
	for _, c := range b {
		if c == ',' {
			groups++
		}
	}
	if groups*32 > maxCPU {
		return malformed("cpu mask", 0, nil, "%d groups", groups)
	}
	for g := groups - 1; g >= 0; g-- {
		i := 0
		for i < len(b) && b[i] != ',' {
			i++
		}
		grp := b[:i]
		if i < len(b) {
			b = b[i+1:]
		}
		if len(grp) > 8 {
			return malformed("cpu mask", 0, nil, "group %q wider than 32 bits", grp)
		}
		v, err := scan.Hex(grp)
		if err != nil {
			return malformed("cpu mask", 0, err, "group %q", grp)
		}
		for v != 0 {
			bit := bits.TrailingZeros64(v)
			dst.Add(g*32 + bit)
			v &^= 1 << bit
		}
	}
	return nil
}

// MarshalText encodes the set as a cpu list ("0-3,8"), so JSON shows it as
// a string.
func (s CPUSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a cpu list, the inverse of MarshalText.
func (s *CPUSet) UnmarshalText(b []byte) error { return ParseCPUList(b, s) }
