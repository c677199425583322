package socketstats

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

func FuzzParseControl(f *testing.F) {
	f.Add([]byte{})
	f.Add(ovflCmsg(1))
	f.Add(append(ovflCmsg(0xffffffff), timespecCmsg(unix.SO_TIMESTAMPNS, 1, 2, 1)...))
	f.Add(timespecCmsg(unix.SO_TIMESTAMPING, 3, 4, 3))
	f.Add(timespecCmsg(unix.SO_TIMESTAMPNS_NEW, 5, 6, 1))
	f.Add(append(cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, make([]byte, 12)), ovflCmsg(9)...))
	f.Add(ovflCmsg(1)[:unix.CmsgLen(4)])
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Control
		err := ParseControl(b, &c)
		if err == nil && len(b) < unix.CmsgLen(0) && (c.HasDrops || c.HasTime) {
			t.Fatalf("values from a buffer shorter than a header: %+v", c)
		}
		if ts, ok := onlyTimestampNS(b); ok && (err != nil || !c.HasTime || c.Time != ts || c.HasDrops) {
			t.Fatalf("fast path %d disagrees with ParseControl (%+v, %v)", ts, c, err)
		}
		d, ok := lastDrops(b)
		if d != c.Drops || ok != c.HasDrops {
			t.Fatalf("lastDrops %d %v disagrees with ParseControl %+v", d, ok, c)
		}
	})
}

func FuzzDecodeSockaddr(f *testing.F) {
	v4 := make([]byte, unix.SizeofSockaddrInet6)
	binary.NativeEndian.PutUint16(v4, unix.AF_INET)
	binary.BigEndian.PutUint16(v4[2:], 5000)
	copy(v4[4:], []byte{127, 0, 0, 1})
	f.Add(v4, unix.SizeofSockaddrInet4)
	v6 := make([]byte, unix.SizeofSockaddrInet6)
	binary.NativeEndian.PutUint16(v6, unix.AF_INET6)
	v6[23] = 1
	f.Add(v6, unix.SizeofSockaddrInet6)
	f.Add([]byte{}, 0)
	f.Add(v6[:5], 100)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		ap, ok := DecodeSockaddr(b, n)
		if ok && !ap.Addr().IsValid() {
			t.Fatalf("ok with invalid address %v", ap)
		}
		if !ok && ap.IsValid() {
			t.Fatalf("not ok but returned %v", ap)
		}
	})
}
