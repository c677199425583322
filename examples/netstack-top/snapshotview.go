package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/netstack"
)

// A bundle of one frame (or a bare proc tree, such as /proc/net copied
// from a production host) gives no delta: no rates, no drops over an
// interval and no findings. netstack-top then shows the frame's counters
// as read, each since boot or since its object was created, and says
// plainly that nothing was diagnosed.

// noDeltaMessage says why a bundle of one frame gives no delta.
func noDeltaMessage(frames int) string {
	return fmt.Sprintf("bundle holds %s: no delta can be computed (rates, drops over an interval and findings need two frames); the values shown are the counters as read, since boot or since each object was created; capture at least two frames to diagnose (examples/capture -frames 2)", plural(frames, "frame"))
}

// writeSnapshotJSON is the -json document of one frame: every counter as
// read, "no_delta" saying why, and no "findings", "stages" or "delta".
func writeSnapshotJSON(w io.Writer, s *netstack.Snapshot, frames int, errs []string) error {
	doc := document{Time: s.Time, NetNS: s.NetNS, NetNSDetached: detachedMessage(s), Bundle: s.Bundle, Frames: frames,
		NoDelta: noDeltaMessage(frames), Errors: errs, Snapshot: s.Sources}
	doc.Counters = make([]counterOut, len(s.Counters))
	for i := range s.Counters {
		c := &s.Counters[i]
		doc.Counters[i] = counterOut{Source: c.Source.String(), Stage: c.Stage.String(), Object: c.Object, Index: c.Index,
			Name: c.Name, Value: c.Value, Gauge: c.Gauge, Label: c.Label}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// renderSnapshot is the text view of one frame: every device with all its
// link counters, then the other sources' counters by object, the ones
// that are zero counted rather than listed (devices list every counter).
//
// It is laid out to the same width as the live view: -width, else the
// terminal's columns (TIOCGWINSZ on w), else $COLUMNS, else 80
// (screenWidth), unless the caller set v.width.
func (v *view) renderSnapshot(w io.Writer, frames int) {
	s := v.snap
	if v.width == 0 {
		force := 0
		if v.o != nil {
			force = v.o.width
		}
		v.width, _ = screenWidth(force, w)
	}
	width := v.width
	// The title is painted after wrapping: escape codes have no width.
	head := wrapChunks([]string{"packetpath netstack-top", "bundle " + s.Bundle, s.Time.Format("2006-01-02 15:04:05"),
		"one snapshot, no delta"}, "  ", width)
	head[0] = strings.Replace(head[0], "packetpath netstack-top", v.paint(bold, "packetpath netstack-top"), 1)
	for _, l := range head {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, v.paint(red, wrap("NO DELTA: ", noDeltaMessage(frames), "  ", width)))
	if m := detachedMessage(s); m != "" {
		fmt.Fprintln(w, v.paint(red, wrap("NAMESPACE DETACHED: ", m, "  ", width)))
	}
	fmt.Fprintln(w)
	devHead := wrap("DEVICES ", "(link counters as read; /proc/net/dev columns under their kernel field names)", "  ", width)
	fmt.Fprintln(w, v.paint(bold, "DEVICES")+strings.TrimPrefix(devHead, "DEVICES"))
	devices := 0
	v.eachObject(func(src netstack.Source, object string, cs []netstack.Counter) {
		if src != netstack.SourceLinks || object == "" {
			return
		}
		devices++
		from := ""
		if cs[0].Label == netstack.ProcNetDevLabel {
			from = " (" + netstack.ProcNetDevLabel + ")"
		}
		items := make([]string, len(cs))
		for i := range cs {
			items[i] = cs[i].Name + "=" + strconv.FormatUint(cs[i].Value, 10)
		}
		fmt.Fprintln(w, wrap("  "+object+from+": ", strings.Join(items, " "), "      ", width))
	})
	if devices == 0 {
		fmt.Fprintln(w, "  no devices")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, v.paint(bold, "OTHER COUNTERS")+" (MIB values and the rest, non-zero ones; as read)")
	udp := 0
	var udpDrops uint64
	v.eachObject(func(src netstack.Source, object string, cs []netstack.Counter) {
		switch src {
		case netstack.SourceLinks:
			if object != "" {
				return
			}
		case netstack.SourceUDP:
			// One line for the socket table, however large.
			udp++
			for i := range cs {
				if cs[i].Name == "drops" {
					udpDrops += cs[i].Value
				}
			}
			return
		}
		var items []string
		zero := 0
		for i := range cs {
			if cs[i].Value == 0 {
				zero++
				continue
			}
			items = append(items, cs[i].Name+"="+strconv.FormatUint(cs[i].Value, 10))
		}
		if zero > 0 {
			items = append(items, fmt.Sprintf("(%d more at 0)", zero))
		}
		head := "  " + src.String()
		if object != "" {
			head += " " + object
		}
		if cs[0].Index >= 0 && src == netstack.SourceSoftnet {
			head += " cpu" + strconv.FormatInt(cs[0].Index, 10)
		}
		fmt.Fprintln(w, wrap(head+": ", strings.Join(items, " "), "      ", width))
	})
	if udp > 0 {
		fmt.Fprintf(w, "  udp: %s, drops %d since each was created\n", plural(udp, "socket"), udpDrops)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "FINDINGS  none computed: one frame has no interval to diagnose")
	if errs := v.errorLines(); len(errs) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, v.paint(dim, "sources with errors:"))
		for i, e := range errs {
			if i == 10 {
				fmt.Fprintln(w, v.paint(dim, fmt.Sprintf("  and %d more", len(errs)-10)))
				break
			}
			fmt.Fprintln(w, v.paint(dim, "  "+clip(e, width-2)))
		}
	}
}

// eachObject calls fn for each run of consecutive counters of the snapshot
// with one source, object and (for per-CPU and per-socket sources) index:
// a source emits each object's counters together.
func (v *view) eachObject(fn func(src netstack.Source, object string, cs []netstack.Counter)) {
	cs := v.snap.Counters
	for i := 0; i < len(cs); {
		j := i + 1
		for j < len(cs) && cs[j].Source == cs[i].Source && cs[j].Object == cs[i].Object &&
			(cs[j].Index == cs[i].Index || cs[i].Source == netstack.SourceLinks || cs[i].Source == netstack.SourceSNMP || cs[i].Source == netstack.SourceNetstat) {
			j++
		}
		fn(cs[i].Source, cs[i].Object, cs[i:j])
		i = j
	}
}
