package nic

// OperState is the RFC 2863 operational state of a link (IFLA_OPERSTATE,
// include/uapi/linux/if.h IF_OPER_*).
type OperState uint8

// Operational states, as numbered by the kernel.
const (
	OperUnknown        OperState = 0
	OperNotPresent     OperState = 1
	OperDown           OperState = 2
	OperLowerLayerDown OperState = 3
	OperTesting        OperState = 4
	OperDormant        OperState = 5
	OperUp             OperState = 6
)

var operStateNames = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// String returns the name ip(8) prints ("UP", "DOWN", "UNKNOWN", ...).
func (s OperState) String() string {
	if int(s) < len(operStateNames) {
		return operStateNames[s]
	}
	return "UNKNOWN"
}

// Link is one network device as an RTM_GETLINK dump reports it
// (net/core/rtnetlink.c rtnl_fill_ifinfo).
type Link struct {
	// Index is the interface index (ifinfomsg.ifi_index).
	Index int32
	// Name is IFLA_IFNAME.
	Name string
	// Flags are the IFF_* device flags (ifinfomsg.ifi_flags).
	Flags uint32
	// MTU is IFLA_MTU in bytes.
	MTU uint32
	// OperState is IFLA_OPERSTATE.
	OperState OperState
	// TxQueueLen is IFLA_TXQLEN, in packets (dev->tx_queue_len).
	TxQueueLen uint32
	// Qdisc is the root qdisc's kind (IFLA_QDISC), "" when the kernel
	// sends none.
	Qdisc string
	// NumTxQueues and NumRxQueues are IFLA_NUM_TX_QUEUES and
	// IFLA_NUM_RX_QUEUES: the allocated queues (dev->num_tx_queues), not
	// only the active ones.
	NumTxQueues uint32
	NumRxQueues uint32
	// CarrierChanges is IFLA_CARRIER_CHANGES (since Linux 3.15): carrier
	// up plus down events since the device was created (HasCarrierChanges
	// false when absent). The kernel keeps it in 32 bits.
	CarrierChanges    uint32
	HasCarrierChanges bool
	// Stats holds the IFLA_STATS64 counters (since Linux 2.6.35); HasStats
	// is false when the kernel sent no IFLA_STATS64.
	Stats    LinkStats
	HasStats bool
}

// LinkStats is struct rtnl_link_stats64 (include/uapi/linux/if_link.h),
// the counters `ip -s -s link` prints and /sys/class/net/DEV/statistics/*
// holds. All are cumulative since the device was created, in packets unless
// the name says bytes. Their meaning per field is documented in
// include/uapi/linux/if_link.h; which ones a driver fills is up to it.
type LinkStats struct {
	RxPackets         uint64
	TxPackets         uint64
	RxBytes           uint64
	TxBytes           uint64
	RxErrors          uint64
	TxErrors          uint64
	RxDropped         uint64
	TxDropped         uint64
	Multicast         uint64
	Collisions        uint64
	RxLengthErrors    uint64
	RxOverErrors      uint64
	RxCRCErrors       uint64
	RxFrameErrors     uint64
	RxFIFOErrors      uint64
	RxMissedErrors    uint64
	TxAbortedErrors   uint64
	TxCarrierErrors   uint64
	TxFIFOErrors      uint64
	TxHeartbeatErrors uint64
	TxWindowErrors    uint64
	RxCompressed      uint64
	TxCompressed      uint64
	// RxNohandler counts packets dropped because no protocol handler took
	// them (since Linux 4.6; HasRxNohandler false on older kernels).
	RxNohandler    uint64
	HasRxNohandler bool
	// RxOtherhostDropped counts packets dropped because they were not for
	// this host (since Linux 5.19, rtnetlink only: sysfs has no file;
	// HasRxOtherhostDropped false when not reported).
	RxOtherhostDropped    uint64
	HasRxOtherhostDropped bool
}
