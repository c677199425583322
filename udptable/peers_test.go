package udptable

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/procparse"
)

// Peers of the sock_diag table in tests: /proc/net/udp{,6} and ss -uamne,
// parsed here independently of the code under test.

// diagProcSocket is one line of /proc/net/udp or udp6
// (udp4_format_sock / ip6_dgram_sock_seq_show).
type diagProcSocket struct {
	local, remote netip.AddrPort
	state         uint8
	txQueue       uint64
	rxQueue       uint64
	uid           uint32
	inode         uint64
	drops         uint64
}

// diagReadProcUDP reads /proc/thread-self/net/udp and udp6 of the calling
// thread's namespace, returning their contents.
func diagReadProcUDP(t testing.TB) (udp, udp6 []byte) {
	t.Helper()
	udp, err := os.ReadFile("/proc/thread-self/net/udp")
	if err != nil {
		t.Fatalf("reading /proc/net/udp: %v", err)
	}
	udp6, err = os.ReadFile("/proc/thread-self/net/udp6")
	if err != nil {
		t.Fatalf("reading /proc/net/udp6: %v", err)
	}
	return udp, udp6
}

// diagParseProcUDP parses the contents of /proc/net/udp and udp6 into a map
// keyed by inode.
func diagParseProcUDP(t testing.TB, files ...[]byte) map[uint64]diagProcSocket {
	t.Helper()
	out := make(map[uint64]diagProcSocket)
	for _, b := range files {
		name := "udp"
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Scan() // header
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 13 {
				t.Fatalf("/proc/net/%s: line with %d fields: %q", name, len(f), sc.Text())
			}
			var s diagProcSocket
			s.local = diagProcAddr(t, f[1])
			s.remote = diagProcAddr(t, f[2])
			st, _ := strconv.ParseUint(f[3], 16, 8)
			s.state = uint8(st)
			tx, rx, _ := strings.Cut(f[4], ":")
			s.txQueue, _ = strconv.ParseUint(tx, 16, 64)
			s.rxQueue, _ = strconv.ParseUint(rx, 16, 64)
			uid, _ := strconv.ParseUint(f[7], 10, 32)
			s.uid = uint32(uid)
			s.inode, _ = strconv.ParseUint(f[9], 10, 64)
			s.drops, _ = strconv.ParseUint(f[12], 10, 64)
			out[s.inode] = s
		}
	}
	return out
}

// diagProcAddr parses ADDR:PORT in /proc/net/udp's hex: the address is the
// in-memory __be32 words printed as host-order %08X.
func diagProcAddr(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	a, p, ok := strings.Cut(s, ":")
	if !ok || (len(a) != 8 && len(a) != 32) {
		t.Fatalf("bad /proc address %q", s)
	}
	var raw [16]byte
	for i := 0; i < len(a)/8; i++ {
		w, err := strconv.ParseUint(a[8*i:8*i+8], 16, 32)
		if err != nil {
			t.Fatalf("bad /proc address %q: %v", s, err)
		}
		binary.NativeEndian.PutUint32(raw[4*i:], uint32(w))
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		t.Fatalf("bad /proc port %q: %v", s, err)
	}
	if len(a) == 8 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[:4])), uint16(port))
	}
	return netip.AddrPortFrom(netip.AddrFrom16(raw), uint16(port))
}

// diagSSSocket is one socket of `ss -uamne`.
type diagSSSocket struct {
	state          string
	recvQ, sendQ   uint64
	local, peer    string
	inode          uint64
	cookie         uint64
	hasCookie      bool
	skmem          map[string]uint64
	v6only, hasV6O bool
}

// diagParseSS parses the output of `ss -u -a -m -n -e` (iproute2 6.1).
func diagParseSS(t testing.TB, out string) map[uint64]diagSSSocket {
	t.Helper()
	res := make(map[uint64]diagSSSocket)
	lines := strings.Split(out, "\n")
	var cur *diagSSSocket
	flush := func() {
		if cur != nil {
			res[cur.inode] = *cur
			cur = nil
		}
	}
	for i, line := range lines {
		if i == 0 || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ") {
			if cur == nil {
				t.Fatalf("ss: continuation line without a socket: %q", line)
			}
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "skmem:("); ok {
					cur.skmem = make(map[string]uint64)
					for _, kv := range strings.Split(strings.TrimSuffix(v, ")"), ",") {
						k := strings.TrimRight(kv, "0123456789")
						n, err := strconv.ParseUint(kv[len(k):], 10, 64)
						if err != nil {
							t.Fatalf("ss skmem %q: %v", v, err)
						}
						cur.skmem[k] = n
					}
				}
			}
			continue
		}
		flush()
		f := strings.Fields(line)
		if len(f) < 5 {
			t.Fatalf("ss: short line %q", line)
		}
		s := diagSSSocket{state: f[0], local: f[3], peer: f[4]}
		s.recvQ, _ = strconv.ParseUint(f[1], 10, 64)
		s.sendQ, _ = strconv.ParseUint(f[2], 10, 64)
		for _, kv := range f[5:] {
			k, v, _ := strings.Cut(kv, ":")
			switch k {
			case "ino":
				s.inode, _ = strconv.ParseUint(v, 10, 64)
			case "sk":
				var err error
				s.cookie, err = strconv.ParseUint(v, 16, 64)
				s.hasCookie = err == nil
			case "v6only":
				s.v6only, s.hasV6O = v == "1", true
			}
		}
		cur = &s
	}
	flush()
	return res
}

// diagSSAddr formats an address the way ss -n prints it: a dual-stack
// wildcard socket as "*", a device-bound local address with "%IFNAME".
func diagSSAddr(s *UDPSocket, peer bool, ifname string) string {
	ap := s.Local
	if peer {
		ap = s.Remote
	}
	a := ap.Addr()
	port := strconv.Itoa(int(ap.Port()))
	if peer && ap.Port() == 0 {
		port = "*"
	}
	var host string
	switch {
	case a.IsUnspecified() && a.Is6() && s.HasV6Only && !s.V6Only:
		host = "*"
	case a.Is4():
		host = a.String()
	default:
		host = "[" + a.String() + "]"
	}
	if !peer && ifname != "" {
		host += "%" + ifname
	}
	return host + ":" + port
}

// diagCheckAgreement checks every dumped socket against /proc/net/udp{,6}
// and ss, field by field, and that the three list the same sockets.
// ifname names a device index as ss prints it.
func diagCheckAgreement(t *testing.T, got []UDPSocket, proc map[uint64]diagProcSocket, ss map[uint64]diagSSSocket, ifname func(uint32) string) {
	t.Helper()
	if len(proc) != len(got) || len(ss) != len(got) {
		t.Errorf("socket counts: dump %d, /proc %d, ss %d", len(got), len(proc), len(ss))
	}
	for i := range got {
		s := &got[i]
		p, ok := proc[s.Inode]
		if !ok {
			t.Errorf("inode %d (%v) not in /proc/net/udp", s.Inode, s.Local)
			continue
		}
		if s.Mem.Drops != p.drops || s.RxQueue != p.rxQueue || s.TxQueue != p.txQueue ||
			s.Local != p.local || s.Remote != p.remote || uint8(s.State) != p.state || s.UID != p.uid {
			t.Errorf("inode %d disagrees with /proc/net/udp:\n dump %+v\n proc %+v", s.Inode, *s, p)
		}
		q, ok := ss[s.Inode]
		if !ok {
			t.Errorf("inode %d (%v) not in ss output", s.Inode, s.Local)
			continue
		}
		m := q.skmem
		if s.Mem.Drops != m["d"] || s.Mem.RmemAlloc != m["r"] || s.Mem.RcvBuf != m["rb"] ||
			s.Mem.WmemAlloc != m["t"] || s.Mem.SndBuf != m["tb"] || uint64(uint32(s.Mem.FwdAlloc)) != m["f"] ||
			s.Mem.WmemQueued != m["w"] || s.Mem.OptMem != m["o"] || s.Mem.Backlog != m["bl"] ||
			s.RxQueue != q.recvQ || s.TxQueue != q.sendQ {
			t.Errorf("inode %d disagrees with ss:\n dump %+v\n ss   %+v", s.Inode, *s, q)
		}
		name := ""
		if s.Interface != 0 {
			name = ifname(s.Interface)
		}
		if q.local != diagSSAddr(s, false, name) || q.peer != diagSSAddr(s, true, "") {
			t.Errorf("inode %d: ss addresses %s %s, dump %v %v", s.Inode, q.local, q.peer, s.Local, s.Remote)
		}
		if q.hasCookie && q.cookie != s.Cookie {
			t.Errorf("inode %d: ss cookie %x, dump %x", s.Inode, q.cookie, s.Cookie)
		}
		if q.hasV6O != s.HasV6Only || q.v6only != s.V6Only {
			t.Errorf("inode %d: ss v6only %v/%v, dump %v/%v", s.Inode, q.hasV6O, q.v6only, s.HasV6Only, s.V6Only)
		}
		if !s.Mem.HasDrops() || !s.HasShutdown {
			t.Errorf("inode %d: SKMEMINFO fields %d, shutdown present %v", s.Inode, s.Mem.Fields, s.HasShutdown)
		}
	}
}

// diagCheckProcparse checks the dump against the project's own
// /proc/net/udp parser (procparse.ParseUDP) on the same file contents.
func diagCheckProcparse(t *testing.T, got []UDPSocket, files ...[]byte) {
	t.Helper()
	byInode := make(map[uint64]procparse.UDPSocket)
	for _, b := range files {
		var tab procparse.UDPSockets
		if err := procparse.ParseUDP(b, &tab); err != nil {
			t.Fatalf("procparse.ParseUDP: %v", err)
		}
		for _, s := range tab.Sockets {
			byInode[s.Inode] = s
		}
	}
	if len(byInode) != len(got) {
		t.Errorf("procparse lists %d sockets, the dump %d", len(byInode), len(got))
	}
	for i := range got {
		s := &got[i]
		p, ok := byInode[s.Inode]
		if !ok {
			t.Errorf("inode %d not found by procparse", s.Inode)
			continue
		}
		if !p.HasDrops || p.Drops != s.Mem.Drops || p.RxQueue != s.RxQueue || p.TxQueue != s.TxQueue ||
			p.Local != s.Local || p.Remote != s.Remote || p.State != s.State || p.UID != s.UID {
			t.Errorf("inode %d disagrees with procparse:\n dump %+v\n procparse %+v", s.Inode, *s, p)
		}
	}
}
