package procparse

import (
	"github.com/packetpath/packetpath/internal/reuse"
	"github.com/packetpath/packetpath/internal/scan"
)

// PacketTypes is /proc/net/ptype: the protocol handlers registered for
// received frames (dev_add_pack), i.e. who gets each packet after the
// driver and GRO: ip_rcv for EtherType 0800, arp_rcv, ipv6_rcv, and taps
// such as AF_PACKET sockets (packet_rcv / tpacket_rcv for type ALL).
//
// Printed by net/core/net-procfs.c ptype_seq_show as
// "%04x" (or "ALL ") then " %-8s %ps\n" (device name, handler symbol); the
// format is unchanged from 2.6 to 6.18 (seen on 6.18). Handlers bound to a
// device of another network namespace are not listed.
type PacketTypes struct {
	Handlers []PacketHandler
}

// PacketHandler is one line of /proc/net/ptype.
type PacketHandler struct {
	// All is true for taps that receive every protocol (ETH_P_ALL, printed
	// "ALL"); Type is then 0.
	All bool
	// Type is the EtherType in host order (0x0800 IPv4, 0x86dd IPv6,
	// 0x0806 ARP, 0x0004 802.2 LLC).
	Type uint16
	// Device is the interface the handler is bound to, "" for all.
	Device string
	// Func is the handler's kernel symbol as %ps prints it, e.g. "ip_rcv"
	// or "packet_rcv [af_packet]" for a module; a raw address when the
	// kernel hides symbols (kptr_restrict).
	Func string
}

// CountAll returns how many ETH_P_ALL taps (packet sockets, tcpdump) are
// registered: each one gets a clone of every frame, a cost on the RX and
// TX paths.
func (p *PacketTypes) CountAll() int {
	n := 0
	for i := range p.Handlers {
		if p.Handlers[i].All {
			n++
		}
	}
	return n
}

// ParsePacketTypes parses /proc/net/ptype into dst, reusing its slice and
// strings. The format (net/core/net-procfs.c ptype_seq_show; seen on 6.18)
// is described at [PacketTypes]. The file name in errors is "ptype".
func ParsePacketTypes(b []byte, dst *PacketTypes) error {
	const file = "ptype"
	dst.Handlers = dst.Handlers[:0]
	line, rest := scan.Line(b)
	if first, _ := scan.Field(line); !scan.Equal(first, "Type") {
		return malformed(file, 1, nil, "missing header line")
	}
	for lineNo := 2; len(rest) > 0; lineNo++ {
		line, rest = scan.Line(rest)
		if len(scan.TrimSpace(line)) == 0 {
			continue
		}
		// Columns: type in 4 characters ("%04x" or "ALL "), a space,
		// the device padded to 8 (all spaces when unbound), a space, the
		// function, which may itself contain a space (" [module]").
		if len(line) < 5 || line[4] != ' ' {
			return malformed(file, lineNo, nil, "type column is not 4 characters")
		}
		var h PacketHandler
		if typ := line[:4]; scan.Equal(typ, "ALL ") {
			h.All = true
		} else {
			v, err := scan.Hex(typ)
			if err != nil {
				return malformed(file, lineNo, err, "type %q", typ)
			}
			h.Type = uint16(v)
		}
		var dev []byte
		after := line[5:]
		if len(after) > 0 && !scan.IsSpace(after[0]) {
			dev, after = scan.Field(after)
		}
		fn := scan.TrimSpace(after)
		if len(fn) == 0 {
			return malformed(file, lineNo, nil, "missing handler function")
		}
		var p *PacketHandler
		dst.Handlers, p = reuse.Next(dst.Handlers)
		h.Device = scan.String(p.Device, dev)
		h.Func = scan.String(p.Func, fn)
		*p = h
	}
	return nil
}

// PacketTypes reads /proc/net/ptype once.
func (fs FS) PacketTypes() (PacketTypes, error) {
	return readOnce(fs.NetPath("ptype"), ParsePacketTypes)
}

// PacketTypesReader opens /proc/net/ptype for repeated reads.
func (fs FS) PacketTypesReader() (*Reader[PacketTypes], error) {
	return openReader(fs.NetPath("ptype"), ParsePacketTypes)
}
