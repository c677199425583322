package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/packetpath/packetpath/netstack"
)

const (
	red   = "\x1b[1;31m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

// Output bounds: the view stays a screen, whatever the machine's size.
const (
	// maxFindingsPerStage is how many findings of one stage are printed in
	// full; the rest are counted in one line.
	maxFindingsPerStage = 5
	// maxFailureLines is how many source errors a stage row quotes.
	maxFailureLines = 3
	// maxIntervalLines is how many intervals of a bundle are listed.
	maxIntervalLines = 20
)

type view struct {
	o        *options
	snap     *netstack.Snapshot
	delta    *netstack.Delta
	findings []netstack.Finding
	// fail is the source errors of the two snapshots of the delta.
	fail *failures
	// owners names the processes holding the listed sockets (nil: not
	// looked up, as for a bundle from another machine).
	owners *ownerCache
	// bundle is the analysis of every interval of a bundle (nil when live).
	bundle *bundleRun
	// width is the layout's width in columns (0: defaultWidth); height,
	// when > 0, the number of lines the view is fitted to.
	width, height int
	// totals are the drops since netstack-top started (live, not -once;
	// nil otherwise).
	totals *sinceStart
}

// sinceStart is the delta from the first snapshot to the current one:
// its interval and the drops of each stage (by name) that Diagnose counts
// over it, so that a burst stays visible after its interval.
type sinceStart struct {
	interval time.Duration
	drops    map[string]uint64
}

// newSinceStart diagnoses the delta from the first snapshot.
func newSinceStart(d *netstack.Delta) *sinceStart {
	t := &sinceStart{interval: d.Interval, drops: map[string]uint64{}}
	for _, f := range netstack.Diagnose(d) {
		t.drops[f.Stage.String()] += f.Drops
	}
	return t
}

// stageSummary is one line of the path view: the stage's main rates and
// the packets lost there.
type stageSummary struct {
	Stage  string `json:"stage"`
	Drops  uint64 `json:"drops"`
	Losing bool   `json:"losing"`
	Detail string `json:"detail"`
	// Failed holds the errors of the sources whose numbers the stage would
	// show: those numbers are missing, not zero.
	Failed []string `json:"failed,omitempty"`
	// NotCollected is set when none of the stage's sources was collected
	// (-sources, or a namespace without its own sysfs): no numbers, not 0.
	NotCollected bool `json:"not_collected,omitempty"`
	parts        []string
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

// devTotals is one device's link counters over the interval
// (IFLA_STATS64, or sysfs statistics/* for a bundle).
type devTotals struct {
	name                    string
	rxPkts, rxBytes, txPkts float64 // per second
	rxMissed, rxDropped     uint64  // rx_missed/fifo/over_errors; rx_dropped
	// procDev is set for a device read from /proc/net/dev (Label
	// netstack.ProcNetDevLabel), whose "drop" column is rx_dropped +
	// rx_missed_errors: rxDropped then holds that column, and rxMissed
	// the fifo column alone.
	procDev             bool
	txErrors, txDropped uint64
}

// qdiscTotals is one device's qdiscs over the interval (TCA_STATS2 of the
// qdiscs, classes left out): the largest of its qdiscs' figures, as the
// root qdisc counts what its children do.
type qdiscTotals struct {
	dev, kind      string
	sent           float64
	drops, requeue uint64
	backlog        uint64 // bytes, a level
}

// totals is every figure the path view shows, gathered in one pass over
// the delta's counters, so the view's cost is linear in the counters.
type totals struct {
	devs   []devTotals
	devIdx map[string]int
	qds    []qdiscTotals
	qdIdx  map[string]int

	netRx, processed                 float64 // /proc/softirqs NET_RX, softnet processed
	squeeze, backlogDrops, flowLimit uint64  // softnet_stat
	ipIn                             float64 // Ip.InReceives
	ipDiscards, ipHdr                uint64
	udpIn                            float64
	noPorts, inErrors, csum          uint64
	rcvbuf, memErrors                uint64
	sockDrops                        uint64 // sock_diag / /proc/net/udp drops
	ownPkts                          float64
	ownSockets                       int
	pending                          int
	udpOut                           float64
	sndbuf                           uint64
	txTimeout, bqlStalls             uint64
}

func gather(d *netstack.Delta) *totals {
	t := &totals{devIdx: map[string]int{}, qdIdx: map[string]int{}}
	var own map[string]struct{}
	// A source emits each object's counters together: the last object's
	// entry is remembered, so the map is asked once per object.
	lastDev := -1
	for i := range d.Counters {
		c := &d.Counters[i]
		switch c.Source {
		case netstack.SourceLinks:
			if c.Object == "" {
				continue
			}
			j := lastDev
			if j < 0 || t.devs[j].name != c.Object {
				var ok bool
				if j, ok = t.devIdx[c.Object]; !ok {
					j = len(t.devs)
					t.devIdx[c.Object] = j
					t.devs = append(t.devs, devTotals{name: c.Object})
				}
				lastDev = j
			}
			if c.Gauge {
				continue
			}
			a := &t.devs[j]
			if c.Label == netstack.ProcNetDevLabel {
				a.procDev = true
			}
			switch c.Name {
			case netstack.LinkRxPackets:
				a.rxPkts += c.Rate
			case netstack.LinkRxBytes:
				a.rxBytes += c.Rate
			case netstack.LinkRxMissedErrors, netstack.LinkRxFIFOErrors, netstack.LinkRxOverErrors:
				a.rxMissed += c.Delta
			case netstack.LinkRxDropped, netstack.ProcNetDevRxDrop:
				a.rxDropped += c.Delta
			case netstack.LinkTxPackets:
				a.txPkts += c.Rate
			case netstack.LinkTxErrors:
				a.txErrors += c.Delta
			case netstack.LinkTxDropped:
				a.txDropped += c.Delta
			}
		case netstack.SourceSoftirqs:
			if !c.Gauge && c.Name == "NET_RX" {
				t.netRx += c.Rate
			}
		case netstack.SourceSoftnet:
			if c.Gauge {
				continue
			}
			switch c.Name {
			case netstack.SoftnetProcessed:
				t.processed += c.Rate
			case netstack.SoftnetTimeSqueeze:
				t.squeeze += c.Delta
			case netstack.SoftnetDropped:
				t.backlogDrops += c.Delta
			case netstack.SoftnetFlowLimitCount:
				t.flowLimit += c.Delta
			}
		case netstack.SourceSNMP:
			if c.Gauge {
				continue
			}
			switch c.Name {
			case "Ip.InReceives":
				t.ipIn += c.Rate
			case "Ip.InDiscards", "Ip6InDiscards":
				t.ipDiscards += c.Delta
			case "Ip.InHdrErrors", "Ip.InAddrErrors", "Ip6InHdrErrors", "Ip6InAddrErrors":
				t.ipHdr += c.Delta
			case "Udp.InDatagrams", "Udp6InDatagrams":
				t.udpIn += c.Rate
			case "Udp.NoPorts", "Udp6NoPorts":
				t.noPorts += c.Delta
			case "Udp.InErrors", "Udp6InErrors":
				t.inErrors += c.Delta
			case "Udp.InCsumErrors", "Udp6InCsumErrors":
				t.csum += c.Delta
			case "Udp.RcvbufErrors", "Udp6RcvbufErrors":
				t.rcvbuf += c.Delta
			case "Udp.MemErrors", "Udp6MemErrors":
				t.memErrors += c.Delta
			case "Udp.OutDatagrams", "Udp6OutDatagrams":
				t.udpOut += c.Rate
			case "Udp.SndbufErrors", "Udp6SndbufErrors":
				t.sndbuf += c.Delta
			}
		case netstack.SourceUDP:
			if !c.Gauge && c.Name == netstack.UDPDrops {
				t.sockDrops += c.Delta
			}
		case netstack.SourceSockets:
			if c.Name == netstack.SocketPackets && !c.Gauge {
				t.ownPkts += c.Rate
			}
			if c.Name == netstack.SocketPending && c.Value > 0 {
				t.pending++
			}
			if c.Object != "" {
				if own == nil {
					own = map[string]struct{}{}
				}
				own[c.Object] = struct{}{}
			}
		case netstack.SourceQdisc:
			if c.Object == "" {
				continue
			}
			j, ok := t.qdIdx[c.Object]
			if !ok {
				j = len(t.qds)
				t.qdIdx[c.Object] = j
				t.qds = append(t.qds, qdiscTotals{dev: c.Object})
			}
			if strings.HasSuffix(c.Label, " class") {
				continue
			}
			q := &t.qds[j]
			switch c.Name {
			case netstack.QdiscPackets:
				q.sent = max(q.sent, c.Rate)
			case netstack.QdiscDrops:
				q.drops = max(q.drops, c.Delta)
			case netstack.QdiscRequeues:
				q.requeue = max(q.requeue, c.Delta)
			case netstack.QdiscBacklog:
				q.backlog = max(q.backlog, c.Value)
				if q.kind == "" {
					q.kind = c.Label
				}
			}
		case netstack.SourceDevices:
			if c.Gauge {
				continue
			}
			switch c.Name {
			case netstack.DeviceTxTimeout:
				t.txTimeout += c.Delta
			case netstack.DeviceBQLStallCnt:
				t.bqlStalls += c.Delta
			}
		}
	}
	t.ownSockets = len(own)
	return t
}

// top returns the indexes, in first-seen order, of the n items that rank
// first by loss, then rate (every item when count <= n). The cost is
// O(count log count).
func top(count, n int, loss func(int) uint64, rate func(int) float64) []int {
	idx := make([]int, count)
	for i := range idx {
		idx[i] = i
	}
	if count <= n {
		return idx
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(loss(b), loss(a)); c != 0 {
			return c
		}
		return cmp.Compare(rate(b), rate(a))
	})
	idx = idx[:max(n, 0)]
	slices.Sort(idx)
	return idx
}

// deviceLimit is how many devices a per-device row lists: -top-devices, or
// every device named with -devices.
func (o *options) deviceLimit() int {
	return max(o.topDevices, len(o.devices))
}

// summarize builds the per-stage lines of the path view.
func summarize(d *netstack.Delta, fs []netstack.Finding, fl *failures, o *options) []stageSummary {
	var drops [16]uint64
	losing := -1
	for _, f := range fs {
		if int(f.Stage) < len(drops) {
			drops[f.Stage] += f.Drops
		}
		if losing < 0 {
			losing = int(f.Stage)
		}
	}
	t := gather(d)
	limit := o.deviceLimit()
	has := func(src netstack.Source) bool { return o.collected == 0 || o.collected&src != 0 }
	var out []stageSummary
	for _, st := range netstack.Stages() {
		var parts, failed []string
		if need := stageSources(st); !has(need) {
			out = append(out, stageSummary{Stage: st.String(), Drops: drops[st], Losing: int(st) == losing,
				Detail: notCollected(o, need), NotCollected: true, parts: []string{notCollected(o, need)}})
			continue
		}
		// note adds the errors of sources whose numbers are missing.
		note := func(msgs []string) {
			for _, m := range msgs {
				parts = append(parts, "FAILED: "+m)
			}
			failed = append(failed, msgs...)
		}
		// whole shows the errors of the sources the row depends on in
		// place of its numbers.
		whole := func(msgs []string) bool {
			if len(msgs) == 0 {
				return false
			}
			note(msgs)
			return true
		}
		switch st {
		case netstack.StageNIC:
			if !whole(fl.whole(netstack.SourceLinks)) {
				parts, failed = deviceParts(t, fl, limit, true, parts, failed)
			}
		case netstack.StageSoftirq:
			irqF, netF := fl.whole(netstack.SourceSoftirqs), fl.whole(netstack.SourceSoftnet)
			if len(irqF) > 0 && len(netF) > 0 {
				whole(append(irqF, netF...))
				break
			}
			nr := "NET_RX " + rate(t.netRx)
			switch {
			case !has(netstack.SourceSoftirqs):
				nr = "NET_RX not collected"
			case len(irqF) > 0:
				nr = "NET_RX FAILED"
			}
			sn := fmt.Sprintf("proc %s squeeze+%d backlog-drops+%d flowlimit+%d", rate(t.processed), t.squeeze, t.backlogDrops, t.flowLimit)
			switch {
			case !has(netstack.SourceSoftnet):
				sn = "softnet_stat not collected"
			case len(netF) > 0:
				sn = "proc/squeeze/backlog-drops/flowlimit FAILED"
			}
			parts = append(parts, nr+" "+sn)
			note(irqF)
			note(netF)
		case netstack.StageIP:
			if !whole(fl.whole(netstack.SourceSNMP)) {
				parts = append(parts, fmt.Sprintf("InReceives %s InDiscards+%d header/addr errors+%d", rate(t.ipIn), t.ipDiscards, t.ipHdr))
			}
		case netstack.StageUDP:
			if !whole(fl.whole(netstack.SourceSNMP)) {
				// InErrors includes the buffer and checksum drops, shown at their own stage.
				other := t.inErrors - min(t.inErrors, t.rcvbuf+t.memErrors+t.csum)
				parts = append(parts, fmt.Sprintf("InDatagrams %s NoPorts+%d InCsumErrors+%d other InErrors+%d", rate(t.udpIn), t.noPorts, t.csum, other))
			}
		case netstack.StageSocket:
			snmpF, udpF := fl.whole(netstack.SourceSNMP), fl.whole(netstack.SourceUDP)
			if len(snmpF) > 0 && len(udpF) > 0 {
				whole(append(snmpF, udpF...))
				break
			}
			a := fmt.Sprintf("RcvbufErrors+%d MemErrors+%d", t.rcvbuf, t.memErrors)
			switch {
			case !has(netstack.SourceSNMP):
				a = "RcvbufErrors/MemErrors not collected"
			case len(snmpF) > 0:
				a = "RcvbufErrors/MemErrors FAILED"
			}
			b := fmt.Sprintf("socket drops+%d", t.sockDrops)
			switch {
			case !has(netstack.SourceUDP):
				b = "socket drops not collected"
			case len(udpF) > 0:
				b = "socket drops FAILED"
			}
			parts = append(parts, a+" "+b)
			note(snmpF)
			note(udpF)
		case netstack.StageApplication:
			if whole(fl.whole(netstack.SourceSockets)) {
				break
			}
			if t.ownSockets > 0 {
				parts = append(parts, fmt.Sprintf("own sockets %d read %s behind %d", t.ownSockets, rate(t.ownPkts), t.pending))
			} else {
				parts = append(parts, "no instrumented sockets in this process")
			}
		case netstack.StageTxSocket:
			if !whole(fl.whole(netstack.SourceSNMP)) {
				parts = append(parts, fmt.Sprintf("OutDatagrams %s SndbufErrors+%d", rate(t.udpOut), t.sndbuf))
			}
		case netstack.StageQdisc:
			if !whole(fl.whole(netstack.SourceQdisc)) {
				parts, failed = qdiscParts(t, fl, limit, parts, failed)
			}
		case netstack.StageTxDriver:
			if !whole(fl.whole(netstack.SourceDevices)) {
				parts = append(parts, fmt.Sprintf("tx_timeout+%d bql stalls+%d", t.txTimeout, t.bqlStalls))
				if n, first := fl.objects(netstack.SourceDevices); n > 0 {
					note([]string{fmt.Sprintf("%d device(s), first %s", n, first)})
				}
			}
		case netstack.StageTxNIC:
			if !whole(fl.whole(netstack.SourceLinks)) {
				parts, failed = deviceParts(t, fl, limit, false, parts, failed)
			}
		}
		if len(failed) > maxFailureLines {
			n := len(failed) - maxFailureLines
			failed = append(failed[:maxFailureLines:maxFailureLines], fmt.Sprintf("and %d more errors", n))
		}
		out = append(out, stageSummary{Stage: st.String(), Drops: drops[st], Losing: int(st) == losing,
			Detail: strings.Join(parts, " | "), Failed: failed, parts: parts})
	}
	return out
}

// stageSources are the sources whose numbers a stage's row shows.
func stageSources(st netstack.Stage) netstack.Source {
	switch st {
	case netstack.StageNIC, netstack.StageTxNIC:
		return netstack.SourceLinks
	case netstack.StageSoftirq:
		return netstack.SourceSoftnet | netstack.SourceSoftirqs
	case netstack.StageIP, netstack.StageUDP, netstack.StageTxSocket:
		return netstack.SourceSNMP
	case netstack.StageSocket:
		return netstack.SourceSNMP | netstack.SourceUDP
	case netstack.StageApplication:
		return netstack.SourceSockets
	case netstack.StageQdisc:
		return netstack.SourceQdisc
	case netstack.StageTxDriver:
		return netstack.SourceDevices
	}
	return 0
}

// notCollected says why a row has no numbers.
func notCollected(o *options, src netstack.Source) string {
	if o.sources != 0 && o.sources&src == 0 {
		return "not collected (" + src.String() + " not in -sources)"
	}
	return "not collected (" + src.String() + ": the host's sysfs does not describe a namespace)"
}

// deviceParts lists the receive (rx) or transmit side of the devices with
// link counters: every device when they fit in limit, else the limit
// devices that lost the most, then the rest in one line.
func deviceParts(t *totals, fl *failures, limit int, rx bool, parts, failed []string) ([]string, []string) {
	devs := t.devs
	loss := func(i int) uint64 {
		if rx {
			return devs[i].rxMissed + devs[i].rxDropped
		}
		return devs[i].txErrors + devs[i].txDropped
	}
	rateOf := func(i int) float64 {
		if rx {
			return devs[i].rxPkts
		}
		return devs[i].txPkts
	}
	shown := top(len(devs), limit, loss, rateOf)
	for _, i := range shown {
		a := &devs[i]
		if msg, ok := fl.object(netstack.SourceLinks, a.name); ok {
			parts = append(parts, a.name+" FAILED: "+msg)
			failed = append(failed, msg)
			continue
		}
		switch {
		case rx && a.procDev:
			// /proc/net/dev: the fifo column, and the drop column that
			// sums rx_dropped and rx_missed_errors.
			parts = append(parts, fmt.Sprintf("%s %s %sB fifo+%d drop(col)+%d", a.name, rate(a.rxPkts), strings.TrimSuffix(rate(a.rxBytes), "/s"), a.rxMissed, a.rxDropped))
		case rx:
			parts = append(parts, fmt.Sprintf("%s %s %sB missed+%d dropped+%d", a.name, rate(a.rxPkts), strings.TrimSuffix(rate(a.rxBytes), "/s"), a.rxMissed, a.rxDropped))
		default:
			parts = append(parts, fmt.Sprintf("%s %s errors+%d dropped+%d", a.name, rate(a.txPkts), a.txErrors, a.txDropped))
		}
	}
	// Devices whose counters are missing altogether (a per-device error
	// with no counters) still get their line.
	for _, e := range fl.all() {
		if e.src&netstack.SourceLinks != 0 && e.object != "" {
			if _, ok := t.devIdx[e.object]; !ok && len(parts) < limit {
				parts = append(parts, e.object+" FAILED: "+e.msg)
				failed = append(failed, e.msg)
			}
		}
	}
	if rest := len(devs) - len(shown); rest > 0 {
		var lost uint64
		var r float64
		in := 0
		for i := range devs {
			if in < len(shown) && shown[in] == i {
				in++
				continue
			}
			lost += loss(i)
			r += rateOf(i)
		}
		what := "missed+dropped"
		if !rx {
			what = "errors+dropped"
		}
		parts = append(parts, fmt.Sprintf("and %d more devices: %s+%d, %s (-top-devices to list more)", rest, what, lost, rate(r)))
	}
	if len(devs) == 0 && len(parts) == 0 {
		parts = append(parts, "no devices")
	}
	return parts, failed
}

// qdiscParts lists the qdiscs per device, bounded like deviceParts.
func qdiscParts(t *totals, fl *failures, limit int, parts, failed []string) ([]string, []string) {
	qs := t.qds
	shown := top(len(qs), limit, func(i int) uint64 { return qs[i].drops }, func(i int) float64 { return qs[i].sent })
	for _, i := range shown {
		q := &qs[i]
		if msg, ok := fl.object(netstack.SourceQdisc, q.dev); ok {
			parts = append(parts, q.dev+" FAILED: "+msg)
			failed = append(failed, msg)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s sent %s drops+%d requeues+%d backlog %dB", q.dev, q.kind, rate(q.sent), q.drops, q.requeue, q.backlog))
	}
	if rest := len(qs) - len(shown); rest > 0 {
		var drops uint64
		in := 0
		for i := range qs {
			if in < len(shown) && shown[in] == i {
				in++
				continue
			}
			drops += qs[i].drops
		}
		parts = append(parts, fmt.Sprintf("and %d more devices: drops+%d (-top-devices to list more)", rest, drops))
	}
	if len(qs) == 0 && len(parts) == 0 {
		parts = append(parts, "no qdiscs")
	}
	return parts, failed
}

func (v *view) errorLines() []string {
	if v.bundle != nil {
		return v.bundle.errors
	}
	out := make([]string, len(v.snap.Errors))
	for i, e := range v.snap.Errors {
		out[i] = e.Error()
	}
	return out
}

func countNoisy(ps []pairResult) int {
	n := 0
	for i := range ps {
		if len(ps[i].findings) > 0 || len(ps[i].failedStages) > 0 {
			n++
		}
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// compact keeps the first n items and counts the rest.
func compact(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(items[:n:n], fmt.Sprintf("and %d more", len(items)-n))
}

// sockRow is one UDP socket of the table: one socket inode, however many
// sockets share its local address.
type sockRow struct {
	Local      string `json:"local"`
	Inode      uint64 `json:"inode"`
	Drops      uint64 `json:"drops"`
	DropsTotal uint64 `json:"drops_total"`
	RxQueue    uint64 `json:"rx_queue"`
	// Rcvbuf is SO_RCVBUF (sock_diag SK_MEMINFO_RCVBUF), absent where the
	// kernel does not report it (/proc/net/udp has no rcvbuf).
	Rcvbuf *uint64 `json:"rcvbuf,omitempty"`
	// Owners are the processes holding the socket ("PID (comm)"), when
	// looked up.
	Owners string `json:"owners,omitempty"`
	hasIno bool
}

// socketRows gathers the UDP table's counters by socket (Object, Index =
// inode) and sorts them by drops in the interval, then drops in total.
func socketRows(d *netstack.Delta) []sockRow {
	type key struct {
		obj string
		idx int64
	}
	var rows []sockRow
	idx := map[key]int{}
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source != netstack.SourceUDP {
			continue
		}
		k := key{c.Object, c.Index}
		j, ok := idx[k]
		if !ok {
			j = len(rows)
			idx[k] = j
			rows = append(rows, sockRow{Local: c.Object})
			if c.Index >= 0 {
				rows[j].Inode, rows[j].hasIno = uint64(c.Index), true
			}
		}
		r := &rows[j]
		switch c.Name {
		case "drops":
			r.Drops += c.Delta
			r.DropsTotal += c.Value
		case "rcvbuf":
			v := c.Value
			if r.Rcvbuf != nil {
				v = max(v, *r.Rcvbuf)
			}
			r.Rcvbuf = &v
		case "rx_queue":
			r.RxQueue += c.Value
		}
	}
	slices.SortStableFunc(rows, func(a, b sockRow) int {
		if c := cmp.Compare(b.Drops, a.Drops); c != 0 {
			return c
		}
		return cmp.Compare(b.DropsTotal, a.DropsTotal)
	})
	return rows
}

// topSockets returns the -top sockets, with their owners when looked up.
func topSockets(d *netstack.Delta, n int, owners *ownerCache) (shown []sockRow, total int) {
	rows := socketRows(d)
	shown = rows[:min(max(n, 0), len(rows))]
	if owners != nil && len(shown) > 0 {
		inodes := make([]uint64, 0, len(shown))
		for _, r := range shown {
			if r.hasIno {
				inodes = append(inodes, r.Inode)
			}
		}
		names := owners.lookup(inodes)
		for i := range shown {
			if shown[i].hasIno {
				shown[i].Owners = names[shown[i].Inode]
			}
		}
	}
	return shown, len(rows)
}

// wrap breaks s into lines of at most width columns at spaces, the first
// prefixed with first and the rest with rest. A word is split only when it
// is longer than a whole line.
func wrap(first, s, rest string, width int) string {
	var b strings.Builder
	line, n := first, utf8.RuneCountInString(first)
	restN := utf8.RuneCountInString(rest)
	empty := true // nothing but the prefix on the line
	for _, word := range strings.Fields(s) {
		wn := utf8.RuneCountInString(word)
		if !empty && n+1+wn > width {
			b.WriteString(line)
			b.WriteByte('\n')
			line, n, empty = rest, restN, true
		}
		// A word longer than a line is cut at the width.
		for empty && n+wn > width && width-n > 1 {
			cut := width - n
			i := byteIndex(word, cut)
			b.WriteString(line + word[:i])
			b.WriteByte('\n')
			word, wn = word[i:], wn-cut
			line, n = rest, restN
		}
		if !empty {
			line += " "
			n++
		}
		line += word
		n += wn
		empty = false
	}
	b.WriteString(line)
	return b.String()
}

// byteIndex is the byte offset of the rune at position r of s.
func byteIndex(s string, r int) int {
	for i := range s {
		if r == 0 {
			return i
		}
		r--
	}
	return len(s)
}

// clip cuts s to n columns (runes), ending it with … when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return s[:byteIndex(s, n-1)] + "…"
}
