//go:build linux

package socketstats

import (
	"bufio"
	"encoding/binary"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
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

// diagReadProcUDP parses /proc/thread-self/net/udp and udp6 of the calling
// thread's namespace.
func diagReadProcUDP(t testing.TB) map[uint64]diagProcSocket {
	t.Helper()
	out := make(map[uint64]diagProcSocket)
	for _, name := range []string{"udp", "udp6"} {
		b, err := os.ReadFile("/proc/thread-self/net/" + name)
		if err != nil {
			t.Fatalf("reading /proc/net/%s: %v", name, err)
		}
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
