package netstack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names. The system.network.* names and their attributes follow the
// OpenTelemetry semantic conventions; the packetpath.* names are this
// library's own.
const (
	// MetricPacketDropped is system.network.packet.dropped {packet}: the
	// link's rx_dropped/tx_dropped (attributes network.interface.name,
	// network.io.direction).
	MetricPacketDropped = "system.network.packet.dropped"
	// MetricErrors is system.network.errors {error}: rx_errors/tx_errors.
	MetricErrors = "system.network.errors"
	// MetricPacketCount is system.network.packet.count {packet}.
	MetricPacketCount = "system.network.packet.count"
	// MetricIO is system.network.io By.
	MetricIO = "system.network.io"
	// The link families: one per rtnl_link_stats64 field of `ip -s -s
	// link` beyond the four above (IFLA_STATS64, struct
	// rtnl_link_stats64 in include/uapi/linux/if_link.h; with no netlink,
	// the columns of /proc/net/dev), each a counter with the attribute
	// network.interface.name, named packetpath.link.<field> (LinkFamilies
	// lists them with their units). The three /proc/net/dev columns that
	// sum several fields have their own families:
	// packetpath.link.rx_dropped_or_missed, packetpath.link.rx_frame_errors_all
	// and packetpath.link.tx_carrier_errors_all (ProcNetDevRxDrop, ...).
	MetricLinkRxMissedErrors  = "packetpath.link.rx_missed_errors"
	MetricLinkRxFIFOErrors    = "packetpath.link.rx_fifo_errors"
	MetricLinkRxCRCErrors     = "packetpath.link.rx_crc_errors"
	MetricLinkRxFrameErrors   = "packetpath.link.rx_frame_errors"
	MetricLinkRxOverErrors    = "packetpath.link.rx_over_errors"
	MetricLinkTxAbortedErrors = "packetpath.link.tx_aborted_errors"
	MetricLinkTxCarrierErrors = "packetpath.link.tx_carrier_errors"
	// The softnet families, from /proc/net/softnet_stat (net/core/net-procfs.c
	// softnet_seq_show), summed over CPUs or, with PerCPU, per CPU
	// (cpu.logical_number).
	//
	// MetricSoftnetProcessed is packetpath.softnet.processed {packet}:
	// packets NET_RX took off the CPU's queues (column 1).
	MetricSoftnetProcessed = "packetpath.softnet.processed"
	// MetricSoftnetDropped is packetpath.softnet.dropped {packet}: packets
	// enqueue_to_backlog dropped because the CPU's backlog was full
	// (netdev_max_backlog) or the flow limit hit (column 2).
	MetricSoftnetDropped = "packetpath.softnet.dropped"
	// MetricSoftnetTimeSqueeze is packetpath.softnet.time_squeeze {event}:
	// NET_RX runs that stopped with work left because the budget or the
	// time limit ran out (column 3).
	MetricSoftnetTimeSqueeze = "packetpath.softnet.time_squeeze"
	// MetricSoftnetReceivedRPS is packetpath.softnet.received_rps {event}:
	// times the CPU was woken by another to process RPS/RFS packets
	// (column 10).
	MetricSoftnetReceivedRPS = "packetpath.softnet.received_rps"
	// MetricSoftnetFlowLimit is packetpath.softnet.flow_limit {packet}:
	// packets dropped by the per-flow backlog limit (flow_limit_count,
	// column 11; also counted in dropped).
	MetricSoftnetFlowLimit = "packetpath.softnet.flow_limit"
	// MetricSoftnetBacklog is packetpath.softnet.backlog {packet}: the
	// backlog length per CPU (kernels 6.4+).
	MetricSoftnetBacklog = "packetpath.softnet.backlog"
	// MetricSoftirqs is packetpath.softirq.count {run}: NET_RX and NET_TX
	// softirq runs (attribute packetpath.counter).
	MetricSoftirqs = "packetpath.softirq.count"
	// The MIB counters the drop path and Diagnose read have a family each
	// (MIBFamilies lists them with their kernel names): the UDP ones with
	// the attributes network.type (ipv4 from /proc/net/snmp Udp and
	// UdpLite, ipv6 from /proc/net/snmp6 Udp6 and UdpLite6) and
	// network.transport (udp, or udplite for UdpLite and UdpLite6); the IP
	// ones with network.type (ipv4: Ip and IpExt of /proc/net/snmp and
	// netstat; ipv6: Ip6 of /proc/net/snmp6). Counters, as the kernel's
	// SNMP_MIB_* and LINUX_MIB_* are (net/ipv4/proc.c, net/ipv6/proc.c).
	//
	// MetricUDPDatagramsReceived is packetpath.udp.datagrams.received
	// {datagram}: InDatagrams, datagrams delivered to a socket.
	MetricUDPDatagramsReceived = "packetpath.udp.datagrams.received"
	// MetricUDPDatagramsSent is packetpath.udp.datagrams.sent {datagram}:
	// OutDatagrams.
	MetricUDPDatagramsSent = "packetpath.udp.datagrams.sent"
	// MetricUDPNoPort is packetpath.udp.no_port {datagram}: NoPorts,
	// datagrams to a port no socket was bound to.
	MetricUDPNoPort = "packetpath.udp.no_port"
	// MetricUDPReceiveErrors is packetpath.udp.receive_errors {datagram}:
	// InErrors, every datagram not delivered but for NoPorts (it includes
	// RcvbufErrors, MemErrors and InCsumErrors).
	MetricUDPReceiveErrors = "packetpath.udp.receive_errors"
	// MetricUDPReceiveBufferErrors is packetpath.udp.receive_buffer_errors
	// {datagram}: RcvbufErrors, datagrams dropped because the socket's
	// receive buffer was full (__udp_queue_rcv_skb, -ENOMEM from
	// __udp_enqueue_schedule_skb).
	MetricUDPReceiveBufferErrors = "packetpath.udp.receive_buffer_errors"
	// MetricUDPSendBufferErrors is packetpath.udp.send_buffer_errors
	// {datagram}: SndbufErrors, sends that failed for lack of send buffer.
	MetricUDPSendBufferErrors = "packetpath.udp.send_buffer_errors"
	// MetricUDPMemoryErrors is packetpath.udp.memory_errors {datagram}:
	// MemErrors, datagrams dropped because UDP memory (udp_mem) was
	// exhausted.
	MetricUDPMemoryErrors = "packetpath.udp.memory_errors"
	// MetricUDPChecksumErrors is packetpath.udp.checksum_errors {datagram}:
	// InCsumErrors.
	MetricUDPChecksumErrors = "packetpath.udp.checksum_errors"
	// MetricUDPIgnoredMulticast is packetpath.udp.ignored_multicast
	// {datagram}: IgnoredMulti, broadcast or multicast datagrams no socket
	// wanted.
	MetricUDPIgnoredMulticast = "packetpath.udp.ignored_multicast"
	// MetricIPReceived is packetpath.ip.received {packet}: InReceives,
	// packets handed to IP by the devices.
	MetricIPReceived = "packetpath.ip.received"
	// MetricIPDiscards is packetpath.ip.discards {packet}: InDiscards,
	// packets IP dropped with nothing wrong with them (no memory, ...).
	MetricIPDiscards = "packetpath.ip.discards"
	// MetricIPHeaderErrors is packetpath.ip.header_errors {packet}:
	// InHdrErrors.
	MetricIPHeaderErrors = "packetpath.ip.header_errors"
	// MetricIPAddressErrors is packetpath.ip.address_errors {packet}:
	// InAddrErrors, packets to an address that is not ours and not
	// forwarded.
	MetricIPAddressErrors = "packetpath.ip.address_errors"
	// MetricIPNoRoute is packetpath.ip.no_route {packet}: IpExt.InNoRoutes
	// and Ip6InNoRoutes.
	MetricIPNoRoute = "packetpath.ip.no_route"
	// MetricIPChecksumErrors is packetpath.ip.checksum_errors {packet}:
	// IpExt.InCsumErrors (IPv4 header checksum).
	MetricIPChecksumErrors = "packetpath.ip.checksum_errors"
	// MetricIPReassemblyRequests is packetpath.ip.reassembly.requests
	// {fragment}: ReasmReqds, fragments received for reassembly.
	MetricIPReassemblyRequests = "packetpath.ip.reassembly.requests"
	// MetricIPReassemblyFailures is packetpath.ip.reassembly.failures
	// {event}: ReasmFails, reassemblies that failed (a timeout, an overlap,
	// the ipfrag memory limit).
	MetricIPReassemblyFailures = "packetpath.ip.reassembly.failures"
	// MetricIPReassemblyTimeouts is packetpath.ip.reassembly.timeouts
	// {event}: ReasmTimeout, reassemblies abandoned at ipfrag_time.
	MetricIPReassemblyTimeouts = "packetpath.ip.reassembly.timeouts"
	// MetricIPReversePathFilter is packetpath.ip.reverse_path_filter
	// {packet}: TcpExt.IPReversePathFilter, packets rp_filter dropped
	// (fib_validate_source; IPv4 only).
	MetricIPReversePathFilter = "packetpath.ip.reverse_path_filter"
	// The long tail: every other MIB counter, which nothing here
	// diagnoses, is in a family per group of /proc/net/snmp, netstat and
	// snmp6 (MIBGroupNames), named packetpath.mib.<group, lower case>, with
	// the attribute packetpath.counter carrying the kernel's name
	// (Tcp.ActiveOpens; snmp6: Icmp6InErrors); the Udp groups' families are
	// empty on Linux 6.18, where each Udp counter has its own. Such a family has one unit
	// but members of many meanings; the unit is the one they share (Ip,
	// IpExt, Ip6: {packet}, Icmp, IcmpMsg, Icmp6: {message}, Udp, UdpLite,
	// Udp6, UdpLite6: {datagram}), or {event} for Tcp, TcpExt and MPTcpExt,
	// whose members count segments, connections, timeouts and more. The
	// byte counts of IpExt and Ip6 (*Octets) have their own families,
	// packetpath.mib.ipext.octets and packetpath.mib.ip6.octets (By). Only
	// the groups of MetricOptions.MIBGroups have series, for the families
	// above as for these.
	MetricMIBIp       = "packetpath.mib.ip"
	MetricMIBIcmp     = "packetpath.mib.icmp"
	MetricMIBIcmpMsg  = "packetpath.mib.icmpmsg"
	MetricMIBTcp      = "packetpath.mib.tcp"
	MetricMIBUdp      = "packetpath.mib.udp"
	MetricMIBUdpLite  = "packetpath.mib.udplite"
	MetricMIBTcpExt   = "packetpath.mib.tcpext"
	MetricMIBIpExt    = "packetpath.mib.ipext"
	MetricMIBMPTcpExt = "packetpath.mib.mptcpext"
	MetricMIBIp6      = "packetpath.mib.ip6"
	MetricMIBIcmp6    = "packetpath.mib.icmp6"
	MetricMIBUdp6     = "packetpath.mib.udp6"
	MetricMIBUdpLite6 = "packetpath.mib.udplite6"
	// MetricMIBIpExtOctets and MetricMIBIp6Octets are the byte counters of
	// IpExt and Ip6 (InOctets, OutMcastOctets, ...), By.
	MetricMIBIpExtOctets = "packetpath.mib.ipext.octets"
	MetricMIBIp6Octets   = "packetpath.mib.ip6.octets"
	// The MIB levels, each a gauge of its own (a fall is the level going
	// down, which a monotonic counter would misreport):
	//
	// MetricIPForwarding is packetpath.ip.forwarding {state}: Ip.Forwarding,
	// 1 forwarding, 2 not (RFC 1213 ipForwarding).
	MetricIPForwarding = "packetpath.ip.forwarding"
	// MetricIPDefaultTTL is packetpath.ip.default_ttl {hop}: Ip.DefaultTTL
	// (net.ipv4.ip_default_ttl).
	MetricIPDefaultTTL = "packetpath.ip.default_ttl"
	// MetricTCPRtoAlgorithm is packetpath.tcp.rto.algorithm {state}:
	// Tcp.RtoAlgorithm (1 other, as Linux reports it).
	MetricTCPRtoAlgorithm = "packetpath.tcp.rto.algorithm"
	// MetricTCPRtoMin and MetricTCPRtoMax are packetpath.tcp.rto.min and
	// .max, ms: Tcp.RtoMin and Tcp.RtoMax (TCP_RTO_MIN, TCP_RTO_MAX).
	MetricTCPRtoMin = "packetpath.tcp.rto.min"
	MetricTCPRtoMax = "packetpath.tcp.rto.max"
	// MetricTCPMaxConnections is packetpath.tcp.connections.limit
	// {connection}: Tcp.MaxConn (-1: no limit).
	MetricTCPMaxConnections = "packetpath.tcp.connections.limit"
	// MetricTCPEstablished is packetpath.tcp.connections.established
	// {connection}: Tcp.CurrEstab (TCP_MIB_CURRESTAB).
	MetricTCPEstablished = "packetpath.tcp.connections.established"
	// MetricMPTCPEstablished is packetpath.mptcp.connections.established
	// {connection}: MPTcpExt.MPCurrEstab (MPTCP_MIB_CURRESTAB).
	MetricMPTCPEstablished = "packetpath.mptcp.connections.established"
	// MetricDriver is packetpath.driver.statistic {event}: allow-listed
	// ethtool -S statistics (ETHTOOL_GSTATS, the driver's
	// get_ethtool_stats), one series per statistic, attributes
	// network.interface.name and packetpath.counter, the driver's own name
	// for it; packetpath.queue for a per-queue statistic, "rx-0", as
	// drivers repeat the same names in each queue's block; and
	// packetpath.counter.index, the position in the driver's string table,
	// for a name the driver repeats within one queue or device-wide, such
	// as vmxnet3's "giant hdr" twice per transmit queue. These are one
	// family, with the name as an attribute, because their meaning is the
	// driver's: each driver defines its own set (packets, bytes, events,
	// pages), nothing here can give each its unit, and a family per name
	// would be a different set per driver. Hence the neutral {event}: sum
	// or compare series only of one name.
	MetricDriver = "packetpath.driver.statistic"
	// The qdisc families: one per tc -s counter, each with one unit, from
	// the TCA_STATS2 attributes of RTM_GETQDISC/RTM_GETTCLASS
	// (gnet_stats_basic, gnet_stats_queue; net/core/gen_stats.c), as tc -s
	// -j prints them. Attributes network.interface.name,
	// packetpath.qdisc.handle, packetpath.qdisc.kind, and
	// packetpath.qdisc.parent for the handle-less children of mq and
	// mqprio (all 0:0), which only their parent tells apart.
	//
	// MetricQdiscBytes is packetpath.qdisc.bytes By (counter): bytes sent.
	MetricQdiscBytes = "packetpath.qdisc.bytes"
	// MetricQdiscPackets is packetpath.qdisc.packets {packet} (counter).
	MetricQdiscPackets = "packetpath.qdisc.packets"
	// MetricQdiscDrops is packetpath.qdisc.drops {packet} (counter):
	// gnet_stats_queue.drops.
	MetricQdiscDrops = "packetpath.qdisc.drops"
	// MetricQdiscOverlimits is packetpath.qdisc.overlimits {event}
	// (counter): times the qdisc throttled (gnet_stats_queue.overlimits).
	MetricQdiscOverlimits = "packetpath.qdisc.overlimits"
	// MetricQdiscRequeues is packetpath.qdisc.requeues {packet} (counter).
	MetricQdiscRequeues = "packetpath.qdisc.requeues"
	// MetricQdiscQueueLength is packetpath.qdisc.queue.length {packet}
	// (gauge): gnet_stats_queue.qlen.
	MetricQdiscQueueLength = "packetpath.qdisc.queue.length"
	// MetricQdiscBacklog is packetpath.qdisc.backlog By (gauge):
	// gnet_stats_queue.backlog, the bytes queued.
	MetricQdiscBacklog = "packetpath.qdisc.backlog"
	// MetricSocketDrops is packetpath.udp.socket.drops {packet}: per-socket
	// receive drops from the host's UDP table (sk_drops over sock_diag, the
	// drops column of /proc/net/udp). One series per socket, not per
	// address: attributes network.local.address and network.local.port,
	// packetpath.socket.inode, packetpath.socket.cookie (the sock_diag
	// cookie, when known) and, when the owner is found in /proc/PID/fd,
	// process.pid and process.executable.name (/proc/PID/comm).
	MetricSocketDrops = "packetpath.udp.socket.drops"
	// MetricSocketReceiveQueue is packetpath.udp.socket.receive_queue.size
	// By (gauge): the receive memory the socket's queued datagrams hold,
	// truesize (sock_diag SK_MEMINFO_RMEM_ALLOC, sk_rmem_alloc); the same
	// socket attributes as MetricSocketDrops.
	MetricSocketReceiveQueue = "packetpath.udp.socket.receive_queue.size"
	// MetricSocketReceiveBuffer is
	// packetpath.udp.socket.receive_buffer.limit By (gauge): the socket's
	// receive buffer limit (SK_MEMINFO_RCVBUF, sk_rcvbuf); the datagram
	// that would take receive_queue.size above it is dropped.
	MetricSocketReceiveBuffer = "packetpath.udp.socket.receive_buffer.limit"
	// MetricDropReason is packetpath.kernel.drops {packet}: kernel drop
	// events by reason (attribute packetpath.drop.reason).
	MetricDropReason = "packetpath.kernel.drops"
	// MetricStageDrops is packetpath.stage.drops {packet}: packets lost per
	// stage of the path (attribute packetpath.stage), a monotonic counter
	// since the registration: each collection adds the drops Diagnose
	// attributes to each stage over the interval since the collection
	// before it, whichever reader asked for either. A counter missing from
	// a collection because its source failed (packetpath.source.up 0) is
	// taken, when it is back, against its last good value, so the drops of
	// the failed intervals are counted then. Any number of readers
	// (two Prometheus servers scraping one exporter) therefore see the same
	// total, and rate() over it is the loss rate. Prometheus:
	// packetpath_stage_drops_total.
	MetricStageDrops = "packetpath.stage.drops"
	// MetricFindings is packetpath.diagnosis.findings {finding}: findings
	// per stage in the interval between the last two collections (a gauge).
	MetricFindings = "packetpath.diagnosis.findings"
	// MetricSourceUp is packetpath.source.up: 1 when the source (attribute
	// packetpath.source: softnet, snmp, udp, ...) was collected without an
	// error in the last collection, 0 when it failed, in whole or for one
	// of its objects (Snapshot.Errors). A gauge; one series per selected
	// source, and packetpath.source="netns" with Config.NetNS (0 once the
	// namespace's name was deleted or re-used: Snapshot.NetNSDetached).
	MetricSourceUp = "packetpath.source.up"
	// MetricSourceErrors is packetpath.source.errors {error}: source errors
	// since the registration (attributes packetpath.source and error.type:
	// permission, not_found, unsupported, timeout or other), one per error
	// of each collection.
	MetricSourceErrors = "packetpath.source.errors"
)

// Attribute keys used by the instruments.
const (
	AttrInterface = attribute.Key("network.interface.name")
	AttrDirection = attribute.Key("network.io.direction")
	AttrCPU       = attribute.Key("cpu.logical_number")
	AttrCounter   = attribute.Key("packetpath.counter")
	// AttrNetworkType (ipv4, ipv6) and AttrTransport (udp, udplite) are
	// the semantic conventions' network.type and network.transport, on
	// the UDP and IP MIB families.
	AttrNetworkType = attribute.Key("network.type")
	AttrTransport   = attribute.Key("network.transport")
	AttrQdiscHandle = attribute.Key("packetpath.qdisc.handle")
	AttrQdiscKind   = attribute.Key("packetpath.qdisc.kind")
	// AttrQdiscParent is the parent handle (MAJ:MIN in hex, "8001:1") of a
	// qdisc that has no handle of its own (handle 0:0): the default
	// children of mq and mqprio, one per transmit queue.
	AttrQdiscParent = attribute.Key("packetpath.qdisc.parent")
	// AttrLocalAddress and AttrLocalPort are the socket's local address
	// and port (semantic-convention names), as socketstats uses them.
	AttrLocalAddress = attribute.Key("network.local.address")
	AttrLocalPort    = attribute.Key("network.local.port")
	AttrSocketInode  = attribute.Key("packetpath.socket.inode")
	AttrCookie       = attribute.Key("packetpath.socket.cookie")
	AttrDropReason   = attribute.Key("packetpath.drop.reason")
	AttrStage        = attribute.Key("packetpath.stage")
	// AttrQueue is the queue of a per-queue driver statistic: "rx-N" or
	// "tx-N" as sysfs names the device's queues, "queue-N" for a channel
	// without a direction, "xdp-N" and "xdp-cpu-N" for XDP transmit rings.
	AttrQueue = attribute.Key("packetpath.queue")
	// AttrCounterIndex is a driver statistic's position in the driver's
	// string table (ethtool -S order, from 0), for the names a driver
	// repeats within one queue or device-wide.
	AttrCounterIndex = attribute.Key("packetpath.counter.index")
	AttrSource       = attribute.Key("packetpath.source")
	// AttrPID and AttrExecutable are the OpenTelemetry semantic conventions'
	// process.pid and process.executable.name, for a socket's owner.
	AttrPID        = attribute.Key("process.pid")
	AttrExecutable = attribute.Key("process.executable.name")
	// AttrErrorType is the semantic conventions' error.type.
	AttrErrorType = attribute.Key("error.type")
)

// MetricOptions controls what RegisterMetrics exports. Per-driver statistics
// and per-CPU or per-socket series multiply the series count: each is off or
// bounded by default.
type MetricOptions struct {
	// MeterProvider receives the instruments; nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Devices limits per-device series to these names; nil means all.
	Devices []string
	// PerCPU exports softnet and softirq counters per CPU; off sums them.
	PerCPU bool
	// DriverStats is the allow-list of ethtool -S names to export (exact
	// names, or a prefix ending in "*"); nil exports none.
	DriverStats []string
	// MIBGroups lists the snmp/netstat groups to export; nil means Ip, Ip6,
	// IpExt, Udp, Udp6, UdpLite. A name not in MIBGroupNames is an error
	// of RegisterMetrics.
	MIBGroups []string
	// MaxSockets bounds the per-socket series: the sockets with the most
	// drops come first. 0 means 50; negative disables per-socket series.
	MaxSockets int
	// NoSocketOwners leaves the owning process out of the per-socket
	// series. Otherwise the owners of the exported sockets are looked up in
	// the collector's ProcRoot (/proc/PID/fd) the first time each socket is
	// exported (see OwnerCache); never for a capture bundle.
	NoSocketOwners bool
	// SourceHealth, when set, is called from the collection callback when
	// a source starts failing or its error changes (err is the source's
	// errors of that collection, joined) and when it recovers (err nil).
	// src is one source bit, or 0 for the namespace (Config.NetNS no
	// longer leads to the namespace the collector opened).
	// It is called with the registration's lock held: it must not block.
	SourceHealth func(src Source, err error)
}

// MIBGroupNames returns the MIB groups MetricOptions.MIBGroups accepts: the
// groups of /proc/net/snmp, /proc/net/netstat and /proc/net/snmp6.
func MIBGroupNames() []string {
	return []string{"Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite",
		"TcpExt", "IpExt", "MPTcpExt", "Ip6", "Icmp6", "Udp6", "UdpLite6"}
}

func (o *MetricOptions) device(dev string) bool {
	return o.Devices == nil || slices.Contains(o.Devices, dev)
}

func (o *MetricOptions) driverStat(name string) bool {
	for _, p := range o.DriverStats {
		if p == name || (strings.HasSuffix(p, "*") && strings.HasPrefix(name, p[:len(p)-1])) {
			return true
		}
	}
	return false
}

// mibGroup returns the selected group the counter belongs to, or false.
func (o *MetricOptions) mibGroup(counter string) (string, bool) {
	groups := o.MIBGroups
	if groups == nil {
		groups = []string{"Ip", "Ip6", "IpExt", "Udp", "Udp6", "UdpLite"}
	}
	if g, _, ok := strings.Cut(counter, "."); ok {
		return g, slices.Contains(groups, g)
	}
	// snmp6 keys carry their group as a prefix: Udp6InDatagrams, Ip6InDiscards.
	for _, g := range groups {
		if rest, ok := strings.CutPrefix(counter, g); ok && (strings.HasPrefix(rest, "In") || strings.HasPrefix(rest, "Out") || strings.HasPrefix(rest, "Rcv") || strings.HasPrefix(rest, "Snd") || strings.HasPrefix(rest, "No") || strings.HasPrefix(rest, "Mem") || strings.HasPrefix(rest, "Ignored") || strings.HasPrefix(rest, "Frag") || strings.HasPrefix(rest, "Reasm")) {
			return g, true
		}
	}
	return "", false
}

// mibFamily is one MIB counter family: the group's name and unit.
type mibFamily struct{ group, name, unit, desc string }

// mibFamilies lists the MIB counter families; the "octets" entries take a
// group's *Octets counters.
func mibFamilies() []mibFamily {
	return []mibFamily{
		{"Ip", MetricMIBIp, "{packet}", "IPv4 packet counters of /proc/net/snmp (Ip: InReceives, InDiscards, ...)."},
		{"Icmp", MetricMIBIcmp, "{message}", "ICMP message counters of /proc/net/snmp."},
		{"IcmpMsg", MetricMIBIcmpMsg, "{message}", "ICMP messages by type of /proc/net/snmp (IcmpMsg: InType3, ...)."},
		{"Tcp", MetricMIBTcp, "{event}", "TCP counters of /proc/net/snmp (segments, connection openings, resets)."},
		{"Udp", MetricMIBUdp, "{datagram}", "UDP datagram counters of /proc/net/snmp (InDatagrams, RcvbufErrors, ...)."},
		{"UdpLite", MetricMIBUdpLite, "{datagram}", "UDP-Lite datagram counters of /proc/net/snmp."},
		{"TcpExt", MetricMIBTcpExt, "{event}", "Linux TCP event counters of /proc/net/netstat (TcpExt)."},
		{"IpExt", MetricMIBIpExt, "{packet}", "IPv4 packet counters of /proc/net/netstat (IpExt: InMcastPkts, InNoRoutes, ...)."},
		{"MPTcpExt", MetricMIBMPTcpExt, "{event}", "MPTCP event counters of /proc/net/netstat."},
		{"Ip6", MetricMIBIp6, "{packet}", "IPv6 packet counters of /proc/net/snmp6 (Ip6InReceives, ...)."},
		{"Icmp6", MetricMIBIcmp6, "{message}", "ICMPv6 message counters of /proc/net/snmp6."},
		{"Udp6", MetricMIBUdp6, "{datagram}", "UDP over IPv6 datagram counters of /proc/net/snmp6."},
		{"UdpLite6", MetricMIBUdpLite6, "{datagram}", "UDP-Lite over IPv6 datagram counters of /proc/net/snmp6."},
		{"IpExt.octets", MetricMIBIpExtOctets, "By", "IPv4 byte counters of /proc/net/netstat (IpExt: InOctets, OutOctets, ...)."},
		{"Ip6.octets", MetricMIBIp6Octets, "By", "IPv6 byte counters of /proc/net/snmp6 (Ip6InOctets, ...)."},
	}
}

// MIBFamily is one MIB counter or level with a family of its own.
type MIBFamily struct {
	// Name is the instrument; Unit its unit; Gauge marks a level.
	Name, Unit string
	Gauge      bool
	// Kernel lists the kernel's names it takes, as Counter.Name spells
	// them ("Udp.RcvbufErrors", "Udp6RcvbufErrors").
	Kernel []string
	// Desc is the instrument's description.
	Desc string
}

// MIBFamilies returns the MIB counters and levels that have a family of
// their own (see MetricUDPDatagramsReceived and MetricIPForwarding); every
// other MIB counter is in its group's family.
func MIBFamilies() []MIBFamily {
	udp := func(name, key, desc string) MIBFamily {
		return MIBFamily{Name: name, Unit: "{datagram}", Desc: desc,
			Kernel: []string{"Udp." + key, "UdpLite." + key, "Udp6" + key, "UdpLite6" + key}}
	}
	ip := func(name, unit, key, desc string) MIBFamily {
		return MIBFamily{Name: name, Unit: unit, Desc: desc, Kernel: []string{"Ip." + key, "Ip6" + key}}
	}
	return []MIBFamily{
		udp(MetricUDPDatagramsReceived, "InDatagrams", "UDP datagrams delivered to sockets (Udp InDatagrams)."),
		udp(MetricUDPDatagramsSent, "OutDatagrams", "UDP datagrams sent (Udp OutDatagrams)."),
		udp(MetricUDPNoPort, "NoPorts", "UDP datagrams to a port with no socket (Udp NoPorts)."),
		udp(MetricUDPReceiveErrors, "InErrors", "UDP datagrams not delivered for any reason but NoPorts (Udp InErrors)."),
		udp(MetricUDPReceiveBufferErrors, "RcvbufErrors", "UDP datagrams dropped because the socket's receive buffer was full (Udp RcvbufErrors)."),
		udp(MetricUDPSendBufferErrors, "SndbufErrors", "UDP sends that failed for lack of send buffer (Udp SndbufErrors)."),
		udp(MetricUDPMemoryErrors, "MemErrors", "UDP datagrams dropped because UDP memory (udp_mem) ran out (Udp MemErrors)."),
		udp(MetricUDPChecksumErrors, "InCsumErrors", "UDP datagrams with a bad checksum (Udp InCsumErrors)."),
		udp(MetricUDPIgnoredMulticast, "IgnoredMulti", "Broadcast and multicast UDP datagrams no socket wanted (Udp IgnoredMulti)."),
		ip(MetricIPReceived, "{packet}", "InReceives", "Packets handed to IP by the devices (Ip InReceives)."),
		ip(MetricIPDiscards, "{packet}", "InDiscards", "Input packets IP discarded with no error in them (Ip InDiscards)."),
		ip(MetricIPHeaderErrors, "{packet}", "InHdrErrors", "Input packets with a bad IP header (Ip InHdrErrors)."),
		ip(MetricIPAddressErrors, "{packet}", "InAddrErrors", "Input packets to an address not ours and not forwarded (Ip InAddrErrors)."),
		{Name: MetricIPNoRoute, Unit: "{packet}", Kernel: []string{"IpExt.InNoRoutes", "Ip6InNoRoutes"}, Desc: "Input packets with no route (IpExt InNoRoutes, Ip6InNoRoutes)."},
		{Name: MetricIPChecksumErrors, Unit: "{packet}", Kernel: []string{"IpExt.InCsumErrors"}, Desc: "IPv4 packets with a bad header checksum (IpExt InCsumErrors)."},
		ip(MetricIPReassemblyRequests, "{fragment}", "ReasmReqds", "Fragments received for reassembly (Ip ReasmReqds)."),
		ip(MetricIPReassemblyFailures, "{event}", "ReasmFails", "Failed reassemblies (Ip ReasmFails)."),
		ip(MetricIPReassemblyTimeouts, "{event}", "ReasmTimeout", "Reassemblies abandoned at the timeout (Ip ReasmTimeout)."),
		{Name: MetricIPReversePathFilter, Unit: "{packet}", Kernel: []string{"TcpExt.IPReversePathFilter"}, Desc: "Packets dropped by the reverse path filter (TcpExt IPReversePathFilter)."},
		{Name: MetricIPForwarding, Unit: "{state}", Gauge: true, Kernel: []string{MIBIpForwarding}, Desc: "IPv4 forwarding: 1 on, 2 off (Ip Forwarding)."},
		{Name: MetricIPDefaultTTL, Unit: "{hop}", Gauge: true, Kernel: []string{MIBIpDefaultTTL}, Desc: "Default IPv4 TTL (Ip DefaultTTL)."},
		{Name: MetricTCPRtoAlgorithm, Unit: "{state}", Gauge: true, Kernel: []string{MIBTcpRtoAlgorithm}, Desc: "TCP retransmission timeout algorithm (Tcp RtoAlgorithm)."},
		{Name: MetricTCPRtoMin, Unit: "ms", Gauge: true, Kernel: []string{MIBTcpRtoMin}, Desc: "Minimum TCP retransmission timeout (Tcp RtoMin)."},
		{Name: MetricTCPRtoMax, Unit: "ms", Gauge: true, Kernel: []string{MIBTcpRtoMax}, Desc: "Maximum TCP retransmission timeout (Tcp RtoMax)."},
		{Name: MetricTCPMaxConnections, Unit: "{connection}", Gauge: true, Kernel: []string{MIBTcpMaxConn}, Desc: "TCP connection limit, -1 for none (Tcp MaxConn)."},
		{Name: MetricTCPEstablished, Unit: "{connection}", Gauge: true, Kernel: []string{MIBTcpCurrEstab}, Desc: "TCP connections in ESTABLISHED (Tcp CurrEstab)."},
		{Name: MetricMPTCPEstablished, Unit: "{connection}", Gauge: true, Kernel: []string{MIBMPTcpCurrEstab}, Desc: "Established MPTCP connections (MPTcpExt MPCurrEstab)."},
	}
}

// LinkFamily is one link counter's family.
type LinkFamily struct {
	// Field is the counter's name (rtnl_link_stats64 field, or a
	// ProcNetDev* sum); Name the instrument; Unit its unit.
	Field, Name, Unit string
}

// LinkFamilies returns the link counters' families beyond
// system.network.*: packetpath.link.<field>.
func LinkFamilies() []LinkFamily {
	pk := []string{LinkRxMissedErrors, LinkRxOverErrors, LinkRxCRCErrors, LinkRxFrameErrors, LinkRxFIFOErrors,
		LinkRxLengthErrors, LinkRxCompressed, LinkMulticast, LinkRxNohandler, LinkRxOtherhostDropped,
		LinkTxAbortedErrors, LinkTxCarrierErrors, LinkTxFIFOErrors, LinkTxHeartbeatErrors, LinkTxWindowErrors,
		LinkTxCompressed}
	var out []LinkFamily
	for _, f := range pk {
		out = append(out, LinkFamily{f, "packetpath.link." + f, "{packet}"})
	}
	return append(out,
		LinkFamily{LinkCollisions, "packetpath.link.collisions", "{event}"},
		LinkFamily{LinkCarrierChanges, "packetpath.link.carrier_changes", "{event}"},
		LinkFamily{ProcNetDevRxDrop, "packetpath.link.rx_dropped_or_missed", "{packet}"},
		LinkFamily{ProcNetDevRxFrame, "packetpath.link.rx_frame_errors_all", "{packet}"},
		LinkFamily{ProcNetDevTxCarrier, "packetpath.link.tx_carrier_errors_all", "{packet}"},
	)
}

// RegisterMetrics registers observable instruments for the collector's
// snapshots. At each collection by the MeterProvider's reader the callback
// takes a new snapshot, diagnoses the delta since the previous one, and
// observes both. Unregister the returned registration before closing the
// collector.
func (c *Collector) RegisterMetrics(opts MetricOptions) (metric.Registration, error) {
	mp := opts.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter("github.com/packetpath/packetpath/netstack")
	if opts.MaxSockets == 0 {
		opts.MaxSockets = 50
	}
	for _, g := range opts.MIBGroups {
		if !slices.Contains(MIBGroupNames(), g) {
			return nil, fmt.Errorf("netstack: MetricOptions.MIBGroups: unknown group %q (known: %s)", g, strings.Join(MIBGroupNames(), ", "))
		}
	}
	var ins otelInstruments
	var err error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		if err != nil {
			return nil
		}
		var i metric.Int64ObservableCounter
		i, err = m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return i
	}
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		if err != nil {
			return nil
		}
		var i metric.Int64ObservableGauge
		i, err = m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return i
	}
	ins.dropped = counter(MetricPacketDropped, "{packet}", "Packets dropped by the device or its driver (rx_dropped, tx_dropped).")
	ins.errors = counter(MetricErrors, "{error}", "Receive and transmit errors of the device (rx_errors, tx_errors).")
	ins.packets = counter(MetricPacketCount, "{packet}", "Packets received and transmitted by the device.")
	ins.io = counter(MetricIO, "By", "Bytes received and transmitted by the device.")
	ins.link = map[string]metric.Int64ObservableCounter{}
	var famIns []metric.Observable
	for _, f := range LinkFamilies() {
		i := counter(f.Name, f.Unit, "Link counter "+f.Field+" (rtnl_link_stats64, or /proc/net/dev).")
		ins.link[f.Field] = i
		famIns = append(famIns, i)
	}
	ins.softnet = map[string]metric.Int64ObservableCounter{}
	for _, f := range []struct{ field, name, unit, desc string }{
		{SoftnetProcessed, MetricSoftnetProcessed, "{packet}", "Packets NET_RX processed (softnet_stat column 1)."},
		{SoftnetDropped, MetricSoftnetDropped, "{packet}", "Packets dropped because the CPU's backlog was full (softnet_stat column 2)."},
		{SoftnetTimeSqueeze, MetricSoftnetTimeSqueeze, "{event}", "NET_RX runs that ran out of budget or time with work left (softnet_stat column 3)."},
		{SoftnetReceivedRPS, MetricSoftnetReceivedRPS, "{event}", "Times the CPU was woken to process RPS packets (softnet_stat column 10)."},
		{SoftnetFlowLimitCount, MetricSoftnetFlowLimit, "{packet}", "Packets dropped by the flow limit (softnet_stat column 11)."},
	} {
		i := counter(f.name, f.unit, f.desc)
		ins.softnet[f.field] = i
		famIns = append(famIns, i)
	}
	ins.mibOwn = map[string]metric.Observable{}
	for i, a := range [][]attribute.KeyValue{
		{AttrNetworkType.String("ipv4")}, {AttrNetworkType.String("ipv6")},
		{AttrNetworkType.String("ipv4"), AttrTransport.String("udp")}, {AttrNetworkType.String("ipv6"), AttrTransport.String("udp")},
		{AttrNetworkType.String("ipv4"), AttrTransport.String("udplite")}, {AttrNetworkType.String("ipv6"), AttrTransport.String("udplite")},
	} {
		ins.mibAttrs[i] = metric.WithAttributes(a...)
	}
	for _, f := range MIBFamilies() {
		var i metric.Observable
		if f.Gauge {
			i = gauge(f.Name, f.Unit, f.Desc)
		} else {
			i = counter(f.Name, f.Unit, f.Desc)
		}
		for _, k := range f.Kernel {
			ins.mibOwn[k] = i
		}
		famIns = append(famIns, i)
	}
	ins.backlog = gauge(MetricSoftnetBacklog, "{packet}", "Per-CPU input backlog length (softnet_stat, kernel 6.4+).")
	ins.softirqs = counter(MetricSoftirqs, "{run}", "NET_RX and NET_TX softirq runs (/proc/softirqs).")
	ins.mib = map[string]metric.Int64ObservableCounter{}
	mibIns := []metric.Observable{}
	for _, f := range mibFamilies() {
		i := counter(f.name, f.unit, f.desc)
		ins.mib[f.group] = i
		mibIns = append(mibIns, i)
	}
	ins.driver = counter(MetricDriver, "{event}", "Allow-listed driver statistics (ethtool -S), in the driver's own names and units.")
	ins.qBytes = counter(MetricQdiscBytes, "By", "Bytes sent by the qdisc or class (tc -s: Sent N bytes).")
	ins.qPackets = counter(MetricQdiscPackets, "{packet}", "Packets sent by the qdisc or class (tc -s: N pkt).")
	ins.qDrops = counter(MetricQdiscDrops, "{packet}", "Packets the qdisc or class dropped (tc -s: dropped).")
	ins.qOverlimits = counter(MetricQdiscOverlimits, "{event}", "Times the qdisc or class was over its limit (tc -s: overlimits).")
	ins.qRequeues = counter(MetricQdiscRequeues, "{packet}", "Packets requeued by the qdisc (tc -s: requeues).")
	ins.qLen = gauge(MetricQdiscQueueLength, "{packet}", "Packets queued in the qdisc or class (tc -s: qlen, backlog Np).")
	ins.qBacklog = gauge(MetricQdiscBacklog, "By", "Bytes queued in the qdisc or class (tc -s: backlog Nb).")
	ins.sockDrops = counter(MetricSocketDrops, "{packet}", "Receive drops of a UDP socket (sk_drops).")
	ins.sockQueue = gauge(MetricSocketReceiveQueue, "By", "Receive memory held by a UDP socket's queued datagrams (sock_diag rmem_alloc, truesize).")
	ins.sockBuf = gauge(MetricSocketReceiveBuffer, "By", "Receive buffer limit of a UDP socket (sock_diag rcvbuf, sk_rcvbuf).")
	ins.reasons = counter(MetricDropReason, "{packet}", "Kernel drop events by skb drop reason.")
	ins.stage = counter(MetricStageDrops, "{packet}", "Packets lost at each stage of the path since the exporter started, as Diagnose attributes them between successive collections.")
	ins.findings = gauge(MetricFindings, "{finding}", "Diagnosis findings per stage in the interval between the last two collections.")
	ins.sourceUp = gauge(MetricSourceUp, "", "1 when the source was collected without an error in the last collection, 0 when it failed.")
	ins.sourceErrs = counter(MetricSourceErrors, "{error}", "Errors of each source since the exporter started, by kind.")
	if err != nil {
		return nil, fmt.Errorf("netstack: creating instruments: %w", err)
	}
	st := &otelState{c: c, opts: opts, ins: ins, lastErr: map[Source]string{}, errCount: map[sourceErrKey]uint64{}}
	if !opts.NoSocketOwners && c.cfg.Bundle == "" {
		st.owners = NewOwnerCache(c.cfg.ProcRoot)
	}
	return m.RegisterCallback(st.observe, append(append(mibIns, famIns...),
		ins.dropped, ins.errors, ins.packets, ins.io, ins.backlog,
		ins.softirqs, ins.driver,
		ins.qBytes, ins.qPackets, ins.qDrops, ins.qOverlimits, ins.qRequeues, ins.qLen, ins.qBacklog, ins.sockDrops, ins.sockQueue, ins.sockBuf,
		ins.reasons, ins.stage, ins.findings, ins.sourceUp, ins.sourceErrs)...)
}

type otelInstruments struct {
	// mib holds the MIB counter families by group (mibFamilies).
	mib map[string]metric.Int64ObservableCounter
	// mibOwn holds the MIBFamilies instruments by kernel name (an
	// Int64ObservableCounter, or a gauge for a level);
	// link and softnet the link and softnet families by counter name.
	mibOwn map[string]metric.Observable
	// mibAttrs are the network.type/network.transport sets of mibOwn's
	// series: ipv4, ipv6, udp4, udp6, udplite4, udplite6.
	mibAttrs                                                                              [6]metric.MeasurementOption
	link, softnet                                                                         map[string]metric.Int64ObservableCounter
	dropped, errors, packets, io, softirqs, driver, sockDrops, reasons, stage, sourceErrs metric.Int64ObservableCounter
	qBytes, qPackets, qDrops, qOverlimits, qRequeues                                      metric.Int64ObservableCounter
	backlog, qLen, qBacklog, sockQueue, sockBuf, findings, sourceUp                       metric.Int64ObservableGauge
}

type otelState struct {
	mu       sync.Mutex
	c        *Collector
	opts     MetricOptions
	ins      otelInstruments
	snaps    [2]Snapshot
	cur      int
	have     bool
	delta    Delta
	findings []Finding
	// stageDrops accumulates each delta's drops per stage: the monotonic
	// MetricStageDrops.
	stageDrops [numStages]uint64
	// carry holds the last good value of each counter that the last
	// snapshot lacks because its source failed there (carryCounters);
	// merged is the previous snapshot with them appended, which the next
	// delta is taken from. spare and present are reused buffers.
	carry, spare []Counter
	merged       Snapshot
	present      map[counterKey]struct{}
	// lastErr is each failing source's error text at the last collection,
	// for SourceHealth; errCount counts MetricSourceErrors.
	lastErr  map[Source]string
	errCount map[sourceErrKey]uint64
	// owners resolves the exported sockets' processes; nil when off.
	owners *OwnerCache
}

type sourceErrKey struct {
	src  Source
	kind string
}

func (s *otelState) observe(ctx context.Context, o metric.Observer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := 1 - s.cur
	if err := s.c.Collect(ctx, &s.snaps[next]); err != nil {
		return err
	}
	if s.have {
		prev := &s.snaps[s.cur]
		if len(s.carry) > 0 {
			cs := append(s.merged.Counters[:0], prev.Counters...)
			s.merged = *prev
			s.merged.Counters = append(cs, s.carry...)
			prev = &s.merged
		}
		ComputeDelta(prev, &s.snaps[next], &s.delta)
		s.findings = Diagnose(&s.delta)
		for _, f := range s.findings {
			s.stageDrops[f.Stage] += f.Drops
		}
		s.carryCounters(prev, &s.snaps[next])
	}
	s.cur, s.have = next, true
	snap := &s.snaps[s.cur]
	socks := observeSnapshot(o, &s.ins, &s.opts, snap)
	s.observeSockets(o, socks)
	s.observeDiagnosis(o)
	s.observeHealth(o, snap)
	return nil
}

// carryCounters keeps, for the next delta, the counters of prev (the
// previous snapshot with what was carried into it) that cur lacks because
// their source failed in cur: an error of the counter's source, for the
// whole source, for the counter's object, or any error of the source for a
// host-wide counter (Object ""). The next snapshot that has them again
// takes its delta from the last good value, so MetricStageDrops counts
// what was dropped while the source was failing instead of treating the
// counter as new. A counter whose object went away while its source
// worked is not kept. With no errors in cur nothing is kept and nothing is
// done; otherwise the buffers are reused, allocation-free in steady state.
func (s *otelState) carryCounters(prev, cur *Snapshot) {
	if len(cur.Errors) == 0 {
		s.carry = s.carry[:0]
		return
	}
	if s.present == nil {
		s.present = make(map[counterKey]struct{}, len(cur.Counters))
	}
	clear(s.present)
	for i := range cur.Counters {
		s.present[cur.Counters[i].key()] = struct{}{}
	}
	keep := s.spare[:0]
	for i := range prev.Counters {
		c := &prev.Counters[i]
		if c.Gauge || !sourceFailed(cur, c) {
			continue
		}
		if _, ok := s.present[c.key()]; !ok {
			keep = append(keep, *c)
		}
	}
	s.spare, s.carry = s.carry[:0], keep
}

// sourceFailed reports whether snap has an error of c's source that may
// have left c out.
func sourceFailed(snap *Snapshot, c *Counter) bool {
	for i := range snap.Errors {
		e := &snap.Errors[i]
		if e.Source&c.Source != 0 && (e.Object == "" || c.Object == "" || e.Object == c.Object) {
			return true
		}
	}
	return false
}

// otelSocket is one socket of the UDP table, for its series.
type otelSocket struct {
	obj         string
	inode       uint64
	cookie      uint64
	drops       uint64
	rmem, rbuf  uint64
	hasM, hasDr bool
}

// observeSockets reports the sockets with the most drops, each as its own
// series (keyed by inode and cookie, with its owner where known).
func (s *otelState) observeSockets(o metric.Observer, socks []otelSocket) {
	if s.opts.MaxSockets < 0 || len(socks) == 0 {
		return
	}
	slices.SortStableFunc(socks, func(a, b otelSocket) int { return cmp.Compare(b.drops, a.drops) })
	all := len(socks)
	if len(socks) > s.opts.MaxSockets {
		socks = socks[:s.opts.MaxSockets]
	}
	if s.owners != nil {
		if len(s.owners.known) > 4*all+256 {
			live := make(map[uint64]bool, len(socks))
			for _, k := range socks {
				live[k.inode] = true
			}
			s.owners.Retain(func(ino uint64) bool { return live[ino] })
		}
		inodes := make([]uint64, len(socks))
		for i, k := range socks {
			inodes[i] = k.inode
		}
		// An unreadable ProcRoot leaves the owners out; the series stay.
		_ = s.owners.Resolve(inodes)
	}
	attrs := make([]attribute.KeyValue, 0, 7)
	for _, k := range socks {
		addr, port := splitLocal(k.obj)
		attrs = append(attrs[:0], AttrLocalAddress.String(addr), AttrLocalPort.Int64(port), AttrSocketInode.Int64(i64(k.inode)))
		if k.cookie != 0 {
			attrs = append(attrs, AttrCookie.Int64(i64(k.cookie)))
		}
		if s.owners != nil {
			if so, ok := s.owners.Owner(k.inode); ok {
				attrs = append(attrs, AttrPID.Int(so.PID))
				if so.Comm != "" {
					attrs = append(attrs, AttrExecutable.String(so.Comm))
				}
			}
		}
		if k.hasDr {
			o.ObserveInt64(s.ins.sockDrops, i64(k.drops), metric.WithAttributes(attrs...))
		}
		if k.hasM {
			o.ObserveInt64(s.ins.sockQueue, i64(k.rmem), metric.WithAttributes(attrs...))
			o.ObserveInt64(s.ins.sockBuf, i64(k.rbuf), metric.WithAttributes(attrs...))
		}
	}
}

// observeDiagnosis reports the stage drops (cumulative) and the findings of
// the last interval.
func (s *otelState) observeDiagnosis(o metric.Observer) {
	var count [numStages]uint64
	for _, f := range s.findings {
		count[f.Stage]++
	}
	for st := range numStages {
		a := metric.WithAttributes(AttrStage.String(st.String()))
		o.ObserveInt64(s.ins.stage, i64(s.stageDrops[st]), a)
		o.ObserveInt64(s.ins.findings, i64(count[st]), a)
	}
}

// healthNetNS is the packetpath.source value of the namespace's own
// series: the errors with Source 0 (Config.NetNS lost its name).
const healthNetNS = "netns"

// observeHealth reports each selected source's up gauge and error counts,
// and tells SourceHealth about the sources whose state changed. An error
// that names several sources (a Config.Devices name that matches no
// device concerns every per-device source) counts for each of them; the
// errors with Source 0 (a namespace that lost its name) have their own
// series, packetpath.source="netns", when Config.NetNS is set.
func (s *otelState) observeHealth(o metric.Observer, snap *Snapshot) {
	for bit := Source(1); bit < sourceEnd; bit <<= 1 {
		if s.c.cfg.Sources&bit != 0 {
			s.health(o, snap, bit)
		}
	}
	if s.c.cfg.NetNS != "" {
		s.health(o, snap, 0)
	}
	for k, n := range s.errCount {
		o.ObserveInt64(s.ins.sourceErrs, i64(n), metric.WithAttributes(AttrSource.String(healthName(k.src)), AttrErrorType.String(k.kind)))
	}
}

// healthName is the packetpath.source value of one source bit, or of the
// namespace for 0.
func healthName(bit Source) string {
	if bit == 0 {
		return healthNetNS
	}
	return bit.String()
}

// health reports one source bit's (or, for 0, the namespace's) up gauge,
// counts its errors and calls SourceHealth when its state changed.
func (s *otelState) health(o metric.Observer, snap *Snapshot, bit Source) {
	var errs []error
	for i := range snap.Errors {
		e := &snap.Errors[i]
		if bit == 0 && e.Source != 0 || bit != 0 && e.Source&bit == 0 {
			continue
		}
		if e.Object != "" {
			errs = append(errs, fmt.Errorf("%s: %w", e.Object, e.Err))
		} else {
			errs = append(errs, e.Err)
		}
		s.errCount[sourceErrKey{bit, errorKind(e.Err)}]++
	}
	up := int64(1)
	if len(errs) > 0 {
		up = 0
	}
	o.ObserveInt64(s.ins.sourceUp, up, metric.WithAttributes(AttrSource.String(healthName(bit))))
	var msg string
	var err error
	if len(errs) > 0 {
		err = errors.Join(errs...)
		msg = err.Error()
	}
	if msg != s.lastErr[bit] {
		if err == nil {
			delete(s.lastErr, bit)
		} else {
			s.lastErr[bit] = msg
		}
		if s.opts.SourceHealth != nil {
			s.opts.SourceHealth(bit, err)
		}
	}
}

// errorKind classifies a source error for error.type.
func errorKind(err error) string {
	switch {
	case errors.Is(err, os.ErrPermission):
		return "permission"
	case errors.Is(err, os.ErrNotExist):
		return "not_found"
	case errors.Is(err, errors.ErrUnsupported):
		return "unsupported"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}

func i64(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

func direction(name string) (attribute.KeyValue, string, bool) {
	if rest, ok := strings.CutPrefix(name, "rx_"); ok {
		return AttrDirection.String("receive"), rest, true
	}
	if rest, ok := strings.CutPrefix(name, "tx_"); ok {
		return AttrDirection.String("transmit"), rest, true
	}
	return attribute.KeyValue{}, name, false
}

// observeSnapshot reports one snapshot's counters to the observer, and
// returns its UDP-table sockets for observeSockets.
func observeSnapshot(o metric.Observer, ins *otelInstruments, opts *MetricOptions, s *Snapshot) []otelSocket {
	softnet := map[string]uint64{}
	softirqs := map[string]uint64{}
	type sockKey struct {
		obj   string
		inode int64
	}
	var socks []otelSocket
	sockIdx := map[sockKey]int{}
	// Driver statistics whose name repeats within one queue (or
	// device-wide) get their string-table index as an attribute.
	type drvKey struct{ dev, name, queue string }
	var drvDup map[drvKey]int
	if len(opts.DriverStats) > 0 {
		drvDup = map[drvKey]int{}
		for i := range s.Counters {
			c := &s.Counters[i]
			if c.Source == SourceEthtool && !c.Gauge && opts.device(c.Object) && opts.driverStat(c.Name) {
				drvDup[drvKey{c.Object, c.Name, c.Label}]++
			}
		}
	}
	for i := range s.Counters {
		c := &s.Counters[i]
		switch c.Source {
		case SourceLinks:
			if !opts.device(c.Object) || c.Gauge {
				continue
			}
			iface := AttrInterface.String(c.Object)
			dir, rest, ok := direction(c.Name)
			switch {
			case ok && rest == "dropped":
				o.ObserveInt64(ins.dropped, i64(c.Value), metric.WithAttributes(iface, dir))
			case ok && rest == "errors":
				o.ObserveInt64(ins.errors, i64(c.Value), metric.WithAttributes(iface, dir))
			case ok && rest == "packets":
				o.ObserveInt64(ins.packets, i64(c.Value), metric.WithAttributes(iface, dir))
			case ok && rest == "bytes":
				o.ObserveInt64(ins.io, i64(c.Value), metric.WithAttributes(iface, dir))
			default:
				// A field with no family (none today) is left out.
				if fam := ins.link[c.Name]; fam != nil {
					o.ObserveInt64(fam, i64(c.Value), metric.WithAttributes(iface))
				}
			}
		case SourceSoftnet:
			if c.Gauge {
				if c.Name == SoftnetBacklogLen {
					if opts.PerCPU {
						o.ObserveInt64(ins.backlog, i64(c.Value), metric.WithAttributes(AttrCPU.Int64(c.Index)))
					} else {
						softnet["\x00backlog"] += c.Value
					}
				}
				continue
			}
			if fam := ins.softnet[c.Name]; fam == nil {
				continue
			} else if opts.PerCPU {
				o.ObserveInt64(fam, i64(c.Value), metric.WithAttributes(AttrCPU.Int64(c.Index)))
			} else {
				softnet[c.Name] += c.Value
			}
		case SourceSoftirqs:
			if opts.PerCPU {
				o.ObserveInt64(ins.softirqs, i64(c.Value), metric.WithAttributes(AttrCounter.String(c.Name), AttrCPU.Int64(c.Index)))
			} else {
				softirqs[c.Name] += c.Value
			}
		case SourceSNMP, SourceNetstat:
			g, ok := opts.mibGroup(c.Name)
			if !ok {
				continue
			}
			if _, own := ins.mibOwn[c.Name]; own {
				observeMIBOwn(o, ins, c)
				continue
			}
			if c.Gauge {
				// A level with no family of its own (none today).
				continue
			}
			fam := ins.mib[g]
			if strings.Contains(c.Name, "Octets") {
				switch g {
				case "IpExt":
					fam = ins.mib["IpExt.octets"]
				case "Ip6":
					fam = ins.mib["Ip6.octets"]
				}
			}
			if fam != nil {
				o.ObserveInt64(fam, i64(c.Value), metric.WithAttributes(AttrCounter.String(c.Name)))
			}
		case SourceEthtool:
			if !c.Gauge && opts.device(c.Object) && opts.driverStat(c.Name) {
				attrs := make([]attribute.KeyValue, 2, 4)
				attrs[0], attrs[1] = AttrInterface.String(c.Object), AttrCounter.String(c.Name)
				if c.Label != "" {
					attrs = append(attrs, AttrQueue.String(c.Label))
				}
				if drvDup[drvKey{c.Object, c.Name, c.Label}] > 1 {
					attrs = append(attrs, AttrCounterIndex.Int64(c.Index))
				}
				o.ObserveInt64(ins.driver, i64(c.Value), metric.WithAttributes(attrs...))
			}
		case SourceQdisc:
			if !opts.device(c.Object) {
				continue
			}
			switch c.Name {
			case QdiscBytes:
				o.ObserveInt64(ins.qBytes, i64(c.Value), qdiscAttrs(c))
			case QdiscPackets:
				o.ObserveInt64(ins.qPackets, i64(c.Value), qdiscAttrs(c))
			case QdiscDrops:
				o.ObserveInt64(ins.qDrops, i64(c.Value), qdiscAttrs(c))
			case QdiscOverlimits:
				o.ObserveInt64(ins.qOverlimits, i64(c.Value), qdiscAttrs(c))
			case QdiscRequeues:
				o.ObserveInt64(ins.qRequeues, i64(c.Value), qdiscAttrs(c))
			case QdiscQlen:
				o.ObserveInt64(ins.qLen, i64(c.Value), qdiscAttrs(c))
			case QdiscBacklog:
				o.ObserveInt64(ins.qBacklog, i64(c.Value), qdiscAttrs(c))
			}
		case SourceUDP:
			if opts.MaxSockets < 0 {
				continue
			}
			key := sockKey{c.Object, c.Index}
			j, ok := sockIdx[key]
			if !ok {
				j = len(socks)
				sockIdx[key] = j
				socks = append(socks, otelSocket{obj: c.Object, inode: uint64(max(c.Index, 0)), cookie: c.Gen})
			}
			switch c.Name {
			case UDPDrops:
				socks[j].drops, socks[j].hasDr = c.Value, true
			case UDPRmemAlloc:
				socks[j].rmem, socks[j].hasM = c.Value, true
			case UDPRcvbuf:
				socks[j].rbuf, socks[j].hasM = c.Value, true
			}
		case SourceDropEvents:
			if !c.Gauge {
				o.ObserveInt64(ins.reasons, i64(c.Value), metric.WithAttributes(AttrDropReason.String(c.Name)))
			}
		}
	}
	for _, n := range sortedKeys(softnet) {
		if n == "\x00backlog" {
			o.ObserveInt64(ins.backlog, i64(softnet[n]))
			continue
		}
		o.ObserveInt64(ins.softnet[n], i64(softnet[n]))
	}
	for _, n := range sortedKeys(softirqs) {
		o.ObserveInt64(ins.softirqs, i64(softirqs[n]), metric.WithAttributes(AttrCounter.String(n)))
	}
	return socks
}

// observeMIBOwn reports a MIB counter or level with a family of its own,
// with network.type and, for UDP, network.transport; the TCP levels have
// no attributes.
func observeMIBOwn(o metric.Observer, ins *otelInstruments, c *Counter) {
	var opts []metric.ObserveOption
	switch n := c.Name; {
	case strings.HasPrefix(n, "UdpLite6"):
		opts = append(opts, ins.mibAttrs[5])
	case strings.HasPrefix(n, "UdpLite."):
		opts = append(opts, ins.mibAttrs[4])
	case strings.HasPrefix(n, "Udp6"):
		opts = append(opts, ins.mibAttrs[3])
	case strings.HasPrefix(n, "Udp."):
		opts = append(opts, ins.mibAttrs[2])
	case strings.HasPrefix(n, "Ip6"):
		opts = append(opts, ins.mibAttrs[1])
	case strings.HasPrefix(n, "Ip.") || strings.HasPrefix(n, "IpExt.") || strings.HasPrefix(n, "TcpExt."):
		opts = append(opts, ins.mibAttrs[0])
	}
	switch i := ins.mibOwn[c.Name].(type) {
	case metric.Int64ObservableGauge:
		o.ObserveInt64(i, i64(c.Value), opts...)
	case metric.Int64ObservableCounter:
		o.ObserveInt64(i, i64(c.Value), opts...)
	}
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// qdiscAttrs are the attributes of a qdisc or class counter: the device,
// the handle (MAJ:MIN in hex, as the low 32 bits of Counter.Index hold
// it), the kind, the counter and, for a qdisc without a handle below a
// parent (the default children of mq and mqprio, all 0:0), the parent
// handle from Index's high 32 bits, so that each child has its own series.
func qdiscAttrs(c *Counter) metric.MeasurementOption {
	h := uint32(c.Index)
	handle := AttrQdiscHandle.String(fmt.Sprintf("%x:%x", h>>16, h&0xffff))
	if p := uint32(uint64(c.Index) >> 32); p != 0 {
		return metric.WithAttributes(AttrInterface.String(c.Object), handle,
			AttrQdiscParent.String(fmt.Sprintf("%x:%x", p>>16, p&0xffff)),
			AttrQdiscKind.String(c.Label))
	}
	return metric.WithAttributes(AttrInterface.String(c.Object), handle, AttrQdiscKind.String(c.Label))
}

// splitLocal splits a UDP table socket's "ADDR:PORT" ("[::]:53" for IPv6)
// into the network.local.address and network.local.port values; a string
// without a port is all address, port 0.
func splitLocal(obj string) (string, int64) {
	i := strings.LastIndexByte(obj, ':')
	if i < 0 {
		return obj, 0
	}
	var port int64
	for _, ch := range obj[i+1:] {
		if ch < '0' || ch > '9' || port > 65535 {
			return obj, 0
		}
		port = port*10 + int64(ch-'0')
	}
	return strings.TrimSuffix(strings.TrimPrefix(obj[:i], "["), "]"), port
}
