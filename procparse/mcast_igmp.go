package procparse

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// IGMP is /proc/net/igmp: the IPv4 multicast groups joined on each
// interface of the network namespace. A datagram to a group is delivered
// only on an interface where the group is joined (unless the interface is
// promiscuous or allmulti), so a receiver that gets nothing is first
// checked here.
//
// Printed by net/ipv4/igmp.c igmp_mc_seq_show: a header line, then for each
// interface with at least one group a line "%d\t%-10s: %5d %7s" (ifindex,
// name, mc_count, querier version) followed by one line per group,
// "\t\t\t\t%08X %5d %d:%08lX\t\t%d" (address, users, timer running, timer,
// reporter). Seen unchanged from 2.6 to 6.18.
type IGMP struct {
	Interfaces []IGMPInterface
}

// IGMPInterface is one interface and its IPv4 groups.
type IGMPInterface struct {
	// Index is the interface index (ifindex).
	Index int
	// Name is the interface name.
	Name string
	// Count is the kernel's count of groups on the interface
	// (in_device.mc_count); normally len(Groups).
	Count int
	// Querier is the IGMP version the interface speaks: "V3", or "V2" /
	// "V1" while an older querier has been heard on the link.
	Querier string
	// Groups holds the joined groups in kernel list order.
	Groups []IGMPGroup
}

// IGMPGroup is one joined IPv4 group (struct ip_mc_list).
type IGMPGroup struct {
	// Group is the multicast address.
	Group netip.Addr
	// Raw is the address exactly as printed: the big-endian address read
	// as a host-order integer (%08X of a __be32), e.g. 010000E0 for
	// 224.0.0.1 on a little-endian machine. Group decodes it in the byte
	// order of the machine that parses; a capture from a host of the other
	// byte order must be decoded from Raw.
	Raw uint32
	// Users is how many joins hold the group (sockets, or the kernel for
	// 224.0.0.1).
	Users int
	// TimerRunning is true while a report is scheduled.
	TimerRunning bool
	// Timer is the time until that report in clock ticks (USER_HZ, 100
	// per second), 0 when not running.
	Timer uint64
	// Reporter is true when this host sent the last report for the group.
	Reporter bool
}

// Interface returns the named interface, or nil when it has no groups.
func (m *IGMP) Interface(name string) *IGMPInterface {
	for i := range m.Interfaces {
		if m.Interfaces[i].Name == name {
			return &m.Interfaces[i]
		}
	}
	return nil
}

// Joined reports whether group is joined on the named interface.
func (m *IGMP) Joined(name string, group netip.Addr) bool {
	ifc := m.Interface(name)
	if ifc == nil {
		return false
	}
	for _, g := range ifc.Groups {
		if g.Group == group {
			return true
		}
	}
	return false
}

// ParseIGMP parses /proc/net/igmp into dst, reusing its slices and strings.
// The format (net/ipv4/igmp.c igmp_mc_seq_show; seen on 6.18) is
// described at [IGMP]. The file name in errors is "igmp".
func ParseIGMP(b []byte, dst *IGMP) error {
	const file = "igmp"
	dst.Interfaces = dst.Interfaces[:0]
	line, rest := scan.Line(b)
	if first, _ := scan.Field(line); !scan.Equal(first, "Idx") {
		return malformed(file, 1, nil, "missing header line")
	}
	var ifc *IGMPInterface
	for lineNo := 2; len(rest) > 0; lineNo++ {
		line, rest = scan.Line(rest)
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		if !scan.IsSpace(line[0]) {
			var err error
			dst.Interfaces, ifc = reuse.Next(dst.Interfaces)
			if err = parseIGMPInterface(line, ifc); err != nil {
				return malformed(file, lineNo, err, "interface line %q", line)
			}
			continue
		}
		if ifc == nil {
			return malformed(file, lineNo, nil, "group line before any interface line")
		}
		var g *IGMPGroup
		ifc.Groups, g = reuse.Next(ifc.Groups)
		if err := parseIGMPGroup(line, g); err != nil {
			return malformed(file, lineNo, err, "group line %q", line)
		}
	}
	return nil
}

// parseIGMPInterface parses "1\tlo        :     2      V3".
func parseIGMPInterface(line []byte, ifc *IGMPInterface) error {
	ifc.Groups = ifc.Groups[:0]
	idx, after := scan.Field(line)
	n, err := parseIndex(idx)
	if err != nil {
		return err
	}
	ifc.Index = n
	colon := bytes.LastIndexByte(after, ':')
	if colon < 0 {
		return scan.ErrSyntax
	}
	name := scan.TrimSpace(after[:colon])
	if len(name) == 0 {
		return scan.ErrSyntax
	}
	ifc.Name = scan.String(ifc.Name, name)
	count, after := scan.Field(after[colon+1:])
	c, err := scan.Int(count)
	if err != nil {
		return err
	}
	ifc.Count = int(c)
	querier, after := scan.Field(after)
	if len(querier) == 0 || len(scan.TrimSpace(after)) != 0 {
		return scan.ErrSyntax
	}
	ifc.Querier = scan.String(ifc.Querier, querier)
	return nil
}

// parseIGMPGroup parses "\t\t\t\t010000E0     1 0:00000000\t\t0".
func parseIGMPGroup(line []byte, g *IGMPGroup) error {
	addr, line := scan.Field(line)
	if len(addr) != 8 {
		return scan.ErrSyntax
	}
	raw, err := scan.Hex(addr)
	if err != nil {
		return err
	}
	g.Raw = uint32(raw)
	var a [4]byte
	binary.NativeEndian.PutUint32(a[:], g.Raw)
	g.Group = netip.AddrFrom4(a)

	users, line := scan.Field(line)
	u, err := scan.Int(users)
	if err != nil {
		return err
	}
	g.Users = int(u)

	timer, line := scan.Field(line)
	colon := bytes.IndexByte(timer, ':')
	if colon < 0 {
		return scan.ErrSyntax
	}
	running, err := scan.Int(timer[:colon])
	if err != nil {
		return err
	}
	g.TimerRunning = running != 0
	if g.Timer, err = scan.Hex(timer[colon+1:]); err != nil {
		return err
	}

	reporter, line := scan.Field(line)
	r, err := scan.Int(reporter)
	if err != nil {
		return err
	}
	g.Reporter = r != 0
	if len(scan.TrimSpace(line)) != 0 {
		return scan.ErrSyntax
	}
	return nil
}

// parseIndex parses an interface index (a positive int).
func parseIndex(b []byte) (int, error) {
	n, err := scan.Uint(b)
	if err != nil {
		return 0, err
	}
	if n > 1<<31-1 {
		return 0, scan.ErrRange
	}
	return int(n), nil
}

// IGMP reads /proc/net/igmp once.
func (fs FS) IGMP() (IGMP, error) {
	return readOnce(fs.NetPath("igmp"), ParseIGMP)
}

// IGMPReader opens /proc/net/igmp for repeated reads.
func (fs FS) IGMPReader() (*Reader[IGMP], error) {
	return openReader(fs.NetPath("igmp"), ParseIGMP)
}
