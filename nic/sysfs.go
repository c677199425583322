package nic

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/internal/scan"
)

// SysFS reads /sys/class/net below a sysfs mount point: the live /sys, a
// sysfs mounted inside another network namespace, or a fixture tree laid out
// like /sys. It is a small value holding no open files.
type SysFS struct {
	root string
}

// NewSysFS returns a SysFS rooted at root ("/sys" for the live system).
func NewSysFS(root string) SysFS { return SysFS{root: root} }

// Root is the sysfs mount point.
func (s SysFS) Root() string { return s.root }

func (s SysFS) netPath(elem ...string) string {
	return filepath.Join(append([]string{s.root, "class", "net"}, elem...)...)
}

// DeviceNames lists /sys/class/net, sorted.
func (s SysFS) DeviceNames() ([]string, error) {
	ents, err := os.ReadDir(s.netPath())
	if err != nil {
		return nil, fmt.Errorf("nic: %w", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, nil
}

// Attr is a value that a device may not have. Present is false when the
// kernel does not apply the attribute to this device: the file is absent or
// its read fails with ENOENT or EINVAL, as net/core/net-sysfs.c does for
// xps_cpus and traffic_class on a single-queue device or speed and duplex on
// a device without a link. That is distinct from a present zero.
type Attr[T any] struct {
	Value   T
	Present bool
}

// notApplicable reports whether a sysfs read error means "this device does
// not have that attribute" rather than a failure.
func notApplicable(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.EOPNOTSUPP)
}

// readAttr reads one sysfs attribute into buf. present is false for the
// not-applicable errors; other errors are returned wrapped with the path.
func readAttr(path string, buf []byte) (b []byte, present bool, err error) {
	b, err = readfile.ReadInto(path, buf)
	if err != nil {
		if notApplicable(err) {
			return b, false, nil
		}
		return b, false, fmt.Errorf("nic: %w", err)
	}
	return b, true, nil
}

func readUintAttr(path string, buf *[]byte) (Attr[uint64], error) {
	b, ok, err := readAttr(path, *buf)
	*buf = b
	if !ok || err != nil {
		return Attr[uint64]{}, err
	}
	v, err := scan.Uint(scan.TrimSpace(b))
	if err != nil {
		return Attr[uint64]{}, fmt.Errorf("nic: %s: %q: %w", path, scan.TrimSpace(b), errors.Join(ErrMalformed, err))
	}
	return Attr[uint64]{Value: v, Present: true}, nil
}

// statFiles maps /sys/class/net/DEV/statistics/* (net/core/net-sysfs.c,
// NETSTAT_ENTRY, each a field of rtnl_link_stats64 from dev_get_stats) to
// LinkStats fields.
var statFiles = [...]struct {
	name  string
	field func(*LinkStats) *uint64
}{
	{"rx_packets", func(s *LinkStats) *uint64 { return &s.RxPackets }},
	{"tx_packets", func(s *LinkStats) *uint64 { return &s.TxPackets }},
	{"rx_bytes", func(s *LinkStats) *uint64 { return &s.RxBytes }},
	{"tx_bytes", func(s *LinkStats) *uint64 { return &s.TxBytes }},
	{"rx_errors", func(s *LinkStats) *uint64 { return &s.RxErrors }},
	{"tx_errors", func(s *LinkStats) *uint64 { return &s.TxErrors }},
	{"rx_dropped", func(s *LinkStats) *uint64 { return &s.RxDropped }},
	{"tx_dropped", func(s *LinkStats) *uint64 { return &s.TxDropped }},
	{"multicast", func(s *LinkStats) *uint64 { return &s.Multicast }},
	{"collisions", func(s *LinkStats) *uint64 { return &s.Collisions }},
	{"rx_length_errors", func(s *LinkStats) *uint64 { return &s.RxLengthErrors }},
	{"rx_over_errors", func(s *LinkStats) *uint64 { return &s.RxOverErrors }},
	{"rx_crc_errors", func(s *LinkStats) *uint64 { return &s.RxCRCErrors }},
	{"rx_frame_errors", func(s *LinkStats) *uint64 { return &s.RxFrameErrors }},
	{"rx_fifo_errors", func(s *LinkStats) *uint64 { return &s.RxFIFOErrors }},
	{"rx_missed_errors", func(s *LinkStats) *uint64 { return &s.RxMissedErrors }},
	{"tx_aborted_errors", func(s *LinkStats) *uint64 { return &s.TxAbortedErrors }},
	{"tx_carrier_errors", func(s *LinkStats) *uint64 { return &s.TxCarrierErrors }},
	{"tx_fifo_errors", func(s *LinkStats) *uint64 { return &s.TxFIFOErrors }},
	{"tx_heartbeat_errors", func(s *LinkStats) *uint64 { return &s.TxHeartbeatErrors }},
	{"tx_window_errors", func(s *LinkStats) *uint64 { return &s.TxWindowErrors }},
	{"rx_compressed", func(s *LinkStats) *uint64 { return &s.RxCompressed }},
	{"tx_compressed", func(s *LinkStats) *uint64 { return &s.TxCompressed }},
}

// Stats reads the 24 files of /sys/class/net/DEV/statistics (23 before
// Linux 4.6: rx_nohandler then sets HasRxNohandler). sysfs has no
// rx_otherhost_dropped. It costs one open/read/close per file;
// Client.Links gets the same counters for every device in one dump. A
// missing device gives an error wrapping
// os.ErrNotExist.
func (s SysFS) Stats(dev string) (LinkStats, error) {
	var st LinkStats
	dir := s.netPath(dev, "statistics")
	if _, err := os.Stat(dir); err != nil {
		return st, fmt.Errorf("nic: device %q: %w", dev, err)
	}
	buf := make([]byte, 0, 4096)
	for _, f := range statFiles {
		path := dir + "/" + f.name
		b, err := readfile.ReadInto(path, buf)
		buf = b
		if err != nil {
			return st, fmt.Errorf("nic: %w", err)
		}
		v, err := scan.Uint(scan.TrimSpace(b))
		if err != nil {
			return st, fmt.Errorf("nic: %s: %q: %w", path, scan.TrimSpace(b), errors.Join(ErrMalformed, err))
		}
		*f.field(&st) = v
	}
	a, err := readUintAttr(dir+"/rx_nohandler", &buf)
	if err != nil {
		return st, err
	}
	st.RxNohandler, st.HasRxNohandler = a.Value, a.Present
	return st, nil
}
