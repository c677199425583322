package netstack

// Names of the counters that Diagnose, the OpenTelemetry instruments and the
// flatteners refer to by name, defined once. Each is the kernel's name or
// the name ethtool, tc or ip print for it (see countersTable for the source,
// stage, width and gauge property of each).
const (
	// ethtool ring parameters (ETHTOOL_MSG_RINGS_GET: ETHTOOL_A_RINGS_RX,
	// _RX_MAX, _TX, _TX_MAX), descriptors per ring, gauges.
	ringRx    = "ring.rx"
	ringRxMax = "ring.rx_max"
	ringTx    = "ring.tx"
	ringTxMax = "ring.tx_max"

	// linkTxQueueLen is IFLA_TXQLEN, the device queue length in packets
	// (ip link's qlen), a setting.
	linkTxQueueLen = "tx_queue_len"

	// Per-socket memory gauges in bytes: sk_rmem_alloc (SK_MEMINFO_RMEM_ALLOC)
	// and sk_rcvbuf (SK_MEMINFO_RCVBUF).
	sockRmemAlloc = "rmem_alloc"
	sockRcvbuf    = "rcvbuf"
	// sockQueueDelayMax is the longest time, in nanoseconds, a datagram
	// waited in an own socket's receive queue (SO_TIMESTAMPNS against the
	// read time) in the interval.
	sockQueueDelayMax = "queue_delay_max_ns"
	// sockPending is the size in bytes of the next datagram queued on an
	// own socket after its last read (FIONREAD), 0 when the queue is empty.
	sockPending = "pending"

	// Qdisc queue gauges (TCA_STATS_QUEUE): backlog in bytes, qlen in
	// packets.
	qdiscBacklog = "backlog"
	qdiscQlen    = "qlen"
)

// The entries of the kernel's MIB tables (/proc/net/snmp, netstat, snmp6)
// that hold a level, not a count: a fall is the level going down, never a
// reset, so ComputeDelta reports them as they are (Gauge). Every other MIB
// entry is a counter the kernel only increments.
const (
	// MIBIpForwarding is 1 when IPv4 forwarding is on, 2 when off
	// (IPV4_DEVCONF_ALL(FORWARDING), printed by net/ipv4/proc.c
	// snmp_seq_show_ipstats).
	MIBIpForwarding = "Ip.Forwarding"
	// MIBIpDefaultTTL is net.ipv4.ip_default_ttl (same function).
	MIBIpDefaultTTL = "Ip.DefaultTTL"
	// MIBTcpRtoAlgorithm, MIBTcpRtoMin and MIBTcpRtoMax (milliseconds)
	// and MIBTcpMaxConn (-1: no limit) are constants set once per
	// namespace (net/ipv4/af_inet.c: TCP_MIB_RTOALGORITHM, _RTOMIN,
	// _RTOMAX, _MAXCONN).
	MIBTcpRtoAlgorithm = "Tcp.RtoAlgorithm"
	MIBTcpRtoMin       = "Tcp.RtoMin"
	MIBTcpRtoMax       = "Tcp.RtoMax"
	MIBTcpMaxConn      = "Tcp.MaxConn"
	// MIBTcpCurrEstab is the number of TCP connections in ESTABLISHED:
	// tcp_set_state (net/ipv4/tcp.c) increments TCP_MIB_CURRESTAB on
	// entering the state and decrements it on leaving it.
	MIBTcpCurrEstab = "Tcp.CurrEstab"
	// MIBMPTcpCurrEstab is the number of established MPTCP connections
	// (MPTCP_MIB_CURRESTAB, incremented and decremented by
	// mptcp_set_state).
	MIBMPTcpCurrEstab = "MPTcpExt.MPCurrEstab"
)

// mibGauge reports whether the MIB entry named name ("Group.Key", or an
// snmp6 key) is a level (the constants above). The name caches call it
// once per name, when a file's layout changes.
func mibGauge(name string) bool {
	switch name {
	case MIBIpForwarding, MIBIpDefaultTTL, MIBTcpRtoAlgorithm, MIBTcpRtoMin, MIBTcpRtoMax,
		MIBTcpMaxConn, MIBTcpCurrEstab, MIBMPTcpCurrEstab:
		return true
	}
	return false
}
