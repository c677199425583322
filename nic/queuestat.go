package nic

// Direction says which way the traffic a per-queue counter describes flows.
type Direction uint8

// Directions of a queue counter.
const (
	// DirUnknown: the counter belongs to a queue (or channel) but its name
	// says no direction (bnxt "[0]: missed_irqs" on a ring that carries
	// both directions, mlx5 "ch0_events").
	DirUnknown Direction = iota
	DirRx
	DirTx
)

func (d Direction) String() string {
	switch d {
	case DirRx:
		return "rx"
	case DirTx:
		return "tx"
	}
	return "unknown"
}

// QueueKind says what QueueStat.Queue numbers.
type QueueKind uint8

// Kinds of queue.
const (
	// QueueDevice: Queue is one of the device's queues, channels or rings,
	// numbered as the driver numbers them in its statistic names.
	QueueDevice QueueKind = iota
	// QueueXDPCPU: Queue is a CPU number. sfc keeps one XDP transmit queue
	// per CPU besides the device's queues ("tx-xdp-cpu-3.tx_packets",
	// drivers/net/ethernet/sfc/ethtool_common.c): it carries what XDP_TX
	// and XDP_REDIRECT sent from that CPU, and has no tx-N in sysfs.
	QueueXDPCPU
	// QueueXDP: Queue is one of the driver's XDP transmit rings, which it
	// keeps beside the device's transmit queues and numbers after them:
	// ena's "queue_4_xdp_tx_cnt" on a device with 4 I/O queues is XDP ring
	// 4, which sends rx queue 0's XDP_TX (ena_ethtool.c ena_queue_strings,
	// ena_netdev.c: qid + num_io_queues). It has no tx-N in sysfs.
	QueueXDP
)

func (k QueueKind) String() string {
	switch k {
	case QueueXDPCPU:
		return "xdp-cpu"
	case QueueXDP:
		return "xdp"
	}
	return "device"
}

// QueueStat is a driver statistic that belongs to one queue.
type QueueStat struct {
	// Index is the position in Stats.Names and in the values Read returns.
	Index int
	// Queue is the queue (or channel, ring, CPU: see Kind) number.
	Queue int
	// Dir is the direction of the queue.
	Dir Direction
	// Kind says what Queue numbers: a device queue, or a CPU's XDP
	// transmit queue.
	Kind QueueKind
	// Counter is the rest of the name, without the queue and without a
	// direction prefix the queue already says: "packets", "bytes",
	// "xdp_drops", "kicks", "ucast_packets", "tpa_packets", "ucast pkts rx"
	// ...
	Counter string
}

// ParseQueueStatName recognises the per-queue statistic naming schemes of
// the drivers' ethtool string tables (their get_strings for ETH_SS_STATS)
// and splits a name into queue, direction and counter:
//
//	virtio_net, mlx5      rx0_packets, tx0_kicks        (virtio_net.c, mlx5 en_stats.c)
//	mlx5 channels         ch0_events                    (direction unknown)
//	veth, ixgbe, ifb, ice rx_queue_0_packets            (veth.c, ixgbe_ethtool.c, ifb.c, ice_ethtool.c)
//	i40e, sfc             rx-0.packets, tx-0.tx_packets (i40e_ethtool.c, sfc ethtool_common.c)
//	sfc XDP per CPU       tx-xdp-cpu-3.tx_packets       (Kind QueueXDPCPU: CPU 3, not queue 3)
//	ena                   queue_0_rx_cnt                (ena_ethtool.c)
//	ena XDP rings         queue_4_xdp_tx_cnt            (Kind QueueXDP: XDP ring 4, not tx queue 4)
//	bnxt, bnx2x           [0]: rx_ucast_packets         (bnxt_ethtool.c, bnx2x_ethtool.c)
//	be2net                rxq0: rx_bytes, txq3: tx_pkts (be_ethtool.c)
//
// In the bracket scheme of bnxt and bnx2x a counter without an rx_ or tx_
// prefix gets its direction from what it counts: tpa_* (hardware
// aggregation, TPA, which only happens on a receive ring) is DirRx,
// bnx2x's driver_filtered_tx_pkt is DirTx, bnxt's missed_irqs stays
// DirUnknown (a completion ring). The number in brackets is bnxt's
// completion ring: with separate rx and tx rings (`ethtool -L rx N tx M`)
// the tx rings come after the rx rings, which MapQueueStats corrects and a
// single name cannot.
//
// Size buckets (rx_64_to_127_bytes, rx_65b_127b_frames), priorities and
// classes (rx_prio3_bytes, rx_bytes_cos0, tx_pfc_ena_frames_pri7), collision
// counts (tx_collide_2times) and per-packet-buffer counters (rx_pb_7_pxon)
// are device-wide. ok is false for a device-wide statistic and for a name
// whose queue only its position says (vmxnet3's "  ucast pkts rx" after a
// "Rx Queue#" marker): MapQueueStats maps those. A name ParseQueueStatName
// accepts always has a non-empty Counter that ends the name. It allocates
// nothing.
func ParseQueueStatName(name string) (q QueueStat, ok bool) {
	q, ok = parseQueueStatName(name)
	if !ok || q.Counter == "" || q.Queue < 0 {
		return QueueStat{}, false
	}
	return q, true
}

func parseQueueStatName(name string) (QueueStat, bool) {
	if name == "" {
		return QueueStat{}, false
	}
	// "[N]: counter" (bnxt, bnx2x)
	if name[0] == '[' {
		return parseBracket(name[1:])
	}
	// "queue_N_dir_counter" (ena)
	if rest, ok := cutPrefix(name, "queue_"); ok {
		n, rest, ok := leadingNumber(rest)
		if !ok || len(rest) < 2 || rest[0] != '_' {
			return QueueStat{}, false
		}
		if c, ok := cutPrefix(rest[1:], "xdp_tx_"); ok {
			return QueueStat{Queue: n, Dir: DirTx, Kind: QueueXDP, Counter: c}, true
		}
		d, c := splitDirPrefix(rest[1:])
		return QueueStat{Queue: n, Dir: d, Counter: c}, true
	}
	// "tx-xdp-cpu-N.counter" (sfc): one XDP transmit queue per CPU
	if rest, ok := cutPrefix(name, "tx-xdp-cpu-"); ok {
		n, rest, ok := leadingNumber(rest)
		if !ok || len(rest) < 2 || rest[0] != '.' {
			return QueueStat{}, false
		}
		return QueueStat{Queue: n, Dir: DirTx, Kind: QueueXDPCPU, Counter: stripDir(rest[1:], DirTx)}, true
	}
	for _, p := range [...]struct {
		prefix string
		dir    Direction
	}{{"rx", DirRx}, {"tx", DirTx}, {"ch", DirUnknown}} {
		rest, ok := cutPrefix(name, p.prefix)
		if !ok {
			continue
		}
		var sep byte
		switch {
		case len(rest) > 0 && isDigit(rest[0]): // rx0_packets
			sep = '_'
		case len(rest) > 1 && rest[0] == '-': // rx-0.packets
			rest, sep = rest[1:], '.'
		case len(rest) > 1 && rest[0] == 'q' && isDigit(rest[1]) && p.dir != DirUnknown: // rxq0: rx_bytes
			rest, sep = rest[1:], ':'
		default:
			if r, ok := cutPrefix(rest, "_queue_"); ok && p.dir != DirUnknown { // rx_queue_0_packets
				rest, sep = r, '_'
			} else {
				continue
			}
		}
		n, rest, ok := leadingNumber(rest)
		if !ok || len(rest) < 2 || rest[0] != sep {
			return QueueStat{}, false
		}
		c := rest[1:]
		if sep != '_' {
			// be2net and sfc repeat the direction in the counter.
			c = stripDir(trimLeftSpace(c), p.dir)
		}
		return QueueStat{Queue: n, Dir: p.dir, Counter: c}, true
	}
	return QueueStat{}, false
}

// parseBracket parses "N]: counter", the rest of a bnxt or bnx2x name.
func parseBracket(s string) (QueueStat, bool) {
	n, rest, ok := leadingNumber(s)
	if !ok || len(rest) < 3 || rest[0] != ']' || rest[1] != ':' {
		return QueueStat{}, false
	}
	d, c := splitDirPrefix(trimLeftSpace(rest[2:]))
	if d == DirUnknown {
		switch {
		case hasPrefix(c, "tpa_"):
			// TPA (transparent packet aggregation) merges received
			// segments on an RX ring: bnxt tpa_packets, bnx2x
			// tpa_aggregations.
			d = DirRx
		case contains(c, "_tx_") || hasSuffix(c, "_tx"):
			// bnx2x driver_filtered_tx_pkt: transmitted packets the
			// driver dropped.
			d = DirTx
		}
	}
	return QueueStat{Queue: n, Dir: d, Counter: c}, c != ""
}

// MapQueueStats is QueueStats for a whole string table, including the
// layouts where a name alone does not say its queue:
//
//   - vmxnet3 (drivers/net/vmxnet3/vmxnet3_ethtool.c) emits, for every
//     queue, a marker statistic "Tx Queue#" or "Rx Queue#" whose value is
//     the queue number, then that queue's statistics, each name indented
//     and repeated for every queue ("  ucast pkts rx", "     xdp drops").
//     The marker values number the blocks; values is what Stats.Read
//     returns for names (nil numbers the blocks in order, 0, 1, ..., per
//     direction, as the driver does). The markers themselves are not
//     counters and are not listed.
//   - bnxt with separate rx and tx rings numbers its tx rings after its rx
//     rings ("[4]: tx_ucast_packets" is tx queue 0 of a device with 4 rx
//     rings): when no ring carries both rx_ and tx_ counters and the tx
//     rings start right after the last rx ring, their queue numbers are
//     shifted down, and a direction-less counter (missed_irqs) takes its
//     ring's direction. With shared rings (the default, `ethtool -L
//     combined N`) the ring is the queue. With XDP the first bnxt tx rings
//     are XDP rings: the names do not tell.
//
// Every other name is mapped as ParseQueueStatName maps it. The results
// are appended to dst in index order; device-wide statistics are skipped.
// It allocates nothing when dst has room.
func MapQueueStats(names []string, values []uint64, dst []QueueStat) []QueueStat {
	start := len(dst)
	var (
		inBlock  bool
		blkDir   Direction
		blkQueue int
		nTx, nRx int // markers seen, per direction
	)
	for i, n := range names {
		if d, ok := vmxnet3Marker(n); ok {
			ord := &nRx
			if d == DirTx {
				ord = &nTx
			}
			blkQueue = *ord
			if i < len(values) && values[i] <= maxMarkerQueue {
				blkQueue = int(values[i])
			}
			*ord++
			inBlock, blkDir = true, d
			continue
		}
		if inBlock {
			if len(n) > 0 && n[0] == ' ' {
				if c := trimLeftSpace(n); c != "" {
					dst = append(dst, QueueStat{Index: i, Queue: blkQueue, Dir: blkDir, Counter: c})
				}
				continue
			}
			inBlock = false // "tx timeout count": device-wide again
		}
		if q, ok := ParseQueueStatName(n); ok {
			q.Index = i
			dst = append(dst, q)
		}
	}
	bnxtSeparateRings(names, dst[start:])
	return dst
}

// maxMarkerQueue bounds a vmxnet3 marker value taken as a queue number
// (the device has at most 32 queues); a larger value is not a queue number
// and the block is numbered by its position instead.
const maxMarkerQueue = 1 << 16

// vmxnet3Marker recognises vmxnet3's per-queue marker statistics.
func vmxnet3Marker(name string) (Direction, bool) {
	switch name {
	case "Tx Queue#":
		return DirTx, true
	case "Rx Queue#":
		return DirRx, true
	}
	return DirUnknown, false
}

// LayoutNeedsValues reports whether MapQueueStats needs the statistic
// values, not only the names, to number the queues of this string table
// (vmxnet3's marker statistics).
func LayoutNeedsValues(names []string) bool {
	for _, n := range names {
		if _, ok := vmxnet3Marker(n); ok {
			return true
		}
	}
	return false
}

// bnxtSeparateRings renumbers the tx rings of a bnxt string table with
// separate rx and tx rings (bnxt_ethtool.c is_rx_ring/is_tx_ring: the tx
// rings start at rx_nr_rings). qs holds the mapped statistics of names in
// index order.
func bnxtSeparateRings(names []string, qs []QueueStat) {
	maxRx, minTx := -1, -1
	ring, ringRx, ringTx, have := -1, false, false, false
	flush := func() bool { // false: a ring carries both directions
		if !have {
			return true
		}
		if ringRx && ringTx {
			return false
		}
		if ringRx && ring > maxRx {
			maxRx = ring
		}
		if ringTx && (minTx < 0 || ring < minTx) {
			minTx = ring
		}
		return true
	}
	for _, q := range qs {
		if !isBracket(names[q.Index]) {
			continue
		}
		if !have || q.Queue != ring {
			if !flush() {
				return
			}
			ring, ringRx, ringTx, have = q.Queue, false, false, true
		}
		switch q.Dir {
		case DirRx:
			ringRx = true
		case DirTx:
			ringTx = true
		}
	}
	if !flush() || maxRx < 0 || minTx != maxRx+1 {
		return
	}
	for i := range qs {
		q := &qs[i]
		if !isBracket(names[q.Index]) {
			continue
		}
		if q.Queue >= minTx {
			q.Queue -= minTx
			if q.Dir == DirUnknown {
				q.Dir = DirTx
			}
		} else if q.Dir == DirUnknown {
			q.Dir = DirRx
		}
	}
}

func isBracket(name string) bool { return len(name) > 0 && name[0] == '[' }

// QueueStats maps names (as Stats.Names returns them) to per-queue
// statistics, appending to dst; device-wide names are skipped. It is
// MapQueueStats without the values: vmxnet3 queue blocks are numbered in
// order.
func QueueStats(names []string, dst []QueueStat) []QueueStat {
	return MapQueueStats(names, nil, dst)
}

// splitDirPrefix takes "rx_" or "tx_" off s when present.
func splitDirPrefix(s string) (Direction, string) {
	if r, ok := cutPrefix(s, "rx_"); ok {
		return DirRx, r
	}
	if r, ok := cutPrefix(s, "tx_"); ok {
		return DirTx, r
	}
	return DirUnknown, s
}

// stripDir takes the prefix of direction d ("rx_", "tx_") off s when
// something is left after it.
func stripDir(s string, d Direction) string {
	p := "rx_"
	if d == DirTx {
		p = "tx_"
	} else if d != DirRx {
		return s
	}
	if r, ok := cutPrefix(s, p); ok && r != "" {
		return r
	}
	return s
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimLeftSpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// leadingNumber parses the decimal digits at the start of s (at most 9, so
// no overflow).
func leadingNumber(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 9 && isDigit(s[i]) {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || (i < len(s) && isDigit(s[i])) {
		return 0, s, false
	}
	return n, s[i:], true
}
