package socketstats

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// DecodeSockaddr decodes a struct sockaddr_in or sockaddr_in6 as the kernel
// writes it into msg_name (n is msg_namelen) without allocating. It returns
// false for other families or short buffers. IPv4-mapped IPv6 addresses are
// unmapped. The IPv6 scope id is not turned into a zone (that would allocate
// a string); link-local sources come back without their zone.
func DecodeSockaddr(b []byte, n int) (netip.AddrPort, bool) {
	if n > len(b) {
		n = len(b)
	}
	if n < 2 {
		return netip.AddrPort{}, false
	}
	switch binary.NativeEndian.Uint16(b) {
	case unix.AF_INET:
		if n < 8 {
			return netip.AddrPort{}, false
		}
		port := binary.BigEndian.Uint16(b[2:])
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), true
	case unix.AF_INET6:
		if n < 24 {
			return netip.AddrPort{}, false
		}
		port := binary.BigEndian.Uint16(b[2:])
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])).Unmap(), port), true
	}
	return netip.AddrPort{}, false
}
