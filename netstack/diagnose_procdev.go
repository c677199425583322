package netstack

// backlogProcDrop returns the /proc/net/dev drop columns (rx_dropped +
// rx_missed_errors) that the CPUs' backlog drops account for, by the rule
// of backlogRxDropped: enqueue_to_backlog counts a dropped packet in the
// device's rx_dropped as well, which the drop column includes. It applies
// only when no rx_dropped counter took the backlog drops already.
func (g diag) backlogProcDrop() []*CounterDelta {
	if len(g.backlogDevs) > 0 {
		return nil
	}
	return g.backlogFold(ProcNetDevRxDrop)
}
