package procparse

import (
	"net/netip"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// IGMP6 is /proc/net/igmp6: the IPv6 multicast groups (MLD memberships)
// joined on each interface of the network namespace, one line per group.
//
// Printed by net/ipv6/mcast.c igmp6_mc_seq_show as
// "%-4d %-15s %pi6 %5d %08X %ld" (ifindex, name, address as 32 hex digits,
// users, flags, timer). Seen unchanged from 2.6 to 6.18. Absent when IPv6
// is disabled.
type IGMP6 struct {
	Groups []IGMP6Group
}

// Flags of an IGMP6Group (MAF_* in include/net/if_inet6.h).
const (
	IGMP6TimerRunning = 0x01 // MAF_TIMER_RUNNING: a report is scheduled
	IGMP6LastReporter = 0x02 // MAF_LAST_REPORTER: this host sent the last report
	IGMP6Loaded       = 0x04 // MAF_LOADED: the address is programmed into the device
	IGMP6NoReport     = 0x08 // MAF_NOREPORT: never reported (ff02::1, link-local scope)
	IGMP6GSQuery      = 0x10 // MAF_GSQUERY: answering a group-specific query
)

// IGMP6Group is one joined IPv6 group (struct ifmcaddr6).
type IGMP6Group struct {
	// Index and Device name the interface.
	Index  int
	Device string
	// Group is the multicast address.
	Group netip.Addr
	// Users is how many joins hold the group.
	Users int
	// Flags holds the IGMP6* bits.
	Flags uint32
	// Timer is the time until the next report in clock ticks (USER_HZ),
	// 0 unless Flags has IGMP6TimerRunning.
	Timer int64
}

// Joined reports whether group is joined on the named interface.
func (m *IGMP6) Joined(device string, group netip.Addr) bool {
	for _, g := range m.Groups {
		if g.Device == device && g.Group == group {
			return true
		}
	}
	return false
}

// ParseIGMP6 parses /proc/net/igmp6 into dst, reusing its slices and
// strings. The format (net/ipv6/mcast.c igmp6_mc_seq_show; seen on 6.18)
// is described at [IGMP6]. The file name in errors is "igmp6".
func ParseIGMP6(b []byte, dst *IGMP6) error {
	const file = "igmp6"
	dst.Groups = dst.Groups[:0]
	var fields [7][]byte
	rest := b
	for lineNo := 1; len(rest) > 0; lineNo++ {
		var line []byte
		line, rest = scan.Line(rest)
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		f := scan.Fields(line, fields[:0])
		if len(f) != 6 {
			return malformed(file, lineNo, nil, "%d fields, want 6", len(f))
		}
		var g *IGMP6Group
		dst.Groups, g = reuse.Next(dst.Groups)
		idx, err := parseIndex(f[0])
		if err != nil {
			return malformed(file, lineNo, err, "ifindex %q", f[0])
		}
		g.Index = idx
		g.Device = scan.String(g.Device, f[1])
		addr, err := parseHexAddr16(f[2])
		if err != nil {
			return malformed(file, lineNo, err, "address %q is not 32 hex digits", f[2])
		}
		g.Group = addr
		users, err := scan.Int(f[3])
		if err != nil {
			return malformed(file, lineNo, err, "users %q", f[3])
		}
		g.Users = int(users)
		flags, err := scan.Hex(f[4])
		if err != nil || flags > 1<<32-1 {
			return malformed(file, lineNo, err, "flags %q", f[4])
		}
		g.Flags = uint32(flags)
		if g.Timer, err = scan.Int(f[5]); err != nil {
			return malformed(file, lineNo, err, "timer %q", f[5])
		}
	}
	return nil
}

// parseHexAddr16 parses an IPv6 address printed by %pi6 (32 hex digits,
// network byte order, no colons).
func parseHexAddr16(b []byte) (netip.Addr, error) {
	if len(b) != 32 {
		return netip.Addr{}, scan.ErrSyntax
	}
	var a [16]byte
	for i := range a {
		v, err := scan.Hex(b[2*i : 2*i+2])
		if err != nil {
			return netip.Addr{}, err
		}
		a[i] = byte(v)
	}
	return netip.AddrFrom16(a), nil
}

// IGMP6 reads /proc/net/igmp6 once. The error wraps os.ErrNotExist when
// IPv6 is disabled.
func (fs FS) IGMP6() (IGMP6, error) {
	return readOnce(fs.NetPath("igmp6"), ParseIGMP6)
}

// IGMP6Reader opens /proc/net/igmp6 for repeated reads.
func (fs FS) IGMP6Reader() (*Reader[IGMP6], error) {
	return openReader(fs.NetPath("igmp6"), ParseIGMP6)
}
