// Package netstack reads every stage of the Linux UDP path at once and says
// where packets waited or were lost. Its data flows one way:
//
//	Snapshot -> counters -> Delta -> Diagnose -> OpenTelemetry
//
// # Snapshot
//
// A Collector (NewCollector, Config) reads the selected sources (Source) of
// one network namespace, or of a capture bundle, into a Snapshot
// (Collector.Collect). Each source's data keeps the form its package
// returns, in Snapshot.Sources:
//
//   - softnet: /proc/net/softnet_stat, per CPU (procparse);
//   - snmp and netstat: /proc/net/snmp, snmp6 and netstat, the kernel's MIBs
//     (procparse);
//   - softirqs: /proc/softirqs, NET_RX and NET_TX runs per CPU (procparse);
//   - links: RTM_GETLINK's IFLA_STATS64 live, sysfs statistics/* or
//     /proc/net/dev offline (nic);
//   - devices and ethtool: sysfs queues (RPS, XPS, BQL, tx_timeout) and the
//     ethtool statistics, rings and channels (nic);
//   - qdisc: RTM_GETQDISC and RTM_GETTCLASS statistics, as tc -s shows them
//     (qdisc);
//   - udp: the host's UDP sockets over sock_diag, or /proc/net/udp offline;
//   - sockets: the process's own instrumented sockets (socketstats,
//     Collector.AddSocket);
//   - sysctls: the settings the diagnosis quotes, from /proc/sys;
//   - dropevents: the kernel's skb drop reasons, when enabled.
//
// A source that fails leaves an entry in Snapshot.Errors, naming the source,
// the file or message and the reason; the other sources are collected all
// the same.
//
// # Counters
//
// Every source's data is then flattened into Snapshot.Counters, one Counter
// per kernel value: Source, Object (a device, socket or qdisc's device; ""
// for host-wide values), Index (the CPU of a softnet counter, the inode of
// a socket, the handle of a qdisc, the position of a driver statistic in
// its string table), Name, Value, and Gen, which tells a re-created object
// from the old one (0 when the source cannot tell: /proc/net/dev has no
// ifindex, /proc/net/udp no cookie; the values decide then). A counter's
// Stage, Bits (how wide the kernel keeps it: 32-bit counters wrap) and Gauge
// (a level or a setting, not a count) come from its definition: the table
// of counter definitions in counterdefs.go for the counters packetpath names
// (the Link*, Softnet*, Socket*, UDP*, Qdisc*, Ethtool* and Device*
// constants), and for the MIBs the kernel's names, with the few MIB entries
// that hold a level (Tcp.CurrEstab, Tcp.MaxConn, Ip.Forwarding, ...: the
// MIB* constants) marked as gauges. Values are the kernel's, never scaled;
// the constants' docs give the unit of those that are not packet counts.
//
// # Delta
//
// ComputeDelta pairs two snapshots of one collector, counter by counter,
// and gives each counter's increase and rate over the interval. A gauge has
// no delta: it is reported as it is, so a fall of Tcp.CurrEstab is the
// number of connections going down, not a reset. A counter that went
// backwards is a 32-bit wrap when the wrap is believable, otherwise a reset
// (the object was re-created or its counter restarted): ComputeDelta
// documents the rules.
//
// # Diagnose
//
// Diagnose walks a delta's stages in the order a packet takes (Stage: NIC,
// softirq, IP, UDP, socket, application; then transmit) and returns a
// Finding for each stage where packets were lost or held up, with the
// counters that moved as evidence and the settings that address the cause
// (Knob), with the exact command. It reads only: packetpath never changes a
// setting. Its cost is linear in the delta's counters.
//
// # OpenTelemetry
//
// Collector.RegisterMetrics exports the counters as OpenTelemetry
// observable instruments (the Metric* names), together with the
// diagnosis's drops per stage and each source's health: at each collection
// by the reader, the callback takes a snapshot, diagnoses the delta since
// the previous one and observes both. Counters are monotonic instruments,
// gauges gauge instruments.
package netstack
