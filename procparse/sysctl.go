package procparse

import (
	"github.com/packetpath/packetpath/internal/scan"
)

// SysctlInt is one numeric sysctl. Present is false when the kernel does
// not expose it here (an older kernel, a fixture tree that lacks it, or a
// non-initial network namespace for the machine-wide net.core settings);
// Value is then 0 and meaningless.
type SysctlInt struct {
	Value   int64
	Present bool
}

// SysctlString is one textual sysctl; Present as for [SysctlInt].
type SysctlString struct {
	Value   string
	Present bool
}

// UDPMem is net.ipv4.udp_mem: the machine-wide limits, in pages, on the
// memory all UDP sockets together may hold (compared against the UDP "mem"
// of /proc/net/sockstat; net/core/sock.c __sk_mem_raise_allocated). UDP
// has no memory-pressure mode, so Pressure has little effect; above Max a
// socket may only grow while it holds less than udp_rmem_min, and
// datagrams refused for that are dropped and counted in Udp MemErrors
// (net/ipv4/udp.c __udp_enqueue_schedule_skb returning -ENOBUFS).
type UDPMem struct {
	Min, Pressure, Max int64 // pages
	Present            bool
}

// Bytes converts the three limits to bytes with pageSize (use
// os.Getpagesize() on the machine the values come from).
func (u UDPMem) Bytes(pageSize int64) (minimum, pressure, maximum int64) {
	return u.Min * pageSize, u.Pressure * pageSize, u.Max * pageSize
}

// Sysctls holds the sysctls that shape the packet's path, each read from
// /proc/sys/net/... (the sysctl's name with dots as slashes). They come
// from net/core/sysctl_net_core.c and net/ipv4/sysctl_net_ipv4.c. All exist
// in the initial network namespace of 6.18; older kernels lack some
// (netdev_budget_usecs and the dev_weight biases arrived in the 4.x
// series). In any other network namespace, 6.18 exposes only the
// per-namespace ones: rmem_default, rmem_max, wmem_default, wmem_max
// (read-only there), optmem_max, udp_rmem_min, udp_wmem_min,
// igmp_max_memberships, ipfrag_high_thresh, ipfrag_time and
// conf.all.rp_filter; the machine-wide ones (budgets, weights, backlog,
// busy polling, default_qdisc, flow limit, RPS, udp_mem) are absent there
// and must be read from the host. Units are as the kernel documents them
// (Documentation/admin-guide/sysctl/net.rst, networking/ip-sysctl.rst).
type Sysctls struct {
	// NetdevBudget is net.core.netdev_budget: packets one NET_RX softirq
	// may process across all NAPI instances before yielding (time_squeeze
	// in softnet_stat counts the times it ran out).
	NetdevBudget SysctlInt
	// NetdevBudgetUsecs is net.core.netdev_budget_usecs: the same limit
	// in microseconds.
	NetdevBudgetUsecs SysctlInt
	// DevWeight is net.core.dev_weight: packets per NAPI poll for the
	// backlog (non-NAPI, RPS) queue.
	DevWeight SysctlInt
	// DevWeightRxBias and DevWeightTxBias scale DevWeight for RX and TX
	// processing (dev_rx_weight, dev_tx_weight).
	DevWeightRxBias SysctlInt
	DevWeightTxBias SysctlInt
	// NetdevMaxBacklog is net.core.netdev_max_backlog: packets the
	// per-CPU backlog queue holds before dropping (softnet_stat dropped).
	NetdevMaxBacklog SysctlInt
	// RmemDefault, RmemMax, WmemDefault, WmemMax are net.core socket
	// buffer sizes in bytes: the default SO_RCVBUF/SO_SNDBUF and the cap
	// on what setsockopt may request (the kernel doubles requests and caps
	// them at twice the max).
	RmemDefault SysctlInt
	RmemMax     SysctlInt
	WmemDefault SysctlInt
	WmemMax     SysctlInt
	// OptmemMax is net.core.optmem_max: bytes of ancillary data and
	// socket options per socket.
	OptmemMax SysctlInt
	// BusyPoll and BusyRead are net.core.busy_poll and busy_read:
	// microseconds to busy-poll the device queue in poll/select and in
	// read (0 = off).
	BusyPoll SysctlInt
	BusyRead SysctlInt
	// DefaultQdisc is net.core.default_qdisc: the qdisc new devices get
	// (e.g. "pfifo_fast", "fq_codel").
	DefaultQdisc SysctlString
	// FlowLimitTableLen is net.core.flow_limit_table_len: buckets of the
	// per-CPU flow limit table (softnet_stat flow_limit_count).
	FlowLimitTableLen SysctlInt
	// RPSSockFlowEntries is net.core.rps_sock_flow_entries: size of the
	// RFS socket flow table (0 = RFS off).
	RPSSockFlowEntries SysctlInt
	// UDPMem is net.ipv4.udp_mem, in pages.
	UDPMem UDPMem
	// UDPRmemMin and UDPWmemMin are net.ipv4.udp_rmem_min and
	// udp_wmem_min: bytes each UDP socket may use even under memory
	// pressure.
	UDPRmemMin SysctlInt
	UDPWmemMin SysctlInt
	// IGMPMaxMemberships is net.ipv4.igmp_max_memberships: groups one
	// socket may join.
	IGMPMaxMemberships SysctlInt
	// IPFragHighThresh is net.ipv4.ipfrag_high_thresh: bytes of memory
	// the namespace's IPv4 reassembly queues may hold; a fragment that
	// arrives above it is dropped and counted in Ip ReasmFails
	// (net/ipv4/inet_fragment.c inet_frag_find). Per namespace.
	IPFragHighThresh SysctlInt
	// IPFragTime is net.ipv4.ipfrag_time: seconds an incomplete IPv4
	// datagram waits for its missing fragments before it is dropped and
	// counted in Ip ReasmTimeout and ReasmFails (net/ipv4/ip_fragment.c
	// ip_expire). Per namespace.
	IPFragTime SysctlInt
	// RPFilterAll is net.ipv4.conf.all.rp_filter: 0 off, 1 strict, 2
	// loose reverse-path filtering. The value in force on an interface is
	// the larger of this and the interface's own
	// (include/linux/inetdevice.h IN_DEV_RPFILTER); drops are counted in
	// TcpExt IPReversePathFilter. Per namespace.
	RPFilterAll SysctlInt
}

// sysctlNames lists, in a fixed order, the sysctls Sysctls holds.
// sysctlField maps each index to its field.
var sysctlNames = [...]string{
	"net.core.netdev_budget",
	"net.core.netdev_budget_usecs",
	"net.core.dev_weight",
	"net.core.dev_weight_rx_bias",
	"net.core.dev_weight_tx_bias",
	"net.core.netdev_max_backlog",
	"net.core.rmem_default",
	"net.core.rmem_max",
	"net.core.wmem_default",
	"net.core.wmem_max",
	"net.core.optmem_max",
	"net.core.busy_poll",
	"net.core.busy_read",
	"net.core.default_qdisc",
	"net.core.flow_limit_table_len",
	"net.core.rps_sock_flow_entries",
	"net.ipv4.udp_mem",
	"net.ipv4.udp_rmem_min",
	"net.ipv4.udp_wmem_min",
	"net.ipv4.igmp_max_memberships",
	"net.ipv4.ipfrag_high_thresh",
	"net.ipv4.ipfrag_time",
	"net.ipv4.conf.all.rp_filter",
}

// SysctlNames returns the names (dotted, as sysctl(8) prints them) of the
// sysctls [Sysctls] holds, in a fixed order.
func SysctlNames() []string { return append([]string(nil), sysctlNames[:]...) }

// sysctlField returns the field of s for sysctlNames[i]: exactly one of the
// results is non-nil.
func sysctlField(s *Sysctls, i int) (*SysctlInt, *SysctlString, *UDPMem) {
	switch i {
	case 0:
		return &s.NetdevBudget, nil, nil
	case 1:
		return &s.NetdevBudgetUsecs, nil, nil
	case 2:
		return &s.DevWeight, nil, nil
	case 3:
		return &s.DevWeightRxBias, nil, nil
	case 4:
		return &s.DevWeightTxBias, nil, nil
	case 5:
		return &s.NetdevMaxBacklog, nil, nil
	case 6:
		return &s.RmemDefault, nil, nil
	case 7:
		return &s.RmemMax, nil, nil
	case 8:
		return &s.WmemDefault, nil, nil
	case 9:
		return &s.WmemMax, nil, nil
	case 10:
		return &s.OptmemMax, nil, nil
	case 11:
		return &s.BusyPoll, nil, nil
	case 12:
		return &s.BusyRead, nil, nil
	case 13:
		return nil, &s.DefaultQdisc, nil
	case 14:
		return &s.FlowLimitTableLen, nil, nil
	case 15:
		return &s.RPSSockFlowEntries, nil, nil
	case 16:
		return nil, nil, &s.UDPMem
	case 17:
		return &s.UDPRmemMin, nil, nil
	case 18:
		return &s.UDPWmemMin, nil, nil
	case 19:
		return &s.IGMPMaxMemberships, nil, nil
	case 20:
		return &s.IPFragHighThresh, nil, nil
	case 21:
		return &s.IPFragTime, nil, nil
	case 22:
		return &s.RPFilterAll, nil, nil
	}
	return nil, nil, nil
}

func sysctlIndex(name string) int {
	for i, n := range sysctlNames {
		if n == name {
			return i
		}
	}
	return -1
}

// ParseSysctl sets the field of dst for the named sysctl (one of
// [SysctlNames], e.g. "net.core.rmem_max") from the content of its
// /proc/sys file, marking it present. On error the field is marked absent.
// The file name in errors is the sysctl's name.
func ParseSysctl(name string, b []byte, dst *Sysctls) error {
	i := sysctlIndex(name)
	if i < 0 {
		return malformed(name, 0, nil, "not one of the sysctls Sysctls holds")
	}
	return parseSysctlAt(i, b, dst)
}

func parseSysctlAt(i int, b []byte, dst *Sysctls) error {
	name := sysctlNames[i]
	iv, sv, uv := sysctlField(dst, i)
	v := scan.TrimSpace(b)
	switch {
	case iv != nil:
		n, err := scan.Int(v)
		if err != nil {
			*iv = SysctlInt{}
			return malformed(name, 1, err, "value %q is not an integer", v)
		}
		*iv = SysctlInt{Value: n, Present: true}
	case sv != nil:
		if len(v) == 0 || hasLineBreak(v) {
			*sv = SysctlString{}
			return malformed(name, 1, nil, "value %q is empty or spans lines", v)
		}
		*sv = SysctlString{Value: scan.String(sv.Value, v), Present: true}
	case uv != nil:
		*uv = UDPMem{}
		var vals [3]int64
		for k := range vals {
			var f []byte
			f, v = scan.Field(v)
			n, err := scan.Int(f)
			if err != nil {
				return malformed(name, 1, err, "value %d of 3: %q", k+1, f)
			}
			vals[k] = n
		}
		if len(scan.TrimSpace(v)) != 0 {
			return malformed(name, 1, nil, "more than 3 values")
		}
		*uv = UDPMem{Min: vals[0], Pressure: vals[1], Max: vals[2], Present: true}
	}
	return nil
}

func hasLineBreak(b []byte) bool {
	for _, c := range b {
		if c == '\n' {
			return true
		}
	}
	return false
}

// FillAbsent copies into s every sysctl that s lacks (Present false) and
// from has, leaving the others alone. A reader of another network namespace
// uses it to complete that namespace's sysctls with the machine-wide ones
// (which the kernel shows only in the initial namespace) read in its own.
func (s *Sysctls) FillAbsent(from *Sysctls) {
	for i := range sysctlNames {
		di, ds, du := sysctlField(s, i)
		fi, fs, fu := sysctlField(from, i)
		switch {
		case di != nil && !di.Present && fi.Present:
			*di = *fi
		case ds != nil && !ds.Present && fs.Present:
			*ds = *fs
		case du != nil && !du.Present && fu.Present:
			*du = *fu
		}
	}
}

// markAbsent clears field i of dst.
func markAbsent(i int, dst *Sysctls) {
	iv, sv, uv := sysctlField(dst, i)
	switch {
	case iv != nil:
		*iv = SysctlInt{}
	case sv != nil:
		*sv = SysctlString{}
	case uv != nil:
		*uv = UDPMem{}
	}
}
