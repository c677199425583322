package procparse

import (
	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

const interruptsFile = "interrupts"

// ParseInterrupts parses the content of /proc/interrupts into dst, reusing
// dst's slices and, where the bytes are unchanged, its strings: re-parsing
// the same file allocates nothing once dst has grown to its size.
//
// The header gives the number of CPU columns. A row may carry fewer counts
// than that (x86 ERR and MIS carry one); a row with more is malformed.
func ParseInterrupts(b []byte, dst *Interrupts) error {
	header, rest := scan.Line(b)
	dst.CPUs = dst.CPUs[:0]
	for f, r := scan.Field(header); len(f) > 0; f, r = scan.Field(r) {
		if len(f) < 4 || !scan.Equal(f[:3], "CPU") {
			return malformed(interruptsFile, 1, nil, "header field %q is not CPUn", f)
		}
		n, err := scan.Uint(f[3:])
		if err != nil || n > maxCPU {
			return malformed(interruptsFile, 1, err, "header field %q is not CPUn", f)
		}
		dst.CPUs = append(dst.CPUs, int(n))
	}
	if len(dst.CPUs) == 0 {
		return malformed(interruptsFile, 1, nil, "header names no CPU")
	}
	ncpu := len(dst.CPUs)
	rows := dst.Rows[:0]
	lineNo := 1
	for len(rest) > 0 {
		var line []byte
		line, rest = scan.Line(rest)
		lineNo++
		line = scan.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var r *InterruptRow
		rows, r = reuse.Next(rows)
		if err := parseInterruptRow(line, ncpu, lineNo, r); err != nil {
			dst.Rows = rows[:len(rows)-1]
			return err
		}
	}
	dst.Rows = rows
	return nil
}

func parseInterruptRow(line []byte, ncpu, lineNo int, r *InterruptRow) error {
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
		if scan.IsSpace(c) {
			break
		}
	}
	if colon <= 0 {
		return malformed(interruptsFile, lineNo, nil, "no \"NAME:\" at start of line")
	}
	name := line[:colon]
	r.Name = scan.String(r.Name, name)
	r.IRQ = -1
	named := true
	if n, err := scan.Uint(name); err == nil && n <= 1<<31-1 {
		r.IRQ = int(n)
		named = false
	}
	rest := line[colon+1:]
	r.Counts = r.Counts[:0]
	for len(r.Counts) < ncpu {
		f, after := scan.Field(rest)
		if len(f) == 0 {
			break
		}
		n, err := scan.Uint(f)
		if err != nil {
			if err == scan.ErrRange {
				return malformed(interruptsFile, lineNo, err, "count %q", f)
			}
			break
		}
		r.Counts = append(r.Counts, n)
		rest = after
	}
	r.HWIRQ, r.HasHWIRQ = 0, false
	if named {
		r.Chip, r.Level, r.Handler = "", "", ""
		desc := scan.TrimSpace(rest)
		if f, _ := scan.Field(desc); len(f) > 0 {
			if _, err := scan.Uint(f); err == nil {
				return malformed(interruptsFile, lineNo, nil, "more than %d counts", ncpu)
			}
		}
		r.Actions = scan.String(r.Actions, desc)
		return nil
	}
	return parseIRQTail(rest, lineNo, ncpu, r)
}

// parseIRQTail parses what follows the counts on a numbered row:
//
//	" %8s" chip, " %*lu" hwirq (or blanks), [" %-8s" Level|Edge], ["-%-8s" handler], "  %s" actions
func parseIRQTail(rest []byte, lineNo, ncpu int, r *InterruptRow) error {
	chip, rest := scan.Field(rest)
	if len(chip) > 0 {
		if _, err := scan.Uint(chip); err == nil {
			return malformed(interruptsFile, lineNo, nil, "more than %d counts", ncpu)
		}
	}
	r.Chip = scan.String(r.Chip, chip)
	level, handler := []byte(nil), []byte(nil)
	f, after := scan.Field(rest)
	// The hwirq token: "5-edge", "5", "-edge" (no domain), or absent.
	if tok, h, ok := splitHWIRQ(f); ok {
		if len(tok) > 0 {
			n, err := scan.Uint(tok)
			if err != nil {
				return malformed(interruptsFile, lineNo, err, "hwirq %q", tok)
			}
			r.HWIRQ, r.HasHWIRQ = n, true
		}
		handler = h
		rest = after
		f, after = scan.Field(rest)
	}
	// CONFIG_GENERIC_IRQ_SHOW_LEVEL: "Level" or "Edge", possibly followed
	// by "-handler".
	if lv, h, ok := splitLevel(f); ok {
		level = lv
		if len(h) > 0 {
			handler = h
		}
		rest = after
		f, after = scan.Field(rest)
	}
	if len(handler) == 0 && len(f) > 1 && f[0] == '-' {
		handler = f[1:]
		rest = after
	}
	r.Level = scan.String(r.Level, level)
	r.Handler = scan.String(r.Handler, handler)
	r.Actions = scan.String(r.Actions, scan.TrimSpace(rest))
	return nil
}

// splitHWIRQ recognises "123", "123-edge" and "-edge".
func splitHWIRQ(f []byte) (num, handler []byte, ok bool) {
	if len(f) == 0 {
		return nil, nil, false
	}
	i := 0
	for i < len(f) && f[i] >= '0' && f[i] <= '9' {
		i++
	}
	switch {
	case i == len(f):
		return f, nil, true
	case f[i] == '-' && i+1 < len(f):
		if i == 0 {
			return nil, f[1:], true
		}
		return f[:i], f[i+1:], true
	}
	return nil, nil, false
}

func splitLevel(f []byte) (level, handler []byte, ok bool) {
	for _, lv := range [...]string{"Level", "Edge"} {
		if len(f) >= len(lv) && scan.Equal(f[:len(lv)], lv) {
			if len(f) == len(lv) {
				return f, nil, true
			}
			if f[len(lv)] == '-' {
				return f[:len(lv)], f[len(lv)+1:], true
			}
		}
	}
	return nil, nil, false
}
