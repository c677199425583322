// Package packetpath shows where packets wait and where they are dropped on
// their way through the Linux network stack, from inside the application
// that receives them. This package holds no code: it is the map of the
// library. Each stage of the path below names the package that sees it and
// the kernel interface it reads.
//
// # Receive path
//
//	stage           question                                      package (kernel interface)
//	NIC and ring    rx_missed_errors, rx_fifo_errors, per-queue   nic: Client.Links (RTM_GETLINK IFLA_STATS64),
//	                drops; ring size against its maximum            Client.OpenStats (ethtool -S), Client.Rings (-g),
//	                                                                Client.Channels (-l), SysFS (statistics/*)
//	IRQ             which CPU services which queue; shared with   nic: DeviceIRQs (msi_irqs, /proc/interrupts,
//	                the application's CPUs?                         /proc/irq/N/*affinity_list)
//	softirq         budget exhausted (time_squeeze), backlog      procparse: SoftnetStat, Softirqs, Sysctls
//	                full (dropped), flow limit                      (netdev_budget, netdev_max_backlog, ...)
//	IP              InDiscards, InHdrErrors, InAddrErrors         procparse: SNMP, Netstat, SNMP6
//	UDP             NoPorts, InErrors, InCsumErrors               procparse: SNMP (Udp, UdpLite), SNMP6 (Udp6)
//	socket buffer   RcvbufErrors, MemErrors, per-socket drops,    udptable: Table (sock_diag, ss -uamn);
//	                memory held against rcvbuf                      procparse: UDP (/proc/net/udp)
//	application     datagrams still queued, time they waited,     socketstats: Conn (recvmmsg, SO_RXQ_OVFL,
//	                drops seen per batch                            SIOCINQ, SO_MEMINFO, SO_TIMESTAMPNS)
//
// # Transmit path
//
//	socket          SndbufErrors (includes qdisc ENOBUFS)         procparse: SNMP
//	qdisc           drops, requeues, overlimits, backlog          qdisc: Conn.Qdiscs, Conn.Classes (rtnetlink, as tc -s)
//	driver and BQL  tx timeouts, BQL limit and stalls             nic: SysFS.Device (queues/tx-N)
//	NIC             tx errors, carrier, aborted                   nic: Client.Links
//
// # Across the path
//
// netstack collects all of the above in one call (Collector.Collect into a
// reused Snapshot, for the host, a network namespace, or a capture bundle),
// takes deltas between snapshots (ComputeDelta: 32-bit wraps and re-created
// objects handled), diagnoses them along the path (Diagnose: findings
// ordered receive first, each with evidence, cause and the knob to turn)
// and registers OpenTelemetry instruments for all of it
// (Collector.RegisterMetrics).
//
// dropevents counts the kernel's drop tracepoints
// (udp:udp_fail_queue_rcv_skb, sock:*, skb:kfree_skb) and skb drop reasons
// through perf_event_open, so a drop is pinned to its site and reason.
//
// bundle is the capture format: frames holding /proc and /sys trees and the
// kernel's raw netlink dumps and ethtool replies as received, so a capture
// replays through the same decoders as a live collection (netstack
// Config.Bundle, examples/capture, netstack-top -root).
//
// Underneath, internal/nl is the single netlink layer of nic, qdisc and
// udptable, and internal/readfile the single reader of /proc and /sys files.
//
// The examples directory holds the programs people run: netstack-top (the
// live stack view), capture (bundles for offline analysis), mcast-recv (a
// market-data receiver on socketstats) and exporter (Prometheus /metrics).
package packetpath
