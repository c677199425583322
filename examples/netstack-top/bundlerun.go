package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/packetpath/packetpath/netstack"
)

// intervalRef says which interval a result covers: two frames of a bundle,
// or two live snapshots.
type intervalRef struct {
	// FromFrame and ToFrame are the frames' positions in bundle.json
	// (absent when live).
	FromFrame *int `json:"from_frame,omitempty"`
	ToFrame   *int `json:"to_frame,omitempty"`
	// From and To are the frames' directories in the bundle.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Start and End are the snapshots' times.
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Duration string    `json:"duration"`
	// Label is the interval as the text view names it.
	Label string `json:"label"`
}

func frameRef(info *netstack.BundleInfo, from, to int, prev, cur *netstack.Snapshot) intervalRef {
	r := intervalRef{FromFrame: &from, ToFrame: &to, Start: prev.Time, End: cur.Time,
		Duration: cur.Time.Sub(prev.Time).String()}
	r.From, r.To = frameDir(info, from), frameDir(info, to)
	r.Label = r.From + " → " + r.To
	return r
}

func frameDir(info *netstack.BundleInfo, i int) string {
	if i < len(info.Frames) && info.Frames[i].Dir != "" && info.Frames[i].Dir != "." {
		return info.Frames[i].Dir
	}
	return fmt.Sprintf("frame %d", i)
}

func liveRef(prev, cur *netstack.Snapshot) intervalRef {
	return intervalRef{Start: prev.Time, End: cur.Time, Duration: cur.Time.Sub(prev.Time).String(),
		Label: prev.Time.Format("15:04:05.000") + " → " + cur.Time.Format("15:04:05.000")}
}

// pairResult is the diagnosis of one pair of consecutive frames.
type pairResult struct {
	ref          intervalRef
	findings     []netstack.Finding
	stages       []stageSummary
	failedStages []string
}

// bundleRun is the analysis of a whole bundle: every consecutive pair of
// frames, and the span from the first frame to the last.
type bundleRun struct {
	frames int
	span   intervalRef
	pairs  []pairResult
	// errors is every frame's source errors, prefixed with the frame.
	errors []string
	// where indexes the pairs by the stage and object of their findings.
	where map[findingKey][]int
}

type findingKey struct {
	stage  netstack.Stage
	object string
}

// intervals returns the pairs that have a finding at f's stage and object
// or, when none has that exact object (a CPU or socket list differs from
// one interval to the next), at f's stage.
func (b *bundleRun) intervals(f *netstack.Finding) []int {
	if b.where == nil {
		b.where = map[findingKey][]int{}
		for i := range b.pairs {
			for _, g := range b.pairs[i].findings {
				for _, k := range []findingKey{{g.Stage, g.Object}, {g.Stage, "\x00any"}} {
					if l := b.where[k]; len(l) == 0 || l[len(l)-1] != i {
						b.where[k] = append(l, i)
					}
				}
			}
		}
	}
	if idx := b.where[findingKey{f.Stage, f.Object}]; len(idx) > 0 {
		return idx
	}
	return b.where[findingKey{f.Stage, "\x00any"}]
}

// seenIn names the intervals a finding of the span comes from, with the
// packets each lost at that stage.
func (b *bundleRun) seenIn(f netstack.Finding) string {
	idx := b.intervals(&f)
	if len(idx) == 0 {
		return "the whole span " + b.span.Label + " only (no single interval shows it on its own)"
	}
	var parts []string
	for n, i := range idx {
		if n == 5 {
			parts = append(parts, fmt.Sprintf("and %d more intervals", len(idx)-5))
			break
		}
		var drops uint64
		exact := false
		for _, g := range b.pairs[i].findings {
			exact = exact || (g.Stage == f.Stage && g.Object == f.Object)
		}
		for _, g := range b.pairs[i].findings {
			if g.Stage == f.Stage && (g.Object == f.Object || !exact) {
				drops += g.Drops
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%d drops)", b.pairs[i].ref.Label, drops))
	}
	s := parts[0]
	for _, p := range parts[1:] {
		s += ", " + p
	}
	return s
}

// labels returns the labels of the intervals a span finding comes from.
func (b *bundleRun) labels(f *netstack.Finding) []string {
	idx := b.intervals(f)
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = b.pairs[j].ref.Label
	}
	return out
}

func failedStageNames(sums []stageSummary) []string {
	var out []string
	for _, s := range sums {
		if len(s.Failed) > 0 {
			out = append(out, s.Stage)
		}
	}
	return out
}

// runBundle analyses every consecutive pair of frames of the collector's
// bundle and the whole span, and prints the span's view (or JSON) with
// each finding labelled with the intervals it comes from. A bundle of one
// frame is shown as it is (runOneFrame).
//
// It keeps three snapshots whatever the number of frames: the first (for
// the span) and two that alternate.
func runBundle(ctx context.Context, c *netstack.Collector, o *options, stdout, stderr io.Writer) int {
	info, _ := c.Info()
	n := len(info.Frames)
	if n == 0 {
		fmt.Fprintf(stderr, "netstack-top: bundle %s holds no frames: nothing to show; capture at least two frames (examples/capture -frames 2)\n", o.root)
		return 1
	}
	if n == 1 {
		return runOneFrame(ctx, c, o, &info, stdout, stderr)
	}
	var first, a, b netstack.Snapshot
	bufs := [2]*netstack.Snapshot{&a, &b}
	if err := c.Collect(ctx, &first); err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 1
	}
	run := &bundleRun{frames: n}
	addErrors := func(i int, s *netstack.Snapshot) {
		for _, e := range s.Errors {
			run.errors = append(run.errors, frameDir(&info, i)+": "+e.Error())
		}
	}
	addErrors(0, &first)
	devs := newDeviceCheck(o)
	devs.see(&first)
	var pair netstack.Delta
	prev := &first
	for i := 1; i < n; i++ {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "netstack-top: stopped at frame %d of %d: %v\n", i, n, err)
			return 1
		}
		cur := bufs[(i-1)%2]
		if err := c.Collect(ctx, cur); err != nil {
			fmt.Fprintf(stderr, "netstack-top: %v\n", err)
			return 1
		}
		addErrors(i, cur)
		devs.see(cur)
		netstack.ComputeDelta(prev, cur, &pair)
		fs := netstack.Diagnose(&pair)
		fl := newFailures(prev, cur, frameDir(&info, i-1)+": ", frameDir(&info, i)+": ")
		sums := summarize(&pair, fs, fl, o)
		run.pairs = append(run.pairs, pairResult{ref: frameRef(&info, i-1, i, prev, cur), findings: fs,
			stages: sums, failedStages: failedStageNames(sums)})
		prev = cur
	}
	if err := devs.err(); err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 2
	}
	for _, w := range devs.warnings() {
		fmt.Fprintf(stderr, "netstack-top: warning: %s\n", w)
	}
	// The span: the last pair's delta when there is only one pair.
	span, spanFindings := &pair, run.pairs[0].findings
	if n > 2 {
		span = new(netstack.Delta)
		netstack.ComputeDelta(&first, prev, span)
		spanFindings = netstack.Diagnose(span)
	}
	run.span = frameRef(&info, 0, n-1, &first, prev)
	fl := newFailures(&first, prev, frameDir(&info, 0)+": ", frameDir(&info, n-1)+": ")
	if o.json {
		if err := writeJSON(stdout, o, prev, span, spanFindings, fl, run.span, run, nil); err != nil {
			fmt.Fprintf(stderr, "netstack-top: %v\n", err)
			return 1
		}
		return 0
	}
	v := view{o: o, snap: prev, delta: span, findings: spanFindings, fail: fl, bundle: run}
	v.width, _ = screenWidth(o.width, stdout)
	v.render(stdout)
	return 0
}

// runOneFrame shows the one frame of a bundle (or a bare proc tree): its
// devices with their counters and the other sources' values, without
// rates or findings, saying so on stderr and in the output. It exits 0:
// the view was shown.
func runOneFrame(ctx context.Context, c *netstack.Collector, o *options, info *netstack.BundleInfo, stdout, stderr io.Writer) int {
	var s netstack.Snapshot
	if err := c.Collect(ctx, &s); err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 1
	}
	devs := newDeviceCheck(o)
	devs.see(&s)
	if err := devs.err(); err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 2
	}
	for _, w := range devs.warnings() {
		fmt.Fprintf(stderr, "netstack-top: warning: %s\n", w)
	}
	fmt.Fprintf(stderr, "netstack-top: %s %s\n", o.root, noDeltaMessage(1))
	var errs []string
	for _, e := range s.Errors {
		errs = append(errs, frameDir(info, 0)+": "+e.Error())
	}
	if o.json {
		if err := writeSnapshotJSON(stdout, &s, 1, errs); err != nil {
			fmt.Fprintf(stderr, "netstack-top: %v\n", err)
			return 1
		}
		return 0
	}
	v := view{o: o, snap: &s, bundle: &bundleRun{frames: 1, errors: errs}}
	v.renderSnapshot(stdout, 1)
	return 0
}
