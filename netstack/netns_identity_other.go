//go:build !linux

package netstack

// nsIdentity checks that Config.NetNS still names the namespace a
// Collector opened. Namespaces are a Linux feature: on this system no
// namespace is ever opened, so there is nothing to check.
type nsIdentity struct{}

// openNSIdentity returns nil: the collector then does not check.
func openNSIdentity(string) *nsIdentity { return nil }

func (id *nsIdentity) check(*Snapshot) {}
