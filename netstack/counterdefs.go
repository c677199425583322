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
