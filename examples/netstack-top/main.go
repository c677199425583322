// Command netstack-top is a live terminal view of where packets wait and
// where they are dropped on their way through this machine's network stack.
//
// Every -interval it takes a snapshot of every stage (NIC and driver,
// softirq, IP, UDP, socket buffers; qdisc, driver and NIC on the transmit
// side), shows the rates at each stage, the UDP sockets that dropped the
// most, and the diagnosis: the stages where packets were lost, earliest on
// the receive path first, with the evidence and the knob to turn.
//
// Usage:
//
//	netstack-top [-interval 1s] [-once] [-json] [-netns NAME|PATH] [-root BUNDLE]
//	             [-sources softnet,snmp,...] [-devices eth0,...] [-top 10]
//	             [-top-devices 10] [-color auto] [-width N]
//	netstack-top -version
//
//	-once         print one delta over -interval and exit
//	-json         print the snapshot, the delta and the findings as JSON: with -once
//	              one indented document; live, one compact document per interval on
//	              its own line (JSON lines, for jq and log shippers)
//	-netns        look at a network namespace (a name made by ip netns, or a path)
//	-version      print the module version and VCS revision, and exit
//	-root         analyze a capture bundle (directory or .tar.gz) made by examples/capture
//	-devices      only these devices; a name that matches no device is an error
//	-top          UDP sockets listed, by drops (one row per socket inode, with its owner)
//	-top-devices  devices listed per row, by drops; the rest are summed in one line
//
// A bundle is analysed interval by interval: every pair of consecutive
// frames is diagnosed on its own, and the view shows the whole span from
// the first frame to the last, each finding labelled with the intervals it
// comes from, then the intervals one by one (BY INTERVAL). -json adds
// "frames", "span" and "pairs" (each pair's interval, findings and stages),
// and every finding carries the "interval" it belongs to. A bundle of one
// frame (or a bare proc tree, such as /proc/net copied from a host) gives
// no delta: netstack-top says so on stderr and in the output (a NO DELTA
// line; JSON "no_delta", with "findings", "stages" and "delta" absent, so
// that a script cannot mistake it for "no drops"), and shows the frame as
// read: every device with all its link counters (the 16 columns of
// /proc/net/dev for a device that /sys does not describe) and the other
// sources' values (JSON "counters").
//
// A device read from /proc/net/dev shows "fifo+N drop(col)+N": the fifo
// column (rx_fifo_errors) and the drop column, which sums rx_dropped and
// rx_missed_errors.
//
// With -netns, a namespace whose name was deleted or now leads to another
// namespace while netstack-top runs is shown as NAMESPACE DETACHED (JSON
// "netns_detached"). Live findings about a socket name the process that
// holds it (pid and command, from /proc/PID/fd).
//
// The view is laid out to the terminal's width (TIOCGWINSZ on stdout),
// else $COLUMNS, else 80 columns (-width N forces one), wrapping text at
// word boundaries. On a terminal it is also fitted to the height: detail
// rows, the socket table and the findings' evidence go first, counted in
// "and K more" lines, so that the LOSING PACKETS line, the path and the
// first finding stay on screen (at 80x24 too). The live view shows each
// stage's drops in the interval and in total since netstack-top started,
// so that a one-second burst stays visible, and says "collecting first
// sample..." during the first interval.
//
// The live view clears the screen between intervals only when stdout is a
// terminal; into a pipe or a file it writes the views one after another,
// with no control codes. When the reader goes away (| head), netstack-top
// exits with status 0.
//
// A source that fails (an unreadable or garbled file, a netlink error) is
// shown as FAILED, with its error, in the rows that would show its numbers,
// never as +0; FINDINGS lists the stages it left unchecked.
//
// Exit status: 0 when the view was shown (a one-frame view included); 1
// when it could not be (a namespace or bundle that cannot be opened, a
// bundle with no frames, SIGINT or SIGTERM while a bundle is extracted);
// 2 for a bad command line, including -devices names that match no device.
//
// It needs root (or CAP_NET_ADMIN) for the ethtool ioctl and the socket
// table of other users' sockets; without it those sources report errors and
// the rest is shown. It never changes a setting.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/packetpath/packetpath/cmdutil"
	"github.com/packetpath/packetpath/netstack"
)

type options struct {
	interval time.Duration
	once     bool
	json     bool
	netns    string
	version  bool
	// jsonLines is -json without -once, live: one compact document a line.
	jsonLines bool
	// width is -width (0: from the terminal, $COLUMNS or 80).
	width   int
	root    string
	sources netstack.Source
	devices []string
	top     int
	// topDevices is how many devices a per-device row lists.
	topDevices int
	color      bool
	// collected is the sources the collector reads: -sources or the
	// default, without SourceDevices in another namespace (see
	// netstack.Config.SysRoot).
	collected netstack.Source
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("netstack-top", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.DurationVar(&o.interval, "interval", time.Second, "time between snapshots")
	fs.BoolVar(&o.once, "once", false, "print one delta over -interval and exit")
	fs.BoolVar(&o.json, "json", false, "print snapshot, delta and findings as JSON: with -once (or -root) one indented document, else one compact document per interval, a line each (JSON lines)")
	fs.StringVar(&o.netns, "netns", "", "network namespace: a name made by ip netns, or a path (/var/run/netns/NAME, /proc/PID/ns/net)")
	fs.BoolVar(&o.version, "version", false, "print the version (module and VCS revision) and exit")
	fs.StringVar(&o.root, "root", "", "read a capture bundle (directory or .tar.gz) instead of the live kernel")
	sources := fs.String("sources", "", "comma-separated sources (softnet,snmp,softirqs,links,devices,ethtool,qdisc,udp,sockets,sysctls,dropevents); default all but dropevents")
	devices := fs.String("devices", "", "comma-separated devices to include (default all)")
	fs.IntVar(&o.top, "top", 10, "number of UDP sockets to list by drops")
	fs.IntVar(&o.topDevices, "top-devices", 10, "number of devices to list per row by drops (the rest are summed in one line)")
	color := fs.String("color", "auto", "colour output: auto, always or never")
	fs.IntVar(&o.width, "width", 0, "lay the view out to `N` columns (default: the terminal's width, else $COLUMNS, else 80)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: netstack-top [flags]\n\nA live view of where packets wait and are dropped in this machine's network stack.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.version {
		return o, nil
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.interval <= 0 {
		return nil, fmt.Errorf("-interval must be positive, got %v", o.interval)
	}
	if o.netns != "" && o.root != "" {
		return nil, errors.New("-netns and -root exclude each other")
	}
	if *sources != "" {
		s, ok := netstack.ParseSources(*sources)
		if !ok {
			return nil, fmt.Errorf("-sources: unknown source in %q", *sources)
		}
		o.sources = s
	}
	if *devices != "" {
		for _, d := range strings.Split(*devices, ",") {
			if d = strings.TrimSpace(d); d != "" {
				o.devices = append(o.devices, d)
			}
		}
		if len(o.devices) == 0 {
			return nil, fmt.Errorf("-devices: no device name in %q", *devices)
		}
		if o.sources != 0 && o.sources&deviceSources == 0 {
			return nil, fmt.Errorf("-devices needs a per-device source (links, devices, ethtool or qdisc) in -sources %q", *sources)
		}
	}
	if o.width < 0 || o.width > maxWidth {
		return nil, fmt.Errorf("-width must be 0 (the terminal's) or up to %d columns, got %d", maxWidth, o.width)
	}
	if o.top < 0 || o.topDevices < 1 {
		return nil, fmt.Errorf("-top must be 0 or more and -top-devices 1 or more, got %d and %d", o.top, o.topDevices)
	}
	switch *color {
	case "always":
		o.color = true
	case "never":
	case "auto":
		if st, err := os.Stdout.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == "" {
			o.color = true
		}
	default:
		return nil, fmt.Errorf("-color must be auto, always or never, got %q", *color)
	}
	if o.json {
		o.color = false
		o.jsonLines = !o.once && o.root == ""
	}
	o.collected = o.sources
	if o.collected == 0 {
		o.collected = netstack.SourceAll &^ netstack.SourceDropEvents
	}
	if o.netns != "" && o.root == "" {
		o.collected &^= netstack.SourceDevices
	}
	o.netns = cmdutil.NetNSPath(o.netns)
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 2
	}
	if o.version {
		fmt.Fprintln(stdout, cmdutil.Version("netstack-top"))
		return 0
	}
	if _, err := cmdutil.ResolveNetNS(o.netns); err != nil {
		fmt.Fprintf(stderr, "netstack-top: -netns: %v\n", err)
		return 1
	}
	// The signal context comes first: opening a .tar.gz bundle extracts
	// it, which SIGINT must be able to stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader that goes away (| head -3) makes writes fail with EPIPE,
	// which ends netstack-top with status 0, instead of killing it.
	signal.Ignore(syscall.SIGPIPE)
	return runContext(ctx, o, stdout, stderr)
}

// runContext is run once the command line is parsed, under ctx (cancelled
// by SIGINT or SIGTERM).
func runContext(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	out := &stickyWriter{w: stdout}
	code := runOutput(ctx, o, out, stderr)
	if out.err != nil && closedPipe(out.err) {
		return 0
	}
	return code
}

// runOutput is runContext writing to stdout through a stickyWriter: a
// write error (the reader went away) ends the live loop.
func runOutput(ctx context.Context, o *options, stdout *stickyWriter, stderr io.Writer) int {
	c, err := netstack.NewCollectorContext(ctx, netstack.Config{NetNS: o.netns, Bundle: o.root, Sources: o.sources, Devices: o.devices,
		// -sources dropevents counts the drop reasons Diagnose names (dropreasons.go).
		DropEvents: dropEventsConfig()})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "netstack-top: interrupted while opening %s: %v\n", o.what(), err)
			return 1
		}
		fmt.Fprintf(stderr, "netstack-top: %v\n", cmdutil.ExplainNetNS(err))
		return 1
	}
	defer c.Close()

	if o.root != "" {
		return runBundle(ctx, c, o, stdout, stderr)
	}

	// first is kept for the totals since start; each interval is
	// collected into the one of snaps that prev does not point at.
	var first netstack.Snapshot
	var snaps [2]netstack.Snapshot
	var delta, total netstack.Delta
	if err := c.Collect(ctx, &first); err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 1
	}
	prev := &first
	devs := newDeviceCheck(o)
	devs.see(&first)
	if err := devs.err(); err != nil {
		fmt.Fprintf(stderr, "netstack-top: %v\n", err)
		return 2
	}
	for _, w := range devs.warnings() {
		fmt.Fprintf(stderr, "netstack-top: warning: %s\n", w)
	}
	owners := newOwnerCache("/proc")
	_, _, tty := termSize(stdout.w)
	frames := 0
	if !o.json && !o.once {
		v := view{o: o, snap: &first}
		v.width, v.height = screenWidth(o.width, stdout.w)
		if tty {
			fmt.Fprint(stdout, "\x1b[H\x1b[2J")
		}
		v.firstSample(stdout, v.where(), o.interval)
		frames++
	}
	// annot names the processes that hold the sockets findings name.
	annot := netstack.NewOwnerCache("/proc")
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(o.interval):
		}
		next := &snaps[0]
		if prev == next {
			next = &snaps[1]
		}
		if err := c.Collect(ctx, next); err != nil {
			if ctx.Err() != nil {
				return 0
			}
			fmt.Fprintf(stderr, "netstack-top: %v\n", err)
			return 1
		}
		netstack.ComputeDelta(prev, next, &delta)
		findings := netstack.Diagnose(&delta)
		// Findings are annotated with what the scan of /proc finds; a
		// socket whose owner cannot be seen keeps its inode alone.
		_ = annot.Annotate(findings)
		fl := newFailures(prev, next, "previous snapshot: ", "")
		last := prev
		prev = next
		if o.json {
			if err := writeJSON(stdout, o, next, &delta, findings, fl, liveRef(last, next), nil, owners); err != nil {
				if closedPipe(err) {
					return 0
				}
				fmt.Fprintf(stderr, "netstack-top: %v\n", err)
				return 1
			}
			if o.once {
				return 0
			}
			continue
		}
		v := view{o: o, snap: next, delta: &delta, findings: findings, fail: fl, owners: owners}
		v.width, v.height = screenWidth(o.width, stdout.w)
		if !o.once {
			netstack.ComputeDelta(&first, next, &total)
			v.totals = newSinceStart(&total)
		}
		switch {
		case o.once:
		case tty:
			fmt.Fprint(stdout, "\x1b[H\x1b[2J")
		case frames > 0:
			// Not a terminal: no control codes, a blank line between views.
			fmt.Fprintln(stdout)
		}
		frames++
		v.render(stdout)
		if stdout.err != nil {
			return 1
		}
		if o.once {
			return 0
		}
	}
}

// document is the -json output. For a bundle, the top level is the whole
// span from the first frame to the last; "pairs" has each pair of
// consecutive frames.
type document struct {
	Time     time.Time `json:"time"`
	Interval string    `json:"interval,omitempty"`
	NetNS    string    `json:"netns,omitempty"`
	// NetNSDetached says that the -netns path no longer leads to the
	// namespace netstack-top opened (deleted, or re-used for another):
	// the numbers are the old namespace's (Snapshot.NetNSDetached).
	NetNSDetached string       `json:"netns_detached,omitempty"`
	Bundle        string       `json:"bundle,omitempty"`
	Frames        int          `json:"frames,omitempty"`
	Span          *intervalRef `json:"span,omitempty"`
	// NoDelta, for a bundle of one frame, says why there are no rates,
	// drops or findings: "findings", "stages" and "delta" are then absent
	// (not empty), and "counters" holds the frame's values.
	NoDelta  string         `json:"no_delta,omitempty"`
	Findings []findingOut   `json:"findings,omitzero"`
	Stages   []stageSummary `json:"stages,omitzero"`
	Sockets  []sockRow      `json:"sockets,omitempty"`
	Pairs    []pairOut      `json:"pairs,omitempty"`
	Delta    []deltaEntry   `json:"delta,omitzero"`
	// Counters, for a bundle of one frame, is every counter of the frame
	// as read (values since boot or since the object was created).
	Counters []counterOut `json:"counters,omitempty"`
	Errors   []string     `json:"errors,omitempty"`
	Snapshot any          `json:"snapshot"`
}

// counterOut is one counter of a snapshot, for a bundle of one frame.
type counterOut struct {
	Source string `json:"source"`
	Stage  string `json:"stage"`
	Object string `json:"object,omitempty"`
	Index  int64  `json:"index"`
	Name   string `json:"name"`
	Value  uint64 `json:"value"`
	Gauge  bool   `json:"gauge,omitempty"`
	// Label is where the value comes from or what describes it
	// ("/proc/net/dev" for a device's /proc/net/dev columns).
	Label string `json:"label,omitempty"`
}

// findingOut is a finding with the interval it belongs to.
type findingOut struct {
	netstack.Finding
	Interval intervalRef `json:"interval"`
	// Intervals, for a finding of a bundle's span, are the labels of the
	// pairs of frames that show it on their own.
	Intervals []string `json:"intervals,omitempty"`
}

// pairOut is the diagnosis of one pair of consecutive frames of a bundle.
type pairOut struct {
	Interval intervalRef    `json:"interval"`
	Findings []findingOut   `json:"findings"`
	Stages   []stageSummary `json:"stages"`
}

type deltaEntry struct {
	Source string  `json:"source"`
	Stage  string  `json:"stage"`
	Object string  `json:"object,omitempty"`
	Index  int64   `json:"index"`
	Name   string  `json:"name"`
	Value  uint64  `json:"value"`
	Delta  uint64  `json:"delta"`
	Rate   float64 `json:"rate"`
	Gauge  bool    `json:"gauge,omitempty"`
	Reset  bool    `json:"reset,omitempty"`
}

// withInterval labels the findings with their interval. The result is never
// nil, so that "findings" is [] in JSON when there are none.
func withInterval(fs []netstack.Finding, ref intervalRef, run *bundleRun) []findingOut {
	out := make([]findingOut, len(fs))
	for i := range fs {
		out[i] = findingOut{Finding: fs[i], Interval: ref}
		if run != nil {
			out[i].Intervals = run.labels(&fs[i])
		}
	}
	return out
}

func writeJSON(w io.Writer, o *options, s *netstack.Snapshot, d *netstack.Delta, fs []netstack.Finding,
	fl *failures, ref intervalRef, run *bundleRun, owners *ownerCache) error {
	doc := document{Time: s.Time, Interval: d.Interval.String(), NetNS: s.NetNS, NetNSDetached: detachedMessage(s), Bundle: s.Bundle,
		Findings: withInterval(fs, ref, run), Stages: summarize(d, fs, fl, o), Delta: []deltaEntry{}, Snapshot: s.Sources}
	if doc.Stages == nil {
		doc.Stages = []stageSummary{}
	}
	doc.Sockets, _ = topSockets(d, o.top, owners)
	if run != nil {
		doc.Frames = run.frames
		doc.Span = &run.span
		doc.Errors = run.errors
		for i := range run.pairs {
			p := &run.pairs[i]
			doc.Pairs = append(doc.Pairs, pairOut{Interval: p.ref, Findings: withInterval(p.findings, p.ref, nil), Stages: p.stages})
		}
	} else {
		for _, e := range s.Errors {
			doc.Errors = append(doc.Errors, e.Error())
		}
	}
	for _, c := range d.Counters {
		if c.Delta == 0 && !c.Gauge {
			continue
		}
		doc.Delta = append(doc.Delta, deltaEntry{Source: c.Source.String(), Stage: c.Stage.String(), Object: c.Object, Index: c.Index,
			Name: c.Name, Value: c.Value, Delta: c.Delta, Rate: c.Rate, Gauge: c.Gauge, Reset: c.Reset})
	}
	enc := json.NewEncoder(w)
	if !o.jsonLines {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(doc)
}

// what names what netstack-top reads, for messages.
func (o *options) what() string {
	switch {
	case o.root != "":
		return "bundle " + o.root
	case o.netns != "":
		return "namespace " + o.netns
	}
	return "the host"
}

// detachedMessage says plainly that the snapshot's namespace lost its name
// ("" when it did not).
func detachedMessage(s *netstack.Snapshot) string {
	if !s.NetNSDetached {
		return ""
	}
	return "namespace " + s.NetNS + " no longer exists under that name (deleted, or the name now leads to another namespace): these are the counters of the namespace netstack-top opened, which only its own sockets keep alive"
}
