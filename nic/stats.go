package nic

import (
	"errors"
	"fmt"
	"os"
)

// ErrStatsChanged is returned by Stats.Read when the driver's number of
// statistics changed since OpenStats (e.g. after `ethtool -L` changed the
// channel count): open the Stats again to read the new names.
var ErrStatsChanged = errors.New("nic: the driver's statistics changed; reopen")

// Stats re-reads one device's driver statistics (`ethtool -S`). The names
// are read once, at OpenStats, in the driver's order with duplicates kept;
// Read fills a caller-owned slice with the values in the same order and
// allocates nothing. There is no cap on the number of statistics. A Stats
// uses its Client's socket: it is not safe for concurrent use with it.
type Stats struct {
	c     *Client
	dev   string
	names []string
	buf   []byte // ethtool_stats header + values + slack

	queues       []QueueStat // MapQueueStats of names, once
	queuesMapped bool
}

// Device is the device the statistics belong to.
func (s *Stats) Device() string { return s.dev }

// Names are the statistic names in driver order (ETHTOOL_GSTRINGS of
// ETH_SS_STATS). The slice is owned by the Stats; do not modify it.
func (s *Stats) Names() []string { return s.names }

// Len is the number of statistics.
func (s *Stats) Len() int { return len(s.names) }

// QueueStats maps the statistics to queues (MapQueueStats) the first time
// it is called and returns the same mapping afterwards: the names, and so
// the layout, do not change while the Stats is open (a driver that changes
// them makes Read answer ErrStatsChanged; open the Stats again). When the
// layout numbers its queues by statistic values (vmxnet3's "Tx Queue#"
// markers, LayoutNeedsValues) the first call reads the values once
// (ETHTOOL_GSTATS) and takes the queue numbers from them. The slice is
// owned by the Stats; do not modify it.
func (s *Stats) QueueStats() ([]QueueStat, error) {
	if s.c == nil {
		return nil, fmt.Errorf("nic: statistics: %w", os.ErrClosed)
	}
	if s.queuesMapped {
		return s.queues, nil
	}
	var vals []uint64
	if LayoutNeedsValues(s.names) {
		var err error
		if vals, err = s.Read(make([]uint64, 0, len(s.names))); err != nil {
			return nil, err
		}
	}
	s.queues = MapQueueStats(s.names, vals, nil)
	s.queuesMapped = true
	return s.queues, nil
}

// Close releases the buffers. The Client stays open.
func (s *Stats) Close() error {
	s.c, s.buf, s.names = nil, nil, nil
	s.queues, s.queuesMapped = nil, false
	return nil
}
