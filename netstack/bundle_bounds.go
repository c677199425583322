package netstack

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/nic"
)

// Bounds of a raw frame's recorded kernel bytes. A recorded file may be
// as large as any kernel file (readfile.MaxSize, 256 MiB), and a dump of
// that size of minimal messages (32 bytes a link, 36 a qdisc, 88 a UDP
// socket) would decode to millions of objects of 200 to 300 bytes each:
// a dump is cut after the number of objects below, which no real
// namespace reaches, and the cut reported under its source.
const (
	// rawMaxLinks bounds the RTM_GETLINK dump (32,768 devices; a
	// container host has a few thousand veths).
	rawMaxLinks = 1 << 15
	// rawMaxQdiscs bounds the RTM_GETQDISC dump and each device's
	// RTM_GETTCLASS dump (65,536).
	rawMaxQdiscs = 1 << 16
	// rawMaxUDP bounds the sock_diag UDP dumps (1,048,576 sockets, 243 MB
	// decoded; the largest test table has 573,440).
	rawMaxUDP = 1 << 20
	// rawMaxStats bounds the count of ethtool statistics a recorded
	// ETHTOOL_GSSET_INFO (or ETHTOOL_GDRVINFO n_stats) reply may report
	// (16,384; the drivers with the most have a few thousand), before the
	// devices source sizes its GSTRINGS and GSTATS buffers by it
	// (32 and 8 bytes a statistic: nic accepts up to 2^24).
	rawMaxStats = 1 << 14
)

// Netlink message types that are not data (include/uapi/linux/netlink.h).
const (
	nlmsgNoop    = 1
	nlmsgError   = 2
	nlmsgDone    = 3
	nlmsgOverrun = 4
	nlmHdrLen    = 16
)

// capDump returns the recorded dump b cut after max data messages, closed
// with an NLMSG_DONE so that the decoders end there as on a real dump, and
// the number of data messages it held (counted up to the end, or to where
// its framing breaks: the decoder reports that). A dump within max is
// returned as is.
func capDump(b []byte, max int) (out []byte, n int, cut bool) {
	cutAt := -1
	for off := 0; off+nlmHdrLen <= len(b); {
		l := int(binary.NativeEndian.Uint32(b[off:]))
		if l < nlmHdrLen || l > len(b)-off {
			break
		}
		switch binary.NativeEndian.Uint16(b[off+4:]) {
		case nlmsgNoop, nlmsgError, nlmsgDone, nlmsgOverrun:
		default:
			if n == max {
				cutAt = off
			}
			n++
		}
		off += (l + 3) &^ 3
	}
	if cutAt < 0 {
		return b, n, false
	}
	out = make([]byte, cutAt+nlmHdrLen+4)
	copy(out, b[:cutAt])
	done := out[cutAt:]
	binary.NativeEndian.PutUint32(done[0:], nlmHdrLen+4)
	binary.NativeEndian.PutUint16(done[4:], nlmsgDone)
	binary.NativeEndian.PutUint16(done[6:], 2) // NLM_F_MULTI
	copy(done[8:16], b[cutAt+8:cutAt+16])      // seq and pid of the cut message
	return out, n, true
}

// readDump reads a frame's recorded dump rel, cut at max data messages
// (capDump), the cut reported in dst under src.
func readDump(dst *Snapshot, fr *bundle.FrameData, rel string, src Source, what string, max int) ([]byte, error) {
	b, err := fr.ReadFile(rel)
	if err != nil {
		return nil, err
	}
	b, n, cut := capDump(b, max)
	if cut {
		dst.addErr(src, rel, fmt.Errorf("%s: %d %s, more than the %d a namespace has: the last %d left out", rel, n, what, max, n-max))
	}
	return b, nil
}

// errTooManyStats is the error of a recorded ethtool reply that reports
// more statistics than rawMaxStats.
var errTooManyStats = errors.New("more ethtool statistics than any driver has")

// checkEthtoolReply refuses a recorded reply of op whose statistics count
// is over rawMaxStats, before the devices source allocates by it.
func checkEthtoolReply(dev, op string, b []byte) error {
	var n uint64
	switch op {
	case bundle.EthtoolSSetInfo:
		c, ok, err := nic.DecodeSSetInfo(b)
		if err != nil || !ok {
			return nil // the decoder reports it
		}
		n = uint64(c)
	case bundle.EthtoolDrvInfo:
		info, err := nic.DecodeDriverInfo(b)
		if err != nil {
			return nil
		}
		n = uint64(info.NumStats)
	default:
		return nil
	}
	if n > rawMaxStats {
		return fmt.Errorf("%s: recorded %s reports %d statistics, more than %d: %w (%w)", dev, op, n, rawMaxStats, errTooManyStats, nic.ErrMalformed)
	}
	return nil
}
