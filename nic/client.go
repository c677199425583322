package nic

// Config configures Open.
type Config struct {
	// NetNS is the network namespace to work in, as a namespace file
	// (/var/run/netns/NAME or /proc/PID/ns/net). Empty means the caller's
	// namespace. The rtnetlink and ethtool sockets are created inside it.
	NetNS string
	// SysRoot is where sysfs is mounted ("/sys" when empty). For another
	// namespace's devices, pass a sysfs mounted from inside that namespace;
	// for offline analysis, a fixture tree laid out like /sys.
	SysRoot string
	// ProcRoot is where procfs is mounted ("/proc" when empty), used for
	// /proc/interrupts and /proc/irq (which are not per namespace).
	ProcRoot string
}

func (o Config) sysRoot() string {
	if o.SysRoot == "" {
		return "/sys"
	}
	return o.SysRoot
}

func (o Config) procRoot() string {
	if o.ProcRoot == "" {
		return "/proc"
	}
	return o.ProcRoot
}
