package nic

import (
	"encoding/binary"
	"fmt"
	"os"
)

// OpenStats reads the names of dev's driver statistics (ETHTOOL_GSSET_INFO
// then ETHTOOL_GSTRINGS) and returns a Stats that re-reads their values.
// A device without driver statistics (lo) answers errors.ErrUnsupported.
func (c *Client) OpenStats(dev string) (*Stats, error) {
	n, err := c.statsCount(dev)
	if err != nil {
		return nil, err
	}
	sb := make([]byte, gstringsHdrLen+(n+ioctlSlack(n))*ethGStringLen)
	binary.NativeEndian.PutUint32(sb[0:], ethtoolGStrings)
	binary.NativeEndian.PutUint32(sb[4:], ethSSStats)
	binary.NativeEndian.PutUint32(sb[8:], uint32(n))
	if err := c.ethtool(dev, sb); err != nil {
		return nil, err
	}
	names, err := DecodeStrings(sb, make([]string, 0, n))
	if err != nil {
		return nil, fmt.Errorf("nic: %q: %w", dev, err)
	}
	if len(names) != n {
		return nil, fmt.Errorf("nic: %q: %d statistic names, expected %d: %w", dev, len(names), n, ErrStatsChanged)
	}
	return &Stats{c: c, dev: dev, names: names,
		buf: make([]byte, gstatsHdrLen+(n+ioctlSlack(n))*8)}, nil
}

// Read re-reads the values (ETHTOOL_GSTATS) into dst[:0], reusing its
// capacity, in the order of Names. Values are as the driver keeps them;
// most are cumulative u64 counters. It first checks the driver's current
// count (ETHTOOL_GSSET_INFO) and answers ErrStatsChanged if it differs.
func (s *Stats) Read(dst []uint64) ([]uint64, error) {
	dst = dst[:0]
	if s.c == nil {
		return dst, fmt.Errorf("nic: statistics: %w", os.ErrClosed)
	}
	n, err := s.c.statsCount(s.dev)
	if err != nil {
		return dst, err
	}
	if n != len(s.names) {
		return dst, fmt.Errorf("nic: %q has %d statistics, opened with %d: %w", s.dev, n, len(s.names), ErrStatsChanged)
	}
	b := s.buf
	binary.NativeEndian.PutUint32(b[0:], ethtoolGStats)
	binary.NativeEndian.PutUint32(b[4:], uint32(n))
	if err := s.c.ethtool(s.dev, b); err != nil {
		return dst, err
	}
	dst, err = DecodeStats(b, dst)
	if err != nil {
		return dst, fmt.Errorf("nic: %q: %w", s.dev, err)
	}
	if len(dst) != n {
		return dst[:0], fmt.Errorf("nic: %q returned %d statistics, expected %d: %w", s.dev, len(dst), n, ErrStatsChanged)
	}
	return dst, nil
}
