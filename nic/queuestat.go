package nic

// Direction says which way the traffic a per-queue counter describes flows.
type Direction uint8

// Directions of a queue counter.
const (
	// DirUnknown: the counter belongs to a queue (or channel) but its name
	// says no direction (bnxt "[0]: missed_irqs", mlx5 "ch0_events").
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

// QueueStat is a driver statistic that belongs to one queue.
type QueueStat struct {
	// Index is the position in Stats.Names and in the values Read returns.
	Index int
	// Queue is the queue (or channel) number.
	Queue int
	// Dir is the direction of the queue.
	Dir Direction
	// Counter is the rest of the name: "packets", "bytes", "xdp_drops",
	// "kicks", "ucast_packets" ...
	Counter string
}

// ParseQueueStatName recognises the per-queue statistic naming schemes of
// the common drivers and splits a name into queue, direction and counter:
//
//	virtio_net, mlx5      rx0_packets, tx0_kicks      (drivers/net/virtio_net.c, mlx5 en_stats.c)
//	mlx5 channels         ch0_events                  (direction unknown)
//	veth, ixgbe, ifb, ice rx_queue_0_packets          (veth.c, ixgbe_ethtool.c, ifb.c, ice_ethtool.c)
//	i40e, ice (older)     rx-0.packets, tx-0.bytes    (i40e_ethtool.c)
//	ena                   queue_0_rx_cnt, queue_0_tx_bytes (ena_ethtool.c)
//	bnxt                  [0]: rx_ucast_packets       (bnxt_ethtool.c)
//
// ok is false for a device-wide statistic.
func ParseQueueStatName(name string) (q QueueStat, ok bool) {
	// "[N]: counter" (bnxt)
	if len(name) > 0 && name[0] == '[' {
		n, rest, ok := leadingNumber(name[1:])
		if !ok || len(rest) < 3 || rest[0] != ']' || rest[1] != ':' {
			return q, false
		}
		rest = trimLeftSpace(rest[2:])
		if rest == "" {
			return q, false
		}
		q.Queue = n
		q.Dir, q.Counter = splitDirPrefix(rest)
		return q, true
	}
	// "queue_N_dir_counter" (ena)
	if rest, ok := cutPrefix(name, "queue_"); ok {
		n, rest, ok := leadingNumber(rest)
		if !ok || len(rest) < 2 || rest[0] != '_' {
			return q, false
		}
		q.Queue = n
		q.Dir, q.Counter = splitDirPrefix(rest[1:])
		return q, q.Counter != ""
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
		case len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9': // rx0_packets
			sep = '_'
		case len(rest) > 1 && rest[0] == '-': // rx-0.packets
			rest, sep = rest[1:], '.'
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
		return QueueStat{Queue: n, Dir: p.dir, Counter: rest[1:]}, true
	}
	return q, false
}

// QueueStats maps names (as Stats.Names returns them) to per-queue
// statistics, appending to dst; device-wide names are skipped.
func QueueStats(names []string, dst []QueueStat) []QueueStat {
	for i, n := range names {
		if q, ok := ParseQueueStatName(n); ok {
			q.Index = i
			dst = append(dst, q)
		}
	}
	return dst
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

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

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
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || (i < len(s) && s[i] >= '0' && s[i] <= '9') {
		return 0, s, false
	}
	return n, s[i:], true
}
