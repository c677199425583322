// Package packetpath shows where packets wait and where they are dropped on
// their way through the Linux network stack, from inside the application that
// receives them. This package holds no code: it is the map of the library.
//
// # Receive path
//
//	stage                      question                                   package
//	NIC and driver ring        rx_missed_errors, rx_fifo, per-queue drops  nic (ethtool -S, IFLA_STATS64, sysfs)
//	IRQ                        which CPU services which queue              nic (msi_irqs, /proc/interrupts, affinity)
//	softirq (NET_RX)           budget exhausted, backlog full, flow limit  procparse (softnet_stat, softirqs, sysctls)
//	IP                         InDiscards, header and checksum errors      procparse (snmp, netstat)
//	UDP                        NoPorts, RcvbufErrors, MemErrors            procparse (snmp, udp)
//	socket buffer              per-socket drops, queue against rcvbuf      socketstats (sock_diag), procparse (udp)
//	application                datagrams waiting, queueing delay           socketstats (instrumented socket)
//
// # Transmit path
//
//	socket                     SndbufErrors                                procparse (snmp)
//	qdisc                      drops, requeues, overlimits, backlog        qdisc (rtnetlink, as tc -s)
//	driver ring and BQL        tx timeouts, BQL limits and stalls          nic (sysfs queues/tx-N)
//	NIC                        tx errors, carrier                          nic (IFLA_STATS64, ethtool -S)
//
// netstack ties the stages together: whole-stack snapshots of the host or of
// a network namespace, deltas, a diagnosis ordered along the packet's path,
// and OpenTelemetry instruments for all of it.
package packetpath
