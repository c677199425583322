package socketstats

import (
	"errors"
	"fmt"

	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/internal/scan"
	"golang.org/x/sys/unix"
)

// rmemMaxPath is net.core.rmem_max (net/core/sysctl_net_core.c), the cap
// SO_RCVBUF applies without CAP_NET_ADMIN.
const rmemMaxPath = "/proc/sys/net/core/rmem_max"

// setReceiveBuffer asks for req bytes with SO_RCVBUFFORCE, falls back to
// SO_RCVBUF when that is not permitted, and reads back what was obtained.
func setReceiveBuffer(fd, req int) (BufferInfo, error) {
	bi := BufferInfo{Requested: req}
	err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, req)
	switch {
	case err == nil:
		bi.Forced = true
	case errors.Is(err, unix.EPERM):
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, req); err != nil {
			return bi, fmt.Errorf("socketstats: setsockopt SO_RCVBUF %d: %w", req, err)
		}
	default:
		return bi, fmt.Errorf("socketstats: setsockopt SO_RCVBUFFORCE %d: %w", req, err)
	}
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		return bi, fmt.Errorf("socketstats: getsockopt SO_RCVBUF: %w", err)
	}
	bi.Obtained = v
	var buf [32]byte
	if b, err := readfile.ReadInto(rmemMaxPath, buf[:0]); err == nil {
		if m, err := scan.Uint(scan.TrimSpace(b)); err == nil {
			bi.RmemMax, bi.RmemMaxKnown = m, true
		}
	}
	if !bi.Forced {
		if bi.RmemMaxKnown {
			bi.Capped = uint64(req) > bi.RmemMax
		} else {
			bi.Capped = v < 2*req
		}
	}
	return bi, nil
}
