package netstack

// findUDP returns the delta of the UDP-table counter name of the only socket
// bound to object, whatever its inode (Counter.Index); nil when no socket or
// several sockets have that address.
func findUDP(d *Delta, object, name string) *CounterDelta {
	var found *CounterDelta
	for i := range d.Counters {
		c := &d.Counters[i]
		if c.Source == SourceUDP && c.Object == object && c.Name == name {
			if found != nil {
				return nil
			}
			found = c
		}
	}
	return found
}
