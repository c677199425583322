package nic

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/internal/scan"
	"github.com/packetpath/packetpath/procparse"
)

// Device is what /sys/class/net/DEV says about one device
// (net/core/net-sysfs.c).
type Device struct {
	Name string
	// Speed is the link speed in Mb/s (speed, from the driver's
	// get_link_ksettings). Not present when the read fails with EINVAL
	// (no ethtool link settings, or the link is down) or reads -1
	// (SPEED_UNKNOWN, e.g. virtio_net without a configured speed).
	Speed Attr[uint64]
	// Duplex is "full", "half" or "unknown" (duplex); not present when
	// the read fails with EINVAL.
	Duplex Attr[string]
	// Carrier is the carrier state (carrier: netif_carrier_ok); not
	// present when the device is administratively down (EINVAL).
	Carrier Attr[bool]
	// CarrierChanges counts carrier up and down events (carrier_changes,
	// since Linux 3.15).
	CarrierChanges Attr[uint64]
	// NUMANode is the NUMA node of the underlying bus device
	// (device/numa_node, or the PCI parent's for virtio); not present for
	// virtual devices or when the kernel reports -1.
	NUMANode Attr[int]
	// Driver is the bound driver's name (basename of the device/driver
	// link, e.g. "virtio_net"); "" for virtual devices.
	Driver string
	// BusDevice is the resolved directory of the device's bus device
	// (the target of the device link), "" for virtual devices.
	BusDevice string
	// RxQueues and TxQueues are queues/rx-N and queues/tx-N in queue order.
	RxQueues []RxQueue
	TxQueues []TxQueue
}

// RxQueue is /sys/class/net/DEV/queues/rx-N.
type RxQueue struct {
	Index int
	// RPSCPUs is the set of CPUs receive packet steering may hand this
	// queue's packets to (rps_cpus, a hex mask; empty = RPS off). Not
	// present on kernels without CONFIG_RPS.
	RPSCPUs Attr[procparse.CPUSet]
	// RPSFlowCnt is the size of this queue's RFS flow table (rps_flow_cnt).
	RPSFlowCnt Attr[uint64]
}

// TxQueue is /sys/class/net/DEV/queues/tx-N.
type TxQueue struct {
	Index int
	// XPSCPUs is the set of CPUs that transmit through this queue (xps_cpus);
	// not present on single-queue devices, where the kernel answers ENOENT.
	XPSCPUs Attr[procparse.CPUSet]
	// XPSRxQueues is the set of receive queues mapped to this queue
	// (xps_rxqs, a mask of rx queue numbers, not CPUs; since Linux 4.18).
	XPSRxQueues Attr[procparse.CPUSet]
	// TxMaxRate is the rate limit in Mb/s, 0 = none (tx_maxrate, since
	// Linux 4.1).
	TxMaxRate Attr[uint64]
	// TxTimeout counts transmit timeouts of this queue (tx_timeout).
	TxTimeout Attr[uint64]
	// TrafficClass is the queue's traffic class as printed ("0", or
	// "0-1" style for subordinate devices); not present on single-queue
	// devices (ENOENT).
	TrafficClass Attr[string]
	// BQL is byte_queue_limits/*; BQL.Present is false when the device
	// does not use byte queue limits (no directory, e.g. lo).
	BQL BQL
}

// BQL is /sys/class/net/DEV/queues/tx-N/byte_queue_limits
// (lib/dynamic_queue_limits.c, net/core/net-sysfs.c bql_*).
type BQL struct {
	Present bool
	// HoldTime is the interval after which the limit may shrink, in ms.
	HoldTime Attr[uint64]
	// Inflight is the bytes handed to the driver and not yet completed.
	Inflight Attr[uint64]
	// Limit, LimitMax and LimitMin are the current, largest and smallest
	// byte limit.
	Limit    Attr[uint64]
	LimitMax Attr[uint64]
	LimitMin Attr[uint64]
	// StallThrs is the stall detection threshold in ms (0 = off),
	// StallCnt the stalls detected and StallMax the longest stall in ms
	// (since Linux 6.9).
	StallThrs Attr[uint64]
	StallCnt  Attr[uint64]
	StallMax  Attr[uint64]
}

// Device reads the sysfs attributes and queues of dev. A missing device
// gives an error wrapping os.ErrNotExist; attributes the device refuses are
// reported as not present.
func (s SysFS) Device(dev string) (Device, error) {
	d := Device{Name: dev}
	dir := s.netPath(dev)
	if _, err := os.Stat(dir); err != nil {
		return d, fmt.Errorf("nic: device %q: %w", dev, err)
	}
	buf := make([]byte, 0, 4096)
	var err error
	if d.Speed, err = readIntAttr(dir+"/speed", &buf); err != nil {
		return d, err
	}
	if b, ok, err := readAttr(dir+"/duplex", buf); err != nil {
		return d, err
	} else if ok {
		d.Duplex = Attr[string]{Value: string(scan.TrimSpace(b)), Present: true}
	}
	carrier, err := readUintAttr(dir+"/carrier", &buf)
	if err != nil {
		return d, err
	}
	d.Carrier = Attr[bool]{Value: carrier.Value != 0, Present: carrier.Present}
	if d.CarrierChanges, err = readUintAttr(dir+"/carrier_changes", &buf); err != nil {
		return d, err
	}
	if target, err := filepath.EvalSymlinks(dir + "/device"); err == nil {
		d.BusDevice = target
		if drv, err := os.Readlink(target + "/driver"); err == nil {
			d.Driver = filepath.Base(drv)
		}
		for _, p := range []string{target + "/numa_node", filepath.Dir(target) + "/numa_node"} {
			a, err := readIntAttr(p, &buf)
			if err != nil {
				return d, err
			}
			if a.Present {
				d.NUMANode = Attr[int]{Value: int(a.Value), Present: true}
				break
			}
			if _, err := os.Stat(p); err == nil {
				break // present but -1: no node
			}
		}
	}
	if d.RxQueues, d.TxQueues, err = s.queues(dir+"/queues", &buf); err != nil {
		return d, err
	}
	return d, nil
}

// readIntAttr reads a signed attribute; a negative value (speed's
// SPEED_UNKNOWN, numa_node's NUMA_NO_NODE) counts as not present.
func readIntAttr(path string, buf *[]byte) (Attr[uint64], error) {
	b, ok, err := readAttr(path, *buf)
	*buf = b
	if !ok || err != nil {
		return Attr[uint64]{}, err
	}
	v, err := scan.Int(scan.TrimSpace(b))
	if err != nil {
		return Attr[uint64]{}, fmt.Errorf("nic: %s: %q: %w", path, scan.TrimSpace(b), errors.Join(ErrMalformed, err))
	}
	if v < 0 {
		return Attr[uint64]{}, nil
	}
	return Attr[uint64]{Value: uint64(v), Present: true}, nil
}

func readMaskAttr(path string, buf *[]byte) (Attr[procparse.CPUSet], error) {
	b, ok, err := readAttr(path, *buf)
	*buf = b
	if !ok || err != nil {
		return Attr[procparse.CPUSet]{}, err
	}
	var a Attr[procparse.CPUSet]
	if err := procparse.ParseCPUMask(b, &a.Value); err != nil {
		return a, fmt.Errorf("nic: %s: %w", path, err)
	}
	a.Present = true
	return a, nil
}

func (s SysFS) queues(dir string, buf *[]byte) ([]RxQueue, []TxQueue, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("nic: %w", err)
	}
	var rx []RxQueue
	var tx []TxQueue
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "rx-"):
			n, err := strconv.Atoi(name[3:])
			if err != nil {
				continue
			}
			q := RxQueue{Index: n}
			p := dir + "/" + name
			if q.RPSCPUs, err = readMaskAttr(p+"/rps_cpus", buf); err != nil {
				return nil, nil, err
			}
			if q.RPSFlowCnt, err = readUintAttr(p+"/rps_flow_cnt", buf); err != nil {
				return nil, nil, err
			}
			rx = append(rx, q)
		case strings.HasPrefix(name, "tx-"):
			n, err := strconv.Atoi(name[3:])
			if err != nil {
				continue
			}
			q, err := readTxQueue(dir+"/"+name, n, buf)
			if err != nil {
				return nil, nil, err
			}
			tx = append(tx, q)
		}
	}
	slices.SortFunc(rx, func(a, b RxQueue) int { return a.Index - b.Index })
	slices.SortFunc(tx, func(a, b TxQueue) int { return a.Index - b.Index })
	return rx, tx, nil
}

func readTxQueue(p string, n int, buf *[]byte) (TxQueue, error) {
	q := TxQueue{Index: n}
	var err error
	if q.XPSCPUs, err = readMaskAttr(p+"/xps_cpus", buf); err != nil {
		return q, err
	}
	if q.XPSRxQueues, err = readMaskAttr(p+"/xps_rxqs", buf); err != nil {
		return q, err
	}
	if q.TxMaxRate, err = readUintAttr(p+"/tx_maxrate", buf); err != nil {
		return q, err
	}
	if q.TxTimeout, err = readUintAttr(p+"/tx_timeout", buf); err != nil {
		return q, err
	}
	b, ok, err := readAttr(p+"/traffic_class", *buf)
	*buf = b
	if err != nil {
		return q, err
	}
	if ok {
		q.TrafficClass = Attr[string]{Value: string(scan.TrimSpace(b)), Present: true}
	}
	bql := p + "/byte_queue_limits"
	if _, err := os.Stat(bql); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return q, nil
		}
		return q, fmt.Errorf("nic: %w", err)
	}
	q.BQL.Present = true
	for _, f := range []struct {
		name string
		dst  *Attr[uint64]
	}{
		{"hold_time", &q.BQL.HoldTime}, {"inflight", &q.BQL.Inflight}, {"limit", &q.BQL.Limit},
		{"limit_max", &q.BQL.LimitMax}, {"limit_min", &q.BQL.LimitMin}, {"stall_thrs", &q.BQL.StallThrs},
		{"stall_cnt", &q.BQL.StallCnt}, {"stall_max", &q.BQL.StallMax},
	} {
		if *f.dst, err = readUintAttr(bql+"/"+f.name, buf); err != nil {
			return q, err
		}
	}
	return q, nil
}
