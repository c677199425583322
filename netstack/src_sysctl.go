package netstack

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/internal/scan"
	"github.com/packetpath/packetpath/procparse"
)

// sysctlSource reads the path's sysctls. Each present sysctl becomes a
// gauge counter named as sysctl(8) names it, which the diagnosis quotes as
// the value in force.
type sysctlSource struct {
	r *procparse.SysctlsReader
	// machine, when the collector looks into another namespace, reads in
	// the caller's namespace the sysctls that namespace lacks. The kernel
	// registers the machine-wide ones in the initial namespace only (on
	// 6.18: net.core.netdev_budget*, dev_weight*, netdev_max_backlog,
	// busy_poll/read, default_qdisc, the flow_limit and rps tables and
	// net.ipv4.udp_mem; before 6.9 optmem_max too, and rmem_*/wmem_* on
	// kernels where they are not per namespace), so a non-initial namespace
	// shows none of them although they are in force there. When the caller
	// can see them, they are its namespace's values, which are the
	// machine's.
	machine    *procparse.SysctlsReader
	machineBuf procparse.Sysctls
	// rpFilter holds net.ipv4.conf.<dev>.rp_filter of each device listed
	// in /proc/sys/net/ipv4/conf when the source was opened (in the
	// collector's namespace), opened once and re-read.
	rpFilter []devSysctl
}

// devSysctl is one per-device sysctl file; dev is the device's name, the
// counter's Object.
type devSysctl struct {
	dev string
	f   *readfile.File
}

// sysctlRPFilterDev names the per-device rp_filter counters; their Object
// is the device.
const sysctlRPFilterDev = "net.ipv4.conf.<iface>.rp_filter"

// openRPFilters opens net.ipv4.conf.<dev>.rp_filter for every device of
// /proc/sys/net/ipv4/conf but "all" and "default". A tree without the
// directory or a device without the file has none: not an error.
func openRPFilters(fs procparse.FS) ([]devSysctl, error) {
	dir := fs.Path("sys", "net", "ipv4", "conf")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netstack: sysctl devices: %w", err)
	}
	var out []devSysctl
	for _, e := range ents {
		if n := e.Name(); n == "all" || n == "default" {
			continue
		}
		f, err := readfile.Open(fs.Path("sys", "net", "ipv4", "conf", e.Name(), "rp_filter"))
		if err != nil {
			continue // not reported for this device
		}
		out = append(out, devSysctl{dev: e.Name(), f: f})
	}
	return out, nil
}

func openSysctlSource(fs procparse.FS) (*sysctlSource, error) {
	r, err := fs.SysctlsReader()
	if err != nil {
		return nil, err
	}
	rp, err := openRPFilters(fs)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &sysctlSource{r: r, rpFilter: rp}, nil
}

func (s *sysctlSource) kind() Source { return SourceSysctls }

// collect reads every sysctl. One that fails to read is marked absent in
// the typed data (procparse.SysctlsReader.Read) and its error recorded; the
// others are still reported.
func (s *sysctlSource) collect(_ context.Context, snap *Snapshot) error {
	d := &snap.Sources.Sysctls
	err := s.r.Read(d)
	if s.machine != nil {
		// Errors of the caller's files concern another namespace: a
		// sysctl that cannot be read there stays absent.
		_ = s.machine.Read(&s.machineBuf)
		d.FillAbsent(&s.machineBuf)
	}
	appendSysctls(snap, d)
	if err != nil {
		snap.addErr(SourceSysctls, "", err)
	}
	for _, ds := range s.rpFilter {
		// A device removed since open fails to read: not reported.
		b, err := ds.f.Read()
		if err != nil {
			continue
		}
		v, err := scan.Int(scan.TrimSpace(b))
		if err != nil || v < 0 {
			snap.addErr(SourceSysctls, ds.dev, fmt.Errorf("netstack: %s: value %q: %w", ds.f.Path(), scan.TrimSpace(b), procparse.ErrMalformed))
			continue
		}
		snap.next().set(SourceSysctls, StageIP, 64, true, -1, uint64(v), 0, ds.dev, sysctlRPFilterDev, "")
	}
	return nil
}

func (s *sysctlSource) close() error {
	if s.machine != nil {
		s.machine.Close()
	}
	for _, ds := range s.rpFilter {
		ds.f.Close()
	}
	s.rpFilter = nil
	return s.r.Close()
}

func appendSysctls(snap *Snapshot, d *procparse.Sysctls) {
	add := func(name string, v procparse.SysctlInt, stage Stage) {
		if v.Present && v.Value >= 0 {
			snap.next().set(SourceSysctls, stage, 64, true, -1, uint64(v.Value), 0, "", name, "")
		}
	}
	add("net.core.netdev_budget", d.NetdevBudget, StageSoftirq)
	add("net.core.netdev_budget_usecs", d.NetdevBudgetUsecs, StageSoftirq)
	add("net.core.dev_weight", d.DevWeight, StageSoftirq)
	add("net.core.dev_weight_rx_bias", d.DevWeightRxBias, StageSoftirq)
	add("net.core.dev_weight_tx_bias", d.DevWeightTxBias, StageSoftirq)
	add("net.core.netdev_max_backlog", d.NetdevMaxBacklog, StageSoftirq)
	add("net.core.flow_limit_table_len", d.FlowLimitTableLen, StageSoftirq)
	add("net.core.rps_sock_flow_entries", d.RPSSockFlowEntries, StageSoftirq)
	add("net.core.rmem_default", d.RmemDefault, StageSocket)
	add("net.core.rmem_max", d.RmemMax, StageSocket)
	add("net.core.wmem_default", d.WmemDefault, StageTxSocket)
	add("net.core.wmem_max", d.WmemMax, StageTxSocket)
	add("net.core.optmem_max", d.OptmemMax, StageSocket)
	add("net.core.busy_poll", d.BusyPoll, StageApplication)
	add("net.core.busy_read", d.BusyRead, StageApplication)
	add("net.ipv4.udp_rmem_min", d.UDPRmemMin, StageSocket)
	add("net.ipv4.udp_wmem_min", d.UDPWmemMin, StageTxSocket)
	add("net.ipv4.igmp_max_memberships", d.IGMPMaxMemberships, StageIP)
	add("net.ipv4.ipfrag_high_thresh", d.IPFragHighThresh, StageIP)
	add("net.ipv4.ipfrag_time", d.IPFragTime, StageIP)
	add("net.ipv4.conf.all.rp_filter", d.RPFilterAll, StageIP)
	if d.UDPMem.Present {
		add("net.ipv4.udp_mem.min", procparse.SysctlInt{Value: d.UDPMem.Min, Present: true}, StageSocket)
		add("net.ipv4.udp_mem.pressure", procparse.SysctlInt{Value: d.UDPMem.Pressure, Present: true}, StageSocket)
		add("net.ipv4.udp_mem.max", procparse.SysctlInt{Value: d.UDPMem.Max, Present: true}, StageSocket)
	}
}
