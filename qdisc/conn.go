package qdisc

import "time"

// Config configures Open. The zero value opens a connection in the
// caller's network namespace.
type Config struct {
	// NetNS is the path of a network namespace (/var/run/netns/NAME or
	// /proc/PID/ns/net). The netlink socket is created inside it, and every
	// dump then reports that namespace. "" means the current namespace.
	NetNS string
	// Timeout bounds each dump when the caller's context has no deadline.
	// Zero means 5 seconds.
	Timeout time.Duration
}

// DumpInfo describes the last dump of a Conn, for callers that want to know
// what was skipped.
type DumpInfo struct {
	// Messages is the number of RTM_NEWQDISC/RTM_NEWTCLASS messages seen.
	Messages int
	// Vanished counts messages skipped because their device disappeared
	// before its name could be resolved (it was removed mid-dump).
	Vanished int
	// SkippedDevices lists ifindexes whose class dump failed with ENODEV
	// (the device went away) in AllClasses. Reused between calls.
	SkippedDevices []int
	// Malformed counts messages that could not be decoded and were skipped;
	// the first such error is returned by the dump call.
	Malformed int
	// Interrupted is true when the kernel flagged the dump NLM_F_DUMP_INTR
	// (the set of objects changed while dumping).
	Interrupted bool
}

const defaultTimeout = 5 * time.Second
