package socketstats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrBadControl is wrapped by errors about a control-message buffer that
// does not hold well-formed cmsghdr records.
var ErrBadControl = errors.New("malformed control message")

// Control is what ParseControl found in the control messages (ancillary
// data) of one received datagram. Has* fields say whether the kernel sent the
// value at all: an absent SO_RXQ_OVFL means the socket had not dropped
// anything when the datagram was queued, which is not the same as a zero
// sent by the kernel.
type Control struct {
	// Drops is the socket's cumulative drop counter (sk_drops, 32 bits,
	// wraps) when the datagram was queued: SOL_SOCKET/SO_RXQ_OVFL, produced
	// by net/socket.c sock_recv_drops only once the counter is non-zero.
	Drops    uint32
	HasDrops bool
	// Time is the kernel receive timestamp in nanoseconds since the Unix
	// epoch (CLOCK_REALTIME): SCM_TIMESTAMPNS, or the software stamp (first
	// timespec) of SCM_TIMESTAMPING, both produced by net/socket.c
	// __sock_recv_timestamp.
	Time    int64
	HasTime bool
}

// cmsgAlign is CMSG_ALIGN's unit: sizeof(size_t) on Linux.
const cmsgAlign = int(unsafe.Sizeof(uintptr(0)))

func cmsgAligned(n int) int { return (n + cmsgAlign - 1) &^ (cmsgAlign - 1) }

// cmsgHeader is the size of struct cmsghdr (size_t len, int level, int
// type), already a multiple of cmsgAlign.
const cmsgHeader = unix.SizeofCmsghdr

// ParseControl decodes the control messages of one datagram (the bytes the
// kernel wrote into msg_control, msg_controllen long) into c. It recognises
// SO_RXQ_OVFL, SCM_TIMESTAMPNS (old and _NEW layouts) and SCM_TIMESTAMPING
// (old and _NEW) and skips any other record. It is a pure function and
// allocates nothing; on a malformed buffer it returns an error wrapping
// ErrBadControl, keeping what it decoded before the bad record.
func ParseControl(b []byte, c *Control) error {
	*c = Control{}
	off := 0
	for len(b)-off >= cmsgHeader {
		var l int
		if cmsgAlign == 8 {
			l64 := binary.NativeEndian.Uint64(b[off:])
			if l64 > uint64(len(b)-off) {
				return fmt.Errorf("socketstats: control message at offset %d: length %d exceeds the %d bytes left: %w", off, l64, len(b)-off, ErrBadControl)
			}
			l = int(l64)
		} else {
			l = int(binary.NativeEndian.Uint32(b[off:]))
			if l < 0 || l > len(b)-off {
				return fmt.Errorf("socketstats: control message at offset %d: length %d exceeds the %d bytes left: %w", off, l, len(b)-off, ErrBadControl)
			}
		}
		if l < cmsgHeader {
			return fmt.Errorf("socketstats: control message at offset %d: length %d is shorter than its header: %w", off, l, ErrBadControl)
		}
		level := int32(binary.NativeEndian.Uint32(b[off+cmsgAlign:]))
		typ := int32(binary.NativeEndian.Uint32(b[off+cmsgAlign+4:]))
		data := b[off+cmsgHeader : off+l]
		if level == unix.SOL_SOCKET {
			if err := c.parseSocketLevel(typ, data); err != nil {
				return fmt.Errorf("socketstats: control message at offset %d: %w", off, err)
			}
		}
		next := cmsgAligned(l)
		if next > len(b)-off {
			break // the last record needs no padding
		}
		off += next
	}
	return nil
}

func (c *Control) parseSocketLevel(typ int32, data []byte) error {
	switch typ {
	case unix.SO_RXQ_OVFL:
		if len(data) < 4 {
			return fmt.Errorf("SO_RXQ_OVFL with %d bytes of data, want 4: %w", len(data), ErrBadControl)
		}
		c.Drops = binary.NativeEndian.Uint32(data)
		c.HasDrops = true
	case unix.SO_TIMESTAMPNS_OLD, unix.SO_TIMESTAMPING_OLD:
		// struct timespec of longs; SCM_TIMESTAMPING holds three, the first
		// is the software stamp.
		t, ok := timespecLong(data)
		if !ok {
			return fmt.Errorf("timestamp type %d with %d bytes of data: %w", typ, len(data), ErrBadControl)
		}
		if t != 0 || !c.HasTime {
			c.Time, c.HasTime = t, true
		}
	case unix.SO_TIMESTAMPNS_NEW, unix.SO_TIMESTAMPING_NEW:
		// struct __kernel_timespec: two 64-bit fields on every architecture.
		if len(data) < 16 {
			return fmt.Errorf("timestamp type %d with %d bytes of data: %w", typ, len(data), ErrBadControl)
		}
		t := int64(binary.NativeEndian.Uint64(data))*1e9 + int64(binary.NativeEndian.Uint64(data[8:]))
		if t != 0 || !c.HasTime {
			c.Time, c.HasTime = t, true
		}
	}
	return nil
}

func timespecLong(data []byte) (int64, bool) {
	if cmsgAlign == 8 {
		if len(data) < 16 {
			return 0, false
		}
		return int64(binary.NativeEndian.Uint64(data))*1e9 + int64(binary.NativeEndian.Uint64(data[8:])), true
	}
	if len(data) < 8 {
		return 0, false
	}
	return int64(int32(binary.NativeEndian.Uint32(data)))*1e9 + int64(int32(binary.NativeEndian.Uint32(data[4:]))), true
}

// lastDrops scans the control messages of one datagram for SO_RXQ_OVFL only:
// the cheap path when timestamps are off.
func lastDrops(b []byte) (uint32, bool) {
	var c Control
	_ = ParseControl(b, &c) // keeps what precedes a bad record
	return c.Drops, c.HasDrops
}

// onlyTimestampNS recognises a control buffer holding exactly one
// SCM_TIMESTAMPNS record on a 64-bit kernel ABI, the common case the
// reader meets once per datagram, without the general loop.
func onlyTimestampNS(b []byte) (int64, bool) {
	if cmsgAlign != 8 || len(b) != cmsgHeader+16 {
		return 0, false
	}
	if binary.NativeEndian.Uint64(b) != uint64(cmsgHeader+16) ||
		int32(binary.NativeEndian.Uint32(b[8:])) != unix.SOL_SOCKET ||
		int32(binary.NativeEndian.Uint32(b[12:])) != unix.SO_TIMESTAMPNS_OLD {
		return 0, false
	}
	return int64(binary.NativeEndian.Uint64(b[16:]))*1e9 + int64(binary.NativeEndian.Uint64(b[24:])), true
}
