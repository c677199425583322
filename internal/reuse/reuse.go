// Package reuse holds the one helper behind every re-read that allocates
// nothing in steady state: growing a slice by an element kept from the
// previous read.
package reuse

// Next lengthens s by one element and returns the slice and a pointer to
// that element. Within the capacity the element is the one an earlier use
// left there, not zeroed, so that its own slices and strings can be reused:
// the caller overwrites what it uses. Beyond the capacity it appends a zero
// element.
func Next[T any](s []T) ([]T, *T) {
	n := len(s)
	if n < cap(s) {
		s = s[:n+1]
	} else {
		var zero T
		s = append(s, zero)
	}
	return s, &s[n]
}
