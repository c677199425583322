package procparse

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// requireLittleEndian skips address checks on fixtures captured on
// little-endian machines when the test runs on a big-endian one: the kernel
// prints addresses in the byte order of the machine that wrote the file.
func requireLittleEndian(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("skipped: fixture addresses were printed by a little-endian kernel")
	}
}

func TestUDPNetnsDropsFixture(t *testing.T) {
	requireLittleEndian(t)
	u, err := openFixture(t, "linux-6.18-netns-udp-drops/proc").UDP(FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	want := []UDPSocket{
		{Slot: 11200, Local: netip.MustParseAddrPort("0.0.0.0:51913"), Remote: netip.MustParseAddrPort("0.0.0.0:0"),
			State: UDPStateUnconnected, Inode: 1379241, Ref: 2, Pointer: 0x5120a060, HasDrops: true},
		{Slot: 13439, Local: netip.MustParseAddrPort("0.0.0.0:5000"), Remote: netip.MustParseAddrPort("0.0.0.0:0"),
			State: UDPStateUnconnected, RxQueue: 7488, Inode: 1379239, Ref: 2, Pointer: 0x88803f53, Drops: 4991, HasDrops: true},
		{Slot: 14439, Local: netip.MustParseAddrPort("127.0.0.1:6000"), Remote: netip.MustParseAddrPort("0.0.0.0:0"),
			State: UDPStateUnconnected, RxQueue: 212992, Inode: 1379240, Ref: 2, Pointer: 0xe89cb9c0, Drops: 4744, HasDrops: true},
	}
	if len(u.Sockets) != len(want) {
		t.Fatalf("%d sockets, want %d", len(u.Sockets), len(want))
	}
	for i := range want {
		if u.Sockets[i] != want[i] {
			t.Errorf("socket %d =\n %+v, want\n %+v", i, u.Sockets[i], want[i])
		}
	}
	// The README of the fixture: port 5000 dropped 4,991, port 6000 4,744;
	// together they are the snmp RcvbufErrors of the namespace.
	s, err := openFixture(t, "linux-6.18-netns-udp-drops/proc").SNMP()
	if err != nil {
		t.Fatal(err)
	}
	if sum := u.Sockets[1].Drops + u.Sockets[2].Drops; sum != s.UDP().RcvbufErrors.Value {
		t.Errorf("socket drops %d != Udp RcvbufErrors %d", sum, s.UDP().RcvbufErrors.Value)
	}

	for _, f := range []UDPFile{FileUDP6, FileUDPLite, FileUDPLite6} {
		u, err := openFixture(t, "linux-6.18-netns-udp-drops/proc").UDP(f)
		if err != nil || len(u.Sockets) != 0 {
			t.Errorf("%s: %d sockets, %v; want an empty table", f, len(u.Sockets), err)
		}
	}
}

func TestUDPEmptyTablesVM(t *testing.T) {
	fs := openFixture(t, "linux-6.18-vm/proc")
	for _, f := range []UDPFile{FileUDP, FileUDP6, FileUDPLite, FileUDPLite6} {
		u, err := fs.UDP(f)
		if err != nil || len(u.Sockets) != 0 {
			t.Errorf("%s: %d sockets, %v; want an empty table", f, len(u.Sockets), err)
		}
	}
}

func TestUDP6Corpus(t *testing.T) {
	requireLittleEndian(t)
	u, err := openFixture(t, "procfs-corpus/proc").UDP(FileUDP6)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Sockets) != 2 {
		t.Fatalf("%d sockets, want 2", len(u.Sockets))
	}
	a, b := u.Sockets[0], u.Sockets[1]
	if a.Slot != 1315 || a.Local != netip.MustParseAddrPort("[::]:5355") || a.UID != 981 || a.Inode != 21040 || !a.HasDrops || a.Drops != 0 {
		t.Errorf("socket 0 = %+v", a)
	}
	if b.Slot != 6073 || b.Local != netip.MustParseAddrPort("[fe80::56e1:adff:fe7c:6609]:51073") || b.UID != 1000 ||
		b.Inode != 11337031 || b.Remote != netip.MustParseAddrPort("[::]:0") || b.Pointer != 0xb9256fdd {
		t.Errorf("socket 1 = %+v", b)
	}
}

func TestUDPCorpusTCPFormatLines(t *testing.T) {
	// The corpus' udp file holds TCP-format lines (17 fields) under a header
	// that ends at "inode": the 12 common columns parse, drops is absent.
	requireLittleEndian(t)
	u, err := openFixture(t, "procfs-corpus/proc").UDP(FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Sockets) != 3 {
		t.Fatalf("%d sockets, want 3", len(u.Sockets))
	}
	s := u.Sockets[0]
	if s.Local != netip.MustParseAddrPort("10.0.0.5:22") || s.State != 0x0A || s.TxQueue != 0 || s.RxQueue != 1 ||
		s.Inode != 2740 || s.Ref != 1 || s.Pointer != 0xffff88003d3af3c0 || s.HasDrops {
		t.Errorf("socket 0 = %+v", s)
	}
	if s := u.Sockets[1]; s.Slot != 1 || s.TxQueue != 1 || s.RxQueue != 0 {
		t.Errorf("socket 1 = %+v", s)
	}
}

func TestUDPBroken(t *testing.T) {
	b := fixtureBytes(t, "procfs-corpus/proc/net/udp_broken")
	var u UDPSockets
	err := ParseUDP(b, &u)
	requireParseError(t, err, 2)
	if !strings.Contains(err.Error(), "4 fields, want at least 12") {
		t.Errorf("error %q does not explain the short line", err)
	}
}

const udpHeader = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n"

func TestUDPErrors(t *testing.T) {
	line := func(s string) string { return udpHeader + s + "\n" }
	good := "  123: 0100007F:1388 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1379239 2 0000000088803f53 4991"
	var u UDPSockets
	if err := ParseUDP([]byte(line(good)), &u); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in, reason string
		line             int
	}{
		{"no header", good + "\n", "header", 1},
		{"short", line("  123: 0100007F:1388 00000000:0000 07"), "4 fields, want at least 13", 2},
		{"no drops", line(strings.TrimSuffix(good, " 4991")), "12 fields, want at least 13", 2},
		{"slot", line(strings.Replace(good, "123:", "123", 1)), "slot", 2},
		{"slot digits", line(strings.Replace(good, "123:", "1x3:", 1)), "slot", 2},
		{"address width", line(strings.Replace(good, "0100007F:1388", "100007F:1388", 1)), "local address", 2},
		{"address hex", line(strings.Replace(good, "0100007F:1388", "0100007G:1388", 1)), "local address", 2},
		{"port", line(strings.Replace(good, "0100007F:1388", "0100007F:11388", 1)), "local address", 2},
		{"no port", line(strings.Replace(good, "00000000:0000 07", "000000000000 07", 1)), "remote address", 2},
		{"state", line(strings.Replace(good, " 07 ", " 107 ", 1)), "state", 2},
		{"queues", line(strings.Replace(good, "00000000:00000000 00:", "0000000000000000 00:", 1)), "tx_queue", 2},
		{"uid", line(strings.Replace(good, "     0        0 ", "     4294967296        0 ", 1)), "uid", 2},
		{"inode", line(strings.Replace(good, "1379239", "-1", 1)), "inode", 2},
		{"drops", line(strings.Replace(good, "4991", "x", 1)), "drops", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ParseUDP([]byte(tc.in), &u)
			requireParseError(t, err, tc.line)
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestUDPFileNames(t *testing.T) {
	fs := openFixture(t, "linux-6.18-vm/proc")
	if _, err := fs.UDP("../snmp"); err == nil {
		t.Error("UDP(\"../snmp\") succeeded")
	}
	if _, err := fs.UDPReader("tcp"); err == nil {
		t.Error("UDPReader(\"tcp\") succeeded")
	}
	if _, err := fs.OpenUDPScan("raw"); err == nil {
		t.Error("OpenUDPScan(\"raw\") succeeded")
	}
	if _, err := openFixture(t, "procfs-corpus/proc").UDP(FileUDPLite); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing udplite: %v, want os.ErrNotExist", err)
	}
}

func TestUDPScannerFilter(t *testing.T) {
	b := fixtureBytes(t, "linux-6.18-netns-udp-drops/proc/net/udp")
	var sc UDPScanner
	count := func(f UDPFilter) (n int, last UDPSocket) {
		sc.Reset(b, f)
		for sc.Next() {
			n++
			last = *sc.Socket()
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		return n, last
	}
	if n, _ := count(UDPFilter{}); n != 3 {
		t.Errorf("no filter: %d sockets, want 3", n)
	}
	if n, s := count(UDPFilter{LocalPort: 6000}); n != 1 || s.Drops != 4744 {
		t.Errorf("port 6000: %d sockets, last %+v", n, s)
	}
	if n, s := count(UDPFilter{Inode: 1379239}); n != 1 || s.Drops != 4991 {
		t.Errorf("inode 1379239: %d sockets, last %+v", n, s)
	}
	if n, _ := count(UDPFilter{LocalPort: 5000, Inode: 1379240}); n != 0 {
		t.Errorf("port 5000 and inode of port 6000: %d sockets, want 0", n)
	}
	if n, _ := count(UDPFilter{LocalPort: 7}); n != 0 {
		t.Errorf("port 7: %d sockets, want 0", n)
	}
	var zero UDPScanner
	if zero.Next() || zero.Err() != nil {
		t.Error("zero scanner is not exhausted")
	}
}

func TestUDPReadersAllocs(t *testing.T) {
	fs := openFixture(t, "linux-6.18-netns-udp-drops/proc")
	r, err := fs.UDPReader(FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var u UDPSockets
	if err := r.Read(&u); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() {
		if err := r.Read(&u); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Reader.Read allocates %.1f times, want 0", a)
	}

	sf, err := fs.OpenUDPScan(FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	var drops uint64
	scanAll := func() {
		sc, err := sf.Scan(UDPFilter{LocalPort: 5000})
		if err != nil {
			t.Fatal(err)
		}
		for sc.Next() {
			drops = sc.Socket().Drops
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	scanAll()
	if a := testing.AllocsPerRun(100, scanAll); a != 0 {
		t.Errorf("UDPScanFile.Scan + Next allocates %.1f times, want 0", a)
	}
	if drops != 4991 {
		t.Errorf("port 5000 drops %d, want 4991", drops)
	}
}
