package netstack

import (
	"context"
	"unsafe"

	"github.com/packetpath/packetpath/procparse"
)

// names caches "Group.Key" strings so that flattening the same file again
// allocates nothing.
type names struct {
	entries []nameEntry
}

type nameEntry struct {
	group, key, full string
	stage            Stage
	// gauge is the counter's definition's gauge property (mibGauge).
	gauge bool
}

// joinName is "Group.Key" for snmp and netstat; snmp6 keys carry their
// group already (group "").
func joinName(group, key string) string {
	if group == "" {
		return key
	}
	return group + "." + key
}

// get returns the full name, the stage and whether the i-th counter is a
// gauge (the definition of its name: mibStage, mibGauge), whose name
// is *key in the group *group (nil for none), computing them only when the
// file's layout changed. The parsers keep a name's string while the layout
// holds, and update hands the cache's strings back to every Snapshot it
// sees, so in the steady state the names are recognised by their string
// pointers alone, even when the caller alternates Snapshots.
func (n *names) get(i int, group, key *string) (string, Stage, bool) {
	if i < len(n.entries) {
		e := &n.entries[i]
		if sameString(e.key, *key) && (group == nil || sameString(e.group, *group)) {
			return e.full, e.stage, e.gauge
		}
	}
	return n.update(i, group, key)
}

// sameString reports whether a and b are the same string in memory.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// update is get for a name seen for the first time, changed, or held in
// another string than the cache's: then the cache's string replaces it, so
// that the next collection into the same Snapshot finds it by pointer.
func (n *names) update(i int, group, key *string) (string, Stage, bool) {
	for len(n.entries) <= i {
		n.entries = append(n.entries, nameEntry{})
	}
	e := &n.entries[i]
	g := ""
	if group != nil {
		g = *group
	}
	if e.group != g || e.key != *key {
		full := joinName(g, *key)
		*e = nameEntry{group: g, key: *key, full: full, stage: mibStage(full), gauge: mibGauge(full)}
		return e.full, e.stage, e.gauge
	}
	*key = e.key
	if group != nil {
		*group = e.group
	}
	return e.full, e.stage, e.gauge
}

// softnetSource reads /proc/net/softnet_stat.
type softnetSource struct {
	r *procparse.Reader[procparse.SoftnetStat]
}

func (s *softnetSource) kind() Source { return SourceSoftnet }

func (s *softnetSource) collect(_ context.Context, snap *Snapshot) error {
	d := &snap.Sources.Softnet
	if err := s.r.Read(d); err != nil {
		return err
	}
	appendSoftnet(snap, d)
	return nil
}

func appendSoftnet(snap *Snapshot, d *procparse.SoftnetStat) {
	for i := range d.CPUs {
		c := &d.CPUs[i]
		idx := int64(c.CPU)
		add := func(id counterID, v uint64) { snap.put(id, idx, v, 0, "", "") }
		add(cSoftnetProcessed, c.Processed)
		add(cSoftnetDropped, c.Dropped)
		add(cSoftnetTimeSqueeze, c.TimeSqueeze)
		if c.ReceivedRPS.Present {
			add(cSoftnetReceivedRPS, c.ReceivedRPS.Value)
		}
		if c.FlowLimitCount.Present {
			add(cSoftnetFlowLimitCount, c.FlowLimitCount.Value)
		}
		if c.BacklogLen.Present {
			add(cSoftnetBacklogLen, c.BacklogLen.Value)
		}
		if c.InputQueueLen.Present {
			add(cSoftnetInputQlen, c.InputQueueLen.Value)
		}
		if c.ProcessQueueLen.Present {
			add(cSoftnetProcessQlen, c.ProcessQueueLen.Value)
		}
	}
}

func (s *softnetSource) close() error { return s.r.Close() }

// mibSource reads /proc/net/snmp, netstat and snmp6.
type mibSource struct {
	snmp, netstat *procparse.Reader[procparse.SNMP]
	snmp6         *procparse.Reader[procparse.SNMP6]
	snmpNames     names
	netstatNames  names
	snmp6Names    names
}

func (s *mibSource) kind() Source {
	if s.snmp == nil && s.netstat != nil {
		return SourceNetstat
	}
	return SourceSNMP
}

// collect reads each file on its own: a file that fails leaves its typed
// data empty (a parser stops part-way) and its error in snap.Errors, and
// the other files are still read.
func (s *mibSource) collect(_ context.Context, snap *Snapshot) error {
	d := &snap.Sources
	if s.snmp != nil {
		if err := s.snmp.Read(&d.SNMP); err != nil {
			d.SNMP = procparse.SNMP{Groups: d.SNMP.Groups[:0]}
			snap.addErr(SourceSNMP, "", err)
		} else {
			appendMIB(snap, &d.SNMP, &s.snmpNames)
		}
	}
	if s.netstat != nil {
		if err := s.netstat.Read(&d.Netstat); err != nil {
			d.Netstat = procparse.SNMP{Groups: d.Netstat.Groups[:0]}
			snap.addErr(SourceNetstat, "", err)
		} else {
			appendMIB(snap, &d.Netstat, &s.netstatNames)
		}
	}
	if s.snmp6 != nil {
		if err := s.snmp6.Read(&d.SNMP6); err != nil {
			d.SNMP6 = procparse.SNMP6{Fields: d.SNMP6.Fields[:0]}
			snap.addErr(SourceSNMP, "snmp6", err)
		} else {
			appendSNMP6(snap, &d.SNMP6, &s.snmp6Names)
		}
	}
	return nil
}

// appendMIB flattens /proc/net/snmp or /proc/net/netstat. The counters of
// the snapshot's own Sources.Netstat are SourceNetstat (TcpExt, IpExt,
// MPTcpExt: Delta.Sum(SourceNetstat, "TcpExt.TCPRcvQDrop") finds them), the
// others SourceSNMP.
func appendMIB(snap *Snapshot, m *procparse.SNMP, cache *names) {
	src := SourceSNMP
	if m == &snap.Sources.Netstat {
		src = SourceNetstat
	}
	n := 0
	for gi := range m.Groups {
		g := &m.Groups[gi]
		for fi := range g.Fields {
			f := &g.Fields[fi]
			full, stage, gauge := cache.get(n, &g.Name, &f.Name)
			n++
			// A signed entry is a level too (Tcp MaxConn's -1): the
			// kernel prints only those with %ld.
			snap.next().set(src, stage, 64, gauge || f.Signed, -1, f.Value, 0, "", full, "")
		}
	}
}

// appendSNMP6 flattens /proc/net/snmp6. Its keys carry their group already
// (Udp6InDatagrams), so the names are the kernel's; the counters belong to
// SourceSNMP like the other MIB counters.
func appendSNMP6(snap *Snapshot, m *procparse.SNMP6, cache *names) {
	cs := snap.grow(len(m.Fields))
	for i := range m.Fields {
		f := &m.Fields[i]
		_, stage, gauge := cache.get(i, nil, &f.Name)
		cs[i].set(SourceSNMP, stage, 64, gauge, -1, f.Value, 0, "", f.Name, "")
	}
}

// mibStage places a MIB counter on the path by its group.
func mibStage(name string) Stage {
	switch {
	case hasPrefix(name, "Udp") && (contains(name, "Rcvbuf") || contains(name, "MemErrors")):
		return StageSocket
	case hasPrefix(name, "Udp") && contains(name, "Sndbuf"):
		return StageTxSocket
	case hasPrefix(name, "Udp"):
		return StageUDP
	case hasPrefix(name, "Ip") && contains(name, "Out"):
		return StageTxSocket
	default:
		return StageIP
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func (s *mibSource) close() error {
	if s.snmp != nil {
		s.snmp.Close()
	}
	if s.netstat != nil {
		s.netstat.Close()
	}
	if s.snmp6 != nil {
		s.snmp6.Close()
	}
	return nil
}

// softirqSource reads /proc/softirqs (NET_RX and NET_TX only).
type softirqSource struct {
	r *procparse.Reader[procparse.Softirqs]
}

func (s *softirqSource) kind() Source { return SourceSoftirqs }

func (s *softirqSource) collect(_ context.Context, snap *Snapshot) error {
	d := &snap.Sources.Softirqs
	if err := s.r.Read(d); err != nil {
		return err
	}
	appendSoftirqs(snap, d)
	return nil
}

func appendSoftirqs(snap *Snapshot, d *procparse.Softirqs) {
	for _, row := range d.Rows {
		var stage Stage
		switch row.Name {
		case "NET_RX":
			stage = StageSoftirq
		case "NET_TX":
			stage = StageQdisc
		default:
			continue
		}
		for i, v := range row.PerCPU {
			cpu := int64(i)
			if i < len(d.CPUs) {
				cpu = int64(d.CPUs[i])
			}
			snap.next().set(SourceSoftirqs, stage, 32, false, cpu, v, 0, "", row.Name, "")
		}
	}
}

func (s *softirqSource) close() error { return s.r.Close() }
