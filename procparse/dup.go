package procparse

import (
	"hash/maphash"

	"github.com/packetpath/packetpath/internal/scan"
)

// dupAt finds the first of n names that repeats an earlier one: it returns
// the index of the repeat and of the earlier name, or -1, -1 when the names
// are all different. It allocates nothing for up to dupTableLen/2 names (a
// hash table on the stack); parsers call it only when a file's layout has
// changed since their previous parse.
func dupAt(n int, name func(int) string) (repeat, first int) {
	if n < 2 {
		return -1, -1
	}
	if n > dupTableLen/2 {
		seen := make(map[string]int, n)
		for i := range n {
			s := name(i)
			if j, ok := seen[s]; ok {
				return i, j
			}
			seen[s] = i
		}
		return -1, -1
	}
	var table [dupTableLen]int32 // index+1 of a name, 0 for an empty slot
	seed := maphash.MakeSeed()
	for i := range n {
		s := name(i)
		for k := maphash.String(seed, s) % dupTableLen; ; k = (k + 1) % dupTableLen {
			j := table[k]
			if j == 0 {
				table[k] = int32(i + 1)
				break
			}
			if name(int(j-1)) == s {
				return i, int(j - 1)
			}
		}
	}
	return -1, -1
}

// dupTableLen is the size of dupAt's hash table (a power of two).
const dupTableLen = 1024

// repeatIn is dupAt over the names of s's elements. The callers' slices are
// passed as a parameter, not captured by a closure: a closure over a slice
// variable that the caller's loop reassigns would make the compiler keep
// that variable in memory for the whole parse.
func repeatIn[T any](s []T, name func(*T) string) (repeat, first int) {
	return dupAt(len(s), func(i int) string { return name(&s[i]) })
}

// headerRest is b without its first (header) line, so the rows of a table
// with a header can be numbered with scan.NonBlankLine (add 1 for the
// header).
func headerRest(b []byte) []byte {
	_, rest := scan.Line(b)
	return rest
}
