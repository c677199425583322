package socketstats

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// cmsg builds one control message as the kernel lays it out.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	binary.NativeEndian.PutUint64(b, uint64(unix.CmsgLen(len(data))))
	binary.NativeEndian.PutUint32(b[8:], uint32(level))
	binary.NativeEndian.PutUint32(b[12:], uint32(typ))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func ovflCmsg(v uint32) []byte {
	var d [4]byte
	binary.NativeEndian.PutUint32(d[:], v)
	return cmsg(unix.SOL_SOCKET, unix.SO_RXQ_OVFL, d[:])
}

func timespecCmsg(typ int32, sec, nsec int64, n int) []byte {
	d := make([]byte, 16*n)
	binary.NativeEndian.PutUint64(d, uint64(sec))
	binary.NativeEndian.PutUint64(d[8:], uint64(nsec))
	return cmsg(unix.SOL_SOCKET, typ, d)
}

func TestParseControl(t *testing.T) {
	pktinfo := cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, make([]byte, 12))
	tests := []struct {
		name string
		b    []byte
		want Control
		err  bool
	}{
		{"empty", nil, Control{}, false},
		{"ovfl", ovflCmsg(7), Control{Drops: 7, HasDrops: true}, false},
		{"ovfl zero is present", ovflCmsg(0), Control{HasDrops: true}, false},
		{"timestampns", timespecCmsg(unix.SO_TIMESTAMPNS, 1700000000, 5, 1), Control{Time: 1700000000*1e9 + 5, HasTime: true}, false},
		{"timestampns new", timespecCmsg(unix.SO_TIMESTAMPNS_NEW, 2, 3, 1), Control{Time: 2e9 + 3, HasTime: true}, false},
		{"timestamping", timespecCmsg(unix.SO_TIMESTAMPING, 9, 1, 3), Control{Time: 9e9 + 1, HasTime: true}, false},
		{"all, other levels skipped", append(append(pktinfo, ovflCmsg(0xffffffff)...), timespecCmsg(unix.SO_TIMESTAMPNS, 1, 1, 1)...),
			Control{Drops: 0xffffffff, HasDrops: true, Time: 1e9 + 1, HasTime: true}, false},
		{"last record unpadded", ovflCmsg(3)[:unix.CmsgLen(4)], Control{Drops: 3, HasDrops: true}, false},
		{"short tail ignored", append(ovflCmsg(1), 1, 2, 3), Control{Drops: 1, HasDrops: true}, false},
		{"length past end", ovflCmsg(1)[:unix.CmsgLen(4)-1], Control{}, true},
		{"length below header", func() []byte { b := ovflCmsg(1); binary.NativeEndian.PutUint64(b, 4); return b }(), Control{}, true},
		{"ovfl too short", cmsg(unix.SOL_SOCKET, unix.SO_RXQ_OVFL, []byte{1}), Control{}, true},
		{"timestamp too short", cmsg(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, make([]byte, 8)), Control{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Control
			err := ParseControl(tt.b, &c)
			if (err != nil) != tt.err || (err != nil && !errors.Is(err, ErrBadControl)) {
				t.Fatalf("err = %v, want error %v wrapping ErrBadControl", err, tt.err)
			}
			if c != tt.want {
				t.Fatalf("got %+v, want %+v", c, tt.want)
			}
		})
	}
}

// TestDropCounterWrap feeds SO_RXQ_OVFL values across the 32-bit wrap
// through the parser into the widening counter.
func TestDropCounterWrap(t *testing.T) {
	steps := []struct {
		raw  uint32
		want uint64 // widened total after the step
	}{
		{0x70000000, 0x70000000},
		{0xe0000000, 0xe0000000},
		{0xfffffff0, 0xfffffff0},
		{0xfffffffa, 0xfffffffa},
		{0xfffffff5, 0xfffffffa}, // stamped before a later reading: no step back
		{0x00000004, 0x100000004},
		{0x00000010, 0x100000010},
		{0x70000000, 0x170000000},
		{0xe0000000, 0x1e0000000},
		{0xfffffffe, 0x1fffffffe},
		{0x00000001, 0x200000001},
	}
	var ctr counters
	for i, s := range steps {
		var c Control
		if err := ParseControl(ovflCmsg(s.raw), &c); err != nil {
			t.Fatal(err)
		}
		ctr.observeDrops(c.Drops)
		if got := ctr.drops.Load(); got != s.want {
			t.Fatalf("step %d (raw %#x): total %#x, want %#x", i, s.raw, got, s.want)
		}
	}
	// A wrapped socket that had already dropped counts from its baseline,
	// even across the wrap.
	ctr = counters{dropsBase: 0xfffffff0}
	if d := ctr.observeDrops(0xfffffff0); d != 0 {
		t.Errorf("baseline itself counted %d", d)
	}
	ctr.observeDrops(0x00000005)
	if got := ctr.drops.Load(); got != 0x15 {
		t.Errorf("from baseline across the wrap: %#x, want 0x15", got)
	}
}

func TestDecodeSockaddr(t *testing.T) {
	var sa unix.RawSockaddrInet6
	b := (*[unix.SizeofSockaddrInet6]byte)(unsafePointer(&sa))[:]
	// IPv4
	binary.NativeEndian.PutUint16(b, unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], 5000)
	copy(b[4:], []byte{10, 1, 2, 3})
	if ap, ok := DecodeSockaddr(b, unix.SizeofSockaddrInet4); !ok || ap != netip.MustParseAddrPort("10.1.2.3:5000") {
		t.Errorf("IPv4: %v %v", ap, ok)
	}
	if _, ok := DecodeSockaddr(b, 7); ok {
		t.Error("short IPv4 accepted")
	}
	// IPv6, and v4-mapped
	binary.NativeEndian.PutUint16(b, unix.AF_INET6)
	a := netip.MustParseAddr("fd00::1").As16()
	copy(b[8:], a[:])
	if ap, ok := DecodeSockaddr(b, len(b)); !ok || ap != netip.MustParseAddrPort("[fd00::1]:5000") {
		t.Errorf("IPv6: %v %v", ap, ok)
	}
	m := netip.MustParseAddr("::ffff:192.0.2.1").As16()
	copy(b[8:], m[:])
	if ap, ok := DecodeSockaddr(b, len(b)); !ok || ap != netip.MustParseAddrPort("192.0.2.1:5000") {
		t.Errorf("v4-mapped: %v %v", ap, ok)
	}
	binary.NativeEndian.PutUint16(b, unix.AF_UNIX)
	if _, ok := DecodeSockaddr(b, len(b)); ok {
		t.Error("AF_UNIX accepted")
	}
	if _, ok := DecodeSockaddr(nil, 100); ok {
		t.Error("nil accepted")
	}
}
