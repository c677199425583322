package netstack

import "strings"

// Source is a set of data sources a Collector reads. The zero value means
// every source.
type Source uint32

const (
	// SourceSoftnet is /proc/net/softnet_stat: per-CPU backlog drops,
	// time_squeeze and flow-limit counts (32-bit counters).
	SourceSoftnet Source = 1 << iota
	// SourceSNMP is /proc/net/snmp and snmp6: the Ip, Icmp, Udp, UdpLite,
	// Ip6 and Udp6 MIB counters.
	SourceSNMP
	// SourceSoftirqs is /proc/softirqs: NET_RX and NET_TX runs per CPU.
	SourceSoftirqs
	// SourceLinks is the per-device link counters (RTM_GETLINK IFLA_STATS64
	// live, sysfs statistics/* offline), as `ip -s -s link` shows them.
	SourceLinks
	// SourceDevices is per-device sysfs state: queues (RPS, XPS, BQL),
	// tx timeouts, carrier changes, and the IRQs serving each queue.
	SourceDevices
	// SourceEthtool is the ethtool ioctl: driver statistics (ethtool -S),
	// rings (-g) and channels (-l).
	SourceEthtool
	// SourceQdisc is the qdisc and class statistics over rtnetlink (tc -s).
	SourceQdisc
	// SourceUDP is the host's UDP socket table over sock_diag: per-socket
	// drops and memory (ss -uamn). Each socket is its own object: Object
	// is its local ADDR:PORT, Counter.Index its inode and Counter.Gen its
	// sock_diag cookie, so sockets that share an address (SO_REUSEADDR,
	// SO_REUSEPORT) are told apart and a socket re-created on the same
	// address is a new object.
	SourceUDP
	// SourceSockets is the process's own socketstats sockets, registered
	// with Collector.AddSocket.
	SourceSockets
	// SourceSysctls is the path's sysctls (netdev_budget, rmem_max, ...),
	// the values in force that the diagnosis quotes. For another namespace
	// (Config.NetNS), the machine-wide ones that only the initial
	// namespace shows (netdev_budget, netdev_max_backlog, dev_weight,
	// udp_mem, ...) are read in the caller's namespace.
	SourceSysctls
	// SourceDropEvents is the kernel's drop tracepoints and skb drop
	// reasons (dropevents), when enabled.
	SourceDropEvents
	// SourceNetstat is /proc/net/netstat: the extended MIBs (TcpExt, IpExt,
	// MPTcpExt), a large file that the fast profile leaves out.
	SourceNetstat

	sourceEnd
)

// SourceAll is every source.
const SourceAll = sourceEnd - 1

var sourceNames = []string{
	"softnet", "snmp", "softirqs", "links", "devices", "ethtool", "qdisc",
	"udp", "sockets", "sysctls", "dropevents", "netstat",
}

// String names the sources in the set, joined with "+", e.g. "softnet+snmp".
func (s Source) String() string {
	if s == 0 {
		return "none"
	}
	var parts []string
	for i, n := range sourceNames {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "+")
}

// ParseSources reads a comma-separated list of source names ("softnet,snmp")
// as used by command-line flags; "all" is every source.
func ParseSources(list string) (Source, bool) {
	var s Source
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if f == "all" {
			s |= SourceAll
			continue
		}
		found := false
		for i, n := range sourceNames {
			if n == f {
				s |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return s, true
}

// MarshalText encodes the set by name ("softnet+snmp").
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// FastSources is the sampling profile for microbursts: softnet_stat, the
// snmp and snmp6 counters, the link counters and the process's own sockets.
// Each is one file read or one netlink dump, cheap enough to sample at 1 kHz.
const FastSources = SourceSoftnet | SourceSNMP | SourceLinks | SourceSockets
