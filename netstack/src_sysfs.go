package netstack

import (
	"fmt"
	"path/filepath"

	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/internal/scan"
	"github.com/packetpath/packetpath/nic"
)

// sysfsDevice keeps one device's sysfs state between collections. The full
// view (nic.SysFS.Device: speed, driver, NUMA node, RPS and XPS masks, ...)
// is read once; the attributes that move (per-queue tx_timeout and BQL
// state, carrier_changes) stay open and are re-read without allocating.
type sysfsDevice struct {
	dev   nic.Device
	files []sysfsAttr
}

type sysfsAttr struct {
	f   *readfile.File
	dst *nic.Attr[uint64]
}

func openSysfsDevice(sys nic.SysFS, root, name string) (*sysfsDevice, error) {
	dev, err := sys.Device(name)
	if err != nil {
		return nil, err
	}
	d := &sysfsDevice{dev: dev}
	dir := filepath.Join(root, "class", "net", name)
	d.open(filepath.Join(dir, "carrier_changes"), &d.dev.CarrierChanges)
	for i := range d.dev.TxQueues {
		q := &d.dev.TxQueues[i]
		qdir := filepath.Join(dir, "queues", fmt.Sprintf("tx-%d", q.Index))
		d.open(filepath.Join(qdir, "tx_timeout"), &q.TxTimeout)
		if q.BQL.Present {
			bql := filepath.Join(qdir, "byte_queue_limits")
			d.open(filepath.Join(bql, "inflight"), &q.BQL.Inflight)
			d.open(filepath.Join(bql, "limit"), &q.BQL.Limit)
			d.open(filepath.Join(bql, "stall_cnt"), &q.BQL.StallCnt)
			d.open(filepath.Join(bql, "stall_max"), &q.BQL.StallMax)
		}
	}
	return d, nil
}

// open keeps path open for re-reading into dst when the first read found it.
func (d *sysfsDevice) open(path string, dst *nic.Attr[uint64]) {
	if !dst.Present {
		return
	}
	f, err := readfile.Open(path)
	if err != nil {
		return
	}
	d.files = append(d.files, sysfsAttr{f: f, dst: dst})
}

// refresh re-reads the moving attributes. An attribute that fails to read
// is marked not present for this collection.
func (d *sysfsDevice) refresh() error {
	var firstErr error
	for _, a := range d.files {
		b, err := a.f.Read()
		if err != nil {
			a.dst.Present = false
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		v, err := scan.Uint(scan.TrimSpace(b))
		if err != nil {
			a.dst.Present = false
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", a.f.Path(), err)
			}
			continue
		}
		a.dst.Value, a.dst.Present = v, true
	}
	return firstErr
}

// copyTo copies the device view into dst, reusing dst's queue slices, so
// that earlier snapshots keep their own values.
func (d *sysfsDevice) copyTo(dst *nic.Device) {
	rx, tx := dst.RxQueues[:0], dst.TxQueues[:0]
	*dst = d.dev
	dst.RxQueues = append(rx, d.dev.RxQueues...)
	dst.TxQueues = append(tx, d.dev.TxQueues...)
}

func (d *sysfsDevice) close() {
	for _, a := range d.files {
		a.f.Close()
	}
	d.files = nil
}
