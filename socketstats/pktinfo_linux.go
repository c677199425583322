package socketstats

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// pktinfoState is the reader's state for Config.PacketInfo.
type pktinfoState struct {
	on bool
	// joined is the reader's copy of the groups held, refreshed once per
	// batch under Conn.mu; its backing array is reused, so the copy
	// allocates only when the Conn holds more groups than ever before.
	joined []netip.Addr
}

// enable turns on the destination-address control message on fd.
func (p *pktinfoState) enable(fd, family int) error {
	level, opt, name := unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO"
	if family == unix.AF_INET6 {
		level, opt, name = unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"
	}
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		return fmt.Errorf("socketstats: setsockopt %s: %w", name, unsupported(err))
	}
	p.on = true
	return nil
}

// Unjoined returns how many datagrams read so far were addressed to a
// multicast group this Conn has not joined (with Config.PacketInfo; 0
// without it). They arrive when IP_MULTICAST_ALL is on (Config.MulticastAll)
// and the socket is bound to the unspecified address: the kernel then
// delivers every group any socket of the host joined on that port
// (net/ipv4/igmp.c ip_mc_sf_allow), which the application may count as its
// own traffic.
func (c *Conn) Unjoined() uint64 { return c.ctr.unjoined.Load() }

// refreshJoined copies the group addresses held into the reader's list.
func (c *Conn) refreshJoined() {
	c.mu.Lock()
	j := c.pk.joined[:0]
	for _, g := range c.groups {
		j = append(j, g.Addr.Unmap())
	}
	c.mu.Unlock()
	c.pk.joined = j
}

// pktinfoDst finds the destination address in one datagram's control
// messages: IPPROTO_IP/IP_PKTINFO (struct in_pktinfo: ifindex, spec_dst,
// addr; the header's destination is ipi_addr at offset 8) or
// IPPROTO_IPV6/IPV6_PKTINFO (struct in6_pktinfo: addr, then ifindex). It
// skips every other record and allocates nothing.
func pktinfoDst(b []byte) (netip.Addr, bool) {
	off := 0
	for len(b)-off >= cmsgHeader {
		var l int
		if cmsgAlign == 8 {
			l64 := binary.NativeEndian.Uint64(b[off:])
			if l64 > uint64(len(b)-off) {
				return netip.Addr{}, false
			}
			l = int(l64)
		} else {
			l = int(binary.NativeEndian.Uint32(b[off:]))
			if l < 0 || l > len(b)-off {
				return netip.Addr{}, false
			}
		}
		if l < cmsgHeader {
			return netip.Addr{}, false
		}
		level := int32(binary.NativeEndian.Uint32(b[off+cmsgAlign:]))
		typ := int32(binary.NativeEndian.Uint32(b[off+cmsgAlign+4:]))
		data := b[off+cmsgHeader : off+l]
		switch {
		case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= 12:
			return netip.AddrFrom4([4]byte(data[8:12])), true
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= 20:
			return netip.AddrFrom16([16]byte(data[:16])), true
		}
		next := cmsgAligned(l)
		if next > len(b)-off {
			break
		}
		off += next
	}
	return netip.Addr{}, false
}
