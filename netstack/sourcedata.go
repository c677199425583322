package netstack

import (
	"github.com/packetpath/packetpath/dropevents"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
	"github.com/packetpath/packetpath/qdisc"
	"github.com/packetpath/packetpath/udptable"
)

// SourceData is the typed data of each source of a snapshot, as the
// source's package returns it.
type SourceData struct {
	Softnet  procparse.SoftnetStat `json:"softnet"`
	SNMP     procparse.SNMP        `json:"snmp"`
	Netstat  procparse.SNMP        `json:"netstat"`
	SNMP6    procparse.SNMP6       `json:"snmp6"`
	Softirqs procparse.Softirqs    `json:"softirqs"`
	Sysctls  procparse.Sysctls     `json:"sysctls"`

	Links   []nic.Link           `json:"links,omitempty"`
	Devices []DeviceData         `json:"devices,omitempty"`
	Qdiscs  []qdisc.Qdisc        `json:"qdiscs,omitempty"`
	Classes []qdisc.Class        `json:"classes,omitempty"`
	UDP     []udptable.UDPSocket `json:"udp,omitempty"`
	// Sockets holds the statistics of the process's own socketstats
	// sockets registered with Collector.AddSocket.
	Sockets []OwnSocket `json:"sockets,omitempty"`
	// Drops holds the kernel drop-event counts (SourceDropEvents).
	Drops dropevents.Counts `json:"drops"`
	// NetDev is /proc/net/dev as a bundle or tree holds it (never read
	// live, where rtnetlink gives more). Its devices that Links lacks are
	// flattened under SourceLinks with Label ProcNetDevLabel.
	NetDev procparse.NetDev `json:"proc_net_dev"`
}

// clear empties the typed data of the sources in src, keeping the memory of
// its slices for the next parse. It runs for a source that failed (so that
// neither the previous collection's data nor a parser's partial output
// stays behind) and for the sources a collector does not read. The link
// dump serves SourceLinks, SourceEthtool and SourceDevices together: any of
// them clears Links and Devices.
func (d *SourceData) clear(src Source) {
	if src&SourceSoftnet != 0 {
		d.Softnet = procparse.SoftnetStat{CPUs: d.Softnet.CPUs[:0]}
	}
	if src&SourceSNMP != 0 {
		d.SNMP = procparse.SNMP{Groups: d.SNMP.Groups[:0]}
		d.SNMP6 = procparse.SNMP6{Fields: d.SNMP6.Fields[:0]}
	}
	if src&SourceNetstat != 0 {
		d.Netstat = procparse.SNMP{Groups: d.Netstat.Groups[:0]}
	}
	if src&SourceSoftirqs != 0 {
		d.Softirqs = procparse.Softirqs{CPUs: d.Softirqs.CPUs[:0], Rows: d.Softirqs.Rows[:0]}
	}
	if src&SourceSysctls != 0 {
		d.Sysctls = procparse.Sysctls{}
	}
	if src&(SourceLinks|SourceEthtool|SourceDevices) != 0 {
		d.Links = d.Links[:0]
		d.Devices = d.Devices[:0]
	}
	if src&SourceQdisc != 0 {
		d.Qdiscs = d.Qdiscs[:0]
		d.Classes = d.Classes[:0]
	}
	if src&SourceUDP != 0 {
		d.UDP = d.UDP[:0]
	}
	if src&SourceSockets != 0 {
		d.Sockets = d.Sockets[:0]
	}
	if src&SourceDropEvents != 0 {
		d.Drops = dropevents.Counts{Reasons: d.Drops.Reasons[:0]}
	}
}

// reset empties the data without releasing its memory.
func (d *SourceData) reset() {
	d.Links = d.Links[:0]
	d.Devices = d.Devices[:0]
	d.Qdiscs = d.Qdiscs[:0]
	d.Classes = d.Classes[:0]
	d.UDP = d.UDP[:0]
	d.Sockets = d.Sockets[:0]
	d.NetDev.Devices = d.NetDev.Devices[:0]
}
