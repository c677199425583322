package main

import (
	"slices"

	"github.com/packetpath/packetpath/dropevents"
)

// diagnosedReasons are the skb drop reasons whose counts Diagnose attaches
// to a stage or makes a finding of (netstack reasonStage, the netfilter
// rule), in the order a packet meets them.
var diagnosedReasons = []string{
	"CPU_BACKLOG", "NETFILTER_DROP", "IP_RPFILTER", "IP_INHDR", "IP_CSUM", "IP_INADDRERRORS",
	"IP_NOPROTO", "OTHERHOST", "PKT_TOO_SMALL", "NO_SOCKET", "UDP_CSUM", "SOCKET_FILTER",
	"SOCKET_RCVBUFF", "PROTO_MEM", "QDISC_DROP", "FULL_RING",
}

// dropEventsConfig is what -sources dropevents counts: each reason Diagnose
// knows that the running kernel has, in counting mode, which the kernel
// filters and counts exactly whatever the drop rate of the rest of the host
// (the sampling mode's rings lose records when other namespaces drop
// heavily). Without tracefs the collector reports its own error.
func dropEventsConfig() dropevents.Config {
	tfs, err := dropevents.FindTraceFS()
	if err != nil {
		return dropevents.Config{Reasons: diagnosedReasons}
	}
	f, err := tfs.Format("skb", "kfree_skb")
	if err != nil {
		return dropevents.Config{TraceFS: tfs, Reasons: diagnosedReasons}
	}
	syms, err := f.Symbols("reason")
	if err != nil || len(syms) == 0 {
		return dropevents.Config{TraceFS: tfs, Reasons: diagnosedReasons}
	}
	var have []string
	for _, r := range diagnosedReasons {
		if slices.ContainsFunc(syms, func(s dropevents.Symbol) bool { return s.Name == r }) {
			have = append(have, r)
		}
	}
	return dropevents.Config{TraceFS: tfs, Reasons: have}
}
