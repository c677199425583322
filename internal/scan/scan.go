// Package scan holds the allocation-free byte scanning that every text
// parser in packetpath shares: line and field splitting and integer parsing
// straight from []byte, without converting to string.
package scan

import (
	"bytes"
	"errors"
)

// Errors returned by the integer parsers. Callers wrap them with the file,
// line and field they came from.
var (
	ErrSyntax = errors.New("invalid number syntax")
	ErrRange  = errors.New("number out of range")
)

// Line returns the first line of b (without its '\n') and the rest after it.
// A final line without '\n' is returned whole with an empty rest. It is the
// one line splitter of the procfs, sysfs and tracefs parsers.
func Line(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// IsSpace reports whether c is an ASCII space or tab (the separators procfs
// and sysfs use inside lines).
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// Field returns the first whitespace-separated field of b and the rest after
// it. field is empty when b holds only whitespace.
func Field(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !IsSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// Fields splits b on runs of whitespace, appending the fields to dst[:0].
// With a dst of sufficient capacity it allocates nothing.
func Fields(b []byte, dst [][]byte) [][]byte {
	dst = dst[:0]
	for {
		var f []byte
		f, b = Field(b)
		if len(f) == 0 {
			return dst
		}
		dst = append(dst, f)
	}
}

// TrimSpace trims ASCII whitespace and newlines from both ends of b.
func TrimSpace(b []byte) []byte {
	for len(b) > 0 && (IsSpace(b[0]) || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (IsSpace(b[len(b)-1]) || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

// Uint parses an unsigned decimal number.
func Uint(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, ErrSyntax
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, ErrSyntax
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, ErrRange
		}
		n = n*10 + d
	}
	return n, nil
}

// Int parses a signed decimal number with an optional leading '-' or '+'.
func Int(b []byte) (int64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	u, err := Uint(b)
	if err != nil {
		return 0, err
	}
	if neg {
		if u > 1<<63 {
			return 0, ErrRange
		}
		return -int64(u), nil
	}
	if u > 1<<63-1 {
		return 0, ErrRange
	}
	return int64(u), nil
}

// Hex parses an unsigned hexadecimal number without a 0x prefix (as procfs
// prints with %x / %08X).
func Hex(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, ErrSyntax
	}
	if len(b) > 16 {
		// Leading zeros are fine; anything else overflows.
		for len(b) > 16 && b[0] == '0' {
			b = b[1:]
		}
		if len(b) > 16 {
			return 0, ErrRange
		}
	}
	var n uint64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, ErrSyntax
		}
		n = n<<4 | uint64(d)
	}
	return n, nil
}

// Equal reports whether b holds exactly s, without converting either.
func Equal(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

// String returns s when it already holds the bytes of b, else string(b).
// Parsers that re-read the same file keep their names this way without
// allocating in steady state.
func String(s string, b []byte) string {
	if Equal(b, s) {
		return s
	}
	return string(b)
}

// NonBlankLine returns the 1-based number of the line of b that holds the
// i-th (0-based) non-blank line, for error messages that name a line; past
// the end it returns the number of the last line.
func NonBlankLine(b []byte, i int) int {
	lineNo := 0
	for len(b) > 0 {
		var line []byte
		line, b = Line(b)
		lineNo++
		if len(TrimSpace(line)) > 0 {
			if i == 0 {
				return lineNo
			}
			i--
		}
	}
	return lineNo
}
