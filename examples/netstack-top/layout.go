package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/packetpath/packetpath/netstack"
)

// Screen size: the view is laid out to the terminal's width, and to its
// height when stdout is a terminal.
const (
	// defaultWidth is the width without a terminal, $COLUMNS or -width.
	defaultWidth = 80
	// minWidth is the narrowest layout; a narrower terminal wraps.
	minWidth = 60
	// maxWidth caps -width and very wide terminals: past it, rows only
	// gain blank space.
	maxWidth = 400
)

// screenWidth is -width when given (> 0), else the terminal's columns
// (TIOCGWINSZ on stdout), else $COLUMNS, else defaultWidth; and the
// terminal's rows (0 when stdout is not a terminal: no height limit).
func screenWidth(force int, stdout io.Writer) (width, height int) {
	cols, rows, tty := termSize(stdout)
	switch {
	case force > 0:
		width = force
	case tty && cols > 0:
		width = cols
	default:
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
			width = n
		} else {
			width = defaultWidth
		}
	}
	if tty {
		height = rows
	}
	return min(max(width, minWidth), maxWidth), height
}

// Line priorities: when the view is taller than the terminal, the lines of
// the highest priority number go first (a block at a time, counted in an
// "and K more" line), so that the path, the losing stage and the first
// finding stay on screen.
const (
	prioKeep     = 0 // header, path rows, the first finding's summary
	prioCause    = 1 // the first finding's cause, the socket table's head
	prioEvidence = 2 // the first finding's evidence and knobs, later findings' summaries
	prioDetail   = 3 // a stage's extra rows, more sockets, intervals
	prioMore     = 4 // later findings' details, source errors
	maxPrio      = prioMore
)

type vline struct {
	text  string
	prio  int
	block int
	// more is set on a block's placeholder: shown as "and K more" (with
	// the block's indent) when lines of the block were left out.
	more    bool
	dropped bool
}

// screen collects the view's lines before fitting them to the height.
type screen struct {
	width  int
	lines  []vline
	blocks int
	// indent and label of each block's "and K more" line.
	indent, what []string
	paint        func(code, s string) string
}

// block starts a group of lines left out together, with its "and K more
// WHAT" line indented by indent.
func (s *screen) block(indent, what string) int {
	s.blocks++
	s.indent = append(s.indent, indent)
	s.what = append(s.what, what)
	return s.blocks - 1
}

func (s *screen) add(prio, block int, text string) {
	s.lines = append(s.lines, vline{text: text, prio: prio, block: block})
}

// addWrap adds s wrapped at word boundaries to the screen's width, the
// first line prefixed with first and the rest with rest; code paints
// every line ("" for none).
func (s *screen) addWrap(prio, block int, code, first, text, rest string) {
	for _, l := range strings.Split(wrap(first, text, rest, s.width), "\n") {
		if code != "" {
			l = s.paint(code, l)
		}
		s.add(prio, block, l)
	}
}

// moreHere places block's "and K more" line.
func (s *screen) moreHere(block int) {
	s.lines = append(s.lines, vline{prio: -1, block: block, more: true})
}

// fit leaves out lines until the screen is at most height lines (0: no
// limit), lowest priority first, a block at a time from the bottom.
func (s *screen) fit(height int) {
	if height <= 0 {
		return
	}
	dropped := make([]int, s.blocks)
	hasMore := make([]bool, s.blocks)
	for _, l := range s.lines {
		if l.more {
			hasMore[l.block] = true
		}
	}
	count := 0
	for _, l := range s.lines {
		if !l.more {
			count++
		}
	}
	byBlock := make([][]int, s.blocks)
	for i, l := range s.lines {
		if !l.more && l.prio > prioKeep && l.block >= 0 {
			byBlock[l.block] = append(byBlock[l.block], i)
		}
	}
	for p := maxPrio; p > prioKeep && count > height; p-- {
		for b := s.blocks - 1; b >= 0 && count > height; b-- {
			n := 0
			for _, i := range byBlock[b] {
				if l := &s.lines[i]; l.prio == p && !l.dropped {
					l.dropped = true
					n++
				}
			}
			if n == 0 {
				continue
			}
			count -= n
			if dropped[b] == 0 && hasMore[b] {
				count++
			}
			dropped[b] += n
		}
	}
	for i := range s.lines {
		if l := &s.lines[i]; l.more && dropped[l.block] > 0 {
			l.text = s.paint(dim, fmt.Sprintf("%sand %d more %s (taller terminal or -json)", s.indent[l.block], dropped[l.block], s.what[l.block]))
		}
	}
}

// write writes the lines kept. With a height (a terminal), the last line
// has no newline: one would scroll the first line off the screen.
func (s *screen) write(w io.Writer, height int) {
	var b strings.Builder
	for _, l := range s.lines {
		if l.dropped || (l.more && l.text == "") {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.text)
	}
	if height <= 0 {
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

// wrapChunks lays chunks out in lines of at most width columns, sep
// between chunks on a line; a line after the first starts with two
// spaces, and a chunk longer than a line is wrapped at its spaces.
func wrapChunks(chunks []string, sep string, width int) []string {
	var out []string
	line := ""
	for _, c := range chunks {
		switch {
		case line == "":
			line = c
		case utf8.RuneCountInString(line)+len(sep)+utf8.RuneCountInString(c) <= width:
			line += sep + c
		default:
			out = append(out, line)
			line = "  " + c
		}
		if utf8.RuneCountInString(line) > width {
			ls := strings.Split(wrap("", line, "  ", width), "\n")
			out = append(out, ls[:len(ls)-1]...)
			line = ls[len(ls)-1]
		}
	}
	return append(out, line)
}

// firstSample is shown during the first interval of the live view.
func (v *view) firstSample(w io.Writer, where string, interval time.Duration) {
	s := &screen{width: v.width, paint: v.paint}
	s.addWrap(prioKeep, -1, "", "", v.paint(bold, "packetpath netstack-top")+"  "+where, "  ")
	s.add(prioKeep, -1, "")
	s.addWrap(prioKeep, -1, "", "", fmt.Sprintf("collecting first sample... (the first numbers come after -interval %s)", interval), "  ")
	s.write(w, 0)
}

// where names what the view shows.
func (v *view) where() string {
	s := v.snap
	switch {
	case s.Bundle != "":
		return "bundle " + s.Bundle
	case s.NetNS != "":
		return "netns " + s.NetNS
	}
	return "host"
}

// render writes the view: header, the path with each stage's numbers and
// drops (and drops since start when live), the findings, the sockets, a
// bundle's intervals and the source errors, laid out to v.width and fitted
// to v.height.
func (v *view) render(w io.Writer) {
	if v.width == 0 {
		v.width = defaultWidth
	}
	sc := &screen{width: v.width, paint: v.paint}
	s, d := v.snap, v.delta
	span := ""
	if b := v.bundle; b != nil {
		span = fmt.Sprintf("  (%s: %d frames, %s)", b.span.Label, b.frames, plural(len(b.pairs), "interval"))
	}
	iv := d.Interval.Round(1e6).String()
	if d.Interval <= 0 {
		// Frames without increasing times: deltas hold, rates cannot.
		iv = "unknown (the snapshots' times do not increase: no rates, drops still counted)"
	}
	since := ""
	if v.totals != nil {
		since = ", totals since start " + v.totals.interval.Round(time.Second).String()
	}
	// The title is painted after wrapping: escape codes have no width.
	head := wrapChunks([]string{"packetpath netstack-top", v.where(), s.Time.Format("2006-01-02 15:04:05"),
		"interval " + iv + span + since}, "  ", v.width)
	head[0] = strings.Replace(head[0], "packetpath netstack-top", v.paint(bold, "packetpath netstack-top"), 1)
	for _, l := range head {
		sc.add(prioKeep, -1, l)
	}
	if m := detachedMessage(s); m != "" {
		sc.addWrap(prioKeep, -1, red, "NAMESPACE DETACHED: ", m, "  ")
	}
	sums := summarize(d, v.findings, v.fail, v.o)
	for _, st := range sums {
		if st.Losing {
			msg := fmt.Sprintf("at %s: %d drops in this interval", st.Stage, st.Drops)
			if v.totals != nil {
				msg += fmt.Sprintf(", %d since start", v.totals.drops[st.Stage])
			}
			sc.addWrap(prioKeep, -1, red, "◀ LOSING PACKETS ", msg, "  ")
			break
		}
	}
	sc.add(prioKeep, -1, "")
	failedStages := v.path(sc, sums)
	v.renderFindings(sc, failedStages)
	v.sockets(sc)
	if v.bundle != nil && len(v.bundle.pairs) > 1 {
		v.renderIntervals(sc)
	}
	if len(s.Errors) > 0 || (v.bundle != nil && len(v.bundle.errors) > 0) {
		b := sc.block("", "lines of source errors")
		sc.add(prioMore, b, "")
		sc.add(prioMore, b, v.paint(dim, "sources with errors:"))
		errs := v.errorLines()
		for i, e := range errs {
			if i == 10 {
				sc.add(prioMore, b, v.paint(dim, fmt.Sprintf("  and %d more", len(errs)-10)))
				break
			}
			sc.addWrap(prioMore, b, dim, "  ", e, "    ")
		}
	}
	sc.fit(v.height)
	sc.write(w, v.height)
}

// path adds the RECEIVE PATH and TRANSMIT PATH rows: a stage's first line
// always, its further rows (more devices, quoted errors) as detail.
func (v *view) path(sc *screen, sums []stageSummary) (failedStages []string) {
	const stageW = 15
	dropsW := 7
	colHead := "drops"
	if v.totals != nil {
		dropsW += 10
		colHead = fmt.Sprintf("%s %9s", "drops", "total")
	}
	// The detail column takes the width, up to maxDetail: past it the
	// drops would stand far from their stage.
	const maxDetail = 90
	detailW := min(max(v.width-2-stageW-1-dropsW-1-len("  ◀ LOSING PACKETS"), 20), maxDetail)
	if v.width < 2+stageW+1+maxDetail+1+dropsW+len("  ◀ LOSING PACKETS") {
		detailW = max(v.width-2-stageW-1-dropsW-1, 20)
	}
	rows := sc.block(strings.Repeat(" ", 2+stageW+1), "detail rows")
	for i, st := range sums {
		if i == 0 {
			pad := max(2+stageW+1+detailW+1+dropsW-len("RECEIVE PATH")-len(colHead), 1)
			sc.add(prioKeep, -1, v.paint(bold, "RECEIVE PATH")+strings.Repeat(" ", pad)+colHead)
		}
		if st.Stage == netstack.StageTxSocket.String() {
			sc.add(prioKeep, -1, v.paint(bold, "TRANSMIT PATH"))
		}
		// Every part wraps at word boundaries; a part that quotes an error
		// keeps at most 8 lines.
		var lines []string
		for _, p := range st.parts {
			ls := strings.Split(wrap("", p, "  ", detailW), "\n")
			if strings.Contains(p, "FAILED: ") && len(ls) > 8 {
				ls = append(ls[:7:7], clip(strings.Join(ls[7:], " "), detailW))
			}
			lines = append(lines, ls...)
		}
		first := ""
		if len(lines) > 0 {
			first = lines[0]
		}
		col := fmt.Sprintf("%7d", st.Drops)
		if st.NotCollected && st.Drops == 0 {
			col = "      -"
		}
		if len(st.Failed) > 0 {
			failedStages = append(failedStages, st.Stage)
			if st.Drops == 0 {
				col = " FAILED"
			}
		}
		if v.totals != nil {
			if st.NotCollected && v.totals.drops[st.Stage] == 0 {
				col += fmt.Sprintf(" %9s", "-")
			} else {
				col += fmt.Sprintf(" %9d", v.totals.drops[st.Stage])
			}
		}
		line := fmt.Sprintf("%-*s %s %s", stageW, st.Stage, padRight(first, detailW), col)
		marker := "  "
		if st.Losing {
			marker = v.paint(red, "▶ ")
			if 2+utf8.RuneCountInString(line)+len("  ◀ LOSING PACKETS") <= v.width {
				line += "  ◀ LOSING PACKETS"
			}
			line = v.paint(red, line)
		} else if st.Drops > 0 || len(st.Failed) > 0 {
			line = v.paint(red, line)
		}
		sc.add(prioKeep, -1, marker+line)
		for _, l := range lines[min(1, len(lines)):] {
			sc.add(prioDetail, rows, fmt.Sprintf("  %-*s %s", stageW, "", l))
		}
	}
	sc.moreHere(rows)
	return failedStages
}

// padRight pads s with spaces to n columns (runes).
func padRight(s string, n int) string {
	if c := utf8.RuneCountInString(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}

func (v *view) renderFindings(sc *screen, failedStages []string) {
	label := "in this interval"
	if v.bundle != nil {
		label = "over the whole span " + v.bundle.span.Label
	}
	sc.add(prioKeep, -1, "")
	head := v.paint(bold, "FINDINGS") + "  "
	const headW = len("FINDINGS  ")
	pad := strings.Repeat(" ", headW)
	addHead := func(text string) {
		ls := strings.Split(wrap(pad, text, pad, sc.width), "\n")
		ls[0] = head + strings.TrimPrefix(ls[0], pad)
		for _, l := range ls {
			sc.add(prioKeep, -1, l)
		}
	}
	switch {
	case len(v.findings) == 0 && len(failedStages) > 0:
		addHead(fmt.Sprintf("none found %s in the stages that could be read; NOT CHECKED (source failed): %s",
			label, strings.Join(failedStages, ", ")))
	case len(v.findings) == 0:
		addHead("none: no stage lost packets " + label)
	default:
		addHead(label + " (earliest losing stage on the path first)")
		if len(failedStages) > 0 {
			sc.addWrap(prioKeep, -1, "", "  ", "NOT CHECKED (source failed): "+strings.Join(failedStages, ", "), "    ")
		}
	}
	perStage := map[netstack.Stage]int{}
	later := sc.block("  ", "lines of further findings")
	for i := 0; i < len(v.findings); i++ {
		f := v.findings[i]
		if perStage[f.Stage] == maxFindingsPerStage {
			// Count the rest of this stage's findings in one line.
			n, drops := 0, uint64(0)
			for ; i < len(v.findings) && v.findings[i].Stage == f.Stage; i++ {
				n++
				drops += v.findings[i].Drops
			}
			i--
			sc.addWrap(prioEvidence, later, "", "  ", fmt.Sprintf("(and %d more findings at %s, %d drops: -json lists them all)", n, f.Stage, drops), "   ")
			continue
		}
		perStage[f.Stage]++
		summary, detail, code := prioKeep, prioEvidence, red
		b := sc.block("     ", "lines of cause, evidence and knobs")
		if i > 0 {
			summary, detail, code = prioEvidence, prioMore, ""
			b = later
		}
		sc.addWrap(summary, b, code, "  ", fmt.Sprintf("%d. [%s] %s", i+1, f.Stage, f.Summary), "     ")
		if v.bundle != nil {
			sc.addWrap(max(summary, prioCause), b, "", "     interval: ", v.bundle.seenIn(f), "               ")
		}
		sc.addWrap(max(summary+1, prioCause), b, "", "     cause: ", f.Cause, "            ")
		for j, e := range f.Evidence {
			if j == 6 {
				sc.add(detail, b, fmt.Sprintf("     (+%d more)", len(f.Evidence)-6))
				break
			}
			sc.addWrap(detail, b, "", "     evidence: ", e.String(), "               ")
		}
		for _, k := range f.Knobs {
			cur := ""
			if k.Current != "" {
				cur = " (now " + k.Current + ")"
			}
			sc.addWrap(detail, b, "", "     knob: ", fmt.Sprintf("%s%s: %s", k.Name, cur, k.Advice), "           ")
			if k.Command != "" {
				sc.add(detail, b, "           "+v.paint(bold, k.Command))
			}
		}
		if i == 0 {
			sc.moreHere(b)
		}
	}
	sc.moreHere(later)
}

// renderIntervals lists each consecutive pair of frames of a bundle with
// what it lost.
func (v *view) renderIntervals(sc *screen) {
	b := v.bundle
	blk := sc.block("", "lines of BY INTERVAL")
	sc.add(prioDetail, blk, "")
	sc.add(prioDetail, blk, fmt.Sprintf("%s  (%d frames, %s; each pair of consecutive frames on its own)", v.paint(bold, "BY INTERVAL"), b.frames, plural(len(b.pairs), "interval")))
	quiet, listed := 0, 0
	for i := range b.pairs {
		p := &b.pairs[i]
		if len(p.findings) == 0 && len(p.failedStages) == 0 && len(b.pairs) > maxIntervalLines {
			quiet++
			continue
		}
		if listed == maxIntervalLines {
			sc.add(prioDetail, blk, fmt.Sprintf("  and %d more intervals with findings or failures (-json lists them all)", countNoisy(b.pairs[i:])))
			break
		}
		listed++
		var what []string
		for _, f := range p.findings {
			if f.Drops > 0 {
				what = append(what, fmt.Sprintf("%s %d", f.Stage, f.Drops))
			} else {
				what = append(what, fmt.Sprintf("%s (no drops)", f.Stage))
			}
		}
		sum := "no findings"
		if len(what) > 0 {
			sum = "findings: " + strings.Join(compact(what, 6), ", ")
		}
		if len(p.failedStages) > 0 {
			sum += "; NOT CHECKED (source failed): " + strings.Join(p.failedStages, ", ")
		}
		sc.addWrap(prioDetail, blk, "", fmt.Sprintf("  %-28s %8s  ", p.ref.Label, p.ref.Duration), sum, strings.Repeat(" ", 40))
		for j, f := range p.findings {
			if j == maxFindingsPerStage {
				sc.add(prioDetail, blk, fmt.Sprintf("      (and %d more findings)", len(p.findings)-j))
				break
			}
			sc.addWrap(prioDetail, blk, "", "      - ", fmt.Sprintf("[%s] %s", f.Stage, f.Summary), "        ")
		}
	}
	if quiet > 0 {
		sc.add(prioDetail, blk, fmt.Sprintf("  %s without findings not listed", plural(quiet, "interval")))
	}
	sc.moreHere(blk)
}

// sockets lists the UDP sockets with the most drops in the interval. The
// local address column narrows to the width; the owner is shown when
// there is room.
func (v *view) sockets(sc *screen) {
	if v.o.top <= 0 {
		return
	}
	rows, total := topSockets(v.delta, v.o.top, v.owners)
	if total == 0 {
		return
	}
	// Fixed columns: inode, drops+, drops total, rx_queue, rcvbuf.
	const fixed = 2 + 11 + 9 + 12 + 9 + 9
	localW := min(40, max(v.width-fixed-25, 15))
	ownerW := 0
	if v.owners != nil {
		ownerW = min(v.width-fixed-localW-1, 30)
		if ownerW < 8 {
			ownerW = 0
		}
	}
	blk := sc.block("", "lines of UDP SOCKETS BY DROPS")
	sc.add(prioCause, blk, "")
	sc.add(prioCause, blk, v.paint(bold, fmt.Sprintf("UDP SOCKETS BY DROPS (top %d of %d)", len(rows), total)))
	owner := ""
	if ownerW > 0 {
		owner = " owner"
	}
	sc.add(prioCause, blk, fmt.Sprintf("  %-*s %10s %8s %11s %8s %8s%s", localW, "local", "inode", "drops+", "drops total", "rx_queue", "rcvbuf", owner))
	for i, r := range rows {
		ino, rb := "-", "-"
		if r.hasIno {
			ino = fmt.Sprint(r.Inode)
		}
		if r.Rcvbuf != nil {
			rb = fmt.Sprint(*r.Rcvbuf)
		}
		line := fmt.Sprintf("  %-*s %10s %8d %11d %8d %8s", localW, clip(r.Local, localW), ino, r.Drops, r.DropsTotal, r.RxQueue, rb)
		if ownerW > 0 {
			o := r.Owners
			if o == "" {
				o = "?"
			}
			line += " " + clip(o, ownerW)
		}
		if r.Drops > 0 {
			line = v.paint(red, line)
		}
		prio := prioDetail
		if i == 0 {
			prio = prioCause
		}
		sc.add(prio, blk, line)
	}
	sc.moreHere(blk)
}
