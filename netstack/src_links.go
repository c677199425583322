package netstack

import "github.com/packetpath/packetpath/nic"

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
		add := func(stage Stage, name string, v uint64) {
			snap.next().set(SourceLinks, stage, 64, false, -1, v, gen, l.Name, name, l.Qdisc)
		}
		add(StageNIC, "rx_packets", s.RxPackets)
		add(StageNIC, "rx_bytes", s.RxBytes)
		add(StageNIC, "rx_errors", s.RxErrors)
		add(StageNIC, "rx_dropped", s.RxDropped)
		add(StageNIC, "rx_missed_errors", s.RxMissedErrors)
		add(StageNIC, "rx_over_errors", s.RxOverErrors)
		add(StageNIC, "rx_crc_errors", s.RxCRCErrors)
		add(StageNIC, "rx_frame_errors", s.RxFrameErrors)
		add(StageNIC, "rx_fifo_errors", s.RxFIFOErrors)
		add(StageNIC, "rx_length_errors", s.RxLengthErrors)
		add(StageNIC, "rx_compressed", s.RxCompressed)
		add(StageNIC, "multicast", s.Multicast)
		if s.HasRxNohandler {
			add(StageSoftirq, "rx_nohandler", s.RxNohandler)
		}
		if s.HasRxOtherhostDropped {
			add(StageIP, "rx_otherhost_dropped", s.RxOtherhostDropped)
		}
		add(StageTxNIC, "tx_packets", s.TxPackets)
		add(StageTxNIC, "tx_bytes", s.TxBytes)
		add(StageTxNIC, "tx_errors", s.TxErrors)
		add(StageTxNIC, "tx_dropped", s.TxDropped)
		add(StageTxNIC, "tx_aborted_errors", s.TxAbortedErrors)
		add(StageTxNIC, "tx_carrier_errors", s.TxCarrierErrors)
		add(StageTxDriver, "tx_fifo_errors", s.TxFIFOErrors)
		add(StageTxNIC, "tx_heartbeat_errors", s.TxHeartbeatErrors)
		add(StageTxNIC, "tx_window_errors", s.TxWindowErrors)
		add(StageTxNIC, "tx_compressed", s.TxCompressed)
		add(StageTxNIC, "collisions", s.Collisions)
		snap.next().set(SourceLinks, StageQdisc, 32, true, -1, uint64(l.TxQueueLen), gen, l.Name, "tx_queue_len", "")
		if l.HasCarrierChanges {
			snap.next().set(SourceLinks, StageNIC, 32, false, -1, uint64(l.CarrierChanges), gen, l.Name, "carrier_changes", "")
		}
	}
}
