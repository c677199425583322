package netstack

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Finding is one stage where packets were lost or held up during a delta's
// interval, with the evidence and the knob to turn.
type Finding struct {
	// Stage is where on the path the loss happened.
	Stage Stage `json:"stage"`
	// Object is the device, CPU list, qdisc or socket concerned ("" for
	// host-wide findings).
	Object string `json:"object,omitempty"`
	// Drops is how many packets were lost at this stage in the interval
	// (0 for findings about delay or pressure without loss).
	Drops uint64 `json:"drops"`
	// Summary says what happened in one line.
	Summary string `json:"summary"`
	// Cause is the likely cause, as the kernel's counters explain it.
	Cause string `json:"cause"`
	// Evidence lists the counters that moved and the settings in force.
	Evidence []Evidence `json:"evidence"`
	// Knobs are the settings that address the cause, with the exact
	// command to change them. packetpath never changes a setting itself.
	Knobs []Knob `json:"knobs"`
}

// Evidence is a counter or setting quoted by a finding.
type Evidence struct {
	Source Source `json:"source"`
	Object string `json:"object,omitempty"`
	Index  int64  `json:"index"`
	Name   string `json:"name"`
	// Delta and Rate (per second) for a counter; Value for a gauge or a
	// setting.
	Delta uint64  `json:"delta"`
	Rate  float64 `json:"rate"`
	Value uint64  `json:"value"`
	Gauge bool    `json:"gauge,omitempty"`
	// Inode identifies the socket of per-socket evidence from the UDP
	// socket table (SourceUDP, whose Index is the inode too): several
	// sockets can share the local address in Object. 0 for other evidence.
	Inode uint64 `json:"inode,omitempty"`
	// PID and Comm name the process holding the socket (the lowest PID when
	// several share it; Comm from /proc/PID/comm), when known: Diagnose
	// leaves them empty and OwnerCache.Annotate fills them.
	PID  int    `json:"pid,omitempty"`
	Comm string `json:"comm,omitempty"`
}

func (e Evidence) String() string {
	obj := e.Object
	switch {
	case e.Inode != 0:
		obj += " inode " + strconv.FormatUint(e.Inode, 10)
		if e.PID > 0 {
			obj += ", pid " + strconv.Itoa(e.PID)
			if e.Comm != "" {
				obj += " " + e.Comm
			}
		}
	case e.Index >= 0:
		if obj != "" {
			obj += "/"
		}
		obj += fmt.Sprint(e.Index)
	}
	if obj != "" {
		obj = " [" + obj + "]"
	}
	if e.Gauge {
		return fmt.Sprintf("%s %s%s = %d", e.Source, e.Name, obj, e.Value)
	}
	return fmt.Sprintf("%s %s%s +%d (%.1f/s)", e.Source, e.Name, obj, e.Delta, e.Rate)
}

// Knob is a setting that addresses a finding's cause.
type Knob struct {
	// Name is the setting, e.g. "net.core.netdev_budget" or "ethtool -G rx".
	Name string `json:"name"`
	// Current is the value in force when known, else "".
	Current string `json:"current,omitempty"`
	// Advice says which way to turn it and why.
	Advice string `json:"advice"`
	// Command is the exact command or sysctl line that changes it.
	Command string `json:"command,omitempty"`
	// InForce is the value the kernel applies where that is not the
	// setting alone (net.ipv4.conf.<iface>.rp_filter: the larger of it and
	// conf.all, set whenever both were read), else "".
	InForce string `json:"in_force,omitempty"`
}

// Diagnose walks the stages in path order (receive, then transmit) and
// returns a finding for each stage where packets were lost or held up in
// the delta's interval. The first finding is the earliest losing stage on
// the receive path, which is where to start. Diagnose only reads: it never
// changes a setting.
func Diagnose(d *Delta) []Finding {
	var fs []Finding
	dg := diag{d: d, spans: sourceSpans(d)}
	dg.backlogDevs = dg.backlogRxDropped()
	dg.nic(&fs)
	dg.softirq(&fs)
	dg.ip(&fs)
	dg.rpFilter(&fs)
	dg.reassembly(&fs)
	dg.netfilter(&fs)
	dg.udp(&fs)
	dg.ignoredMulti(&fs)
	dg.checksumKnobs(fs)
	dg.unjoinedGroups(&fs)
	dg.socket(&fs)
	dg.application(&fs)
	dg.txSocket(&fs)
	dg.qdisc(&fs)
	dg.txDriver(&fs)
	dg.txNIC(&fs)
	fs = mergeSndbufIntoQdisc(fs)
	dg.dropEvents(fs)
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(a.Stage, b.Stage) })
	return fs
}

type diag struct {
	d *Delta
	// backlogDevs are the rx_dropped counters the backlog drops account
	// for (backlogRxDropped), which the NIC stage leaves to the softirq's.
	backlogDevs []*CounterDelta
	// spans bounds where each source's counters lie in d.Counters, so
	// that the passes of the stages over one source skip the others'.
	spans *[sourceBits]span
}

// sourceBits is the number of sources (bits of Source).
const sourceBits = 12

// span is the range [lo, hi) of d.Counters holding all the counters of a
// source; collectors emit a source's counters together, so the span is
// usually exactly those, but any order is correct.
type span struct{ lo, hi int32 }

// sourceSpans finds each source's span in one pass over d.
func sourceSpans(d *Delta) *[sourceBits]span {
	sp := new([sourceBits]span)
	for i := range d.Counters {
		b := bits.TrailingZeros32(uint32(d.Counters[i].Source))
		if b >= sourceBits {
			continue
		}
		if s := &sp[b]; s.hi == 0 {
			*s = span{int32(i), int32(i) + 1}
		} else {
			s.hi = int32(i) + 1
		}
	}
	return sp
}

// of returns the part of d.Counters that holds every counter of source
// (a set of sources): the union of their spans.
func (g diag) of(source Source) []CounterDelta {
	if g.spans == nil {
		return g.d.Counters
	}
	lo, hi := int32(len(g.d.Counters)), int32(0)
	for b := range sourceBits {
		if source&(1<<b) != 0 && g.spans[b].hi > 0 {
			lo, hi = min(lo, g.spans[b].lo), max(hi, g.spans[b].hi)
		}
	}
	if hi == 0 {
		return nil
	}
	return g.d.Counters[lo:hi]
}

// find is Delta.Find over the source's span.
func (g diag) find(source Source, object string, index int64, name string) *CounterDelta {
	cs := g.of(source)
	for i := range cs {
		c := &cs[i]
		if c.Source == source && c.Index == index && c.Name == name && c.Object == object {
			return c
		}
	}
	return nil
}

// objIndex holds the gauges and counters that one stage's findings quote
// per object (ring sizes, socket buffers, qdisc backlogs), found in one
// pass over the delta for the objects of those findings only: a Delta.Find
// per finding made Diagnose grow with the square of the devices, and an
// index of every counter would cost more than the diagnosis.
type objIndex map[counterKey]*CounterDelta

// index returns the counters of source (a set of sources) named in names
// that belong to the given objects, the first of each key as Delta.Find
// would return it.
func (g diag) index(source Source, objects []string, names ...string) objIndex {
	if len(objects) == 0 {
		return nil
	}
	want := make(map[string]bool, len(objects))
	for _, o := range objects {
		want[o] = true
	}
	x := objIndex{}
	cs := g.of(source)
	for i := range cs {
		c := &cs[i]
		if c.Source&source == 0 || !slices.Contains(names, c.Name) || !want[c.Object] {
			continue
		}
		if k := c.key(); x[k] == nil {
			x[k] = c
		}
	}
	return x
}

// get returns the counter with that key, or nil.
func (x objIndex) get(source Source, object string, index int64, name string) *CounterDelta {
	return x[counterKey{source, object, index, name}]
}

// gauge returns the value of the counter with that key.
func (x objIndex) gauge(source Source, object string, index int64, name string) (uint64, bool) {
	if c := x.get(source, object, index, name); c != nil {
		return c.Value, true
	}
	return 0, false
}

func ev(c *CounterDelta) Evidence {
	return Evidence{Source: c.Source, Object: c.Object, Index: c.Index, Name: c.Name,
		Delta: c.Delta, Rate: c.Rate, Value: c.Value, Gauge: c.Gauge, Inode: evInode(c.Source, c.Index)}
}

// evInode is the socket inode of a counter's evidence: the Index of a UDP
// socket-table counter, 0 for every other source.
func evInode(src Source, index int64) uint64 {
	if src == SourceUDP && index > 0 {
		return uint64(index)
	}
	return 0
}

// socketRef names one socket in a finding's Object and Summary: the UDP
// table's as "ADDR:PORT (inode N)", since sockets can share an address; an
// own socket by the name it was added under.
func socketRef(c *CounterDelta) string {
	if ino := evInode(c.Source, c.Index); ino != 0 {
		return c.Object + " (inode " + strconv.FormatUint(ino, 10) + ")"
	}
	return c.Object
}

// moved returns the counters of source whose name satisfies match and that
// increased in the interval.
func (g diag) moved(source Source, match func(name string) bool) []*CounterDelta {
	var out []*CounterDelta
	cs := g.of(source)
	for i := range cs {
		c := &cs[i]
		if c.Source&source != 0 && !c.Gauge && c.Delta > 0 && match(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func (g diag) counter(source Source, object string, index int64, name string) *CounterDelta {
	return g.find(source, object, index, name)
}

// gauge returns a gauge or setting from the current snapshot. It passes
// over the delta: for host-wide values, looked up a fixed number of times
// per Diagnose; per-object values go through an objIndex.
func (g diag) gauge(source Source, object string, index int64, name string) (uint64, bool) {
	if c := g.find(source, object, index, name); c != nil {
		return c.Value, true
	}
	return 0, false
}

func (g diag) sysctlKnob(name, advice string, suggest func(cur uint64) uint64) Knob {
	k := Knob{Name: name, Advice: advice}
	if v, ok := g.gauge(SourceSysctls, "", -1, name); ok {
		k.Current = fmt.Sprint(v)
		if suggest != nil {
			k.Command = fmt.Sprintf("sysctl -w %s=%d", name, suggest(v))
		}
	}
	if k.Command == "" {
		k.Command = fmt.Sprintf("sysctl -w %s=<value>", name)
	}
	return k
}

func double(v uint64) uint64 {
	if v == 0 {
		return 1
	}
	return 2 * v
}

func name(names ...string) func(string) bool {
	return func(n string) bool { return slices.Contains(names, n) }
}

// groupByObject sums the counters per object, keeping first-seen order.
func groupByObject(cs []*CounterDelta) (objects []string, by map[string][]*CounterDelta) {
	by = map[string][]*CounterDelta{}
	for _, c := range cs {
		if _, ok := by[c.Object]; !ok {
			objects = append(objects, c.Object)
		}
		by[c.Object] = append(by[c.Object], c)
	}
	return objects, by
}

func total(cs []*CounterDelta) (n uint64) {
	for _, c := range cs {
		n += c.Delta
	}
	return n
}

// isRxDropStat matches driver statistics that count receive-side losses in
// the common naming schemes (rx_missed_errors, rx0_drops, rx_queue_0_drops,
// rx-0.rx_dropped, rx_no_buffer_count, rx_fifo_errors, ...).
func isRxDropStat(n string) bool {
	l := strings.ToLower(n)
	if !strings.Contains(l, "rx") {
		return false
	}
	for _, w := range []string{"drop", "miss", "no_buf", "nobuf", "fifo", "discard", "overrun", "out_of_buffer"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

func isTxDropStat(n string) bool {
	l := strings.ToLower(n)
	if !strings.Contains(l, "tx") {
		return false
	}
	for _, w := range []string{"drop", "timeout", "fifo", "discard", "busy", "stop", "restart_queue"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// backlogRxDropped returns the devices' rx_dropped counters that the CPUs'
// backlog drops account for. enqueue_to_backlog (net/core/dev.c) counts a
// packet it drops both in softnet_stat's dropped column and in the
// rx_dropped of the device the packet came in on, so the same loss shows at
// the device and at the softirq stage; the softirq finding then owns it.
// Which device a backlog drop came from is not recorded, and softnet_stat
// is machine-wide while a namespace's links are its own, so the fold is
// made only when it is unambiguous: one device whose rx_dropped equals the
// backlog drops, or devices whose rx_dropped together are no more than
// them. Otherwise nothing is folded and both findings stand.
func (g diag) backlogRxDropped() []*CounterDelta {
	return g.backlogFold(LinkRxDropped)
}

// backlogFold applies backlogRxDropped's rule to the link counters named
// counter (rx_dropped, or /proc/net/dev's drop column, which includes it).
func (g diag) backlogFold(counter string) []*CounterDelta {
	backlog := total(g.moved(SourceSoftnet, name(SoftnetDropped)))
	if backlog == 0 {
		return nil
	}
	moved := g.moved(SourceLinks, name(counter))
	for _, c := range moved {
		if c.Delta == backlog {
			return []*CounterDelta{c}
		}
	}
	if total(moved) <= backlog {
		return moved
	}
	return nil
}

func (g diag) nic(fs *[]Finding) {
	link := g.moved(SourceLinks, name(LinkRxMissedErrors, LinkRxFIFOErrors, LinkRxOverErrors, LinkRxDropped, LinkRxCRCErrors, LinkRxFrameErrors, LinkRxLengthErrors, ProcNetDevRxDrop, ProcNetDevRxFrame))
	drv := g.moved(SourceEthtool, isRxDropStat)
	// The rx_dropped counters and drop columns the softirq finding reports
	// (backlog drops), as a set: one probe per counter.
	var skip map[*CounterDelta]bool
	if folded := g.backlogProcDrop(); len(g.backlogDevs)+len(folded) > 0 {
		skip = make(map[*CounterDelta]bool, len(g.backlogDevs)+len(folded))
		for _, c := range g.backlogDevs {
			skip[c] = true
		}
		for _, c := range folded {
			skip[c] = true
		}
	}
	objects, by := groupByObject(append(link, drv...))
	rings := g.index(SourceEthtool, objects, EthtoolRingRx, EthtoolRingRxMax)
	for _, dev := range objects {
		cs := by[dev]
		f := Finding{Stage: StageNIC, Object: dev}
		// dropMissed is /proc/net/dev's drop column (rx_dropped +
		// rx_missed_errors): ring misses and other drops it does not split.
		var missed, dropMissed, other, driver uint64
		for _, c := range cs {
			switch {
			case c.Source == SourceLinks && skip[c]:
				continue // backlog drops: the softirq finding reports them
			case c.Source == SourceLinks && (c.Name == LinkRxMissedErrors || c.Name == LinkRxFIFOErrors || c.Name == LinkRxOverErrors):
				missed += c.Delta
			case c.Source == SourceLinks && c.Name == ProcNetDevRxDrop:
				dropMissed += c.Delta
			case c.Source == SourceLinks:
				other += c.Delta
			default:
				driver += c.Delta
			}
			f.Evidence = append(f.Evidence, ev(c))
		}
		if len(f.Evidence) == 0 {
			continue
		}
		f.Drops = missed + dropMissed + other
		if f.Drops == 0 {
			f.Drops = driver
		}
		rx, okRx := rings.gauge(SourceEthtool, dev, -1, EthtoolRingRx)
		rxMax, okMax := rings.gauge(SourceEthtool, dev, -1, EthtoolRingRxMax)
		if okRx && okMax {
			f.Evidence = append(f.Evidence,
				Evidence{Source: SourceEthtool, Object: dev, Index: -1, Name: EthtoolRingRx, Value: rx, Gauge: true},
				Evidence{Source: SourceEthtool, Object: dev, Index: -1, Name: EthtoolRingRxMax, Value: rxMax, Gauge: true})
		}
		switch {
		case missed > 0 && dropMissed > 0:
			f.Summary = fmt.Sprintf("%s: the NIC dropped %d packets for lack of RX ring descriptors, and %d more were dropped at the NIC or in the driver (the drop column of /proc/net/dev)", dev, missed, dropMissed)
			f.Cause = "the driver did not refill the RX ring fast enough: ring too small for the burst, or the CPU servicing the queue's interrupt was busy; " +
				"/proc/net/dev's drop column sums those the NIC missed (rx_missed_errors) and those the driver or the core dropped (rx_dropped)"
		case missed > 0:
			f.Summary = fmt.Sprintf("%s: the NIC dropped %d packets for lack of RX ring descriptors", dev, missed)
			f.Cause = "the driver did not refill the RX ring fast enough: ring too small for the burst, or the CPU servicing the queue's interrupt was busy"
		case dropMissed > 0:
			f.Summary = fmt.Sprintf("%s: %d packets dropped at the NIC or in the driver (the drop column of /proc/net/dev)", dev, f.Drops)
			f.Cause = "the NIC found no free RX ring descriptor (rx_missed_errors) or the driver or the core dropped the frames (rx_dropped): " +
				"/proc/net/dev prints their sum; ip -s -s link or ethtool -S on the host tell them apart"
		default:
			f.Summary = fmt.Sprintf("%s: %d packets dropped at the NIC or driver", dev, f.Drops)
			f.Cause = "the driver or the core dropped frames before the stack (errors, no buffer, unknown protocol)"
		}
		switch {
		case okRx && okMax && rx < rxMax:
			f.Knobs = append(f.Knobs, Knob{Name: "RX ring size", Current: fmt.Sprint(rx),
				Advice:  fmt.Sprintf("raise the RX ring towards its maximum %d", rxMax),
				Command: fmt.Sprintf("ethtool -G %s rx %d", dev, rxMax)})
		case !(okRx && okMax) && missed+dropMissed > 0:
			// The ring's size was not read (no ethtool data): name the knob
			// and how to find its range.
			f.Knobs = append(f.Knobs, Knob{Name: "RX ring size",
				Advice:  fmt.Sprintf("read the RX ring's size and maximum with ethtool -g %s and raise it towards the maximum", dev),
				Command: fmt.Sprintf("ethtool -G %s rx <max from ethtool -g %s>", dev, dev)})
		}
		f.Knobs = append(f.Knobs,
			Knob{Name: "IRQ affinity", Advice: "pin the queue's IRQ to a CPU the application does not use (and keep it out of isolcpus)",
				Command: "echo <cpu-list> > /proc/irq/<irq>/smp_affinity_list"},
			Knob{Name: "RSS channels", Advice: "spread the flow over more queues",
				Command: fmt.Sprintf("ethtool -L %s combined <n>", dev)})
		*fs = append(*fs, f)
	}
}

func (g diag) softirq(fs *[]Finding) {
	if cs := g.moved(SourceSoftnet, name(SoftnetDropped)); len(cs) > 0 {
		f := Finding{Stage: StageSoftirq, Object: cpuList(cs), Drops: total(cs)}
		for _, c := range cs {
			f.Evidence = append(f.Evidence, ev(c))
		}
		devs := g.backlogDevs
		for _, c := range devs {
			f.Evidence = append(f.Evidence, ev(c))
		}
		if v, ok := g.gauge(SourceSysctls, "", -1, "net.core.netdev_max_backlog"); ok {
			f.Evidence = append(f.Evidence, Evidence{Source: SourceSysctls, Index: -1, Name: "net.core.netdev_max_backlog", Value: v, Gauge: true})
		}
		f.Summary = fmt.Sprintf("the per-CPU input backlog overflowed: %d packets dropped (softnet_stat dropped)", f.Drops)
		if len(devs) > 0 {
			f.Summary += fmt.Sprintf(", counted in the rx_dropped of %s as well", objectList(devs))
		}
		f.Cause = "packets arrived faster than NET_RX processed the backlog (netdev_max_backlog), typically RPS or loopback/veth traffic onto a busy CPU"
		f.Knobs = append(f.Knobs,
			g.sysctlKnob("net.core.netdev_max_backlog", "raise the per-CPU backlog length", double),
			Knob{Name: "RPS", Advice: "spread receive processing over more CPUs",
				Command: "echo <cpu-mask> > /sys/class/net/<dev>/queues/rx-<n>/rps_cpus"})
		*fs = append(*fs, f)
	}
	if cs := g.moved(SourceSoftnet, name(SoftnetTimeSqueeze)); len(cs) > 0 {
		f := Finding{Stage: StageSoftirq, Object: cpuList(cs)}
		for _, c := range cs {
			f.Evidence = append(f.Evidence, ev(c))
		}
		for _, n := range []string{"net.core.netdev_budget", "net.core.netdev_budget_usecs", "net.core.dev_weight"} {
			if v, ok := g.gauge(SourceSysctls, "", -1, n); ok {
				f.Evidence = append(f.Evidence, Evidence{Source: SourceSysctls, Index: -1, Name: n, Value: v, Gauge: true})
			}
		}
		f.Summary = fmt.Sprintf("NET_RX ran out of budget %d times with work left (time_squeeze)", total(cs))
		f.Cause = "a softirq run hit netdev_budget packets or netdev_budget_usecs before the rings were empty: packets wait in the ring, and the ring overflows next"
		f.Knobs = append(f.Knobs,
			g.sysctlKnob("net.core.netdev_budget", "allow more packets per NET_RX run", double),
			g.sysctlKnob("net.core.netdev_budget_usecs", "allow a longer NET_RX run", double),
			g.sysctlKnob("net.core.dev_weight", "let each NAPI poll take more packets", double),
			Knob{Name: "IRQ affinity and isolcpus", Advice: "keep NIC interrupts off the application's CPUs and off CPUs busy with other work",
				Command: "echo <cpu-list> > /proc/irq/<irq>/smp_affinity_list"})
		*fs = append(*fs, f)
	}
	if cs := g.moved(SourceSoftnet, name(SoftnetFlowLimitCount)); len(cs) > 0 {
		f := Finding{Stage: StageSoftirq, Object: cpuList(cs), Drops: total(cs)}
		for _, c := range cs {
			f.Evidence = append(f.Evidence, ev(c))
		}
		f.Summary = fmt.Sprintf("flow limit dropped %d packets of large flows in the backlog", f.Drops)
		f.Cause = "RPS flow limit is enabled and one flow filled more than half the backlog"
		f.Knobs = append(f.Knobs, g.sysctlKnob("net.core.flow_limit_table_len", "size the flow table, or disable flow_limit_cpu_bitmap for the market-data CPUs", nil))
		*fs = append(*fs, f)
	}
}

// objectsOf returns the Object of each of cs (with repeats).
func objectsOf(cs []*CounterDelta) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Object
	}
	return out
}

// objectList names the objects of cs, comma-separated, in order.
func objectList(cs []*CounterDelta) string {
	var names []string
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if !seen[c.Object] {
			seen[c.Object] = true
			names = append(names, c.Object)
		}
	}
	return strings.Join(names, ", ")
}

func cpuList(cs []*CounterDelta) string {
	var b strings.Builder
	b.WriteString("cpu")
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, c.Index)
	}
	return b.String()
}

func (g diag) snmpFinding(stage Stage, names []string, summary, cause string, knobs ...Knob) (Finding, bool) {
	cs := g.moved(SourceSNMP|SourceNetstat, name(names...)) // IpExt is netstat
	if len(cs) == 0 {
		return Finding{}, false
	}
	f := Finding{Stage: stage, Drops: total(cs), Cause: cause, Knobs: knobs}
	for _, c := range cs {
		f.Evidence = append(f.Evidence, ev(c))
	}
	f.Summary = fmt.Sprintf(summary, f.Drops)
	return f, true
}

func (g diag) ip(fs *[]Finding) {
	if f, ok := g.snmpFinding(StageIP, []string{"Ip.InDiscards", "Ip6InDiscards"},
		"IP dropped %d datagrams without an error in them (InDiscards)",
		"IP input ran out of resources or a netfilter/route decision dropped the packet"); ok {
		*fs = append(*fs, f)
	}
	if f, ok := g.snmpFinding(StageIP, []string{"Ip.InHdrErrors", "Ip.InAddrErrors", "IpExt.InCsumErrors", "IpExt.InNoRoutes", "Ip6InHdrErrors", "Ip6InAddrErrors", "Ip6InNoRoutes"},
		"IP rejected %d datagrams (header, address, checksum or route errors)",
		"malformed packets, or multicast arriving on an interface with no route or rp_filter rejecting it",
		Knob{Name: "rp_filter", Advice: "for multicast from an asymmetric path, relax reverse-path filtering on the receiving interface",
			Command: "sysctl -w net.ipv4.conf.<iface>.rp_filter=2"}); ok {
		*fs = append(*fs, f)
	}
}

func (g diag) udp(fs *[]Finding) {
	if f, ok := g.snmpFinding(StageUDP, []string{"Udp.NoPorts", "Udp6NoPorts", "UdpLite.NoPorts"},
		"%d datagrams arrived for a port with no socket (NoPorts)",
		"no socket was bound to the destination port (or joined to the group) when the datagrams arrived: the receiver was not running or bound elsewhere"); ok {
		*fs = append(*fs, f)
	}
	if f, ok := g.snmpFinding(StageUDP, []string{"Udp.InCsumErrors", "Udp6InCsumErrors", "UdpLite.InCsumErrors"},
		"%d datagrams failed the UDP checksum (InCsumErrors)",
		"corrupted datagrams on the wire or a checksum-offload problem"); ok {
		*fs = append(*fs, f)
	}
	// InErrors counts RcvbufErrors, MemErrors and InCsumErrors too
	// (net/ipv4/udp.c __udp_queue_rcv_skb, __udp4_lib_rcv): report only the
	// remainder here, the rest belongs to its own stage.
	// snmp names are "Group.Key"; snmp6 names are the kernel's keys.
	for _, grp := range []struct{ label, in, rcvbuf, mem, csum string }{
		{"Udp", "Udp.InErrors", "Udp.RcvbufErrors", "Udp.MemErrors", "Udp.InCsumErrors"},
		{"Udp6", "Udp6InErrors", "Udp6RcvbufErrors", "Udp6MemErrors", "Udp6InCsumErrors"},
	} {
		in := g.counter(SourceSNMP, "", -1, grp.in)
		if in == nil || in.Delta == 0 {
			continue
		}
		rest := in.Delta
		for _, n := range []string{grp.rcvbuf, grp.mem, grp.csum} {
			if c := g.counter(SourceSNMP, "", -1, n); c != nil {
				rest -= min(rest, c.Delta)
			}
		}
		if rest == 0 {
			continue
		}
		*fs = append(*fs, Finding{Stage: StageUDP, Drops: rest, Evidence: []Evidence{ev(in)},
			Summary: fmt.Sprintf("%s: %d input errors not explained by buffer, memory or checksum counters", grp.label, rest),
			Cause:   "short or malformed datagrams, or drops by a socket filter or encapsulation"})
	}
}

func (g diag) socket(fs *[]Finding) {
	host, hostOK := g.snmpFinding(StageSocket, []string{"Udp.RcvbufErrors", "Udp6RcvbufErrors", "UdpLite.RcvbufErrors", "Udp.MemErrors", "Udp6MemErrors"},
		"%d datagrams were dropped because a socket receive buffer was full (RcvbufErrors/MemErrors)",
		"the application did not read fast enough for its receive buffer: the buffer filled and the kernel dropped the excess")
	// Per-socket evidence: the sockets whose drops moved, most drops first.
	// Each socket quotes its own memory gauges (same Object and Index:
	// the inode), never those of another socket on the same address.
	socks := g.moved(SourceUDP, name(UDPDrops))
	slices.SortStableFunc(socks, func(a, b *CounterDelta) int { return cmp.Compare(b.Delta, a.Delta) })
	own := g.moved(SourceSockets, name(SocketDrops))
	if !hostOK && len(socks) == 0 && len(own) == 0 {
		return
	}
	f := host
	if !hostOK {
		f = Finding{Stage: StageSocket, Cause: "the application did not read fast enough for its receive buffer"}
		f.Drops = total(socks) + total(own)
		f.Summary = fmt.Sprintf("%d datagrams were dropped at socket receive buffers", f.Drops)
	}
	var objs, named []string
	all := append(socks, own...)
	seen := make(map[string]bool, len(all))
	mem := g.index(SourceUDP|SourceSockets, objectsOf(all), SocketRmemAlloc, SocketRcvbuf) // the same names in both sources
	for _, c := range all {
		f.Evidence = append(f.Evidence, ev(c))
		ref := socketRef(c)
		detail := fmt.Sprintf("%s +%d", ref, c.Delta)
		for _, gname := range []string{SocketRmemAlloc, SocketRcvbuf} {
			if v, ok := mem.gauge(c.Source, c.Object, c.Index, gname); ok {
				f.Evidence = append(f.Evidence, Evidence{Source: c.Source, Object: c.Object, Index: c.Index, Name: gname,
					Value: v, Gauge: true, Inode: evInode(c.Source, c.Index)})
				if gname == SocketRcvbuf {
					detail += fmt.Sprintf(" with rcvbuf %d", v)
				}
			}
		}
		if !seen[ref] {
			seen[ref] = true
			objs = append(objs, ref)
			if len(named) < 3 {
				named = append(named, detail)
			}
		}
	}
	f.Object = strings.Join(objs, ", ")
	if len(named) > 0 {
		f.Summary += "; at " + strings.Join(named, ", ")
		if len(objs) > len(named) {
			f.Summary += fmt.Sprintf(" and %d more sockets", len(objs)-len(named))
		}
	}
	f.Knobs = append(f.Knobs,
		g.sysctlKnob("net.core.rmem_max", "raise the cap on SO_RCVBUF so the application can ask for a larger buffer", func(v uint64) uint64 { return max(4*v, 16<<20) }),
		Knob{Name: "SO_RCVBUF", Advice: "ask for a larger receive buffer in the application (socketstats: Config.ReceiveBuffer; SO_RCVBUFFORCE with CAP_NET_ADMIN ignores rmem_max)",
			Command: "setsockopt(fd, SOL_SOCKET, SO_RCVBUF, <bytes>)"},
		g.sysctlKnob("net.core.rmem_default", "raise the default for sockets that do not set SO_RCVBUF", nil),
		Knob{Name: "reader", Advice: "read in batches (recvmmsg) on a dedicated CPU away from the NIC's IRQ and softirq CPUs"})
	*fs = append(*fs, f)
}

func (g diag) application(fs *[]Finding) {
	var pending []*CounterDelta
	cs := g.of(SourceSockets)
	for i := range cs {
		c := &cs[i]
		if c.Source == SourceSockets && c.Name == SocketPending && c.Gauge && c.Value > 0 {
			pending = append(pending, c)
		}
	}
	delay := g.index(SourceSockets, objectsOf(pending), SocketQueueDelayMax)
	for _, c := range pending {
		f := Finding{Stage: StageApplication, Object: c.Object, Evidence: []Evidence{ev(c)},
			Summary: fmt.Sprintf("%s: datagrams were still queued after the last read (next datagram %d bytes)", c.Object, c.Value),
			Cause:   "the application is behind its socket: packets wait in the receive buffer",
			Knobs:   []Knob{{Name: "reader", Advice: "read larger batches, move work off the receive thread, pin the reader to a quiet CPU"}}}
		if q := delay.get(SourceSockets, c.Object, c.Index, SocketQueueDelayMax); q != nil {
			f.Evidence = append(f.Evidence, ev(q))
		}
		*fs = append(*fs, f)
	}
}

func (g diag) txSocket(fs *[]Finding) {
	if f, ok := g.snmpFinding(StageTxSocket, []string{"Udp.SndbufErrors", "Udp6SndbufErrors", "UdpLite.SndbufErrors"},
		"%d sends failed for lack of socket send buffer (SndbufErrors)",
		"the sender outran the socket's send buffer (wmem) or the qdisc pushed back",
		g.sysctlKnob("net.core.wmem_max", "raise the cap on SO_SNDBUF", func(v uint64) uint64 { return max(4*v, 16<<20) }),
		Knob{Name: "SO_SNDBUF", Advice: "ask for a larger send buffer in the sender", Command: "setsockopt(fd, SOL_SOCKET, SO_SNDBUF, <bytes>)"}); ok {
		*fs = append(*fs, f)
	}
}

func (g diag) qdisc(fs *[]Finding) {
	cs := g.moved(SourceQdisc, name(QdiscDrops, QdiscRequeues, QdiscOverlimits))
	// One finding per device: a parent's counters include its children's
	// (htb, tbf and mq count what their leaves drop), so the device's loss is
	// the largest drop count among its qdiscs, not their sum.
	objects, by := groupByObject(cs)
	queues := g.index(SourceQdisc|SourceLinks, objects, QdiscBacklog, QdiscQlen, LinkTxQueueLen)
	for _, dev := range objects {
		f := Finding{Stage: StageQdisc, Object: dev}
		var drops, requeues, over uint64
		var where string
		seen := map[int64]bool{}
		for _, c := range by[dev] {
			f.Evidence = append(f.Evidence, ev(c))
			switch c.Name {
			case QdiscDrops:
				if c.Delta > drops {
					drops = c.Delta
					where = fmt.Sprintf("%s %s", c.Label, handleString(c.Index))
				}
			case QdiscRequeues:
				requeues = max(requeues, c.Delta)
			case QdiscOverlimits:
				over = max(over, c.Delta)
			}
			if !seen[c.Index] {
				seen[c.Index] = true
				for _, n := range []string{QdiscBacklog, QdiscQlen} {
					if v, ok := queues.gauge(SourceQdisc, dev, c.Index, n); ok {
						f.Evidence = append(f.Evidence, Evidence{Source: SourceQdisc, Object: dev, Index: c.Index, Name: n, Value: v, Gauge: true})
					}
				}
			}
		}
		f.Drops = drops
		switch {
		case drops > 0:
			f.Summary = fmt.Sprintf("%s: qdisc %s dropped %d packets (%d overlimits, %d requeues)", dev, where, drops, over, requeues)
			f.Cause = "the egress queue was full: the sender outran the link, a shaper's rate, or the queue limit"
		case requeues > 0:
			f.Summary = fmt.Sprintf("%s: the qdisc requeued %d packets: the driver's TX ring was full", dev, requeues)
			f.Cause = "the driver refused packets (TX ring full or stopped queue): packets waited in the qdisc"
		default:
			f.Summary = fmt.Sprintf("%s: a shaper hit its rate limit %d times (overlimits)", dev, over)
			f.Cause = "a shaper held packets back: they waited in the qdisc"
		}
		txq := "<n>"
		if v, ok := queues.gauge(SourceLinks, dev, -1, LinkTxQueueLen); ok {
			txq = fmt.Sprint(2 * v)
		}
		f.Knobs = append(f.Knobs,
			Knob{Name: "txqueuelen", Advice: "a longer device queue absorbs bursts (pfifo_fast and the fifos take their default limit from it)",
				Command: fmt.Sprintf("ip link set dev %s txqueuelen %s", dev, txq)},
			Knob{Name: "qdisc limit or choice", Advice: "raise the qdisc's limit or rate, or choose a qdisc suited to the traffic",
				Command: fmt.Sprintf("tc qdisc replace dev %s root <qdisc> limit <n>", dev)})
		*fs = append(*fs, f)
	}
}

func handleString(idx int64) string {
	return fmt.Sprintf("%x:%x", uint32(idx)>>16, uint32(idx)&0xffff)
}

func (g diag) txDriver(fs *[]Finding) {
	cs := append(g.moved(SourceDevices, name(DeviceTxTimeout, DeviceBQLStallCnt)), g.moved(SourceEthtool, isTxDropStat)...)
	objects, by := groupByObject(cs)
	rings := g.index(SourceEthtool, objects, EthtoolRingTx, EthtoolRingTxMax)
	for _, dev := range objects {
		f := Finding{Stage: StageTxDriver, Object: dev}
		for _, c := range by[dev] {
			f.Evidence = append(f.Evidence, ev(c))
		}
		f.Summary = fmt.Sprintf("%s: the driver's transmit queue timed out, stalled or dropped (%d events)", dev, total(by[dev]))
		f.Cause = "the TX ring did not drain: link pause, a hung queue, or BQL holding packets back"
		if tx, ok := rings.gauge(SourceEthtool, dev, -1, EthtoolRingTx); ok {
			if txMax, ok := rings.gauge(SourceEthtool, dev, -1, EthtoolRingTxMax); ok && tx < txMax {
				f.Knobs = append(f.Knobs, Knob{Name: "TX ring size", Current: fmt.Sprint(tx), Advice: "raise the TX ring",
					Command: fmt.Sprintf("ethtool -G %s tx %d", dev, txMax)})
			}
		}
		f.Knobs = append(f.Knobs, Knob{Name: "XPS", Advice: "map each sending CPU to its own TX queue",
			Command: fmt.Sprintf("echo <cpu-mask> > /sys/class/net/%s/queues/tx-<n>/xps_cpus", dev)})
		*fs = append(*fs, f)
	}
}

func (g diag) txNIC(fs *[]Finding) {
	cs := g.moved(SourceLinks, name(LinkTxErrors, LinkTxDropped, LinkTxAbortedErrors, LinkTxCarrierErrors, LinkTxFIFOErrors, LinkTxHeartbeatErrors, LinkTxWindowErrors, ProcNetDevTxCarrier))
	objects, by := groupByObject(cs)
	for _, dev := range objects {
		f := Finding{Stage: StageTxNIC, Object: dev}
		var drops uint64
		for _, c := range by[dev] {
			f.Evidence = append(f.Evidence, ev(c))
			if c.Name == LinkTxErrors || c.Name == LinkTxDropped {
				drops += c.Delta
			}
		}
		f.Drops = drops
		// tx_errors already counts the carrier, FIFO, aborted, window and
		// heartbeat errors that drivers report beside it (and the carrier
		// column of /proc/net/dev sums four of them): the packets lost are
		// tx_errors + tx_dropped when those moved.
		lost := drops
		if lost == 0 {
			lost = total(by[dev])
		}
		f.Summary = fmt.Sprintf("%s: %d packets failed or were dropped on transmit", dev, lost)
		f.Cause = "the device reported transmit errors (carrier, FIFO, aborted) or dropped packets it could not send"
		f.Knobs = append(f.Knobs, Knob{Name: "link", Advice: "check the link, cabling and the device's own counters",
			Command: fmt.Sprintf("ethtool -S %s", dev)})
		*fs = append(*fs, f)
	}
}

// mergeSndbufIntoQdisc folds the tx-socket finding into the qdisc findings
// when the qdiscs dropped at least as many packets: a qdisc drop returns
// ENOBUFS to the sender, which UDP counts as SndbufErrors
// (net/ipv4/udp.c udp_send_skb), so the socket is not where they were lost.
func mergeSndbufIntoQdisc(fs []Finding) []Finding {
	var qdrops uint64
	first := -1
	for i := range fs {
		if fs[i].Stage == StageQdisc {
			qdrops += fs[i].Drops
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 {
		return fs
	}
	for i := range fs {
		if fs[i].Stage == StageTxSocket && fs[i].Drops <= qdrops {
			fs[first].Evidence = append(fs[first].Evidence, fs[i].Evidence...)
			fs[first].Cause += "; the senders saw ENOBUFS (counted as SndbufErrors)"
			return slices.Delete(fs, i, i+1)
		}
	}
	return fs
}

// reasonStage maps a kernel skb drop reason (enum skb_drop_reason) to the
// stage it pins.
func reasonStage(reason string) (Stage, bool) {
	switch {
	case reason == "udp:udp_fail_queue_rcv_skb" || strings.HasPrefix(reason, "sock:"):
		return StageSocket, true
	case reason == "SOCKET_RCVBUFF" || reason == "PROTO_MEM" || reason == "SOCKET_FILTER" || reason == "SOCKET_CLOSE":
		return StageSocket, true
	case reason == "NO_SOCKET" || strings.HasPrefix(reason, "UDP_") || reason == "SOCKET_BACKLOG":
		return StageUDP, true
	case strings.HasPrefix(reason, "IP_") || reason == "NETFILTER_DROP" || reason == "OTHERHOST" || reason == "PKT_TOO_SMALL" || reason == "IP_NOPROTO":
		return StageIP, true
	case reason == "CPU_BACKLOG" || reason == "XDP" || reason == "UNHANDLED_PROTO":
		return StageSoftirq, true
	case reason == "QDISC_DROP" || strings.HasPrefix(reason, "QDISC_") || reason == "TC_EGRESS" || reason == "DEV_READY":
		return StageQdisc, true
	case reason == "FULL_RING" || reason == "DEV_HDR":
		return StageTxDriver, true
	case strings.HasPrefix(reason, "NEIGH_"):
		return StageTxSocket, true
	}
	return 0, false
}

// dropEvents attaches kernel drop-reason counts to the findings of the stage
// each reason pins, in the delta's order: the reasons are grouped by stage
// first, then each finding takes its stage's, one pass over each.
func (g diag) dropEvents(fs []Finding) {
	var byStage map[Stage][]Evidence
	cs := g.of(SourceDropEvents)
	for i := range cs {
		c := &cs[i]
		if c.Source != SourceDropEvents || c.Gauge || c.Delta == 0 {
			continue
		}
		st, ok := reasonStage(c.Name)
		if !ok {
			continue
		}
		if byStage == nil {
			byStage = map[Stage][]Evidence{}
		}
		byStage[st] = append(byStage[st], ev(c))
	}
	if byStage == nil {
		return
	}
	for j := range fs {
		fs[j].Evidence = append(fs[j].Evidence, byStage[fs[j].Stage]...)
	}
}
