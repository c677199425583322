package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/packetpath/packetpath/netstack"
)

const (
	red   = "\x1b[1;31m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

type view struct {
	o        *options
	snap     *netstack.Snapshot
	delta    *netstack.Delta
	findings []netstack.Finding
}

// stageSummary is one line of the path view: the stage's main rates and
// the packets lost there.
type stageSummary struct {
	Stage  string `json:"stage"`
	Drops  uint64 `json:"drops"`
	Losing bool   `json:"losing"`
	Detail string `json:"detail"`
	parts  []string
}

func (v *view) paint(code, s string) string {
	if !v.o.color {
		return s
	}
	return code + s + reset
}

// rate formats a per-second rate compactly.
func rate(r float64) string {
	switch {
	case r >= 1e9:
		return fmt.Sprintf("%.1fG/s", r/1e9)
	case r >= 1e6:
		return fmt.Sprintf("%.1fM/s", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return fmt.Sprintf("%.0f/s", r)
}

// sum adds the deltas and rates of the counters of source with one of the
// names, over every object.
func sum(d *netstack.Delta, source netstack.Source, names ...string) (delta uint64, r float64) {
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == source && !c.Gauge && slices.Contains(names, c.Name) {
			delta += c.Delta
			r += c.Rate
		}
	}
	return delta, r
}

func objSum(d *netstack.Delta, source netstack.Source, obj string, names ...string) (delta uint64, r float64) {
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == source && c.Object == obj && !c.Gauge && slices.Contains(names, c.Name) {
			delta += c.Delta
			r += c.Rate
		}
	}
	return delta, r
}

// summarize builds the per-stage lines of the path view.
func summarize(d *netstack.Delta, fs []netstack.Finding) []stageSummary {
	var drops [16]uint64
	losing := -1
	for _, f := range fs {
		drops[f.Stage] += f.Drops
		if losing < 0 {
			losing = int(f.Stage)
		}
	}
	devices := objects(d, netstack.SourceLinks)
	var out []stageSummary
	for _, st := range netstack.Stages() {
		var parts []string
		switch st {
		case netstack.StageNIC:
			for _, dev := range devices {
				_, pr := objSum(d, netstack.SourceLinks, dev, "rx_packets")
				_, br := objSum(d, netstack.SourceLinks, dev, "rx_bytes")
				miss, _ := objSum(d, netstack.SourceLinks, dev, "rx_missed_errors", "rx_fifo_errors", "rx_over_errors")
				dr, _ := objSum(d, netstack.SourceLinks, dev, "rx_dropped")
				parts = append(parts, fmt.Sprintf("%s %s %sB missed+%d dropped+%d", dev, rate(pr), strings.TrimSuffix(rate(br), "/s"), miss, dr))
			}
		case netstack.StageSoftirq:
			_, nr := sum(d, netstack.SourceSoftirqs, "NET_RX")
			_, pr := sum(d, netstack.SourceSoftnet, "processed")
			sq, _ := sum(d, netstack.SourceSoftnet, "time_squeeze")
			bd, _ := sum(d, netstack.SourceSoftnet, "dropped")
			fl, _ := sum(d, netstack.SourceSoftnet, "flow_limit_count")
			parts = append(parts, fmt.Sprintf("NET_RX %s proc %s squeeze+%d backlog-drops+%d flowlimit+%d", rate(nr), rate(pr), sq, bd, fl))
		case netstack.StageIP:
			_, in := sum(d, netstack.SourceSNMP, "Ip.InReceives")
			disc, _ := sum(d, netstack.SourceSNMP, "Ip.InDiscards", "Ip6InDiscards")
			hdr, _ := sum(d, netstack.SourceSNMP, "Ip.InHdrErrors", "Ip.InAddrErrors", "Ip6InHdrErrors", "Ip6InAddrErrors")
			parts = append(parts, fmt.Sprintf("InReceives %s InDiscards+%d header/addr errors+%d", rate(in), disc, hdr))
		case netstack.StageUDP:
			_, in := sum(d, netstack.SourceSNMP, "Udp.InDatagrams", "Udp6InDatagrams")
			np, _ := sum(d, netstack.SourceSNMP, "Udp.NoPorts", "Udp6NoPorts")
			ie, _ := sum(d, netstack.SourceSNMP, "Udp.InErrors", "Udp6InErrors")
			cs, _ := sum(d, netstack.SourceSNMP, "Udp.InCsumErrors", "Udp6InCsumErrors")
			buf, _ := sum(d, netstack.SourceSNMP, "Udp.RcvbufErrors", "Udp6RcvbufErrors", "Udp.MemErrors", "Udp6MemErrors")
			// InErrors includes the buffer and checksum drops, shown at their own stage.
			other := ie - min(ie, buf+cs)
			parts = append(parts, fmt.Sprintf("InDatagrams %s NoPorts+%d InCsumErrors+%d other InErrors+%d", rate(in), np, cs, other))
		case netstack.StageSocket:
			rb, _ := sum(d, netstack.SourceSNMP, "Udp.RcvbufErrors", "Udp6RcvbufErrors")
			me, _ := sum(d, netstack.SourceSNMP, "Udp.MemErrors", "Udp6MemErrors")
			sd, _ := sum(d, netstack.SourceUDP, "drops")
			parts = append(parts, fmt.Sprintf("RcvbufErrors+%d MemErrors+%d socket drops+%d", rb, me, sd))
		case netstack.StageApplication:
			_, pr := sum(d, netstack.SourceSockets, "packets")
			pending := 0
			for i := range d.Counters {
				c := &d.Counters[i]
				if c.Source == netstack.SourceSockets && c.Name == "pending" && c.Value > 0 {
					pending++
				}
			}
			if n := len(objects(d, netstack.SourceSockets)); n > 0 {
				parts = append(parts, fmt.Sprintf("own sockets %d read %s behind %d", n, rate(pr), pending))
			} else {
				parts = append(parts, "no instrumented sockets in this process")
			}
		case netstack.StageTxSocket:
			_, out := sum(d, netstack.SourceSNMP, "Udp.OutDatagrams", "Udp6OutDatagrams")
			sb, _ := sum(d, netstack.SourceSNMP, "Udp.SndbufErrors", "Udp6SndbufErrors")
			parts = append(parts, fmt.Sprintf("OutDatagrams %s SndbufErrors+%d", rate(out), sb))
		case netstack.StageQdisc:
			for _, dev := range objects(d, netstack.SourceQdisc) {
				var sent float64
				var dropped, requeued uint64
				var backlog uint64
				kind := ""
				for i := range d.Counters {
					c := &d.Counters[i]
					if c.Source != netstack.SourceQdisc || c.Object != dev || strings.HasSuffix(c.Label, " class") {
						continue
					}
					switch c.Name {
					case "packets":
						sent = max(sent, c.Rate)
					case "drops":
						dropped = max(dropped, c.Delta)
					case "requeues":
						requeued = max(requeued, c.Delta)
					case "backlog":
						backlog = max(backlog, c.Value)
						if kind == "" {
							kind = c.Label
						}
					}
				}
				parts = append(parts, fmt.Sprintf("%s %s sent %s drops+%d requeues+%d backlog %dB", dev, kind, rate(sent), dropped, requeued, backlog))
			}
		case netstack.StageTxDriver:
			to, _ := sum(d, netstack.SourceDevices, "tx_timeout")
			bs, _ := sum(d, netstack.SourceDevices, "bql.stall_cnt")
			parts = append(parts, fmt.Sprintf("tx_timeout+%d bql stalls+%d", to, bs))
		case netstack.StageTxNIC:
			for _, dev := range devices {
				_, pr := objSum(d, netstack.SourceLinks, dev, "tx_packets")
				er, _ := objSum(d, netstack.SourceLinks, dev, "tx_errors")
				dr, _ := objSum(d, netstack.SourceLinks, dev, "tx_dropped")
				parts = append(parts, fmt.Sprintf("%s %s errors+%d dropped+%d", dev, rate(pr), er, dr))
			}
		}
		out = append(out, stageSummary{Stage: st.String(), Drops: drops[st], Losing: int(st) == losing, Detail: strings.Join(parts, " | "), parts: parts})
	}
	return out
}

// objects lists the objects of a source in first-seen order.
func objects(d *netstack.Delta, source netstack.Source) []string {
	var out []string
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == source && c.Object != "" && !slices.Contains(out, c.Object) {
			out = append(out, c.Object)
		}
	}
	return out
}

func (v *view) render(w io.Writer) {
	s, d := v.snap, v.delta
	where := "host"
	switch {
	case s.Bundle != "":
		where = "bundle " + s.Bundle
	case s.NetNS != "":
		where = "netns " + s.NetNS
	}
	fmt.Fprintf(w, "%s  %s  %s  interval %s\n\n", v.paint(bold, "packetpath netstack-top"), where,
		s.Time.Format("2006-01-02 15:04:05"), d.Interval.Round(1e6))
	sums := summarize(d, v.findings)
	for i, st := range sums {
		if i == 0 {
			fmt.Fprintln(w, v.paint(bold, "RECEIVE PATH")+strings.Repeat(" ", 70)+"drops")
		}
		if st.Stage == netstack.StageTxSocket.String() {
			fmt.Fprintln(w, v.paint(bold, "TRANSMIT PATH"))
		}
		marker := "  "
		first := ""
		if len(st.parts) > 0 {
			first = st.parts[0]
		}
		line := fmt.Sprintf("%-15s %-72s %6d", st.Stage, clip(first, 72), st.Drops)
		if st.Losing {
			marker = v.paint(red, "▶ ")
			line = v.paint(red, line+"  ◀ LOSING PACKETS")
		} else if st.Drops > 0 {
			line = v.paint(red, line)
		}
		fmt.Fprintln(w, marker+line)
		for _, p := range st.parts[min(1, len(st.parts)):] {
			fmt.Fprintf(w, "  %-15s %s\n", "", clip(p, 72))
		}
	}
	v.sockets(w)
	fmt.Fprintln(w)
	if len(v.findings) == 0 {
		fmt.Fprintln(w, v.paint(bold, "FINDINGS")+"  none: no stage lost packets in this interval")
	} else {
		fmt.Fprintln(w, v.paint(bold, "FINDINGS")+"  (earliest losing stage on the path first)")
	}
	for i, f := range v.findings {
		head := fmt.Sprintf("%d. [%s] %s", i+1, f.Stage, f.Summary)
		if i == 0 {
			head = v.paint(red, head)
		}
		fmt.Fprintln(w, wrap("  ", head, "     ", 100))
		fmt.Fprintln(w, wrap("     cause: ", f.Cause, "            ", 100))
		for j, e := range f.Evidence {
			if j == 6 {
				fmt.Fprintf(w, "     (+%d more)\n", len(f.Evidence)-6)
				break
			}
			fmt.Fprintln(w, "     evidence: "+e.String())
		}
		for _, k := range f.Knobs {
			cur := ""
			if k.Current != "" {
				cur = " (now " + k.Current + ")"
			}
			line := wrap("     knob: ", fmt.Sprintf("%s%s: %s", k.Name, cur, k.Advice), "           ", 100)
			if k.Command != "" {
				line += "\n           " + v.paint(bold, k.Command)
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(s.Errors) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, v.paint(dim, "sources with errors:"))
		for _, e := range s.Errors {
			fmt.Fprintln(w, v.paint(dim, "  "+clip(e.Error(), 110)))
		}
	}
}

// sockets lists the UDP sockets with the most drops in the interval.
func (v *view) sockets(w io.Writer) {
	type row struct {
		obj              string
		drops, total     uint64
		rmem, rcvbuf, rq uint64
	}
	var rows []row
	idx := map[string]int{}
	for i := range v.delta.Counters {
		c := &v.delta.Counters[i]
		if c.Source != netstack.SourceUDP {
			continue
		}
		j, ok := idx[c.Object]
		if !ok {
			j = len(rows)
			idx[c.Object] = j
			rows = append(rows, row{obj: c.Object})
		}
		r := &rows[j]
		switch c.Name {
		case "drops":
			r.drops += c.Delta
			r.total += c.Value
		case "rmem_alloc":
			r.rmem += c.Value
		case "rcvbuf":
			r.rcvbuf = max(r.rcvbuf, c.Value)
		case "rx_queue":
			r.rq += c.Value
		}
	}
	if len(rows) == 0 || v.o.top <= 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		switch {
		case a.drops != b.drops:
			if a.drops > b.drops {
				return -1
			}
			return 1
		case a.total != b.total:
			if a.total > b.total {
				return -1
			}
			return 1
		}
		return 0
	})
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s\n", v.paint(bold, fmt.Sprintf("UDP SOCKETS BY DROPS (top %d of %d)", min(v.o.top, len(rows)), len(rows))))
	fmt.Fprintf(w, "  %-40s %10s %12s %10s %10s\n", "local", "drops+", "drops total", "rx_queue", "rcvbuf")
	for i, r := range rows {
		if i == v.o.top {
			break
		}
		line := fmt.Sprintf("  %-40s %10d %12d %10d %10d", clip(r.obj, 40), r.drops, r.total, r.rq, r.rcvbuf)
		if r.drops > 0 {
			line = v.paint(red, line)
		}
		fmt.Fprintln(w, line)
	}
}

// wrap breaks s into lines of at most width columns at spaces, the first
// prefixed with first and the rest with rest.
func wrap(first, s, rest string, width int) string {
	var b strings.Builder
	line := first
	for _, word := range strings.Fields(s) {
		if len(line)+len(word)+1 > width && strings.TrimSpace(line) != "" && line != first {
			b.WriteString(strings.TrimRight(line, " "))
			b.WriteByte('\n')
			line = rest
		}
		if line != first && line != rest {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
