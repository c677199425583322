package procparse

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// udp4Line formats one IPv4 socket line as udp4_format_sock does, padded to
// 127 characters.
func udp4Line(sl int, local, lport, remote, rport, st, tx, rx, tr, when, retr uint32, uid, timeout int, inode uint64, ref int, ptr uint64, drops uint32) string {
	line := fmt.Sprintf("%5d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d",
		sl, local, lport, remote, rport, st, tx, rx, tr, when, retr, uid, timeout, inode, ref, ptr, drops)
	return fmt.Sprintf("%-127s", line)
}

// TestUDPFastPathAccepts checks that the one-pass decoder takes the lines
// the kernel prints (rather than leaving them to the general parser), with
// zero and non-zero remote addresses and TCP columns, and agrees with the
// general parser on them.
func TestUDPFastPathAccepts(t *testing.T) {
	lines := []string{
		udp4Line(0, 0x0100007F, 0x1388, 0, 0, 7, 0, 0, 0, 0, 0, 1000, 0, 12345, 2, 0xffff888000000040, 0),
		udp4Line(123456, 0x0100007F, 0xFFFF, 0x0A0B0C0D, 0x35, 1, 0xABCDEF01, 0x10, 0, 0, 0, 0, 0, 1, 2, 0, 7),
		udp4Line(7, 0xFFFFFFFF, 0, 0, 0x1, 7, 0, 0x2000, 2, 0x7FFFFFFF, 3, 65534, -1, 99999999999, -3, 1, 4294967295),
		udp4Line(8, 0, 0x44, 0, 0, 7, 0, 0, 0, 0x1, 0, 0, 0, 1, 2, 0xdeadbeef, 0),
		udp4Line(9, 0, 0x44, 0, 0, 7, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 0xdeadbeef, 0),
		strings.ToLower(udp4Line(10, 0xABCDEF12, 0xBEEF, 0xFEDCBA98, 0xCAFE, 7, 0xA, 0xB, 0xC, 0xD, 0xE, 1, 2, 3, 4, 5, 6)),
	}
	for _, line := range lines {
		var fast, slow UDPScanner
		fast.hasDrops, slow.hasDrops = true, true
		fast.cur, slow.cur = &fast.row, &slow.row
		done, match := fast.parseLineFast([]byte(line))
		if !done || !match {
			t.Errorf("fast path left %q to the general parser", line)
			continue
		}
		if ok, err := slow.parseLineSlow([]byte(line)); !ok || err != nil {
			t.Fatalf("%q: general parser: %v", line, err)
		}
		if fast.row != slow.row {
			t.Errorf("%q:\nfast %+v\nslow %+v", line, fast.row, slow.row)
		}
		// The fixed-width head decoder itself takes it.
		i := strings.Index(line, ": ") + 2
		r := slow.row
		if !head4((*[head4Len]byte)([]byte(line[i:i+head4Len])), &r) || r != slow.row {
			t.Errorf("%q: head4 refused it or differs: %+v", line, r)
		}
	}
	// Every fixture line that the general parser accepts on a table with a
	// drops column is taken by the fast path too.
	for _, p := range []string{"linux-6.18-netns-udp-drops/proc/net/udp", "linux-6.18-vm/proc/net/udp", "linux-6.18-vm/proc/net/udp6"} {
		for _, line := range strings.Split(string(fixtureBytes(t, p)), "\n")[1:] {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var fast UDPScanner
			fast.hasDrops, fast.cur = true, &fast.row
			if done, _ := fast.parseLineFast([]byte(line)); !done {
				t.Errorf("%s: fast path left %q to the general parser", p, line)
			}
		}
	}
}

// TestUDPFastPathRejects checks lines that look right at the fixed offsets
// but are not: the fast path must give them up.
func TestUDPFastPathRejects(t *testing.T) {
	good := udp4Line(1, 0x0100007F, 0x1388, 0, 0, 7, 0, 0, 0, 0, 0, 1000, 0, 12345, 2, 0xffff888000000040, 0)
	head := strings.Index(good, ": ") + 2
	for i := head; i < head+head4Len; i++ {
		for _, c := range []byte{'G', 'g', '/', ':', ' ', '\n', 0x80 | '0', '@', '`'} {
			if c == good[i] {
				continue
			}
			b := []byte(good)
			b[i] = c
			var fast, slow UDPScanner
			fast.hasDrops, slow.hasDrops = true, true
			fast.cur, slow.cur = &fast.row, &slow.row
			done, _ := fast.parseLineFast(b)
			if !done {
				continue
			}
			// Accepted (a separator turned into another field layout):
			// it must agree with the general parser.
			if ok, err := slow.parseLineSlow(b); !ok || err != nil || fast.row != slow.row {
				t.Errorf("%q: fast path accepted it, general parser %v\nfast %+v\nslow %+v", b, err, fast.row, slow.row)
			}
		}
	}
}

// TestUDPPaddedLineNewline checks the guess that a line ends at the
// kernel's padding width when a newline hides inside the padding or a field.
func TestUDPPaddedLineNewline(t *testing.T) {
	hdr := fmt.Sprintf("%-127s\n", "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops")
	a := udp4Line(0, 0x0100007F, 0x1388, 0, 0, 7, 0, 0, 0, 0, 0, 1000, 0, 11, 2, 0, 0)
	b := udp4Line(1, 0x0100007F, 0x1389, 0, 0, 7, 0, 0, 0, 0, 0, 1000, 0, 22, 2, 0, 0)
	c := udp4Line(2, 0x0100007F, 0x138A, 0, 0, 7, 0, 0, 0, 0, 0, 1000, 0, 33, 2, 0, 0)
	for _, tc := range []struct {
		name string
		at   int // where b gets a newline
		want []uint64
	}{
		{"padding", 125, []uint64{11, 22, 33}},
		{"inode", strings.Index(b, " 22 ") + 2, nil}, // "2\n2": line 3 too short
		{"head", 20, nil},
	} {
		bb := []byte(b)
		bb[tc.at] = '\n'
		in := hdr + a + "\n" + string(bb) + "\n" + c + "\n"
		var u UDPSockets
		err := ParseUDP([]byte(in), &u)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: no error, sockets %+v", tc.name, u.Sockets)
			} else if pe := (*ParseError)(nil); !errors.As(err, &pe) || pe.Line != 3 {
				t.Errorf("%s: error %v, want one on line 3", tc.name, err)
			}
		} else {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []uint64
			for _, s := range u.Sockets {
				got = append(got, s.Inode)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: inodes %v, want %v", tc.name, got, tc.want)
			}
		}
		// Filtered by a port that no line has: the split must still be by
		// newline.
		for _, port := range []uint16{0x1388, 0x1389, 0x138A, 1} {
			var sc UDPScanner
			sc.Reset([]byte(in), UDPFilter{LocalPort: port})
			var lines []int
			for sc.Next() {
				lines = append(lines, sc.Line())
			}
			if (sc.Err() == nil) != (err == nil) {
				t.Errorf("%s port %#x: scan error %v, parse error %v", tc.name, port, sc.Err(), err)
			}
			if err == nil {
				want := map[uint16]string{0x1388: "[2]", 0x1389: "[3]", 0x138A: "[5]", 1: "[]"}[port]
				if fmt.Sprint(lines) != want {
					t.Errorf("%s port %#x: lines %v, want %s", tc.name, port, lines, want)
				}
			}
		}
	}
	// Line numbers stay right after lines taken whole.
	in := hdr + a + "\n" + b + "\n" + "    3: junk\n"
	var u UDPSockets
	err := ParseUDP([]byte(in), &u)
	if pe := (*ParseError)(nil); !errors.As(err, &pe) || pe.Line != 4 {
		t.Errorf("error %v, want one on line 4", err)
	}
	if len(a) != udpLineLen {
		t.Fatal("test lines are not padded")
	}
}
