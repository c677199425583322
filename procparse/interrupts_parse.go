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
// The header gives the number of CPU columns, CPUs in increasing order (the
// kernel's for_each_online_cpu). A row may carry fewer counts than that
// (x86 ERR and MIS carry one); a row with more is malformed, as is a count
// wider than the kernel's 32-bit unsigned int or a row name (IRQ number or
// architecture row) that repeats. Errors are *ParseError values naming the
// line and, where one column is at fault, the column.
func ParseInterrupts(b []byte, dst *Interrupts) error {
	trusted := dst.checked
	dst.checked = 0
	header, rest := scan.Line(b)
	dst.CPUs = dst.CPUs[:0]
	for f, r := scan.Field(header); len(f) > 0; f, r = scan.Field(r) {
		col := len(dst.CPUs) + 1
		if len(f) < 4 || !scan.Equal(f[:3], "CPU") {
			return malformedAt(interruptsFile, 1, col, nil, "header field %q is not CPUn", f)
		}
		n, err := scan.Uint(f[3:])
		if err != nil || n > maxCPU {
			return malformedAt(interruptsFile, 1, col, orRange(err), "header field %q is not CPUn", f)
		}
		if k := len(dst.CPUs); k > 0 && int(n) <= dst.CPUs[k-1] {
			return malformedAt(interruptsFile, 1, col, nil, "%s after CPU%d: the kernel lists CPUs in increasing order", f, dst.CPUs[k-1])
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
		if err := parseInterruptRow(line, ncpu, lineNo, r, &trusted); err != nil {
			dst.Rows = rows[:len(rows)-1]
			return err
		}
	}
	dst.Rows = rows
	if len(rows) > trusted {
		if i, j := repeatIn(rows, func(r *InterruptRow) string { return r.Name }); i >= 0 {
			return malformedAt(interruptsFile, 1+scan.NonBlankLine(headerRest(b), i), 1, nil, "row %q repeats line %d", rows[i].Name, 1+scan.NonBlankLine(headerRest(b), j))
		}
	}
	dst.checked = len(rows)
	return nil
}

// parseInterruptRow decodes one row into r; it sets *trusted to 0 when the
// row's name differs from the one r held.
func parseInterruptRow(line []byte, ncpu, lineNo int, r *InterruptRow, trusted *int) error {
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
		return malformedAt(interruptsFile, lineNo, 1, nil, "no \"NAME:\" at start of line")
	}
	name := line[:colon]
	if !scan.Equal(name, r.Name) {
		r.Name = string(name)
		*trusted = 0
	}
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
		if err == nil && n > 1<<32-1 {
			err = scan.ErrRange // counts are unsigned int
		}
		if err != nil {
			if err == scan.ErrRange {
				return malformedAt(interruptsFile, lineNo, len(r.Counts)+2, err, "count %q wider than 32 bits", f)
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
				return malformedAt(interruptsFile, lineNo, ncpu+2, nil, "more than %d counts", ncpu)
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
			return malformedAt(interruptsFile, lineNo, ncpu+2, nil, "more than %d counts", ncpu)
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
