package netstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// DeviceData is what the ethtool ioctl and sysfs say about one device.
type DeviceData struct {
	Name  string `json:"name"`
	Index int32  `json:"index"`

	// Driver is `ethtool -i`; HasDriver is false when the device has no
	// ethtool operations (lo) or the source is off.
	Driver    nic.DriverInfo `json:"driver"`
	HasDriver bool           `json:"has_driver"`
	// StatNames and StatValues are `ethtool -S`, in driver order.
	StatNames  []string `json:"stat_names,omitempty"`
	StatValues []uint64 `json:"stat_values,omitempty"`
	// Rings is `ethtool -g`, Channels `ethtool -l`.
	Rings       nic.Rings    `json:"rings"`
	HasRings    bool         `json:"has_rings"`
	Channels    nic.Channels `json:"channels"`
	HasChannels bool         `json:"has_channels"`

	// Sysfs is /sys/class/net/DEV (queues with RPS, XPS, BQL).
	Sysfs    nic.Device `json:"sysfs"`
	HasSysfs bool       `json:"has_sysfs"`
	// IRQs are the interrupts serving the device's queues, with affinity.
	IRQs []nic.QueueIRQ `json:"irqs,omitempty"`
}

// devState is the per-device state a devicesSource keeps between
// collections: the open statistics reader and the static driver info.
type devState struct {
	index    int32
	stats    *nic.Stats
	statsErr error
	drv      nic.DriverInfo
	drvErr   error
	ringErr  error
	chanErr  error
	seen     bool
	irqs     []nic.QueueIRQ
	irqsRead bool
	irqErr   error
	sysfs    *sysfsDevice
	sysfsErr error
	// stages and queues cache the stage and the queue label of each driver
	// statistic (by its name), so that re-reads do not parse the names
	// again.
	stages []Stage
	queues []string
}

func (st *devState) close() {
	if st.stats != nil {
		st.stats.Close()
	}
	if st.sysfs != nil {
		st.sysfs.close()
	}
}

// devicesSource dumps the links (rtnetlink) and, per device, the ethtool
// data and sysfs queues. It answers for SourceLinks, SourceEthtool and
// SourceDevices, whichever are selected.
type devicesSource struct {
	c    *Collector
	nic  *nic.Client
	proc procparse.FS
	want Source
	devs map[string]*devState
}

func (s *devicesSource) kind() Source { return s.want & (SourceLinks | SourceEthtool | SourceDevices) }

func (c *Collector) openDeviceSources(fs procparse.FS) []source {
	want := c.cfg.Sources & (SourceLinks | SourceEthtool | SourceDevices)
	var out []source
	if want != 0 {
		cl, err := nic.Open(nic.Config{SysRoot: c.cfg.SysRoot, ProcRoot: c.cfg.ProcRoot})
		if err != nil {
			out = append(out, failedSource{want, err})
		} else {
			out = append(out, &devicesSource{c: c, nic: cl, proc: fs, want: want, devs: map[string]*devState{}})
		}
	}
	if c.cfg.Sources&SourceQdisc != 0 {
		out = append(out, openQdiscSource(c))
	}
	if c.cfg.Sources&SourceUDP != 0 {
		out = append(out, openUDPSource(c))
	}
	return out
}

func isUnsupported(err error) bool {
	return errors.Is(err, errors.ErrUnsupported) || errors.Is(err, os.ErrNotExist)
}

func (s *devicesSource) collect(ctx context.Context, snap *Snapshot) error {
	d := &snap.Sources
	links, err := s.nic.Links(ctx, d.Links[:0])
	d.Links = links
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	if s.c.cfg.Devices != nil {
		s.c.reportMissing(snap, links)
	}
	if s.want&SourceLinks != 0 {
		appendLinks(snap, links, s.c.device)
	}
	if s.want&(SourceEthtool|SourceDevices) == 0 {
		return nil
	}
	for _, st := range s.devs {
		st.seen = false
	}
	for i := range links {
		l := &links[i]
		if !s.c.device(l.Name) {
			continue
		}
		st := s.devs[l.Name]
		if st == nil || st.index != l.Index {
			if st != nil {
				st.close()
			}
			st = &devState{index: l.Index}
			s.devs[l.Name] = st
		}
		st.seen = true
		var dd *DeviceData
		d.Devices, dd = reuse.Next(d.Devices)
		dd.Name, dd.Index = l.Name, l.Index
		if s.want&SourceEthtool != 0 {
			s.ethtool(snap, l, st, dd)
		}
		if s.want&SourceDevices != 0 {
			s.sysfs(snap, l, st, dd)
		}
	}
	for name, st := range s.devs {
		if !st.seen {
			st.close()
			delete(s.devs, name)
		}
	}
	return nil
}

func (s *devicesSource) ethtool(snap *Snapshot, l *nic.Link, st *devState, dd *DeviceData) {
	if st.stats == nil && st.statsErr == nil {
		st.drv, st.drvErr = s.nic.DriverInfo(l.Name)
		st.stats, st.statsErr = s.nic.OpenStats(l.Name)
	}
	dd.HasDriver = st.drvErr == nil
	dd.Driver = st.drv
	if st.drvErr != nil && !isUnsupported(st.drvErr) {
		snap.addErr(SourceEthtool, l.Name, st.drvErr)
	}
	dd.StatNames = dd.StatNames[:0]
	dd.StatValues = dd.StatValues[:0]
	if st.stats != nil {
		vals, err := st.stats.Read(dd.StatValues[:0])
		if errors.Is(err, nic.ErrStatsChanged) {
			st.stats.Close()
			st.stats, st.statsErr = s.nic.OpenStats(l.Name)
			if st.stats != nil {
				vals, err = st.stats.Read(dd.StatValues[:0])
			}
		}
		if err != nil {
			snap.addErr(SourceEthtool, l.Name, err)
		} else if st.stats != nil {
			dd.StatValues = vals
			dd.StatNames = st.stats.Names()
			if len(st.stages) != len(dd.StatNames) || len(st.queues) != len(dd.StatNames) {
				st.stages = statStages(dd.StatNames, st.stages[:0])
				st.queues = statQueues(dd.StatNames, st.queues[:0])
			}
		}
	} else if st.statsErr != nil && !isUnsupported(st.statsErr) {
		snap.addErr(SourceEthtool, l.Name, st.statsErr)
	}
	if st.ringErr == nil {
		var err error
		dd.Rings, err = s.nic.Rings(l.Name)
		dd.HasRings = err == nil
		if isUnsupported(err) {
			st.ringErr = err // not asked again for this device
		} else if err != nil {
			snap.addErr(SourceEthtool, l.Name, err)
		}
	}
	if st.chanErr == nil {
		var err error
		dd.Channels, err = s.nic.Channels(l.Name)
		dd.HasChannels = err == nil
		if isUnsupported(err) {
			st.chanErr = err
		} else if err != nil {
			snap.addErr(SourceEthtool, l.Name, err)
		}
	}
	appendEthtoolQueues(snap, dd, uint64(uint32(l.Index)), st.stages, st.queues)
}

// statStages places each driver statistic on the path by its name: transmit
// queue and tx_* statistics on the driver's transmit side, the rest on the
// NIC's receive side. Transmit queues come from the whole string table
// (nic.QueueStats): vmxnet3's per-queue names say their direction only by
// the "Tx Queue#" block they follow.
func statStages(names []string, dst []Stage) []Stage {
	start := len(dst)
	for _, name := range names {
		stage := StageNIC
		if strings.HasPrefix(name, "tx") {
			stage = StageTxDriver
		}
		dst = append(dst, stage)
	}
	for _, q := range nic.QueueStats(names, nil) {
		if q.Dir == nic.DirTx {
			dst[start+q.Index] = StageTxDriver
		}
	}
	return dst
}

// statQueues labels each driver statistic with the queue it belongs to
// (nic.QueueStats), "" for a device-wide one: "rx-N" or "tx-N" as sysfs
// names the device's queues, "queue-N" for a channel or ring whose name
// says no direction, "xdp-N" for a driver's XDP transmit ring and
// "xdp-cpu-N" for a per-CPU XDP transmit queue.
func statQueues(names []string, dst []string) []string {
	start := len(dst)
	for range names {
		dst = append(dst, "")
	}
	for _, q := range nic.QueueStats(names, nil) {
		var prefix string
		switch {
		case q.Kind == nic.QueueXDPCPU:
			prefix = "xdp-cpu-"
		case q.Kind == nic.QueueXDP:
			prefix = "xdp-"
		case q.Dir == nic.DirRx:
			prefix = "rx-"
		case q.Dir == nic.DirTx:
			prefix = "tx-"
		default:
			prefix = "queue-"
		}
		if q.Index >= 0 && q.Index < len(names) {
			dst[start+q.Index] = prefix + strconv.Itoa(q.Queue)
		}
	}
	return dst
}

// appendEthtool flattens one device's driver statistics, rings and
// channels. stages holds each statistic's stage (statStages); nil computes
// them.
func appendEthtool(snap *Snapshot, dd *DeviceData, gen uint64, stages []Stage) {
	appendEthtoolQueues(snap, dd, gen, stages, nil)
}

// appendEthtoolQueues is appendEthtool with each statistic's queue label
// (statQueues); nil computes them.
//
// A driver statistic's Index is its position in the driver's string table
// (ETH_SS_STATS), which stays the same while the device exists (a table
// that changes is re-read as a whole, and a re-created device has a new
// ifindex, the Gen): drivers repeat names in every queue block (vmxnet3's
// "drv dropped rx total" once per receive queue, even twice in one block:
// "giant hdr"), so the name alone does not tell the counters apart. Label
// is the statistic's queue ("rx-0", statQueues), "" for a device-wide one.
// The ring and channel gauges have Index -1 and the driver as Label.
func appendEthtoolQueues(snap *Snapshot, dd *DeviceData, gen uint64, stages []Stage, queues []string) {
	if len(stages) != len(dd.StatNames) {
		stages = statStages(dd.StatNames, nil)
	}
	if len(queues) != len(dd.StatNames) {
		queues = statQueues(dd.StatNames, nil)
	}
	for i, name := range dd.StatNames {
		if i >= len(dd.StatValues) {
			break
		}
		snap.next().set(SourceEthtool, stages[i], 64, false, int64(i), dd.StatValues[i], gen, dd.Name, name, queues[i])
	}
	gauge := func(id counterID, v uint32) { snap.put(id, -1, uint64(v), gen, dd.Name, dd.Driver.Driver) }
	if dd.HasRings {
		gauge(cEthtoolRingRx, dd.Rings.Rx)
		gauge(cEthtoolRingRxMax, dd.Rings.RxMax)
		gauge(cEthtoolRingTx, dd.Rings.Tx)
		gauge(cEthtoolRingTxMax, dd.Rings.TxMax)
	}
	if dd.HasChannels {
		gauge(cEthtoolChannelsCombined, dd.Channels.Combined)
		gauge(cEthtoolChannelsMaxCombined, dd.Channels.MaxCombined)
		gauge(cEthtoolChannelsRx, dd.Channels.Rx)
		gauge(cEthtoolChannelsTx, dd.Channels.Tx)
	}
}

func (s *devicesSource) sysfs(snap *Snapshot, l *nic.Link, st *devState, dd *DeviceData) {
	if st.sysfs == nil && st.sysfsErr == nil {
		st.sysfs, st.sysfsErr = openSysfsDevice(s.nic.SysFS(), s.c.cfg.SysRoot, l.Name)
	}
	dd.HasSysfs = st.sysfs != nil
	if st.sysfs != nil {
		if err := st.sysfs.refresh(); err != nil {
			snap.addErr(SourceDevices, l.Name, err)
		}
		st.sysfs.copyTo(&dd.Sysfs)
	} else if !errors.Is(st.sysfsErr, os.ErrNotExist) {
		snap.addErr(SourceDevices, l.Name, st.sysfsErr)
	}
	// IRQs and their affinity change rarely: read them once per device.
	if !st.irqsRead {
		st.irqs, st.irqErr = nic.DeviceIRQs(s.nic.SysFS(), s.proc, l.Name)
		st.irqsRead = true
	}
	dd.IRQs = st.irqs
	if st.irqErr != nil && !errors.Is(st.irqErr, os.ErrNotExist) {
		snap.addErr(SourceDevices, l.Name, st.irqErr)
	}
	if dd.HasSysfs {
		appendSysfs(snap, dd, uint64(uint32(l.Index)))
	}
}

// appendSysfs flattens per-queue transmit timeouts and BQL state.
func appendSysfs(snap *Snapshot, dd *DeviceData, gen uint64) {
	for i := range dd.Sysfs.TxQueues {
		q := &dd.Sysfs.TxQueues[i]
		idx := int64(q.Index)
		add := func(name string, a nic.Attr[uint64], gauge bool) {
			if a.Present {
				snap.next().set(SourceDevices, StageTxDriver, 64, gauge, idx, a.Value, gen, dd.Name, name, "")
			}
		}
		add(DeviceTxTimeout, q.TxTimeout, false)
		if q.BQL.Present {
			add(DeviceBQLStallCnt, q.BQL.StallCnt, false)
			add("bql.limit", q.BQL.Limit, true)
			add("bql.inflight", q.BQL.Inflight, true)
			add("bql.stall_max", q.BQL.StallMax, true)
		}
	}
}

func (s *devicesSource) close() error {
	for _, st := range s.devs {
		st.close()
	}
	return s.nic.Close()
}
