package netstack

import (
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// appendLinks flattens link counters, named as the files of
// /sys/class/net/DEV/statistics/ (and as `ip -s -s -j link` keys map to
// them). Gen is the ifindex, so a device re-created under the same name
// reads as a reset.
func appendLinks(snap *Snapshot, links []nic.Link, want func(string) bool) {
	for i := range links {
		l := &links[i]
		if !l.HasStats || !want(l.Name) {
			continue
		}
		s := &l.Stats
		gen := uint64(uint32(l.Index))
		add := func(id counterID, v uint64) { snap.put(id, -1, v, gen, l.Name, l.Qdisc) }
		add(cLinkRxPackets, s.RxPackets)
		add(cLinkRxBytes, s.RxBytes)
		add(cLinkRxErrors, s.RxErrors)
		add(cLinkRxDropped, s.RxDropped)
		add(cLinkRxMissedErrors, s.RxMissedErrors)
		add(cLinkRxOverErrors, s.RxOverErrors)
		add(cLinkRxCRCErrors, s.RxCRCErrors)
		add(cLinkRxFrameErrors, s.RxFrameErrors)
		add(cLinkRxFIFOErrors, s.RxFIFOErrors)
		add(cLinkRxLengthErrors, s.RxLengthErrors)
		add(cLinkRxCompressed, s.RxCompressed)
		add(cLinkMulticast, s.Multicast)
		if s.HasRxNohandler {
			add(cLinkRxNohandler, s.RxNohandler)
		}
		if s.HasRxOtherhostDropped {
			add(cLinkRxOtherhostDropped, s.RxOtherhostDropped)
		}
		add(cLinkTxPackets, s.TxPackets)
		add(cLinkTxBytes, s.TxBytes)
		add(cLinkTxErrors, s.TxErrors)
		add(cLinkTxDropped, s.TxDropped)
		add(cLinkTxAbortedErrors, s.TxAbortedErrors)
		add(cLinkTxCarrierErrors, s.TxCarrierErrors)
		add(cLinkTxFIFOErrors, s.TxFIFOErrors)
		add(cLinkTxHeartbeatErrors, s.TxHeartbeatErrors)
		add(cLinkTxWindowErrors, s.TxWindowErrors)
		add(cLinkTxCompressed, s.TxCompressed)
		add(cLinkCollisions, s.Collisions)
		snap.put(cLinkTxQueueLen, -1, uint64(l.TxQueueLen), gen, l.Name, "")
		if l.HasCarrierChanges {
			snap.put(cLinkCarrierChanges, -1, uint64(l.CarrierChanges), gen, l.Name, "")
		}
	}
}

// ProcNetDevLabel is the Label of the link counters read from
// /proc/net/dev, which says where their values came from: the counters of
// a device that rtnetlink or sysfs describes carry the rtnetlink names and
// the device's qdisc kind as Label instead.
const ProcNetDevLabel = "/proc/net/dev"

// The /proc/net/dev columns that sum several rtnl_link_stats64 fields
// (net/core/net-procfs.c dev_seq_printf_stats), named for the sum so that
// no one takes them for the field they are not.
const (
	// ProcNetDevRxDrop is the receive "drop" column: rx_dropped +
	// rx_missed_errors. It mixes the NIC's misses (no RX descriptor) with
	// the drops of the driver and the core (backlog, unknown protocol).
	ProcNetDevRxDrop = "rx_dropped+rx_missed_errors"
	// ProcNetDevRxFrame is the receive "frame" column: rx_length_errors +
	// rx_over_errors + rx_crc_errors + rx_frame_errors.
	ProcNetDevRxFrame = "rx_length_errors+rx_over_errors+rx_crc_errors+rx_frame_errors"
	// ProcNetDevTxCarrier is the transmit "carrier" column:
	// tx_carrier_errors + tx_aborted_errors + tx_window_errors +
	// tx_heartbeat_errors.
	ProcNetDevTxCarrier = "tx_carrier_errors+tx_aborted_errors+tx_window_errors+tx_heartbeat_errors"
)

// appendProcNetDev flattens the /proc/net/dev lines of the devices that
// links does not hold with counters (HasStats). Each line gives all 16
// columns as SourceLinks counters with Label ProcNetDevLabel: the 13
// columns that print one rtnl_link_stats64 field under that field's name
// (rx_bytes, rx_packets, rx_errors, rx_fifo_errors, rx_compressed,
// multicast, tx_bytes, tx_packets, tx_errors, tx_dropped, tx_fifo_errors,
// collisions, tx_compressed), the three sums under ProcNetDevRxDrop,
// ProcNetDevRxFrame and ProcNetDevTxCarrier. The kernel prints every
// column as a 64-bit unsigned count (%llu) since the device was created.
// /proc/net/dev has no ifindex, so Gen is 0: a device re-created under
// the same name shows as a counter going backwards.
func appendProcNetDev(snap *Snapshot, nd *procparse.NetDev, links []nic.Link, want func(string) bool) {
	for i := range nd.Devices {
		s := &nd.Devices[i]
		if !want(s.Name) || hasLinkStats(links, s.Name) {
			continue
		}
		add := func(stage Stage, name string, v uint64) {
			snap.next().set(SourceLinks, stage, 64, false, -1, v, 0, s.Name, name, ProcNetDevLabel)
		}
		add(StageNIC, "rx_packets", s.RxPackets)
		add(StageNIC, "rx_bytes", s.RxBytes)
		add(StageNIC, "rx_errors", s.RxErrors)
		add(StageNIC, ProcNetDevRxDrop, s.RxDropped)
		add(StageNIC, "rx_fifo_errors", s.RxFIFO)
		add(StageNIC, ProcNetDevRxFrame, s.RxFrame)
		add(StageNIC, "rx_compressed", s.RxCompressed)
		add(StageNIC, "multicast", s.RxMulticast)
		add(StageTxNIC, "tx_packets", s.TxPackets)
		add(StageTxNIC, "tx_bytes", s.TxBytes)
		add(StageTxNIC, "tx_errors", s.TxErrors)
		add(StageTxNIC, "tx_dropped", s.TxDropped)
		add(StageTxDriver, "tx_fifo_errors", s.TxFIFO)
		add(StageTxNIC, ProcNetDevTxCarrier, s.TxCarrier)
		add(StageTxNIC, "tx_compressed", s.TxCompressed)
		add(StageTxNIC, "collisions", s.TxCollisions)
	}
}

func hasLinkStats(links []nic.Link, name string) bool {
	for i := range links {
		if links[i].HasStats && links[i].Name == name {
			return true
		}
	}
	return false
}
