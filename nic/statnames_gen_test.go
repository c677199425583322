package nic

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The statistic name lists in testdata/statnames for be2net, bnx2x, bnxt,
// vmxnet3 and sfc are generated here, each the way the driver's
// get_strings (ETH_SS_STATS) lays out its string tables for a given queue
// configuration, with every table the driver has written out in full.
// The tables below were written by reading the drivers in Linux 6.x; each
// generator names the file and function it follows. The expected queue,
// direction and counter of every name come from which loop of get_strings
// emits it, not from the mapper.
//
// Line format (read by queuestat_test.go):
//
//	name|-                          device-wide
//	name|queue|dir|counter          per-queue, the name alone says so
//	name|queue|dir|counter|layout   per-queue, only the layout says queue
//	                                and direction (MapQueueStats)
//	name|queue|dir|counter|xdp-cpu  a CPU's XDP transmit queue
//	name|queue|dir|counter|xdp      a driver's XDP transmit ring
//	name|marker|queue|dir           a marker whose value is the queue number
//
// go test -run TestStatNamesGenerated -statnames.write rewrites the files.

var writeStatNames = flag.Bool("statnames.write", false, "rewrite the generated testdata/statnames lists")

type statGen struct{ b strings.Builder }

func (g *statGen) comment(format string, a ...any) {
	fmt.Fprintf(&g.b, "# "+format+"\n", a...)
}

func (g *statGen) global(names ...string) {
	for _, n := range names {
		fmt.Fprintf(&g.b, "%s|-\n", n)
	}
}

func (g *statGen) queue(name string, q int, d Direction, counter, flags string) {
	fmt.Fprintf(&g.b, "%s|%d|%s|%s", name, q, d, counter)
	if flags != "" {
		fmt.Fprintf(&g.b, "|%s", flags)
	}
	g.b.WriteByte('\n')
}

func (g *statGen) marker(name string, q int, d Direction) {
	fmt.Fprintf(&g.b, "%s|marker|%d|%s\n", name, q, d)
}

type dirStat struct {
	name string
	dir  Direction
}

// --- be2net: drivers/net/ethernet/emulex/benet/be_ethtool.c ----------------

var be2netStats = []string{ // et_stats
	"rx_crc_errors", "rx_alignment_symbol_errors", "rx_pause_frames", "rx_control_frames",
	"rx_in_range_errors", "rx_out_range_errors", "rx_frame_too_long", "rx_address_filtered",
	"rx_dropped_too_small", "rx_dropped_too_short", "rx_dropped_header_too_small",
	"rx_dropped_tcp_length", "rx_dropped_runt", "rxpp_fifo_overflow_drop",
	"rx_input_fifo_overflow_drop", "rx_ip_checksum_errs", "rx_tcp_checksum_errs",
	"rx_udp_checksum_errs", "tx_pauseframes", "tx_controlframes", "rx_priority_pause_frames",
	"tx_priority_pauseframes", "pmem_fifo_overflow_drop", "jabber_events", "rx_drops_no_pbuf",
	"rx_drops_no_erx_descr", "rx_drops_no_tpre_descr", "rx_drops_too_many_frags",
	"forwarded_packets", "rx_drops_mtu", "dma_map_errors", "eth_red_drops", "rx_roce_bytes_lsd",
	"rx_roce_bytes_msd", "rx_roce_frames", "roce_drops_payload_len", "roce_drops_crc",
}

var be2netRxStats = []string{ // et_rx_stats
	"rx_bytes", "rx_pkts", "rx_vxlan_offload_pkts", "rx_compl", "rx_compl_err", "rx_mcast_pkts",
	"rx_post_fail", "rx_drops_no_skbs", "rx_drops_no_frags",
}

var be2netTxStats = []string{ // et_tx_stats
	"tx_compl", "tx_hdr_parse_err", "tx_dma_err", "tx_spoof_check_err", "tx_tso_err",
	"tx_qinq_err", "tx_internal_parity_err", "tx_bytes", "tx_pkts", "tx_vxlan_offload_pkts",
	"tx_reqs", "tx_stops", "tx_drv_drops",
}

// genBe2net follows be_get_stat_strings: et_stats, then "rxq%d: %s" for
// every rx queue, then "txq%d: %s" for every tx queue.
func genBe2net(rxQueues, txQueues int) string {
	var g statGen
	g.comment("be2net (drivers/net/ethernet/emulex/benet/be_ethtool.c be_get_stat_strings), %d rx and %d tx queues", rxQueues, txQueues)
	g.global(be2netStats...)
	for i := range rxQueues {
		for _, s := range be2netRxStats {
			g.queue(fmt.Sprintf("rxq%d: %s", i, s), i, DirRx, strings.TrimPrefix(s, "rx_"), "")
		}
	}
	for i := range txQueues {
		for _, s := range be2netTxStats {
			g.queue(fmt.Sprintf("txq%d: %s", i, s), i, DirTx, strings.TrimPrefix(s, "tx_"), "")
		}
	}
	return g.b.String()
}

// --- bnx2x: drivers/net/ethernet/broadcom/bnx2x/bnx2x_ethtool.c ------------

var bnx2xQueueStats = []dirStat{ // bnx2x_q_stats_arr, "[%d]: " + name
	{"rx_bytes", DirRx}, {"rx_ucast_packets", DirRx}, {"rx_mcast_packets", DirRx},
	{"rx_bcast_packets", DirRx}, {"rx_discards", DirRx}, {"rx_phy_ip_err_discards", DirRx},
	{"rx_skb_alloc_discard", DirRx}, {"rx_csum_offload_errors", DirRx},
	{"tx_exhaustion_events", DirTx}, {"tx_bytes", DirTx}, {"tx_ucast_packets", DirTx},
	{"tx_mcast_packets", DirTx}, {"tx_bcast_packets", DirTx},
	// TPA aggregates received segments on the queue's RX ring.
	{"tpa_aggregations", DirRx}, {"tpa_aggregated_frames", DirRx}, {"tpa_bytes", DirRx},
	// Counted in bnx2x_start_xmit when the driver drops a packet to send.
	{"driver_filtered_tx_pkt", DirTx},
}

var bnx2xStats = []string{ // bnx2x_stats_arr
	"rx_bytes", "rx_error_bytes", "rx_ucast_packets", "rx_mcast_packets", "rx_bcast_packets",
	"rx_crc_errors", "rx_align_errors", "rx_undersize_packets", "rx_oversize_packets",
	"rx_fragments", "rx_jabbers", "rx_discards", "rx_filtered_packets", "rx_mf_tag_discard",
	"pfc_frames_received", "pfc_frames_sent", "rx_brb_discard", "rx_brb_truncate",
	"rx_pause_frames", "rx_mac_ctrl_frames", "rx_constant_pause_events",
	"rx_phy_ip_err_discards", "rx_skb_alloc_discard", "rx_csum_offload_errors",
	"tx_exhaustion_events", "tx_bytes", "tx_error_bytes", "tx_ucast_packets",
	"tx_mcast_packets", "tx_bcast_packets", "tx_mac_errors", "tx_carrier_errors",
	"tx_single_collisions", "tx_multi_collisions", "tx_deferred", "tx_excess_collisions",
	"tx_late_collisions", "tx_total_collisions", "tx_64_byte_packets",
	"tx_65_to_127_byte_packets", "tx_128_to_255_byte_packets", "tx_256_to_511_byte_packets",
	"tx_512_to_1023_byte_packets", "tx_1024_to_1522_byte_packets",
	"tx_1523_to_9022_byte_packets", "tx_pause_frames", "tpa_aggregations",
	"tpa_aggregated_frames", "tpa_bytes", "recoverable_errors", "unrecoverable_errors",
	"driver_filtered_tx_pkt", "Tx LPI entry count", "ptp_skipped_tx_tstamp",
}

// genBnx2x follows bnx2x_get_strings: with more than one ethernet queue
// (is_multi), the queue statistics of every queue first, then the device
// statistics (all shown: a single-function PF does not hide port stats).
func genBnx2x(queues int) string {
	var g statGen
	g.comment("bnx2x (drivers/net/ethernet/broadcom/bnx2x/bnx2x_ethtool.c bnx2x_get_strings), %d queues", queues)
	for i := range queues {
		for _, s := range bnx2xQueueStats {
			c := s.name
			if s.dir == DirRx {
				c = strings.TrimPrefix(c, "rx_")
			} else {
				c = strings.TrimPrefix(c, "tx_")
			}
			g.queue(fmt.Sprintf("[%d]: %s", i, s.name), i, s.dir, c, "")
		}
	}
	g.global(bnx2xStats...)
	return g.b.String()
}

// --- bnxt: drivers/net/ethernet/broadcom/bnxt/bnxt_ethtool.c ---------------

var (
	bnxtRingRx   = []string{"rx_ucast_packets", "rx_mcast_packets", "rx_bcast_packets", "rx_discards", "rx_errors", "rx_ucast_bytes", "rx_mcast_bytes", "rx_bcast_bytes"}
	bnxtRingTx   = []string{"tx_ucast_packets", "tx_mcast_packets", "tx_bcast_packets", "tx_errors", "tx_discards", "tx_ucast_bytes", "tx_mcast_bytes", "tx_bcast_bytes"}
	bnxtRingTPA  = []string{"tpa_packets", "tpa_bytes", "tpa_events", "tpa_aborts"}
	bnxtRingTPA2 = []string{"rx_tpa_eligible_pkt", "rx_tpa_eligible_bytes", "rx_tpa_pkt", "rx_tpa_bytes", "rx_tpa_errors", "rx_tpa_events"}
	bnxtRxSW     = []string{"rx_l4_csum_errors", "rx_resets", "rx_buf_errors"}
	bnxtCmnSW    = []string{"missed_irqs"}
	bnxtRingDrv  = []string{ // bnxt_ring_drv_stats_arr (bnxt_ring_err_stats_arr before 6.15)
		"rx_total_l4_csum_errors", "rx_total_resets", "rx_total_buf_errors",
		"rx_total_oom_discards", "rx_total_netpoll_discards", "rx_total_ring_discards",
		"tx_total_resets", "tx_total_ring_discards", "total_missed_irqs",
	}
	bnxtPort = []string{ // bnxt_port_stats_arr
		"rx_64b_frames", "rx_65b_127b_frames", "rx_128b_255b_frames", "rx_256b_511b_frames",
		"rx_512b_1023b_frames", "rx_1024b_1518b_frames", "rx_good_vlan_frames",
		"rx_1519b_2047b_frames", "rx_2048b_4095b_frames", "rx_4096b_9216b_frames",
		"rx_9217b_16383b_frames", "rx_total_frames", "rx_ucast_frames", "rx_mcast_frames",
		"rx_bcast_frames", "rx_fcs_err_frames", "rx_ctrl_frames", "rx_pause_frames",
		"rx_pfc_frames", "rx_align_err_frames", "rx_ovrsz_frames", "rx_jbr_frames",
		"rx_mtu_err_frames", "rx_tagged_frames", "rx_double_tagged_frames", "rx_good_frames",
		"rx_pfc_ena_frames_pri0", "rx_pfc_ena_frames_pri1", "rx_pfc_ena_frames_pri2",
		"rx_pfc_ena_frames_pri3", "rx_pfc_ena_frames_pri4", "rx_pfc_ena_frames_pri5",
		"rx_pfc_ena_frames_pri6", "rx_pfc_ena_frames_pri7", "rx_undrsz_frames",
		"rx_eee_lpi_events", "rx_eee_lpi_duration", "rx_bytes", "rx_runt_bytes",
		"rx_runt_frames", "rx_stat_discard", "rx_stat_err",
		"tx_64b_frames", "tx_65b_127b_frames", "tx_128b_255b_frames", "tx_256b_511b_frames",
		"tx_512b_1023b_frames", "tx_1024b_1518b_frames", "tx_good_vlan_frames",
		"tx_1519b_2047b_frames", "tx_2048b_4095b_frames", "tx_4096b_9216b_frames",
		"tx_9217b_16383b_frames", "tx_good_frames", "tx_total_frames", "tx_ucast_frames",
		"tx_mcast_frames", "tx_bcast_frames", "tx_pause_frames", "tx_pfc_frames",
		"tx_jabber_frames", "tx_fcs_err_frames", "tx_err", "tx_fifo_underruns",
		"tx_pfc_ena_frames_pri0", "tx_pfc_ena_frames_pri1", "tx_pfc_ena_frames_pri2",
		"tx_pfc_ena_frames_pri3", "tx_pfc_ena_frames_pri4", "tx_pfc_ena_frames_pri5",
		"tx_pfc_ena_frames_pri6", "tx_pfc_ena_frames_pri7", "tx_eee_lpi_events",
		"tx_eee_lpi_duration", "tx_total_collisions", "tx_bytes", "tx_xthol_frames",
		"tx_stat_discard", "tx_stat_error",
	}
)

// bnxtPortExt is bnxt_port_stats_ext_arr with its COS and PFC macros
// expanded.
func bnxtPortExt() []string {
	s := []string{"link_down_events", "continuous_pause_events", "resume_pause_events",
		"continuous_roce_pause_events", "resume_roce_pause_events"}
	for n := range 8 {
		s = append(s, fmt.Sprintf("rx_bytes_cos%d", n), fmt.Sprintf("rx_packets_cos%d", n))
	}
	for n := range 8 {
		s = append(s, fmt.Sprintf("pfc_pri%d_rx_duration_us", n), fmt.Sprintf("pfc_pri%d_rx_transitions", n))
	}
	s = append(s, "rx_bits", "rx_buffer_passed_threshold", "rx_pcs_symbol_err", "rx_corrected_bits")
	for n := range 8 {
		s = append(s, fmt.Sprintf("rx_discard_bytes_cos%d", n), fmt.Sprintf("rx_discard_packets_cos%d", n))
	}
	return append(s, "rx_fec_corrected_blocks", "rx_fec_uncorrectable_blocks", "rx_filter_miss")
}

// bnxtTxPortExt is bnxt_tx_port_stats_ext_arr expanded.
func bnxtTxPortExt() []string {
	var s []string
	for n := range 8 {
		s = append(s, fmt.Sprintf("tx_bytes_cos%d", n), fmt.Sprintf("tx_packets_cos%d", n))
	}
	for n := range 8 {
		s = append(s, fmt.Sprintf("pfc_pri%d_tx_duration_us", n), fmt.Sprintf("pfc_pri%d_tx_transitions", n))
	}
	return s
}

// bnxtPri is bnxt_rx_bytes_pri_arr, bnxt_rx_pkts_pri_arr,
// bnxt_tx_bytes_pri_arr and bnxt_tx_pkts_pri_arr expanded.
func bnxtPri() []string {
	var s []string
	for _, c := range []string{"rx_bytes", "rx_packets", "tx_bytes", "tx_packets"} {
		for n := range 8 {
			s = append(s, fmt.Sprintf("%s_pri%d", c, n))
		}
	}
	return s
}

// genBnxt follows bnxt_get_strings: for every completion ring i (shared
// rings: max(rx, tx) of them; separate rings: rx + tx, the tx rings from
// rx_nr_rings on, is_tx_ring), the rx ring statistics if i is an rx ring,
// the tx ring statistics if it is a tx ring, the TPA statistics (tpa, v1,
// or tpa2 for P5/P7 chips, of which P5 shows the first 5) and the rx
// software statistics on rx rings, then the completion ring's missed_irqs;
// then the ring totals, port statistics, rx and tx port extension
// statistics and the priority statistics.
func genBnxt(rx, tx int, shared bool, tpa []string) string {
	var g statGen
	mode := "separate"
	if shared {
		mode = "shared"
	}
	g.comment("bnxt_en (drivers/net/ethernet/broadcom/bnxt/bnxt_ethtool.c bnxt_get_strings), %d rx and %d tx rings, %s, %d TPA stats, port stats and extensions, pri2cos valid", rx, tx, mode, len(tpa))
	cp, txBase, layout := rx+tx, rx, "layout"
	if shared {
		cp, txBase, layout = max(rx, tx), 0, ""
	}
	for i := range cp {
		isRx, isTx := i < rx, i >= txBase && i < txBase+tx
		name := func(s string) string { return fmt.Sprintf("[%d]: %s", i, s) }
		if isRx {
			for _, s := range bnxtRingRx {
				g.queue(name(s), i, DirRx, strings.TrimPrefix(s, "rx_"), "")
			}
		}
		if isTx {
			for _, s := range bnxtRingTx {
				g.queue(name(s), i-txBase, DirTx, strings.TrimPrefix(s, "tx_"), layout)
			}
		}
		if isRx {
			for _, s := range tpa {
				g.queue(name(s), i, DirRx, strings.TrimPrefix(s, "rx_"), "")
			}
			for _, s := range bnxtRxSW {
				g.queue(name(s), i, DirRx, strings.TrimPrefix(s, "rx_"), "")
			}
		}
		for _, s := range bnxtCmnSW {
			switch {
			case isRx && isTx:
				g.queue(name(s), i, DirUnknown, s, "")
			case isRx:
				g.queue(name(s), i, DirRx, s, layout)
			default:
				g.queue(name(s), i-txBase, DirTx, s, layout)
			}
		}
	}
	g.global(bnxtRingDrv...)
	g.global(bnxtPort...)
	g.global(bnxtPortExt()...)
	g.global(bnxtTxPortExt()...)
	g.global(bnxtPri()...)
	return g.b.String()
}

// --- vmxnet3: drivers/net/vmxnet3/vmxnet3_ethtool.c ------------------------

var (
	vmxTqDev = []string{"Tx Queue#", "  TSO pkts tx", "  TSO bytes tx", "  ucast pkts tx",
		"  ucast bytes tx", "  mcast pkts tx", "  mcast bytes tx", "  bcast pkts tx",
		"  bcast bytes tx", "  pkts tx err", "  pkts tx discard"}
	vmxTqDrv = []string{"  drv dropped tx total", "     too many frags", "     giant hdr",
		"     hdr err", "     tso", "  ring full", "  pkts linearized", "  hdr cloned",
		"  giant hdr", "  xdp xmit", "  xdp xmit err"}
	vmxRqDev = []string{"Rx Queue#", "  LRO pkts rx", "  LRO byte rx", "  ucast pkts rx",
		"  ucast bytes rx", "  mcast pkts rx", "  mcast bytes rx", "  bcast pkts rx",
		"  bcast bytes rx", "  pkts rx OOB", "  pkts rx err"}
	vmxRqDrv = []string{"  drv dropped rx total", "     err", "     fcs", "  rx buf alloc fail",
		"     xdp packets", "     xdp tx", "     xdp redirects", "     xdp drops",
		"     xdp aborted"}
)

// genVmxnet3 follows vmxnet3_get_strings: for every tx queue the device
// statistics (the first, "Tx Queue#", is the queue number:
// vmxnet3_get_ethtool_stats writes j) and the driver statistics, the same
// for every rx queue, then the global statistics.
func genVmxnet3(txQueues, rxQueues int) string {
	var g statGen
	g.comment("vmxnet3 (drivers/net/vmxnet3/vmxnet3_ethtool.c vmxnet3_get_strings), %d tx and %d rx queues", txQueues, rxQueues)
	block := func(q int, d Direction, dev, drv []string) {
		g.marker(dev[0], q, d)
		for _, s := range append(dev[1:len(dev):len(dev)], drv...) {
			g.queue(s, q, d, strings.TrimLeft(s, " "), "layout")
		}
	}
	for j := range txQueues {
		block(j, DirTx, vmxTqDev, vmxTqDrv)
	}
	for j := range rxQueues {
		block(j, DirRx, vmxRqDev, vmxRqDrv)
	}
	g.global("tx timeout count")
	return g.b.String()
}

// --- sfc: drivers/net/ethernet/sfc/ethtool_common.c, ef10.c, ptp.c --------

// sfcEF10Stats is efx_ef10_stat_desc without its invisible entry
// (port_rx_bytes_minus_good_bytes), as shown with every mask bit set (EVB
// vadaptor, PM and RXDP, 40G extras, FEC and CTPIO statistics).
func sfcEF10Stats() []string {
	s := []string{"port_tx_bytes", "port_tx_packets", "port_tx_pause", "port_tx_control",
		"port_tx_unicast", "port_tx_multicast", "port_tx_broadcast", "port_tx_lt64", "port_tx_64",
		"port_tx_65_to_127", "port_tx_128_to_255", "port_tx_256_to_511", "port_tx_512_to_1023",
		"port_tx_1024_to_15xx", "port_tx_15xx_to_jumbo", "port_rx_bytes", "port_rx_good_bytes",
		"port_rx_bad_bytes", "port_rx_packets", "port_rx_good", "port_rx_bad", "port_rx_pause",
		"port_rx_control", "port_rx_unicast", "port_rx_multicast", "port_rx_broadcast",
		"port_rx_lt64", "port_rx_64", "port_rx_65_to_127", "port_rx_128_to_255",
		"port_rx_256_to_511", "port_rx_512_to_1023", "port_rx_1024_to_15xx",
		"port_rx_15xx_to_jumbo", "port_rx_gtjumbo", "port_rx_bad_gtjumbo", "port_rx_overflow",
		"port_rx_align_error", "port_rx_length_error", "port_rx_nodesc_drops",
		"rx_nodesc_trunc", "rx_noskb_drops", "port_rx_pm_trunc_bb_overflow",
		"port_rx_pm_discard_bb_overflow", "port_rx_pm_trunc_vfifo_full",
		"port_rx_pm_discard_vfifo_full", "port_rx_pm_trunc_qbb", "port_rx_pm_discard_qbb",
		"port_rx_pm_discard_mapping", "port_rx_dp_q_disabled_packets",
		"port_rx_dp_di_dropped_packets", "port_rx_dp_streaming_packets", "port_rx_dp_hlb_fetch",
		"port_rx_dp_hlb_wait", "rx_unicast", "rx_unicast_bytes", "rx_multicast",
		"rx_multicast_bytes", "rx_broadcast", "rx_broadcast_bytes", "rx_bad", "rx_bad_bytes",
		"rx_overflow", "tx_unicast", "tx_unicast_bytes", "tx_multicast", "tx_multicast_bytes",
		"tx_broadcast", "tx_broadcast_bytes", "tx_bad", "tx_bad_bytes", "tx_overflow",
		"fec_uncorrected_errors", "fec_corrected_errors"}
	for n := range 4 {
		s = append(s, fmt.Sprintf("fec_corrected_symbols_lane%d", n))
	}
	return append(s, "ctpio_vi_busy_fallback", "ctpio_long_write_success",
		"ctpio_missing_dbell_fail", "ctpio_overflow_fail", "ctpio_underflow_fail",
		"ctpio_timeout_fail", "ctpio_noncontig_wr_fail", "ctpio_frm_clobber_fail",
		"ctpio_invalid_wr_fail", "ctpio_vi_clobber_fallback", "ctpio_unqualified_fallback",
		"ctpio_runt_fallback", "ctpio_success", "ctpio_fallback", "ctpio_poison", "ctpio_erase")
}

var sfcSWStats = []string{ // efx_sw_stat_desc (with CONFIG_RFS_ACCEL)
	"tx_merge_events", "tx_tso_bursts", "tx_tso_long_headers", "tx_tso_packets",
	"tx_tso_fallbacks", "tx_pushes", "tx_pio_packets", "tx_cb_packets", "rx_reset",
	"rx_tobe_disc", "rx_ip_hdr_chksum_err", "rx_tcp_udp_chksum_err",
	"rx_inner_ip_hdr_chksum_err", "rx_inner_tcp_udp_chksum_err",
	"rx_outer_ip_hdr_chksum_err", "rx_outer_tcp_udp_chksum_err", "rx_eth_crc_err",
	"rx_mcast_mismatch", "rx_frm_trunc", "rx_merge_events", "rx_merge_packets",
	"rx_xdp_drops", "rx_xdp_bad_drops", "rx_xdp_tx", "rx_xdp_redirect", "rx_mport_bad",
	"rfs_filter_count", "rfs_succeeded", "rfs_failed",
}

var sfcPTPStats = []string{ // efx_ptp_stat_desc
	"ptp_good_syncs", "ptp_fast_syncs", "ptp_bad_syncs", "ptp_sync_timeouts",
	"ptp_no_time_syncs", "ptp_invalid_sync_windows", "ptp_undersize_sync_windows",
	"ptp_oversize_sync_windows", "ptp_rx_no_timestamp", "ptp_tx_timestamp_packets",
	"ptp_rx_timestamp_packets", "ptp_timestamp_packets", "ptp_filter_matches",
	"ptp_non_filter_matches",
}

// genSfc follows efx_ethtool_get_strings: the NIC type's statistics (ef10
// here), the software statistics, efx_describe_per_queue_stats
// ("tx-%u.tx_packets" per channel with tx queues, "rx-%d.rx_packets" per
// channel with an rx queue, "tx-xdp-cpu-%hu.tx_packets" per XDP transmit
// queue, one per CPU), then the PTP statistics.
func genSfc(channels, xdpCPUs int) string {
	var g statGen
	g.comment("sfc ef10 (drivers/net/ethernet/sfc/ethtool_common.c efx_ethtool_get_strings, ef10.c, ptp.c), %d channels with rx and tx, %d XDP tx queues (CPUs)", channels, xdpCPUs)
	g.global(sfcEF10Stats()...)
	g.global(sfcSWStats...)
	for i := range channels {
		g.queue(fmt.Sprintf("tx-%d.tx_packets", i), i, DirTx, "packets", "")
	}
	for i := range channels {
		g.queue(fmt.Sprintf("rx-%d.rx_packets", i), i, DirRx, "packets", "")
	}
	for i := range xdpCPUs {
		g.queue(fmt.Sprintf("tx-xdp-cpu-%d.tx_packets", i), i, DirTx, "packets", "xdp-cpu")
	}
	g.global(sfcPTPStats...)
	return g.b.String()
}

// --- ena: drivers/net/ethernet/amazon/ena/ena_ethtool.c -------------------

var (
	enaGlobal = []string{"tx_timeout", "suspend", "resume", "wd_expired", "interface_up", "interface_down", "admin_q_pause"} // ena_stats_global_strings
	enaENI    = []string{"bw_in_allowance_exceeded", "bw_out_allowance_exceeded", "pps_allowance_exceeded",                  // ena_stats_eni_strings
		"conntrack_allowance_exceeded", "linklocal_allowance_exceeded"}
	enaTx = []string{"cnt", "bytes", "queue_stop", "queue_wakeup", "dma_mapping_err", "linearize", // ena_stats_tx_strings
		"linearize_failed", "napi_comp", "tx_poll", "doorbells", "prepare_ctx_err", "bad_req_id",
		"llq_buffer_copy", "missed_tx", "unmask_interrupt"}
	enaRx = []string{"cnt", "bytes", "rx_copybreak_pkt", "csum_good", "refil_partial", "csum_bad", // ena_stats_rx_strings
		"page_alloc_fail", "skb_alloc_fail", "dma_mapping_err", "bad_desc_num", "bad_req_id",
		"empty_rx_ring", "csum_unchecked", "xdp_aborted", "xdp_drop", "xdp_pass", "xdp_tx",
		"xdp_invalid", "xdp_redirect"}
	enaCom = []string{"aborted_cmd", "submitted_cmd", "completed_cmd", "out_of_space", "no_completion"} // ena_stats_ena_com_strings
)

// genEna follows ena_get_strings: the global statistics, the ENI
// statistics when the device supports them, then for every ring i of the
// I/O queues and the XDP queues ("queue_%u_tx_%s", or "queue_%u_xdp_tx_%s"
// for an XDP ring, then "queue_%u_rx_%s" for an I/O queue: XDP rings have
// no rx counterpart), then "ena_admin_q_%s".
func genEna(ioQueues, xdpQueues int) string {
	var g statGen
	g.comment("ena (drivers/net/ethernet/amazon/ena/ena_ethtool.c ena_get_strings), %d I/O queues, %d XDP queues, ENI stats", ioQueues, xdpQueues)
	g.global(enaGlobal...)
	g.global(enaENI...)
	for i := range ioQueues + xdpQueues {
		if i >= ioQueues {
			for _, s := range enaTx {
				g.queue(fmt.Sprintf("queue_%d_xdp_tx_%s", i, s), i, DirTx, s, "xdp")
			}
			continue
		}
		for _, s := range enaTx {
			g.queue(fmt.Sprintf("queue_%d_tx_%s", i, s), i, DirTx, s, "")
		}
		for _, s := range enaRx {
			g.queue(fmt.Sprintf("queue_%d_rx_%s", i, s), i, DirRx, s, "")
		}
	}
	for _, s := range enaCom {
		g.global("ena_admin_q_" + s)
	}
	return g.b.String()
}

// --- ixgbe: drivers/net/ethernet/intel/ixgbe/ixgbe_ethtool.c ---------------

var ixgbeStats = []string{ // ixgbe_gstrings_stats (with IXGBE_FCOE)
	"rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_pkts_nic", "tx_pkts_nic",
	"rx_bytes_nic", "tx_bytes_nic", "lsc_int", "tx_busy", "non_eop_descs", "rx_errors",
	"tx_errors", "rx_dropped", "tx_dropped", "multicast", "broadcast", "rx_no_buffer_count",
	"collisions", "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "hw_rsc_aggregated",
	"hw_rsc_flushed", "fdir_match", "fdir_miss", "fdir_overflow", "rx_fifo_errors",
	"rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
	"tx_heartbeat_errors", "tx_timeout_count", "tx_restart_queue", "rx_long_length_errors",
	"rx_short_length_errors", "tx_flow_control_xon", "rx_flow_control_xon",
	"tx_flow_control_xoff", "rx_flow_control_xoff", "rx_csum_offload_errors",
	"alloc_rx_page_failed", "alloc_rx_buff_failed", "rx_no_dma_resources", "os2bmc_rx_by_bmc",
	"os2bmc_tx_by_bmc", "os2bmc_tx_by_host", "os2bmc_rx_by_host", "fcoe_bad_fccrc",
	"rx_fcoe_dropped", "rx_fcoe_packets", "rx_fcoe_dwords", "fcoe_noddp", "fcoe_noddp_ext_buff",
	"tx_fcoe_packets", "tx_fcoe_dwords",
}

// genIxgbe follows ixgbe_get_strings: the global statistics,
// "tx_queue_%u_packets"/"_bytes" for every tx queue, the same for as many
// rx queues (IXGBE_NUM_RX_QUEUES is num_tx_queues), then the 8 packet
// buffers' priority flow control counters, tx then rx.
func genIxgbe(queues int) string {
	var g statGen
	g.comment("ixgbe (drivers/net/ethernet/intel/ixgbe/ixgbe_ethtool.c ixgbe_get_strings), %d queues", queues)
	g.global(ixgbeStats...)
	for _, d := range []Direction{DirTx, DirRx} {
		for i := range queues {
			for _, s := range []string{"packets", "bytes"} {
				g.queue(fmt.Sprintf("%s_queue_%d_%s", d, i, s), i, d, s, "")
			}
		}
	}
	for _, d := range []string{"tx", "rx"} {
		for i := range 8 {
			g.global(fmt.Sprintf("%s_pb_%d_pxon", d, i), fmt.Sprintf("%s_pb_%d_pxoff", d, i))
		}
	}
	return g.b.String()
}

// --- i40e: drivers/net/ethernet/intel/i40e/i40e_ethtool.c -----------------

var (
	i40eNet = []string{"rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", // i40e_gstrings_net_stats
		"rx_dropped", "tx_dropped", "collisions", "rx_length_errors", "rx_crc_errors"}
	i40eMisc = []string{"rx_unicast", "tx_unicast", "rx_multicast", "tx_multicast", "rx_broadcast", // i40e_gstrings_misc_stats
		"tx_broadcast", "rx_unknown_protocol", "tx_linearize", "tx_force_wb", "tx_busy",
		"rx_alloc_fail", "rx_pg_alloc_fail"}
	i40eVeb = []string{"veb.rx_bytes", "veb.tx_bytes", "veb.rx_unicast", "veb.tx_unicast", // i40e_gstrings_veb_stats
		"veb.rx_multicast", "veb.tx_multicast", "veb.rx_broadcast", "veb.tx_broadcast",
		"veb.rx_discards", "veb.tx_discards", "veb.tx_errors", "veb.rx_unknown_protocol"}
	i40eVebTC = []string{"veb.tc_%d_tx_packets", "veb.tc_%d_tx_bytes", "veb.tc_%d_rx_packets", "veb.tc_%d_rx_bytes"} // i40e_gstrings_veb_tc_stats
	i40ePF    = []string{"port.rx_bytes", "port.tx_bytes", "port.rx_unicast", "port.tx_unicast",                     // i40e_gstrings_stats
		"port.rx_multicast", "port.tx_multicast", "port.rx_broadcast", "port.tx_broadcast",
		"port.tx_errors", "port.rx_dropped", "port.tx_dropped_link_down", "port.rx_crc_errors",
		"port.illegal_bytes", "port.mac_local_faults", "port.mac_remote_faults", "port.tx_timeout",
		"port.rx_csum_bad", "port.rx_length_errors", "port.link_xon_rx", "port.link_xoff_rx",
		"port.link_xon_tx", "port.link_xoff_tx", "port.rx_size_64", "port.rx_size_127",
		"port.rx_size_255", "port.rx_size_511", "port.rx_size_1023", "port.rx_size_1522",
		"port.rx_size_big", "port.tx_size_64", "port.tx_size_127", "port.tx_size_255",
		"port.tx_size_511", "port.tx_size_1023", "port.tx_size_1522", "port.tx_size_big",
		"port.rx_undersize", "port.rx_fragments", "port.rx_oversize", "port.rx_jabber",
		"port.VF_admin_queue_requests", "port.arq_overflows", "port.tx_hwtstamp_timeouts",
		"port.rx_hwtstamp_cleared", "port.tx_hwtstamp_skipped", "port.fdir_flush_cnt",
		"port.fdir_atr_match", "port.fdir_atr_tunnel_match", "port.fdir_atr_status",
		"port.fdir_sb_match", "port.fdir_sb_status", "port.tx_lpi_status", "port.rx_lpi_status",
		"port.tx_lpi_count", "port.rx_lpi_count"}
	i40ePFC = []string{"port.tx_priority_%d_xon_tx", "port.tx_priority_%d_xoff_tx", "port.rx_priority_%d_xon_rx", // i40e_gstrings_pfc_stats
		"port.rx_priority_%d_xoff_rx", "port.rx_priority_%d_xon_2_xoff"}
)

// genI40e follows i40e_get_stat_strings for the main VSI of partition 1:
// netdev and misc statistics, then for every tx queue "tx-%u.packets",
// "tx-%u.bytes", "rx-%u.packets", "rx-%u.bytes"
// (i40e_gstrings_queue_stats), then the VEB, VEB per-TC (8), port and
// per-priority (8) statistics.
func genI40e(queues int) string {
	var g statGen
	g.comment("i40e (drivers/net/ethernet/intel/i40e/i40e_ethtool.c i40e_get_stat_strings), %d queues, main VSI", queues)
	g.global(i40eNet...)
	g.global(i40eMisc...)
	for i := range queues {
		for _, d := range []Direction{DirTx, DirRx} {
			for _, s := range []string{"packets", "bytes"} {
				g.queue(fmt.Sprintf("%s-%d.%s", d, i, s), i, d, s, "")
			}
		}
	}
	g.global(i40eVeb...)
	for tc := range 8 {
		for _, f := range i40eVebTC {
			g.global(fmt.Sprintf(f, tc))
		}
	}
	g.global(i40ePF...)
	for up := range 8 {
		for _, f := range i40ePFC {
			g.global(fmt.Sprintf(f, up))
		}
	}
	return g.b.String()
}

// --- ice: drivers/net/ethernet/intel/ice/ice_ethtool.c -------------------

var (
	iceVSI = []string{"rx_unicast", "tx_unicast", "rx_multicast", "tx_multicast", "rx_broadcast", // ice_gstrings_vsi_stats
		"tx_broadcast", "rx_bytes", "tx_bytes", "rx_dropped", "rx_unknown_protocol", "rx_alloc_fail",
		"rx_pg_alloc_fail", "tx_errors", "tx_linearize", "tx_busy", "tx_restart"}
	icePF = []string{"rx_bytes.nic", "tx_bytes.nic", "rx_unicast.nic", "tx_unicast.nic", // ice_gstrings_pf_stats
		"rx_multicast.nic", "tx_multicast.nic", "rx_broadcast.nic", "tx_broadcast.nic",
		"tx_errors.nic", "tx_timeout.nic", "rx_size_64.nic", "tx_size_64.nic", "rx_size_127.nic",
		"tx_size_127.nic", "rx_size_255.nic", "tx_size_255.nic", "rx_size_511.nic",
		"tx_size_511.nic", "rx_size_1023.nic", "tx_size_1023.nic", "rx_size_1522.nic",
		"tx_size_1522.nic", "rx_size_big.nic", "tx_size_big.nic", "link_xon_rx.nic",
		"link_xon_tx.nic", "link_xoff_rx.nic", "link_xoff_tx.nic", "tx_dropped_link_down.nic",
		"rx_undersize.nic", "rx_fragments.nic", "rx_oversize.nic", "rx_jabber.nic",
		"rx_csum_bad.nic", "rx_length_errors.nic", "rx_dropped.nic", "rx_crc_errors.nic",
		"illegal_bytes.nic", "mac_local_faults.nic", "mac_remote_faults.nic", "fdir_sb_match.nic",
		"fdir_sb_status.nic"}
)

// genIce follows __ice_get_strings for a PF VSI: the VSI statistics,
// "tx_queue_%u_packets"/"_bytes" for every allocated tx queue, the same
// for the rx queues, the PF statistics, then "tx_priority_%u_xon.nic",
// "tx_priority_%u_xoff.nic" and the rx ones for 8 user priorities.
func genIce(txq, rxq int) string {
	var g statGen
	g.comment("ice (drivers/net/ethernet/intel/ice/ice_ethtool.c __ice_get_strings), %d tx and %d rx queues, PF VSI", txq, rxq)
	g.global(iceVSI...)
	for _, d := range []Direction{DirTx, DirRx} {
		n := txq
		if d == DirRx {
			n = rxq
		}
		for i := range n {
			for _, s := range []string{"packets", "bytes"} {
				g.queue(fmt.Sprintf("%s_queue_%d_%s", d, i, s), i, d, s, "")
			}
		}
	}
	g.global(icePF...)
	for _, d := range []string{"tx", "rx"} {
		for up := range 8 {
			g.global(fmt.Sprintf("%s_priority_%d_xon.nic", d, up), fmt.Sprintf("%s_priority_%d_xoff.nic", d, up))
		}
	}
	return g.b.String()
}

// --- mlx5: drivers/net/ethernet/mellanox/mlx5/core/en_stats.c (4.19) --------

var (
	mlx5SW = []string{"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "tx_tso_packets", // sw_stats_desc (no TLS)
		"tx_tso_bytes", "tx_tso_inner_packets", "tx_tso_inner_bytes", "tx_added_vlan_packets",
		"tx_nop", "rx_lro_packets", "rx_lro_bytes", "rx_removed_vlan_packets",
		"rx_csum_unnecessary", "rx_csum_none", "rx_csum_complete", "rx_csum_unnecessary_inner",
		"rx_xdp_drop", "rx_xdp_redirect", "rx_xdp_tx_xmit", "rx_xdp_tx_full", "rx_xdp_tx_err",
		"rx_xdp_tx_cqe", "tx_csum_none", "tx_csum_partial", "tx_csum_partial_inner",
		"tx_queue_stopped", "tx_queue_dropped", "tx_xmit_more", "tx_recover", "tx_cqes",
		"tx_queue_wake", "tx_udp_seg_rem", "tx_cqe_err", "tx_xdp_xmit", "tx_xdp_full",
		"tx_xdp_err", "tx_xdp_cqes", "rx_wqe_err", "rx_mpwqe_filler_cqes",
		"rx_mpwqe_filler_strides", "rx_buff_alloc_err", "rx_cqe_compress_blks",
		"rx_cqe_compress_pkts", "rx_page_reuse", "rx_cache_reuse", "rx_cache_full",
		"rx_cache_empty", "rx_cache_busy", "rx_cache_waive", "rx_congst_umr", "ch_events",
		"ch_poll", "ch_arm", "ch_aff_change", "ch_eq_rearm"}
	mlx5Port = []string{"rx_out_of_buffer", "rx_if_down_packets", // q, drop rq, vnic env, vport, 802.3, 2863, 2819, phy, eth ext, pcie
		"rx_steer_missed_packets",
		"rx_vport_unicast_packets", "rx_vport_unicast_bytes", "tx_vport_unicast_packets",
		"tx_vport_unicast_bytes", "rx_vport_multicast_packets", "rx_vport_multicast_bytes",
		"tx_vport_multicast_packets", "tx_vport_multicast_bytes", "rx_vport_broadcast_packets",
		"rx_vport_broadcast_bytes", "tx_vport_broadcast_packets", "tx_vport_broadcast_bytes",
		"rx_vport_rdma_unicast_packets", "rx_vport_rdma_unicast_bytes",
		"tx_vport_rdma_unicast_packets", "tx_vport_rdma_unicast_bytes",
		"rx_vport_rdma_multicast_packets", "rx_vport_rdma_multicast_bytes",
		"tx_vport_rdma_multicast_packets", "tx_vport_rdma_multicast_bytes",
		"tx_packets_phy", "rx_packets_phy", "rx_crc_errors_phy", "tx_bytes_phy", "rx_bytes_phy",
		"tx_multicast_phy", "tx_broadcast_phy", "rx_multicast_phy", "rx_broadcast_phy",
		"rx_in_range_len_errors_phy", "rx_out_of_range_len_phy", "rx_oversize_pkts_phy",
		"rx_symbol_err_phy", "tx_mac_control_phy", "rx_mac_control_phy", "rx_unsupported_op_phy",
		"rx_pause_ctrl_phy", "tx_pause_ctrl_phy",
		"rx_discards_phy", "tx_discards_phy", "tx_errors_phy",
		"rx_undersize_pkts_phy", "rx_fragments_phy", "rx_jabbers_phy", "rx_64_bytes_phy",
		"rx_65_to_127_bytes_phy", "rx_128_to_255_bytes_phy", "rx_256_to_511_bytes_phy",
		"rx_512_to_1023_bytes_phy", "rx_1024_to_1518_bytes_phy", "rx_1519_to_2047_bytes_phy",
		"rx_2048_to_4095_bytes_phy", "rx_4096_to_8191_bytes_phy", "rx_8192_to_10239_bytes_phy",
		"link_down_events_phy", "rx_pcs_symbol_err_phy", "rx_corrected_bits_phy",
		"rx_buffer_passed_thres_phy",
		"rx_pci_signal_integrity", "tx_pci_signal_integrity", "outbound_pci_buffer_overflow",
		"outbound_pci_stalled_rd", "outbound_pci_stalled_wr", "outbound_pci_stalled_rd_events",
		"outbound_pci_stalled_wr_events"}
	mlx5PFC = []string{"rx_%s_pause", "rx_%s_pause_duration", "tx_%s_pause", "tx_%s_pause_duration", "rx_%s_pause_transition"} // pport_per_prio_pfc_stats_desc
	mlx5PME = []string{"module_unplug", "module_bus_stuck", "module_high_temp", "module_bad_shorted"}
	mlx5RQ  = []string{"packets", "bytes", "csum_complete", "csum_unnecessary", "csum_unnecessary_inner", // rq_stats_desc, "rx%d_"
		"csum_none", "xdp_drop", "xdp_redirect", "lro_packets", "lro_bytes", "removed_vlan_packets",
		"wqe_err", "mpwqe_filler_cqes", "mpwqe_filler_strides", "buff_alloc_err",
		"cqe_compress_blks", "cqe_compress_pkts", "page_reuse", "cache_reuse", "cache_full",
		"cache_empty", "cache_busy", "cache_waive", "congst_umr"}
	mlx5SQ = []string{"packets", "bytes", "tso_packets", "tso_bytes", "tso_inner_packets", // sq_stats_desc, "tx%d_"
		"tso_inner_bytes", "csum_partial", "csum_partial_inner", "added_vlan_packets", "nop",
		"csum_none", "stopped", "dropped", "xmit_more", "recover", "cqes", "wake", "cqe_err"}
	mlx5XDPSQ = []string{"xmit", "full", "err", "cqes"}                     // rq_xdpsq ("rx%d_xdp_tx_") and xdpsq ("tx%d_xdp_")
	mlx5CH    = []string{"events", "poll", "arm", "aff_change", "eq_rearm"} // ch_stats_desc, "ch%d_"
)

// genMlx5 follows mlx5e_stats_grps' fill_strings in order (sw, q, vnic
// env, vport, 802.3, 2863, 2819, phy, eth ext, pcie, per prio, pme,
// channels; no IPsec or TLS offload): per-priority traffic for 8
// priorities, PFC counters for the priorities with PFC on ("prio%d") and
// for global pause ("global"), the PFC stall counters (the first has a
// trailing space in the driver), then the channel group: "ch%d_" for every
// channel, "rx%d_" and "rx%d_xdp_tx_" (the XDP_TX send queue of rx queue
// %d) for every channel, "tx%d_" for every traffic class and channel,
// numbered by the netdev tx queue (channel_tc2txq: tc*channels + channel),
// and "tx%d_xdp_" (the channel's XDP_REDIRECT send queue) for every
// channel.
func genMlx5(channels, tcs int, pfcPrios []int) string {
	var g statGen
	g.comment("mlx5 (drivers/net/ethernet/mellanox/mlx5/core/en_stats.c mlx5e_stats_grps, 4.19), %d channels, %d TCs, PFC on %v, global pause", channels, tcs, pfcPrios)
	g.global(mlx5SW...)
	g.global(mlx5Port...)
	for prio := range 8 {
		g.global(fmt.Sprintf("rx_prio%d_bytes", prio), fmt.Sprintf("rx_prio%d_packets", prio),
			fmt.Sprintf("tx_prio%d_bytes", prio), fmt.Sprintf("tx_prio%d_packets", prio))
	}
	for _, prio := range pfcPrios {
		for _, f := range mlx5PFC {
			g.global(fmt.Sprintf(f, fmt.Sprintf("prio%d", prio)))
		}
	}
	for _, f := range mlx5PFC {
		g.global(fmt.Sprintf(f, "global"))
	}
	g.global("tx_pause_storm_warning_events ", "tx_pause_storm_error_events")
	g.global(mlx5PME...)
	for i := range channels {
		for _, s := range mlx5CH {
			g.queue(fmt.Sprintf("ch%d_%s", i, s), i, DirUnknown, s, "")
		}
	}
	for i := range channels {
		for _, s := range mlx5RQ {
			g.queue(fmt.Sprintf("rx%d_%s", i, s), i, DirRx, s, "")
		}
		for _, s := range mlx5XDPSQ {
			g.queue(fmt.Sprintf("rx%d_xdp_tx_%s", i, s), i, DirRx, "xdp_tx_"+s, "")
		}
	}
	for tc := range tcs {
		for i := range channels {
			txq := tc*channels + i
			for _, s := range mlx5SQ {
				g.queue(fmt.Sprintf("tx%d_%s", txq, s), txq, DirTx, s, "")
			}
		}
	}
	for i := range channels {
		for _, s := range mlx5XDPSQ {
			g.queue(fmt.Sprintf("tx%d_xdp_%s", i, s), i, DirTx, "xdp_"+s, "")
		}
	}
	return g.b.String()
}

// --- virtio_net, veth, ifb: the generators the live test checks against
// the devices of this kernel (statnames_linux_test.go) ----------------------

var (
	virtioRq = []string{"drops", "xdp_packets", "xdp_tx", "xdp_redirects", "xdp_drops", "kicks"} // virtnet_rq_stats_desc
	virtioSq = []string{"xdp_tx", "xdp_tx_drops", "kicks", "tx_timeouts"}                        // virtnet_sq_stats_desc
)

// genVirtioNet follows virtnet_get_strings without VIRTIO_NET_F_DEVICE_STATS
// (drivers/net/virtio_net.c): the driver's rx and tx totals ("rx_%s",
// "tx_%s"), then "rx%u_%s" for every queue pair, then "tx%u_%s" (packets
// and bytes are qstat-only since 6.10). Device statistics, when the device
// offers them, are "rx%u_hw_%s"/"tx%u_hw_%s" in the same loops and
// "cq_hw_%s" for the control queue.
func genVirtioNet(pairs int) string {
	var g statGen
	g.comment("virtio_net (drivers/net/virtio_net.c virtnet_get_strings), %d queue pairs, no device statistics", pairs)
	for _, s := range virtioRq {
		g.global("rx_" + s)
	}
	for _, s := range virtioSq {
		g.global("tx_" + s)
	}
	for i := range pairs {
		for _, s := range virtioRq {
			g.queue(fmt.Sprintf("rx%d_%s", i, s), i, DirRx, s, "")
		}
	}
	for i := range pairs {
		for _, s := range virtioSq {
			g.queue(fmt.Sprintf("tx%d_%s", i, s), i, DirTx, s, "")
		}
	}
	return g.b.String()
}

var (
	vethRq       = []string{"xdp_packets", "xdp_bytes", "drops", "xdp_redirect", "xdp_drops", "xdp_tx", "xdp_tx_errors"} // veth_rq_stats_desc
	vethTq       = []string{"xdp_xmit", "xdp_xmit_errors"}                                                               // veth_tq_stats_desc
	pagePoolStat = []string{"rx_pp_alloc_fast", "rx_pp_alloc_slow", "rx_pp_alloc_slow_ho", "rx_pp_alloc_empty",          // net/core/page_pool.c pp_stats
		"rx_pp_alloc_refill", "rx_pp_alloc_waive", "rx_pp_recycle_cached", "rx_pp_recycle_cache_full",
		"rx_pp_recycle_ring", "rx_pp_recycle_ring_full", "rx_pp_recycle_released_ref"}
)

// genVeth follows veth_get_strings (drivers/net/veth.c): peer_ifindex,
// "rx_queue_%u_%.18s" for every real rx queue, "tx_queue_%u_%.18s" for
// every real tx queue, then the page pool totals when the kernel has
// CONFIG_PAGE_POOL_STATS.
func genVeth(rx, tx int, pagePool bool) string {
	var g statGen
	g.comment("veth (drivers/net/veth.c veth_get_strings), %d rx and %d tx queues, page pool stats %v", rx, tx, pagePool)
	g.global("peer_ifindex")
	for i := range rx {
		for _, s := range vethRq {
			g.queue(fmt.Sprintf("rx_queue_%d_%s", i, s), i, DirRx, s, "")
		}
	}
	for i := range tx {
		for _, s := range vethTq {
			g.queue(fmt.Sprintf("tx_queue_%d_%s", i, s), i, DirTx, s, "")
		}
	}
	if pagePool {
		g.global(pagePoolStat...)
	}
	return g.b.String()
}

// genIfb follows ifb_get_strings (drivers/net/ifb.c): "rx_queue_%u_%.18s"
// then "tx_queue_%u_%.18s" with packets and bytes for every real queue.
func genIfb(rx, tx int) string {
	var g statGen
	g.comment("ifb (drivers/net/ifb.c ifb_get_strings), %d rx and %d tx queues", rx, tx)
	for i := range rx {
		for _, s := range []string{"packets", "bytes"} {
			g.queue(fmt.Sprintf("rx_queue_%d_%s", i, s), i, DirRx, s, "")
		}
	}
	for i := range tx {
		for _, s := range []string{"packets", "bytes"} {
			g.queue(fmt.Sprintf("tx_queue_%d_%s", i, s), i, DirTx, s, "")
		}
	}
	return g.b.String()
}

// generatedStatNames are the generated lists, by file name.
func generatedStatNames() map[string]string {
	return map[string]string{
		"be2net.txt":          genBe2net(4, 4),
		"bnx2x.txt":           genBnx2x(4),
		"bnxt.txt":            genBnxt(4, 4, true, bnxtRingTPA),
		"bnxt_rx3_tx2.txt":    genBnxt(3, 2, false, bnxtRingTPA2[:5]),
		"bnxt_p7_rx2_tx4.txt": genBnxt(2, 4, false, bnxtRingTPA2),
		"vmxnet3.txt":         genVmxnet3(4, 4),
		"sfc.txt":             genSfc(4, 2),
		"virtio_net_4q.txt":   genVirtioNet(4),
		"veth_2rx_3tx.txt":    genVeth(2, 3, true),
		"ifb_3q.txt":          genIfb(3, 3),
		"ena_4q_xdp.txt":      genEna(4, 4),
		"ixgbe_64q.txt":       genIxgbe(64),
		"i40e_24q.txt":        genI40e(24),
		"ice_32tx_16rx.txt":   genIce(32, 16),
		"mlx5_4ch_2tc.txt":    genMlx5(4, 2, []int{3}),
	}
}

// TestStatNamesGenerated checks the generated lists in testdata/statnames
// are what the generators produce (-statnames.write rewrites them).
func TestStatNamesGenerated(t *testing.T) {
	for file, want := range generatedStatNames() {
		path := filepath.Join("testdata", "statnames", file)
		if *writeStatNames {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestStatNamesGenerated -statnames.write)", err)
		}
		if string(got) != want {
			t.Errorf("%s differs from its generator (run go test -run TestStatNamesGenerated -statnames.write)", path)
		}
		for i, line := range strings.Split(want, "\n") {
			if name, _, _ := strings.Cut(line, "|"); !strings.HasPrefix(line, "#") && len(name) > ethGStringLen-1 {
				t.Errorf("%s:%d %q is longer than ETH_GSTRING_LEN-1", path, i+1, name)
			}
		}
	}
}
