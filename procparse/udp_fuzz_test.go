package procparse

import (
	"reflect"
	"strings"
	"testing"
)

func FuzzParseUDP(f *testing.F) {
	for _, p := range []string{
		"linux-6.18-vm/proc/net/udp",
		"linux-6.18-vm/proc/net/udp6",
		"linux-6.18-netns-udp-drops/proc/net/udp",
		"procfs-corpus/proc/net/udp",
		"procfs-corpus/proc/net/udp6",
		"procfs-corpus/proc/net/udp_broken",
	} {
		f.Add(fixtureBytes(f, p), uint16(0), uint64(0))
	}
	f.Add(fixtureBytes(f, "linux-6.18-netns-udp-drops/proc/net/udp"), uint16(5000), uint64(0))
	addStrictSeeds(f, "udp", uint16(0), uint64(0))
	f.Add(fixtureBytes(f, "linux-6.18-netns-udp-drops/proc/net/udp"), uint16(0), uint64(1379240))
	var reused UDPSockets
	var sc UDPScanner
	f.Fuzz(func(t *testing.T, b []byte, port uint16, inode uint64) {
		var fresh UDPSockets
		err := ParseUDP(b, &fresh)
		err2 := ParseUDP(b, &reused)
		if err2 == nil {
			// Again: the second parse of unchanged content takes the fast paths.
			err2 = ParseUDP(b, &reused)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		for _, s := range fresh.Sockets {
			if err == nil && (s.Drops > 1<<32-1 || s.TxQueue > 1<<32-1 || s.RxQueue > 1<<32-1) {
				t.Fatalf("socket %+v: a 32-bit column accepted wider", s)
			}
		}
		if err == nil && (len(fresh.Sockets) != len(reused.Sockets) ||
			(len(fresh.Sockets) > 0 && !reflect.DeepEqual(fresh.Sockets, reused.Sockets))) {
			t.Fatalf("reused parse differs:\n%+v\n%+v", fresh, reused)
		}
		// A filtered scan returns exactly the matching sockets of the full
		// parse, when the full parse succeeds.
		filter := UDPFilter{LocalPort: port, Inode: inode}
		sc.Reset(b, filter)
		var got []UDPSocket
		for sc.Next() {
			got = append(got, *sc.Socket())
		}
		if err != nil {
			return
		}
		if sc.Err() != nil {
			t.Fatalf("filtered scan failed where the full parse did not: %v", sc.Err())
		}
		var want []UDPSocket
		for _, s := range fresh.Sockets {
			if (port == 0 || s.Local.Port() == port) && (inode == 0 || s.Inode == inode) {
				want = append(want, s)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("filter %+v: got %+v, want %+v", filter, got, want)
		}
	})
}

// FuzzUDPFastPath checks that the one-pass decoder agrees with the general
// one on every line it accepts, with and without a drops column.
func FuzzUDPFastPath(f *testing.F) {
	for _, p := range []string{
		"linux-6.18-netns-udp-drops/proc/net/udp",
		"procfs-corpus/proc/net/udp",
		"procfs-corpus/proc/net/udp6",
	} {
		for _, line := range strings.Split(string(fixtureBytes(f, p)), "\n")[1:] {
			f.Add([]byte(line), true)
		}
	}
	f.Add([]byte(" 1: 0100007F:1388 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 -2 0"), false)
	for _, tc := range strictCases() {
		if strings.HasPrefix(tc.name, "udp") {
			for _, line := range strings.Split(tc.bad, "\n")[1:] {
				f.Add([]byte(line), true)
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte, hasDrops bool) {
		var fast, slow UDPScanner
		fast.hasDrops, slow.hasDrops = hasDrops, hasDrops
		fast.cur, slow.cur = &fast.row, &slow.row
		done, match := fast.parseLineFast(line)
		if !done {
			return
		}
		if !match {
			t.Fatalf("no filter, but the fast path rejected %q", line)
		}
		ok, err := slow.parseLineSlow(line)
		if err != nil || !ok {
			t.Fatalf("fast path accepted %q, general parser: %v", line, err)
		}
		if fast.row != slow.row {
			t.Fatalf("%q:\nfast %+v\nslow %+v", line, fast.row, slow.row)
		}
	})
}
