package netstack

import (
	"context"

	"github.com/packetpath/packetpath/procparse"
)

// sysctlSource reads the path's sysctls. Each present sysctl becomes a
// gauge counter named as sysctl(8) names it, which the diagnosis quotes as
// the value in force.
type sysctlSource struct {
	r *procparse.SysctlsReader
	// machine, when the collector looks into another namespace, reads the
	// sysctls in the caller's namespace. The kernel registers the
	// machine-wide ones (net.core.netdev_budget*, dev_weight*,
	// netdev_max_backlog, busy_poll/read, default_qdisc, flow_limit and
	// rps tables, net.ipv4.udp_mem) in the initial namespace only, so a
	// non-initial namespace shows none of them although they are in force
	// there. When the caller can see them, they are its namespace's values,
	// which are the machine's.
	machine    *procparse.SysctlsReader
	machineBuf procparse.Sysctls
}

func openSysctlSource(fs procparse.FS) (*sysctlSource, error) {
	r, err := fs.SysctlsReader()
	if err != nil {
		return nil, err
	}
	return &sysctlSource{r: r}, nil
}

func (s *sysctlSource) kind() Source { return SourceSysctls }

func (s *sysctlSource) collect(_ context.Context, snap *Snapshot) error {
	d := &snap.Sources.Sysctls
	err := s.r.Read(d)
	if s.machine != nil {
		// Errors of the caller's files concern another namespace: a
		// sysctl that cannot be read there stays absent.
		_ = s.machine.Read(&s.machineBuf)
		fillMachineWide(d, &s.machineBuf)
	}
	appendSysctls(snap, d)
	return err
}

// fillMachineWide copies into d the machine-wide sysctls d lacks and m has.
func fillMachineWide(d, m *procparse.Sysctls) {
	for _, p := range [...]struct{ d, m *procparse.SysctlInt }{
		{&d.NetdevBudget, &m.NetdevBudget},
		{&d.NetdevBudgetUsecs, &m.NetdevBudgetUsecs},
		{&d.DevWeight, &m.DevWeight},
		{&d.DevWeightRxBias, &m.DevWeightRxBias},
		{&d.DevWeightTxBias, &m.DevWeightTxBias},
		{&d.NetdevMaxBacklog, &m.NetdevMaxBacklog},
		{&d.BusyPoll, &m.BusyPoll},
		{&d.BusyRead, &m.BusyRead},
		{&d.FlowLimitTableLen, &m.FlowLimitTableLen},
		{&d.RPSSockFlowEntries, &m.RPSSockFlowEntries},
	} {
		if !p.d.Present && p.m.Present {
			*p.d = *p.m
		}
	}
	if !d.DefaultQdisc.Present && m.DefaultQdisc.Present {
		d.DefaultQdisc = m.DefaultQdisc
	}
	if !d.UDPMem.Present && m.UDPMem.Present {
		d.UDPMem = m.UDPMem
	}
}

func (s *sysctlSource) close() error {
	if s.machine != nil {
		s.machine.Close()
	}
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
	if d.UDPMem.Present {
		add("net.ipv4.udp_mem.min", procparse.SysctlInt{Value: d.UDPMem.Min, Present: true}, StageSocket)
		add("net.ipv4.udp_mem.pressure", procparse.SysctlInt{Value: d.UDPMem.Pressure, Present: true}, StageSocket)
		add("net.ipv4.udp_mem.max", procparse.SysctlInt{Value: d.UDPMem.Max, Present: true}, StageSocket)
	}
}
