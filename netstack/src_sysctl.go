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
	err := s.r.Read(&snap.Sources.Sysctls)
	appendSysctls(snap, &snap.Sources.Sysctls)
	return err
}

func (s *sysctlSource) close() error { return s.r.Close() }

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
