package procparse

import (
	"net"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// DevMcast is /proc/net/dev_mcast: the link-layer multicast addresses each
// interface's receive filter accepts (dev->mc list). Joining an IP group
// adds its MAC mapping here (01:00:5e:... for IPv4, 33:33:... for IPv6);
// a NIC drops frames to multicast MACs missing here unless it is in
// allmulti or promiscuous mode.
//
// Printed by net/core/net-procfs.c dev_mc_seq_show as
// "%-4d %-15s %-5d %-5d %*phN" (ifindex, name, refcount, global_use,
// address in hex without separators). Seen unchanged from 2.6 to 6.18.
type DevMcast struct {
	Addrs []DevMcastAddr
}

// DevMcastAddr is one entry of an interface's multicast list.
type DevMcastAddr struct {
	// Index and Device name the interface.
	Index  int
	Device string
	// Refcount is how many users added the address.
	Refcount int
	// Global is true when added by a global (dev_mc_add_global) user.
	Global bool
	// Addr is the link-layer address (dev->addr_len bytes).
	Addr net.HardwareAddr
}

// ParseDevMcast parses /proc/net/dev_mcast into dst, reusing its slices and
// strings. The format (net/core/net-procfs.c dev_mc_seq_show; seen on
// 6.18) is described at [DevMcast]. The file name in errors is "dev_mcast".
func ParseDevMcast(b []byte, dst *DevMcast) error {
	const file = "dev_mcast"
	dst.Addrs = dst.Addrs[:0]
	var fields [6][]byte
	rest := b
	for lineNo := 1; len(rest) > 0; lineNo++ {
		var line []byte
		line, rest = scan.Line(rest)
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		f := scan.Fields(line, fields[:0])
		if len(f) != 5 {
			return malformed(file, lineNo, nil, "%d fields, want 5", len(f))
		}
		var a *DevMcastAddr
		dst.Addrs, a = reuse.Next(dst.Addrs)
		idx, err := parseIndex(f[0])
		if err != nil {
			return malformed(file, lineNo, err, "ifindex %q", f[0])
		}
		a.Index = idx
		a.Device = scan.String(a.Device, f[1])
		ref, err := scan.Int(f[2])
		if err != nil {
			return malformed(file, lineNo, err, "refcount %q", f[2])
		}
		a.Refcount = int(ref)
		global, err := scan.Int(f[3])
		if err != nil {
			return malformed(file, lineNo, err, "global_use %q", f[3])
		}
		a.Global = global != 0
		hw := f[4]
		if len(hw)%2 != 0 {
			return malformed(file, lineNo, nil, "address %q has an odd number of hex digits", hw)
		}
		a.Addr = a.Addr[:0]
		for i := 0; i < len(hw); i += 2 {
			v, err := scan.Hex(hw[i : i+2])
			if err != nil {
				return malformed(file, lineNo, err, "address %q", hw)
			}
			a.Addr = append(a.Addr, byte(v))
		}
	}
	return nil
}

// DevMcast reads /proc/net/dev_mcast once.
func (fs FS) DevMcast() (DevMcast, error) {
	return readOnce(fs.NetPath("dev_mcast"), ParseDevMcast)
}

// DevMcastReader opens /proc/net/dev_mcast for repeated reads.
func (fs FS) DevMcastReader() (*Reader[DevMcast], error) {
	return openReader(fs.NetPath("dev_mcast"), ParseDevMcast)
}
