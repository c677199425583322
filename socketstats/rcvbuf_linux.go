package socketstats

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/procparse"
)

// rmemMax is net.core.rmem_max (net/core/sysctl_net_core.c, in bytes), the
// cap SO_RCVBUF applies without CAP_NET_ADMIN, read through procparse from
// /proc/sys/net of the calling thread's network namespace (where the
// socket was created: Open runs there). ok is false when it could not be
// read or parsed.
func rmemMax() (v uint64, ok bool) {
	fs, err := procparse.NewFS(procparse.DefaultRoot)
	if err != nil {
		return 0, false
	}
	const name = "net.core.rmem_max"
	raw, err := fs.Sysctl(name)
	if err != nil {
		return 0, false
	}
	var s procparse.Sysctls
	if procparse.ParseSysctl(name, []byte(raw), &s) != nil || !s.RmemMax.Present || s.RmemMax.Value < 0 {
		return 0, false
	}
	return uint64(s.RmemMax.Value), true
}

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
	bi.RmemMax, bi.RmemMaxKnown = rmemMax()
	if !bi.Forced {
		if bi.RmemMaxKnown {
			bi.Capped = uint64(req) > bi.RmemMax
		} else {
			bi.Capped = v < 2*req
		}
	}
	return bi, nil
}
