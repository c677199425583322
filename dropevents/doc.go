// Package dropevents counts the kernel's packet-drop tracepoints through
// perf_event_open(2), so that a program learns where and why packets were
// dropped, not only that they were.
//
// # What it counts
//
// A Collector attaches to four tracepoints on every online CPU:
//
//   - udp:udp_fail_queue_rcv_skb: a UDP datagram that could not be queued
//     to its socket (net/ipv4/udp.c, __udp_queue_rcv_skb). With
//     Config.Port the kernel counts only one local port, and the count
//     then equals that socket's drops column in /proc/net/udp.
//   - sock:sock_rcvqueue_full and sock:sock_exceed_buf_limit
//     (net/core/sock.c). Note: UDP does not go through
//     __sock_queue_rcv_skb any more, so UDP receive-buffer drops do NOT
//     fire sock_rcvqueue_full on current kernels (measured 0 on 6.18 while
//     udp_fail_queue_rcv_skb and the SOCKET_RCVBUFF reason counted every
//     drop); texts that name it for UDP predate that change.
//   - skb:kfree_skb: every packet freed as a drop, with (since 5.17) an
//     enum skb_drop_reason: NO_SOCKET, SOCKET_RCVBUFF, QDISC_DROP,
//     CPU_BACKLOG, NETFILTER_DROP, FULL_RING, NEIGH_QUEUEFULL, ...
//
// Per-reason counts come two ways. Config.Reasons counts the named
// reasons exactly in the kernel: one counting event per reason and CPU with
// the filter "reason == N" (PERF_EVENT_IOC_SET_FILTER); nothing is copied
// to user space. Config.AllReasons samples every kfree_skb record into a
// perf ring buffer per CPU (PERF_SAMPLE_RAW) and counts it into a fixed
// array indexed by reason: bounded memory, no allocation per event, and
// records the kernel could not write are reported in Counts.Lost.
//
// # Nothing compiled in
//
// Reason names, their numbers and the field offsets come from the running
// kernel's tracefs format files (events/<system>/<name>/format, parsed by
// ParseFormat): the numbers change between kernels (SOCKET_RCVBUFF is 16
// on 6.1 and 6 on 6.18; the reason field moved from offset 28 to 36 when
// 6.11 added rx_sk) and new reasons appear in every release.
//
// # Scope and privileges
//
// Tracepoints are global: they fire for every network namespace of the
// host, and no field of kfree_skb names the namespace. The counts are
// host-wide; only udp_fail_queue_rcv_skb can be narrowed, by port, in the
// kernel. Opening needs root or CAP_PERFMON (plus read access to tracefs,
// mode 0700): without it Open fails with an error that answers
// errors.Is(err, os.ErrPermission). Without tracefs (FindTraceFS looks at
// /sys/kernel/tracing, /sys/kernel/debug/tracing and
// /proc/self/mountinfo; it does not mount it) or without perf support the
// error answers errors.ErrUnsupported. One of the four tracepoints that the
// kernel lacks is reported as not Present rather than as an error. This
// package depends on no other packetpath package; netstack uses it to join
// drop reasons to a snapshot (netstack.Config.DropEvents).
//
// # Reading
//
// The events of one CPU form a perf event group read with one read(2)
// (PERF_FORMAT_GROUP): reading a CPU's counters from another CPU costs an
// inter-processor interrupt, so Snapshot costs one per CPU. In sampling
// mode the rings must be drained: call Snapshot periodically (a ring of
// RingPages pages holds RingPages*4096/56 records of 6.18's kfree_skb), or
// block in Wait, which returns when a ring is half full, and then call
// Snapshot. Snapshot and Delta do not allocate in steady state.
// CPUs that come online after Open are not counted.
package dropevents
