package nic

import (
	"errors"
	"fmt"
	"os"

	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/internal/scan"
)

// LinkStatsReader re-reads one device's /sys/class/net/DEV/statistics/*
// through descriptors kept open: each Read seeks every file to 0 and reads
// it again (kernfs re-runs the attribute's show, net/core/net-sysfs.c
// netstat_show, which calls dev_get_stats), allocating nothing. It still
// costs one read(2) per counter; Client.Links is the cheaper source when
// rtnetlink is available. Not safe for concurrent use.
type LinkStatsReader struct {
	dev       string
	files     [len(statFiles)]*readfile.File
	nohandler *readfile.File // nil before Linux 4.6
}

// OpenLinkStats opens the statistics files of dev. A missing device wraps
// os.ErrNotExist.
func (s SysFS) OpenLinkStats(dev string) (*LinkStatsReader, error) {
	dir := s.netPath(dev, "statistics")
	r := &LinkStatsReader{dev: dev}
	for i, f := range statFiles {
		rf, err := readfile.Open(dir + "/" + f.name)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("nic: device %q: %w", dev, err)
		}
		r.files[i] = rf
	}
	rf, err := readfile.Open(dir + "/rx_nohandler")
	switch {
	case err == nil:
		r.nohandler = rf
	case errors.Is(err, os.ErrNotExist):
	default:
		r.Close()
		return nil, fmt.Errorf("nic: device %q: %w", dev, err)
	}
	return r, nil
}

// Device is the device the reader reads.
func (r *LinkStatsReader) Device() string { return r.dev }

// Read re-reads every counter into dst. RxOtherhostDropped is never
// present (sysfs has no file for it).
func (r *LinkStatsReader) Read(dst *LinkStats) error {
	if r.files[0] == nil {
		return fmt.Errorf("nic: statistics of %q: %w", r.dev, os.ErrClosed)
	}
	*dst = LinkStats{}
	for i, f := range statFiles {
		v, err := readCounter(r.files[i])
		if err != nil {
			return err
		}
		*f.field(dst) = v
	}
	if r.nohandler != nil {
		v, err := readCounter(r.nohandler)
		if err != nil {
			return err
		}
		dst.RxNohandler, dst.HasRxNohandler = v, true
	}
	return nil
}

func readCounter(f *readfile.File) (uint64, error) {
	b, err := f.Read()
	if err != nil {
		return 0, fmt.Errorf("nic: %w", err)
	}
	v, err := scan.Uint(scan.TrimSpace(b))
	if err != nil {
		return 0, fmt.Errorf("nic: %s: %q: %w", f.Path(), scan.TrimSpace(b), errors.Join(ErrMalformed, err))
	}
	return v, nil
}

// Close closes the files.
func (r *LinkStatsReader) Close() error {
	var errs []error
	for i, f := range r.files {
		if f != nil {
			errs = append(errs, f.Close())
			r.files[i] = nil
		}
	}
	if r.nohandler != nil {
		errs = append(errs, r.nohandler.Close())
		r.nohandler = nil
	}
	return errors.Join(errs...)
}
