package udptable

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/packetpath/packetpath/procparse"
)

func diagFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "diag", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// TestDiagDecodeFixture decodes a dump captured in a namespace with drops
// (see newDiagScene; regenerate with go test -run AgreesWith -diag.update as
// root) and checks it against /proc/net/udp{,6} and ss output captured at
// the same moment.
func TestDiagDecodeFixture(t *testing.T) {
	b := diagFixture(t, "scene.bin")
	got, err := DecodeUDPSockets(nil, b, ProtocolUDP)
	if err != nil {
		t.Fatalf("DecodeUDPSockets: %v", err)
	}
	if len(got) != 10 {
		t.Fatalf("decoded %d sockets, the scene has 10", len(got))
	}
	proc := diagParseProcUDP(t, diagFixture(t, "scene.udp"), diagFixture(t, "scene.udp6"))
	ss := diagParseSS(t, string(diagFixture(t, "scene.ss")))
	diagCheckAgreement(t, got, proc, ss, func(uint32) string { return "ppd0" })
	diagCheckProcparse(t, got, diagFixture(t, "scene.udp"), diagFixture(t, "scene.udp6"))
	var drops, withDrops int
	for _, s := range got {
		if s.Protocol != ProtocolUDP {
			t.Errorf("protocol %d", s.Protocol)
		}
		drops += int(s.Mem.Drops)
		if s.Mem.Drops > 0 {
			withDrops++
		}
	}
	if withDrops != 2 || drops == 0 {
		t.Errorf("%d sockets with %d drops, want 2 sockets with drops", withDrops, drops)
	}

	// Decoding again into the same slice allocates nothing.
	if !diagRace {
		allocs := testing.AllocsPerRun(50, func() {
			got, _ = DecodeUDPSockets(got[:0], b, ProtocolUDP)
		})
		if allocs != 0 {
			t.Errorf("%v allocations per decode, want 0", allocs)
		}
	}
}

// diagMsg builds one netlink message.
func diagMsg(typ uint16, seq uint32, payload []byte) []byte {
	n := diagNlmsgHdrLen + len(payload)
	b := make([]byte, (n+3)&^3)
	binary.NativeEndian.PutUint32(b[0:4], uint32(n))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], 2) // NLM_F_MULTI
	binary.NativeEndian.PutUint32(b[8:12], seq)
	copy(b[diagNlmsgHdrLen:], payload)
	return b
}

func diagAttr(typ uint16, v []byte) []byte {
	n := diagNlaHdrLen + len(v)
	b := make([]byte, (n+3)&^3)
	binary.NativeEndian.PutUint16(b[0:2], uint16(n))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[diagNlaHdrLen:], v)
	return b
}

// diagInetMsg builds a struct inet_diag_msg.
func diagInetMsg(local, remote netip.AddrPort, ifindex uint32, cookie uint64, rq, wq, uid, ino uint32) []byte {
	b := make([]byte, diagMsgLen)
	if local.Addr().Is4() {
		b[0] = FamilyIPv4
	} else {
		b[0] = FamilyIPv6
	}
	b[1] = byte(procparse.UDPStateUnconnected)
	binary.BigEndian.PutUint16(b[4:6], local.Port())
	binary.BigEndian.PutUint16(b[6:8], remote.Port())
	copy(b[8:24], local.Addr().AsSlice())
	copy(b[24:40], remote.Addr().AsSlice())
	ne := binary.NativeEndian
	ne.PutUint32(b[40:44], ifindex)
	ne.PutUint32(b[44:48], uint32(cookie))
	ne.PutUint32(b[48:52], uint32(cookie>>32))
	ne.PutUint32(b[56:60], rq)
	ne.PutUint32(b[60:64], wq)
	ne.PutUint32(b[64:68], uid)
	ne.PutUint32(b[68:72], ino)
	return b
}

func diagU32s(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.NativeEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func TestDiagDecodeSynthetic(t *testing.T) {
	local := netip.MustParseAddrPort("[2001:db8::1]:5000")
	remote := netip.MustParseAddrPort("[2001:db8::2]:6000")
	cg := make([]byte, 8)
	binary.NativeEndian.PutUint64(cg, 0x1122334455667788)
	payload := slices.Concat(
		diagInetMsg(local, remote, 3, 0xabcdef0012345678, 832, 64, 1000, 4242),
		diagAttr(diagAttrShutdown, []byte{2}),
		diagAttr(diagAttrV6Only|0x8000, []byte{1}), // NLA_F_NESTED must be masked
		diagAttr(diagAttrMark, diagU32s(7)),
		diagAttr(diagAttrCgroupID, cg),
		diagAttr(99, []byte{1, 2, 3}), // unknown: skipped
		diagAttr(diagAttrSKMemInfo, diagU32s(832, 4608, 64, 212992, 0xffffff00, 0, 40, 0, 4294967295)),
	)
	b := slices.Concat(diagMsg(diagSockDiagByFamily, 1, payload), diagMsg(diagNlmsgDone, 1, diagU32s(0)))
	got, err := DecodeUDPSockets(nil, b, ProtocolUDPLite)
	if err != nil {
		t.Fatal(err)
	}
	want := UDPSocket{
		Protocol: ProtocolUDPLite, Family: FamilyIPv6, State: procparse.UDPStateUnconnected,
		Local: local, Remote: remote, Interface: 3, Cookie: 0xabcdef0012345678,
		UID: 1000, Inode: 4242, RxQueue: 832, TxQueue: 64,
		Mem: SockMemInfo{RmemAlloc: 832, RcvBuf: 4608, WmemAlloc: 64, SndBuf: 212992, FwdAlloc: -256,
			OptMem: 40, Drops: 4294967295, Fields: 9},
		Shutdown: 2, HasShutdown: true, V6Only: true, HasV6Only: true, Mark: 7, HasMark: true,
		CgroupID: 0x1122334455667788, HasCgroupID: true,
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("decoded\n %+v\nwant\n %+v", got, want)
	}

	// An old kernel's SKMEMINFO without backlog and drops: not reported.
	old := slices.Concat(diagInetMsg(netip.MustParseAddrPort("10.0.0.1:53"), netip.AddrPortFrom(netip.IPv4Unspecified(), 0), 0, 1, 0, 0, 0, 1),
		diagAttr(diagAttrSKMemInfo, diagU32s(1, 2, 3, 4, 5, 6, 7)))
	got, err = DecodeUDPSockets(nil, diagMsg(diagSockDiagByFamily, 1, old), ProtocolUDP)
	if err != nil || len(got) != 1 {
		t.Fatalf("old kernel: %v %v", got, err)
	}
	if got[0].Mem.HasDrops() || got[0].Mem.Fields != 7 || got[0].HasShutdown || got[0].Mem.Drops != 0 {
		t.Errorf("old kernel meminfo %+v", got[0].Mem)
	}
	later := got[0]
	later.Mem.Fields = 9
	if n := later.DropsSince(&got[0]); n != 0 {
		t.Errorf("DropsSince without the counter: %d", n)
	}

	// Wrap of the 32-bit drop counter.
	a := UDPSocket{Cookie: 5, Mem: SockMemInfo{Drops: 4294967290, Fields: 9}}
	c := UDPSocket{Cookie: 5, Mem: SockMemInfo{Drops: 4, Fields: 9}}
	if n := c.DropsSince(&a); n != 10 {
		t.Errorf("DropsSince across the wrap: %d, want 10", n)
	}
	c.Cookie = 6
	if n := c.DropsSince(&a); n != 0 {
		t.Errorf("DropsSince of another socket: %d, want 0", n)
	}
}

func TestDiagDecodeErrors(t *testing.T) {
	v4 := diagInetMsg(netip.MustParseAddrPort("127.0.0.1:1"), netip.AddrPortFrom(netip.IPv4Unspecified(), 0), 0, 1, 0, 0, 0, 1)
	good := diagMsg(diagSockDiagByFamily, 1, v4)
	badFamily := slices.Clone(v4)
	badFamily[0] = 7
	shortAttr := slices.Concat(v4, []byte{2, 0, 7, 0})
	longAttr := slices.Concat(v4, []byte{200, 0, 7, 0})
	for _, c := range []struct {
		name      string
		b         []byte
		sockets   int
		errno     syscall.Errno
		malformed bool
	}{
		{"done with ENOENT", slices.Concat(good, diagMsg(diagNlmsgDone, 1, diagU32s(uint32(0xfffffffe)))), 1, syscall.ENOENT, false},
		{"error EINVAL", diagMsg(diagNlmsgError, 1, diagU32s(uint32(0xffffffea), 0, 0, 0, 0)), 0, syscall.EINVAL, false},
		{"ack", slices.Concat(diagMsg(diagNlmsgError, 1, diagU32s(0)), good), 1, 0, false},
		{"short error", diagMsg(diagNlmsgError, 1, []byte{1}), 0, 0, true},
		{"short inet_diag_msg", diagMsg(diagSockDiagByFamily, 1, v4[:71]), 0, 0, true},
		{"bad family", diagMsg(diagSockDiagByFamily, 1, badFamily), 0, 0, true},
		{"attribute shorter than its header", diagMsg(diagSockDiagByFamily, 1, shortAttr), 0, 0, true},
		{"attribute past the message", diagMsg(diagSockDiagByFamily, 1, longAttr), 0, 0, true},
		{"message length past the buffer", good[:len(good)-4], 0, 0, true},
		{"message length below the header", slices.Concat(good, diagU32s(3, 0, 0, 0)), 1, 0, true},
		{"trailing bytes", slices.Concat(good, []byte{1, 2, 3}), 1, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeUDPSockets(nil, c.b, ProtocolUDP)
			if len(got) != c.sockets {
				t.Errorf("%d sockets, want %d", len(got), c.sockets)
			}
			switch {
			case c.errno != 0:
				if !errors.Is(err, c.errno) {
					t.Errorf("error %v, want %v", err, c.errno)
				}
			case c.malformed:
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error %v, want ErrMalformed", err)
				}
			default:
				if err != nil {
					t.Errorf("error %v", err)
				}
			}
		})
	}
	if err := syscall.Errno(syscall.EPERM); !errors.Is(err, os.ErrPermission) {
		t.Error("EPERM does not answer os.ErrPermission")
	}
}

func TestDiagDecodeSkipsOtherSequences(t *testing.T) {
	v4 := diagInetMsg(netip.MustParseAddrPort("127.0.0.1:1"), netip.AddrPortFrom(netip.IPv4Unspecified(), 0), 0, 1, 0, 0, 0, 1)
	b := slices.Concat(diagMsg(diagSockDiagByFamily, 6, v4), diagMsg(diagNlmsgDone, 6, diagU32s(0)),
		diagMsg(diagSockDiagByFamily, 7, v4), diagMsg(diagSockDiagByFamily, 7, v4), diagMsg(diagNlmsgDone, 7, diagU32s(0)))
	got, done, _, err := decodeDiag(nil, b, ProtocolUDP, 7, true)
	if err != nil || !done || len(got) != 2 {
		t.Errorf("seq 7: %d sockets, done %v, %v", len(got), done, err)
	}
}

// TestDiagProcessFixture keeps the sockets of process 100 of a fixture
// /proc tree whose fd links point at sockets, pipes and files (the fd
// scanning itself is procparse's, tested there).
func TestDiagProcessFixture(t *testing.T) {
	root := filepath.Join("testdata", "diag", "proc")
	inodes, err := SocketInodes(root, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SocketInodes(root, 999, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing pid: %v", err)
	}
	socks := []UDPSocket{{Inode: 51370}, {Inode: 51368}, {Inode: 1}, {Inode: 51369}}
	kept := KeepInodes(socks, inodes)
	if len(kept) != 2 || kept[0].Inode != 51368 || kept[1].Inode != 51369 {
		t.Errorf("KeepInodes = %+v", kept)
	}
}
