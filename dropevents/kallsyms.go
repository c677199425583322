package dropevents

import (
	"bytes"
	"fmt"
	"os"
	"sort"

	"github.com/packetpath/packetpath/internal/scan"
)

// Kallsyms maps kernel text addresses to function names, from
// /proc/kallsyms (kernel/kallsyms.c, s_show: "address type name [module]").
// It keeps only text symbols (types t, T, w, W), sorted by address.
type Kallsyms struct {
	addrs []uint64
	names []string
}

// LoadKallsyms reads and parses /proc/kallsyms. Without root (or with
// kernel.kptr_restrict hiding addresses) every address reads 0: the error
// then wraps os.ErrPermission.
func LoadKallsyms() (*Kallsyms, error) {
	const path = "/proc/kallsyms"
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dropevents: %w", err)
	}
	return ParseKallsyms(path, b)
}

// ParseKallsyms parses the content of /proc/kallsyms. file names the source
// in errors. A line that does not parse is an error wrapping ErrMalformed;
// a table whose addresses are all zero, one wrapping os.ErrPermission.
func ParseKallsyms(file string, b []byte) (*Kallsyms, error) {
	k := &Kallsyms{}
	var fields [4][]byte
	lines := 0
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = scan.Line(b)
		f := scan.Fields(line, fields[:0])
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 || len(f[1]) != 1 {
			return nil, malformed(file, n, nil, "want address, type and name: %q", line)
		}
		addr, err := scan.Hex(f[0])
		if err != nil {
			return nil, malformed(file, n, err, "bad address %q", f[0])
		}
		lines++
		switch f[1][0] {
		case 't', 'T', 'w', 'W':
		default:
			continue
		}
		if addr == 0 {
			continue
		}
		name := f[2]
		if len(f) > 3 && bytes.HasPrefix(f[3], []byte("[")) {
			name = append(append(append([]byte(nil), name...), ' '), f[3]...)
		}
		k.addrs = append(k.addrs, addr)
		k.names = append(k.names, string(name))
	}
	if len(k.addrs) == 0 && lines > 0 {
		return nil, fmt.Errorf("dropevents: %s: every address reads 0 (needs root; see kernel.kptr_restrict): %w", file, os.ErrPermission)
	}
	sort.Stable(byAddr{k})
	return k, nil
}

type byAddr struct{ k *Kallsyms }

func (s byAddr) Len() int           { return len(s.k.addrs) }
func (s byAddr) Less(i, j int) bool { return s.k.addrs[i] < s.k.addrs[j] }
func (s byAddr) Swap(i, j int) {
	s.k.addrs[i], s.k.addrs[j] = s.k.addrs[j], s.k.addrs[i]
	s.k.names[i], s.k.names[j] = s.k.names[j], s.k.names[i]
}

// Lookup returns the function containing addr (the text symbol with the
// highest address not above it) and addr's offset into it, by binary
// search. ok is false below the first symbol.
func (k *Kallsyms) Lookup(addr uint64) (name string, offset uint64, ok bool) {
	i := sort.Search(len(k.addrs), func(i int) bool { return k.addrs[i] > addr }) - 1
	if i < 0 {
		return "", 0, false
	}
	return k.names[i], addr - k.addrs[i], true
}

// Len returns the number of text symbols kept.
func (k *Kallsyms) Len() int { return len(k.addrs) }
