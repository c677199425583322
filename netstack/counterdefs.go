package netstack

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

// The names of the counters of the sources that name their own counters
// (every source but snmp, netstat, sysctls, softirqs, ethtool driver
// statistics and drop reasons, which take the kernel's names). Each is the
// name of the sysfs file, struct field or ethtool/tc key the value comes
// from; counterTable gives its source, stage, width and gauge property.
const (
	// LinkRxPackets is packets received (rtnl_link_stats64 rx_packets).
	LinkRxPackets = "rx_packets"
	// LinkRxBytes is bytes received.
	LinkRxBytes = "rx_bytes"
	// LinkRxErrors is bad packets received.
	LinkRxErrors = "rx_errors"
	// LinkRxDropped is packets the driver or the core dropped with no room or no use for them (enqueue_to_backlog counts its drops here too).
	LinkRxDropped = "rx_dropped"
	// LinkRxMissedErrors is packets the NIC missed for lack of an RX descriptor.
	LinkRxMissedErrors = "rx_missed_errors"
	// LinkRxOverErrors is receive ring overruns.
	LinkRxOverErrors = "rx_over_errors"
	// LinkRxCRCErrors is frames with a bad CRC.
	LinkRxCRCErrors = "rx_crc_errors"
	// LinkRxFrameErrors is frame alignment errors.
	LinkRxFrameErrors = "rx_frame_errors"
	// LinkRxFIFOErrors is receive FIFO overruns.
	LinkRxFIFOErrors = "rx_fifo_errors"
	// LinkRxLengthErrors is frames of a bad length.
	LinkRxLengthErrors = "rx_length_errors"
	// LinkRxCompressed is compressed packets received.
	LinkRxCompressed = "rx_compressed"
	// LinkMulticast is multicast packets received.
	LinkMulticast = "multicast"
	// LinkRxNohandler is packets no protocol handler took (__netif_receive_skb_core).
	LinkRxNohandler = "rx_nohandler"
	// LinkRxOtherhostDropped is packets for another host that IP dropped.
	LinkRxOtherhostDropped = "rx_otherhost_dropped"
	// LinkTxPackets is packets transmitted.
	LinkTxPackets = "tx_packets"
	// LinkTxBytes is bytes transmitted.
	LinkTxBytes = "tx_bytes"
	// LinkTxErrors is transmit errors.
	LinkTxErrors = "tx_errors"
	// LinkTxDropped is packets dropped on transmit.
	LinkTxDropped = "tx_dropped"
	// LinkTxAbortedErrors is aborted transmissions.
	LinkTxAbortedErrors = "tx_aborted_errors"
	// LinkTxCarrierErrors is transmissions lost to carrier errors.
	LinkTxCarrierErrors = "tx_carrier_errors"
	// LinkTxFIFOErrors is transmit FIFO underruns.
	LinkTxFIFOErrors = "tx_fifo_errors"
	// LinkTxHeartbeatErrors is heartbeat errors.
	LinkTxHeartbeatErrors = "tx_heartbeat_errors"
	// LinkTxWindowErrors is late collisions.
	LinkTxWindowErrors = "tx_window_errors"
	// LinkTxCompressed is compressed packets transmitted.
	LinkTxCompressed = "tx_compressed"
	// LinkCollisions is collisions.
	LinkCollisions = "collisions"
	// LinkTxQueueLen is the device queue length in packets (IFLA_TXQLEN), a setting.
	LinkTxQueueLen = "tx_queue_len"
	// LinkCarrierChanges is carrier up and down transitions (IFLA_CARRIER_CHANGES).
	LinkCarrierChanges = "carrier_changes"

	// SoftnetProcessed is packets NET_RX processed on the CPU (softnet_stat column 1).
	SoftnetProcessed = "processed"
	// SoftnetDropped is packets dropped because the CPU's backlog was full (netdev_max_backlog).
	SoftnetDropped = "dropped"
	// SoftnetTimeSqueeze is NET_RX runs that ended with work left (budget or time used up).
	SoftnetTimeSqueeze = "time_squeeze"
	// SoftnetReceivedRPS is RPS inter-processor interrupts received.
	SoftnetReceivedRPS = "received_rps"
	// SoftnetFlowLimitCount is packets dropped by the RPS flow limit.
	SoftnetFlowLimitCount = "flow_limit_count"
	// SoftnetBacklogLen is packets in the CPU's backlog (input_pkt_queue + process_queue), a level.
	SoftnetBacklogLen = "backlog_len"
	// SoftnetInputQlen is packets in input_pkt_queue, a level.
	SoftnetInputQlen = "input_qlen"
	// SoftnetProcessQlen is packets in process_queue, a level.
	SoftnetProcessQlen = "process_qlen"

	// SocketPackets is datagrams the application read.
	SocketPackets = "packets"
	// SocketBytes is bytes the application read.
	SocketBytes = "bytes"
	// SocketBatches is receive calls that returned datagrams.
	SocketBatches = "batches"
	// SocketDrops is datagrams the kernel dropped at the socket (sk_drops via SO_RXQ_OVFL, widened to 64 bits).
	SocketDrops = "drops"
	// SocketTruncated is datagrams truncated to the read buffer (MSG_TRUNC).
	SocketTruncated = "truncated"
	// SocketUnjoined is datagrams read for a multicast group the socket did not join (IP_PKTINFO; socketstats Config.PacketInfo).
	SocketUnjoined = "unjoined"
	// SocketPending is the size in bytes of the next datagram queued after the last read (FIONREAD), a level.
	SocketPending = "pending"
	// SocketRmemAlloc is bytes of receive memory in use (SK_MEMINFO_RMEM_ALLOC).
	SocketRmemAlloc = "rmem_alloc"
	// SocketRcvbuf is the receive buffer size in bytes (SK_MEMINFO_RCVBUF).
	SocketRcvbuf = "rcvbuf"
	// SocketRmemHighWater is the most receive memory in use seen, bytes.
	SocketRmemHighWater = "rmem_high_water"
	// SocketQueueDelayMax is the longest wait of a datagram in the receive queue in the interval, nanoseconds (SO_TIMESTAMPNS against the read time).
	SocketQueueDelayMax = "queue_delay_max_ns"

	// UDPDrops is datagrams dropped at the socket (sk_drops, SK_MEMINFO_DROPS).
	UDPDrops = "drops"
	// UDPRxQueue is bytes queued for receive (idiag_rqueue), a level.
	UDPRxQueue = "rx_queue"
	// UDPRmemAlloc is bytes of receive memory in use (SK_MEMINFO_RMEM_ALLOC).
	UDPRmemAlloc = "rmem_alloc"
	// UDPRcvbuf is the receive buffer size in bytes (SK_MEMINFO_RCVBUF).
	UDPRcvbuf = "rcvbuf"

	// QdiscBytes is bytes sent (TCA_STATS_BASIC).
	QdiscBytes = "bytes"
	// QdiscPackets is packets sent (TCA_STATS_BASIC; 64 bits wide where the kernel sends TCA_STATS_PKT64).
	QdiscPackets = "packets"
	// QdiscDrops is packets dropped (TCA_STATS_QUEUE).
	QdiscDrops = "drops"
	// QdiscOverlimits is times a shaper held packets back.
	QdiscOverlimits = "overlimits"
	// QdiscRequeues is packets the driver refused and the qdisc requeued.
	QdiscRequeues = "requeues"
	// QdiscQlen is packets queued, a level.
	QdiscQlen = "qlen"
	// QdiscBacklog is bytes queued, a level.
	QdiscBacklog = "backlog"

	// EthtoolRingRx is the RX ring's size in descriptors (ETHTOOL_A_RINGS_RX), a setting.
	EthtoolRingRx = "ring.rx"
	// EthtoolRingRxMax is the RX ring's maximum size (ETHTOOL_A_RINGS_RX_MAX).
	EthtoolRingRxMax = "ring.rx_max"
	// EthtoolRingTx is the TX ring's size in descriptors (ETHTOOL_A_RINGS_TX).
	EthtoolRingTx = "ring.tx"
	// EthtoolRingTxMax is the TX ring's maximum size (ETHTOOL_A_RINGS_TX_MAX).
	EthtoolRingTxMax = "ring.tx_max"
	// EthtoolChannelsCombined is combined channels in use (ETHTOOL_A_CHANNELS_COMBINED_COUNT).
	EthtoolChannelsCombined = "channels.combined"
	// EthtoolChannelsMaxCombined is the most combined channels the device supports.
	EthtoolChannelsMaxCombined = "channels.max_combined"
	// EthtoolChannelsRx is RX-only channels in use.
	EthtoolChannelsRx = "channels.rx"
	// EthtoolChannelsTx is TX-only channels in use.
	EthtoolChannelsTx = "channels.tx"

	// DeviceTxTimeout is transmit timeouts of a TX queue (queues/tx-N/tx_timeout).
	DeviceTxTimeout = "tx_timeout"
	// DeviceBQLStallCnt is BQL stalls of a TX queue (byte_queue_limits/stall_cnt).
	DeviceBQLStallCnt = "bql.stall_cnt"
)

// counterID names one entry of counterTable.
type counterID uint8

const (
	cLinkRxPackets counterID = iota
	cLinkRxBytes
	cLinkRxErrors
	cLinkRxDropped
	cLinkRxMissedErrors
	cLinkRxOverErrors
	cLinkRxCRCErrors
	cLinkRxFrameErrors
	cLinkRxFIFOErrors
	cLinkRxLengthErrors
	cLinkRxCompressed
	cLinkMulticast
	cLinkRxNohandler
	cLinkRxOtherhostDropped
	cLinkTxPackets
	cLinkTxBytes
	cLinkTxErrors
	cLinkTxDropped
	cLinkTxAbortedErrors
	cLinkTxCarrierErrors
	cLinkTxFIFOErrors
	cLinkTxHeartbeatErrors
	cLinkTxWindowErrors
	cLinkTxCompressed
	cLinkCollisions
	cLinkTxQueueLen
	cLinkCarrierChanges
	cSoftnetProcessed
	cSoftnetDropped
	cSoftnetTimeSqueeze
	cSoftnetReceivedRPS
	cSoftnetFlowLimitCount
	cSoftnetBacklogLen
	cSoftnetInputQlen
	cSoftnetProcessQlen
	cSocketPackets
	cSocketBytes
	cSocketBatches
	cSocketDrops
	cSocketTruncated
	cSocketUnjoined
	cSocketPending
	cSocketRmemAlloc
	cSocketRcvbuf
	cSocketRmemHighWater
	cSocketQueueDelayMax
	cUDPDrops
	cUDPRxQueue
	cUDPRmemAlloc
	cUDPRcvbuf
	cQdiscBytes
	cQdiscPackets
	cQdiscDrops
	cQdiscOverlimits
	cQdiscRequeues
	cQdiscQlen
	cQdiscBacklog
	cEthtoolRingRx
	cEthtoolRingRxMax
	cEthtoolRingTx
	cEthtoolRingTxMax
	cEthtoolChannelsCombined
	cEthtoolChannelsMaxCombined
	cEthtoolChannelsRx
	cEthtoolChannelsTx
	cDeviceTxTimeout
	cDeviceBQLStallCnt
	numCounterIDs
)

// counterDef is the definition of a counter: where it comes from, where on
// the path it counts, how wide the kernel keeps it (a 32-bit counter can
// wrap: ComputeDelta) and whether it is a gauge (a level or a setting: a
// fall is no reset, and deltas report it as it is).
type counterDef struct {
	source Source
	name   string
	stage  Stage
	bits   uint8
	gauge  bool
}

// counterTable defines the counters whose names packetpath gives: the
// flatteners fill a counter from its definition (Snapshot.put); Diagnose,
// OpenTelemetry and the views refer to the name constants. It is never
// written.
var counterTable = [numCounterIDs]counterDef{
	cLinkRxPackets:              {SourceLinks, LinkRxPackets, StageNIC, 64, false},
	cLinkRxBytes:                {SourceLinks, LinkRxBytes, StageNIC, 64, false},
	cLinkRxErrors:               {SourceLinks, LinkRxErrors, StageNIC, 64, false},
	cLinkRxDropped:              {SourceLinks, LinkRxDropped, StageNIC, 64, false},
	cLinkRxMissedErrors:         {SourceLinks, LinkRxMissedErrors, StageNIC, 64, false},
	cLinkRxOverErrors:           {SourceLinks, LinkRxOverErrors, StageNIC, 64, false},
	cLinkRxCRCErrors:            {SourceLinks, LinkRxCRCErrors, StageNIC, 64, false},
	cLinkRxFrameErrors:          {SourceLinks, LinkRxFrameErrors, StageNIC, 64, false},
	cLinkRxFIFOErrors:           {SourceLinks, LinkRxFIFOErrors, StageNIC, 64, false},
	cLinkRxLengthErrors:         {SourceLinks, LinkRxLengthErrors, StageNIC, 64, false},
	cLinkRxCompressed:           {SourceLinks, LinkRxCompressed, StageNIC, 64, false},
	cLinkMulticast:              {SourceLinks, LinkMulticast, StageNIC, 64, false},
	cLinkRxNohandler:            {SourceLinks, LinkRxNohandler, StageSoftirq, 64, false},
	cLinkRxOtherhostDropped:     {SourceLinks, LinkRxOtherhostDropped, StageIP, 64, false},
	cLinkTxPackets:              {SourceLinks, LinkTxPackets, StageTxNIC, 64, false},
	cLinkTxBytes:                {SourceLinks, LinkTxBytes, StageTxNIC, 64, false},
	cLinkTxErrors:               {SourceLinks, LinkTxErrors, StageTxNIC, 64, false},
	cLinkTxDropped:              {SourceLinks, LinkTxDropped, StageTxNIC, 64, false},
	cLinkTxAbortedErrors:        {SourceLinks, LinkTxAbortedErrors, StageTxNIC, 64, false},
	cLinkTxCarrierErrors:        {SourceLinks, LinkTxCarrierErrors, StageTxNIC, 64, false},
	cLinkTxFIFOErrors:           {SourceLinks, LinkTxFIFOErrors, StageTxDriver, 64, false},
	cLinkTxHeartbeatErrors:      {SourceLinks, LinkTxHeartbeatErrors, StageTxNIC, 64, false},
	cLinkTxWindowErrors:         {SourceLinks, LinkTxWindowErrors, StageTxNIC, 64, false},
	cLinkTxCompressed:           {SourceLinks, LinkTxCompressed, StageTxNIC, 64, false},
	cLinkCollisions:             {SourceLinks, LinkCollisions, StageTxNIC, 64, false},
	cLinkTxQueueLen:             {SourceLinks, LinkTxQueueLen, StageQdisc, 32, true},
	cLinkCarrierChanges:         {SourceLinks, LinkCarrierChanges, StageNIC, 32, false},
	cSoftnetProcessed:           {SourceSoftnet, SoftnetProcessed, StageSoftirq, 32, false},
	cSoftnetDropped:             {SourceSoftnet, SoftnetDropped, StageSoftirq, 32, false},
	cSoftnetTimeSqueeze:         {SourceSoftnet, SoftnetTimeSqueeze, StageSoftirq, 32, false},
	cSoftnetReceivedRPS:         {SourceSoftnet, SoftnetReceivedRPS, StageSoftirq, 32, false},
	cSoftnetFlowLimitCount:      {SourceSoftnet, SoftnetFlowLimitCount, StageSoftirq, 32, false},
	cSoftnetBacklogLen:          {SourceSoftnet, SoftnetBacklogLen, StageSoftirq, 32, true},
	cSoftnetInputQlen:           {SourceSoftnet, SoftnetInputQlen, StageSoftirq, 32, true},
	cSoftnetProcessQlen:         {SourceSoftnet, SoftnetProcessQlen, StageSoftirq, 32, true},
	cSocketPackets:              {SourceSockets, SocketPackets, StageApplication, 64, false},
	cSocketBytes:                {SourceSockets, SocketBytes, StageApplication, 64, false},
	cSocketBatches:              {SourceSockets, SocketBatches, StageApplication, 64, false},
	cSocketDrops:                {SourceSockets, SocketDrops, StageSocket, 64, false},
	cSocketTruncated:            {SourceSockets, SocketTruncated, StageApplication, 64, false},
	cSocketUnjoined:             {SourceSockets, SocketUnjoined, StageSocket, 64, false},
	cSocketPending:              {SourceSockets, SocketPending, StageApplication, 64, true},
	cSocketRmemAlloc:            {SourceSockets, SocketRmemAlloc, StageSocket, 64, true},
	cSocketRcvbuf:               {SourceSockets, SocketRcvbuf, StageSocket, 64, true},
	cSocketRmemHighWater:        {SourceSockets, SocketRmemHighWater, StageSocket, 64, true},
	cSocketQueueDelayMax:        {SourceSockets, SocketQueueDelayMax, StageApplication, 64, true},
	cUDPDrops:                   {SourceUDP, UDPDrops, StageSocket, 32, false},
	cUDPRxQueue:                 {SourceUDP, UDPRxQueue, StageSocket, 32, true},
	cUDPRmemAlloc:               {SourceUDP, UDPRmemAlloc, StageSocket, 32, true},
	cUDPRcvbuf:                  {SourceUDP, UDPRcvbuf, StageSocket, 32, true},
	cQdiscBytes:                 {SourceQdisc, QdiscBytes, StageQdisc, 64, false},
	cQdiscPackets:               {SourceQdisc, QdiscPackets, StageQdisc, 32, false},
	cQdiscDrops:                 {SourceQdisc, QdiscDrops, StageQdisc, 32, false},
	cQdiscOverlimits:            {SourceQdisc, QdiscOverlimits, StageQdisc, 32, false},
	cQdiscRequeues:              {SourceQdisc, QdiscRequeues, StageQdisc, 32, false},
	cQdiscQlen:                  {SourceQdisc, QdiscQlen, StageQdisc, 32, true},
	cQdiscBacklog:               {SourceQdisc, QdiscBacklog, StageQdisc, 32, true},
	cEthtoolRingRx:              {SourceEthtool, EthtoolRingRx, StageNIC, 32, true},
	cEthtoolRingRxMax:           {SourceEthtool, EthtoolRingRxMax, StageNIC, 32, true},
	cEthtoolRingTx:              {SourceEthtool, EthtoolRingTx, StageTxDriver, 32, true},
	cEthtoolRingTxMax:           {SourceEthtool, EthtoolRingTxMax, StageTxDriver, 32, true},
	cEthtoolChannelsCombined:    {SourceEthtool, EthtoolChannelsCombined, StageNIC, 32, true},
	cEthtoolChannelsMaxCombined: {SourceEthtool, EthtoolChannelsMaxCombined, StageNIC, 32, true},
	cEthtoolChannelsRx:          {SourceEthtool, EthtoolChannelsRx, StageNIC, 32, true},
	cEthtoolChannelsTx:          {SourceEthtool, EthtoolChannelsTx, StageTxDriver, 32, true},
	cDeviceTxTimeout:            {SourceDevices, DeviceTxTimeout, StageTxDriver, 64, false},
	cDeviceBQLStallCnt:          {SourceDevices, DeviceBQLStallCnt, StageTxDriver, 64, false},
}

// put fills the snapshot's next counter from the definition id and the
// object's identity and value.
func (snap *Snapshot) put(id counterID, index int64, value, gen uint64, object, label string) {
	d := &counterTable[id]
	snap.next().set(d.source, d.stage, d.bits, d.gauge, index, value, gen, object, d.name, label)
}
