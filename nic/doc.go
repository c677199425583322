// Package nic reports what the first stage of the receive path and the last
// stage of the transmit path look like for each network device: link
// counters, per-device and per-queue sysfs settings, driver statistics and
// ring/channel/coalescing parameters from the ethtool ioctl, and which
// interrupts serve which queue on which CPUs.
//
// Three sources, each usable on its own:
//
//   - rtnetlink (Client.Links): one RTM_GETLINK dump returns every device
//     with the 24 counters of struct rtnl_link_stats64 (IFLA_STATS64) that
//     `ip -s -s link` prints, filled in by the kernel's dev_get_stats
//     (net/core/dev.c) from the driver's ndo_get_stats64. The dump runs on
//     internal/nl (the project's one netlink layer: deadlines, restarts on
//     NLM_F_DUMP_INTR, abandoned dumps, *netlink.OpError errors);
//     DecodeLinks decodes a captured dump's bytes the same way.
//   - sysfs (SysFS): /sys/class/net/DEV: speed, duplex, carrier, queues
//     rx-N and tx-N (RPS, XPS, BQL), and the same link counters in
//     statistics/* (net/core/net-sysfs.c). SysFS can be rooted at an offline
//     tree.
//   - the ethtool ioctl (Client.DriverInfo, Client.OpenStats, Client.Rings,
//     Client.Channels, Client.Coalesce): SIOCETHTOOL as in
//     net/ethtool/ioctl.c. Driver statistics (`ethtool -S`) exist only
//     there. The byte layouts are decoded by pure functions
//     (DecodeDriverInfo, DecodeRings, ...) that are fuzzed.
//
// Errors answer errors.Is: os.ErrNotExist for a missing device or file,
// os.ErrPermission, and errors.ErrUnsupported when the driver lacks the
// operation (lo has no ethtool operations; veth has no ring parameters).
// One failing operation never spoils the others. After Close, calls fail
// with an error wrapping nl.ErrClosed (errors.Is matches net.ErrClosed).
//
// # Network namespaces
//
// Open with Config.NetNS set to a namespace file (/var/run/netns/NAME or
// /proc/PID/ns/net): the rtnetlink and ethtool sockets are created inside
// that namespace and keep addressing it. sysfs is different: a sysfs mount
// lists the devices of the network namespace of the thread that mounted it,
// whoever reads it. To read another namespace's sysfs, mount a sysfs from a
// thread inside that namespace (mount("sysfs", dir, "sysfs", MS_RDONLY)
// after setns, as the package's namespace test does; `ip netns exec` does
// the same privately for the command it runs) and pass dir as
// Config.SysRoot. Otherwise the sysfs methods answer for the namespace
// whose sysfs is mounted at /sys.
package nic
