//go:build linux

package udptable

import "encoding/binary"

// buildDiagRequest appends a SOCK_DIAG_BY_FAMILY dump request (nlmsghdr
// and buildDiagBody's body) to b.
func buildDiagRequest(b []byte, seq uint32, family, proto uint8, f Filter) []byte {
	ne := binary.NativeEndian
	start := len(b)
	b = append(b, make([]byte, diagNlmsgHdrLen)...)
	b = buildDiagBody(b, family, proto, f)
	h := b[start:]
	ne.PutUint32(h[0:4], uint32(len(h)))
	ne.PutUint16(h[4:6], diagSockDiagByFamily)
	ne.PutUint16(h[6:8], diagFlagRequest|diagFlagDump)
	ne.PutUint32(h[8:12], seq)
	return b
}
