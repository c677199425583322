package netstack

import (
	"fmt"
	"slices"
)

// The rules in this file name the multicast loss causes that the kernel
// counts outside the stages Diagnose walked first: reverse-path filtering,
// fragment reassembly, datagrams for groups nobody listens to, and bad
// checksums. Each quotes the counter that proves it and the knob with its
// value in force. Diagnose calls them from its stage walk, so a cause
// earlier on the path still comes first.

// Names of the counters the rules read, as the snmp and netstat sources
// name them ("Group.Key" for /proc/net/snmp and netstat, the kernel's key
// for snmp6).
const (
	// TcpExt IPReversePathFilter is LINUX_MIB_IPRPFILTER, counted in
	// net/ipv4/ip_input.c ip_rcv_finish_core when the route lookup of an
	// incoming packet fails with -EXDEV: fib_validate_source found that
	// the source would not be routed back out of the interface it came in
	// on (drop reason IP_RPFILTER). Multicast is checked too
	// (net/ipv4/route.c ip_mc_validate_source).
	ctrRPFilter = "TcpExt.IPReversePathFilter"
	// Ip ReasmReqds counts fragments that needed reassembly, ReasmFails
	// every failure of it (a fragment refused because the namespace's
	// reassembly memory is above ipfrag_high_thresh, a queue expired, a
	// malformed or overlapping fragment), ReasmTimeout the queues that
	// expired after ipfrag_time (net/ipv4/ip_fragment.c ip_defrag,
	// ip_expire). Units: fragments for ReasmReqds and the refusals,
	// datagrams for the timeouts.
	ctrReasmReqds    = "Ip.ReasmReqds"
	ctrReasmFails    = "Ip.ReasmFails"
	ctrReasmTimeout  = "Ip.ReasmTimeout"
	ctrReasm6Reqds   = "Ip6ReasmReqds"
	ctrReasm6Fails   = "Ip6ReasmFails"
	ctrReasm6Timeout = "Ip6ReasmTimeout"
	// Udp IgnoredMulti counts multicast and broadcast datagrams that UDP
	// accepted from IP (the host had joined the group on the interface,
	// or it was a broadcast) but that no socket took: no socket bound to
	// the port had the group (net/ipv4/udp.c __udp4_lib_mcast_deliver).
	// NoPorts does not count them.
	ctrIgnoredMulti  = "Udp.IgnoredMulti"
	ctrIgnoredMulti6 = "Udp6IgnoredMulti"

	sysctlRPFilterAll    = "net.ipv4.conf.all.rp_filter"
	sysctlFragHighThresh = "net.ipv4.ipfrag_high_thresh"
	sysctlFragTime       = "net.ipv4.ipfrag_time"
)

// sysctlEvidence appends the named sysctl's value in force to f's
// evidence when the sysctl source read it.
func (g diag) sysctlEvidence(f *Finding, names ...string) {
	for _, n := range names {
		if c := g.counter(SourceSysctls, "", -1, n); c != nil {
			f.Evidence = append(f.Evidence, ev(c))
		}
	}
}

// rpFilter reports packets the reverse-path filter dropped (TcpExt
// IPReversePathFilter). The filter in force on an interface is the larger
// of net.ipv4.conf.all.rp_filter and the interface's own
// (IN_DEV_RPFILTER); the counter does not say which interface dropped,
// so a knob quotes each interface the sysctl source read, with its value,
// all's and the larger (InForce). Without them the interface is a
// placeholder.
func (g diag) rpFilter(fs *[]Finding) {
	cs := g.moved(SourceNetstat, name(ctrRPFilter))
	if len(cs) == 0 {
		return
	}
	f := Finding{Stage: StageIP, Drops: total(cs)}
	for _, c := range cs {
		f.Evidence = append(f.Evidence, ev(c))
	}
	g.sysctlEvidence(&f, sysctlRPFilterAll)
	f.Summary = fmt.Sprintf("the reverse-path filter dropped %d packets (TcpExt IPReversePathFilter)", f.Drops)
	f.Cause = "packets (typically multicast from an asymmetric source) arrived on an interface that is not the one the route back to their source uses, and strict reverse-path filtering dropped them"
	all := g.sysctlKnob(sysctlRPFilterAll,
		"the filter in force on an interface is the larger of this and net.ipv4.conf.<iface>.rp_filter: both must be 0 (off) or 2 (loose) for the asymmetric source to pass",
		func(uint64) uint64 { return 2 })
	f.Knobs = []Knob{all}
	allV, allOK := g.gauge(SourceSysctls, "", -1, sysctlRPFilterAll)
	// The sysctl source reports one counter per device (Object), read
	// from net.ipv4.conf.<dev>.rp_filter; a device without one is not
	// quoted.
	for _, c := range g.d.Counters {
		if c.Source != SourceSysctls || c.Name != sysctlRPFilterDev || c.Object == "" {
			continue
		}
		knob := "net.ipv4.conf." + c.Object + ".rp_filter"
		k := Knob{Name: knob, Current: fmt.Sprint(c.Value),
			Advice:  "set loose mode (2) on " + c.Object + " if the multicast arrives on it, or add a route to the source through it",
			Command: "sysctl -w " + knob + "=2"}
		if allOK {
			eff := max(allV, c.Value)
			k.InForce = fmt.Sprint(eff)
			k.Advice = fmt.Sprintf("in force on %s: max(all %d, %s %d) = %d; ", c.Object, allV, c.Object, c.Value, eff) + k.Advice
		}
		f.Knobs = append(f.Knobs, k)
	}
	if len(f.Knobs) == 1 {
		f.Knobs = append(f.Knobs, Knob{
			Name:    "net.ipv4.conf.<iface>.rp_filter",
			Advice:  "set loose mode (2) on the interface the multicast arrives on, or add a route to the source through that interface",
			Command: "sysctl -w net.ipv4.conf.<iface>.rp_filter=2",
		})
	}
	*fs = append(*fs, f)
}

// reassembly reports IPv4 and IPv6 fragment reassembly failures (Ip
// ReasmFails, ReasmTimeout; Ip6 likewise). The datagram is lost whole when
// any of its fragments is.
func (g diag) reassembly(fs *[]Finding) {
	fails := g.moved(SourceSNMP, name(ctrReasmFails, ctrReasm6Fails))
	if len(fails) == 0 {
		return
	}
	f := Finding{Stage: StageIP, Drops: total(fails)}
	for _, c := range fails {
		f.Evidence = append(f.Evidence, ev(c))
	}
	var timeouts uint64
	for _, c := range g.moved(SourceSNMP, name(ctrReasmTimeout, ctrReasm6Timeout, ctrReasmReqds, ctrReasm6Reqds)) {
		f.Evidence = append(f.Evidence, ev(c))
		if c.Name == ctrReasmTimeout || c.Name == ctrReasm6Timeout {
			timeouts += c.Delta
		}
	}
	g.sysctlEvidence(&f, sysctlFragHighThresh, sysctlFragTime)
	f.Summary = fmt.Sprintf("IP fragment reassembly failed %d times (ReasmFails; %d reassembly queues timed out)", f.Drops, timeouts)
	if timeouts > 0 {
		f.Cause = "datagrams larger than the MTU arrived in fragments and some fragments never came within ipfrag_time, so the whole datagram was dropped"
	} else {
		f.Cause = "datagrams larger than the MTU arrived in fragments that reassembly refused (its memory above ipfrag_high_thresh) or could not put together, so the whole datagram was dropped"
	}
	f.Knobs = []Knob{
		{Name: "sender datagram size", Advice: "keep each datagram's payload under the path MTU (1472 bytes of UDP payload on a 1500-byte MTU) so it is never fragmented: one lost fragment loses the datagram",
			Command: "ip link show <iface> (mtu) and the sender's datagram size"},
		g.sysctlKnob(sysctlFragHighThresh, "bytes of memory the namespace's reassembly queues may hold: raise it if fragments are refused under load (0 refuses every fragment)", fragThresh),
		g.sysctlKnob(sysctlFragTime, "seconds an incomplete datagram waits for its fragments: a longer wait does not bring lost fragments back", nil),
	}
	*fs = append(*fs, f)
}

// fragThresh suggests an ipfrag_high_thresh: the kernel's default (4 MiB,
// net/ipv4/ip_fragment.c ipv4_frags_init_net) when below it, else double.
func fragThresh(cur uint64) uint64 {
	const def = 4 << 20
	if cur < def {
		return def
	}
	return 2 * cur
}

// ignoredMulti reports multicast and broadcast datagrams no socket took
// (Udp IgnoredMulti): the host was a member of the group on the interface,
// but no socket bound to the destination port had joined it.
func (g diag) ignoredMulti(fs *[]Finding) {
	cs := g.moved(SourceSNMP, name(ctrIgnoredMulti, ctrIgnoredMulti6))
	if len(cs) == 0 {
		return
	}
	f := Finding{Stage: StageUDP, Drops: total(cs)}
	for _, c := range cs {
		f.Evidence = append(f.Evidence, ev(c))
	}
	f.Summary = fmt.Sprintf("%d multicast or broadcast datagrams reached UDP with no socket for their group and port (IgnoredMulti)", f.Drops)
	f.Cause = "the group was joined on this host but no socket bound to the destination port was a member of it: the receiver joined on the wrong interface, dropped its membership, or is not running"
	f.Knobs = []Knob{{
		Name:    "IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP (the receiver's membership)",
		Advice:  "join the group on the interface the traffic arrives on (imr_ifindex), from the socket bound to the destination port; /proc/net/igmp and /proc/net/igmp6 list each interface's groups",
		Command: "ip maddr show",
	}}
	*fs = append(*fs, f)
}

// checksumKnobs adds the knob to the UDP checksum finding (Udp
// InCsumErrors): the NIC's receive checksum offload, the usual cause when
// the wire is clean.
func (g diag) checksumKnobs(fs []Finding) {
	for i := range fs {
		f := &fs[i]
		if f.Stage != StageUDP || !slices.ContainsFunc(f.Evidence, func(e Evidence) bool {
			return e.Name == "Udp.InCsumErrors" || e.Name == "Udp6InCsumErrors" || e.Name == "UdpLite.InCsumErrors"
		}) {
			continue
		}
		f.Cause = "datagrams arrived with a bad UDP checksum: corrupted on the path, by a sender that fills the checksum wrongly, or by a NIC whose receive checksum offload misreports"
		f.Knobs = append(f.Knobs, Knob{
			Name:    "ethtool -K <iface> rx",
			Advice:  "turn receive checksum offload off for a test: if the errors stop, the offload is at fault; if not, capture the bad datagrams (tcpdump -vv) to find the corrupting hop",
			Command: "ethtool -K <iface> rx off",
		})
	}
}

// netfilter reports packets a netfilter rule dropped: kfree_skb records
// with the reason NETFILTER_DROP (net/netfilter/core.c nf_hook_slow). No
// MIB counter counts them, so only the drop-event source sees them; the
// tracepoint fires in every namespace of the host, and neither the reason
// nor the drop site (nf_hook_slow for every hook) says which hook or rule
// dropped, so the finding points at the rule counters. The reason's count
// is attached by dropEvents, like every drop reason of the IP stage.
func (g diag) netfilter(fs *[]Finding) {
	var n uint64
	for _, c := range g.moved(SourceDropEvents, name(reasonNetfilterDrop)) {
		n += c.Delta
	}
	if n == 0 {
		return
	}
	*fs = append(*fs, Finding{Stage: StageIP, Drops: n,
		Summary: fmt.Sprintf("netfilter rules dropped %d packets (drop reason NETFILTER_DROP, all namespaces)", n),
		Cause:   "a firewall rule (nftables or iptables) dropped the packets; the drop reason does not name the hook or the rule",
		Knobs: []Knob{{
			Name:    "netfilter ruleset",
			Advice:  "find the rule whose counter rises with the drops (add a counter to drop rules), then accept the multicast group and port before it",
			Command: "nft list ruleset",
		}}})
}

// reasonNetfilterDrop is the kfree_skb reason of a netfilter verdict
// NF_DROP (enum skb_drop_reason SKB_DROP_REASON_NETFILTER_DROP).
const reasonNetfilterDrop = "NETFILTER_DROP"

// unjoinedGroups reports own sockets (Collector.AddSocket with
// socketstats Config.PacketInfo) that read datagrams addressed to groups
// they never joined: with IP_MULTICAST_ALL on (the kernel's default), a
// socket bound to the unspecified address receives every group any socket
// of the host joined on that port (net/ipv4/igmp.c ip_mc_sf_allow). Not a
// loss: the application reads traffic that is not its own, which costs
// its buffer and its CPU and corrupts its sequence accounting.
func (g diag) unjoinedGroups(fs *[]Finding) {
	for _, c := range g.moved(SourceSockets, name(SocketUnjoined)) {
		*fs = append(*fs, Finding{Stage: StageSocket, Object: c.Object, Evidence: []Evidence{ev(c)},
			Summary: fmt.Sprintf("%s read %d datagrams for multicast groups it never joined", c.Object, c.Delta),
			Cause:   "the socket is bound to the unspecified address with IP_MULTICAST_ALL on, so it receives the groups other sockets of the host joined on its port",
			Knobs: []Knob{{
				Name:    "IP_MULTICAST_ALL",
				Current: "1",
				Advice:  "turn it off on the socket (socketstats: leave Config.MulticastAll false), or bind the socket to its group address",
				Command: "setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0)",
			}}})
	}
}
