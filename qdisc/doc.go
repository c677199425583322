// Package qdisc reads queueing-discipline (qdisc) and traffic-class
// statistics from the kernel over rtnetlink, exactly as `tc -s qdisc show`
// and `tc -s class show` report them.
//
// A [Conn] owns one NETLINK_ROUTE socket, optionally inside another
// network namespace. [Conn.Qdiscs] performs one RTM_GETQDISC dump for
// every device in the namespace (the kernel ignores tcm_ifindex in qdisc
// dumps; [Conn.QdiscsOf] filters by device on the client side) and
// [Conn.Classes] one RTM_GETTCLASS dump per device. Both decode the
// messages by hand from a reused receive buffer into caller-owned slices,
// so a steady-state poll allocates nothing.
//
// # Where the numbers come from
//
// The kernel fills TCA_STATS2 (net/core/gen_stats.c, gnet_stats_copy_*) from
// the qdisc's bstats/qstats in tc_fill_qdisc (net/sched/sch_api.c) and
// tc_fill_tclass (class dump_stats callbacks). TCA_STATS2 is authoritative:
//
//   - TCA_STATS_BASIC: struct gnet_stats_basic, u64 bytes and u32 packets.
//     The kernel clamps packets to 2^32-1 and adds TCA_STATS_PKT64 with the
//     full u64 count once it is exceeded; PKT64 wins when present.
//   - TCA_STATS_QUEUE: struct gnet_stats_queue, u32 qlen, backlog, drops,
//     requeues, overlimits.
//   - TCA_STATS_RATE_EST / TCA_STATS_RATE_EST64: the rate estimator, only
//     when one is configured (tc ... estimator).
//   - TCA_STATS_BASIC_HW: the offloaded share of bytes and packets.
//   - TCA_STATS_APP: kind-specific xstats, decoded on demand by
//     [DecodeFQCodel], [DecodeHTB] and friends; unknown kinds keep the raw
//     bytes in XStats.
//
// The legacy TCA_STATS (struct tc_stats) is used only when TCA_STATS2 is
// absent, and TCA_XSTATS only when TCA_STATS_APP is absent. (Other Go
// libraries let TCA_STATS overwrite TCA_STATS2, which zeroes requeues, or
// keep packets in 32 bits.)
//
// Drops, overlimits and requeues are u32 counters in the kernel
// (struct gnet_stats_queue) and wrap at 2^32; they are widened to uint64
// without wrap correction, since one snapshot cannot see a wrap. The
// differences between snapshots are netstack's (ComputeDelta), which reads
// a fall as a wrap only when it is believable; [Recreated] tells a qdisc
// deleted and added again in between (its counters then start at 0, which
// is no wrap).
//
// # The tree
//
// Each qdisc and class carries its Handle and Parent ([TC_H_ROOT] for a
// root qdisc, [TC_H_INGRESS] for ingress/clsact, major:minor of the parent
// class otherwise; an mq child's parent is mq's handle with the tx queue
// number + 1 as minor). [BuildTree] links them; [Totals] adds up a device's
// egress statistics counting each packet once: only root qdiscs are summed,
// because a classful root (mq, htb, tbf, ...) already includes its children
// (mq and mqprio compute their own counters as the sum of the per-queue
// children at dump time, net/sched/sch_mq.c mq_dump).
//
// # Kernel notes
//
// Measured on Linux 6.18: the dump sends TCA_KIND, TCA_OPTIONS (nested
// content without NLA_F_NESTED), TCA_HW_OFFLOAD, TCA_STAB when configured,
// TCA_STATS2, then the legacy TCA_STATS and TCA_XSTATS. RTM_GETTCLASS with
// ifindex 0 returns nothing, so classes need one dump per device. mq has a
// class per possible tx queue but child qdiscs only for the real ones.
// struct tc_fq_qd_stats grew in 5.x and 6.7; xstats structs are decoded by
// length, missing trailing fields stay zero and are reported by a Len or
// presence field.
package qdisc
