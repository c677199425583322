package socketstats

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cmsgRecord builds one control message record, padded.
func cmsgRecord(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	if cmsgAlign == 8 {
		binary.NativeEndian.PutUint64(b, uint64(cmsgHeader+len(data)))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(cmsgHeader+len(data)))
	}
	binary.NativeEndian.PutUint32(b[cmsgAlign:], uint32(level))
	binary.NativeEndian.PutUint32(b[cmsgAlign+4:], uint32(typ))
	copy(b[cmsgHeader:], data)
	return b
}

func TestPktinfoDst(t *testing.T) {
	ovfl := cmsgRecord(unix.SOL_SOCKET, unix.SO_RXQ_OVFL, []byte{7, 0, 0, 0})
	in4 := cmsgRecord(unix.IPPROTO_IP, unix.IP_PKTINFO, []byte{1, 0, 0, 0, 127, 0, 0, 1, 239, 1, 2, 3})
	a6 := netip.MustParseAddr("ff15::1:2")
	d6 := a6.As16()
	in6 := cmsgRecord(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, append(d6[:], 1, 0, 0, 0))
	for _, c := range []struct {
		name string
		b    []byte
		want netip.Addr
	}{
		{"v4 after SO_RXQ_OVFL", append(append([]byte{}, ovfl...), in4...), netip.MustParseAddr("239.1.2.3")},
		{"v6 alone", in6, a6},
		{"none", ovfl, netip.Addr{}},
		{"short v4 data", cmsgRecord(unix.IPPROTO_IP, unix.IP_PKTINFO, []byte{1, 2, 3}), netip.Addr{}},
		{"length past the end", in4[:len(in4)-8], netip.Addr{}},
		{"empty", nil, netip.Addr{}},
	} {
		got, ok := pktinfoDst(c.b)
		if got != c.want || ok != c.want.IsValid() {
			t.Errorf("%s: %v %v, want %v", c.name, got, ok, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { pktinfoDst(in6) }); n != 0 {
		t.Errorf("pktinfoDst allocates %v times", n)
	}
}

func FuzzPktinfoDst(f *testing.F) {
	f.Add(cmsgRecord(unix.IPPROTO_IP, unix.IP_PKTINFO, []byte{1, 0, 0, 0, 127, 0, 0, 1, 239, 1, 2, 3}))
	f.Add(cmsgRecord(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, make([]byte, 20)))
	f.Add(cmsgRecord(unix.SOL_SOCKET, unix.SO_RXQ_OVFL, []byte{7, 0, 0, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, ok := pktinfoDst(b); ok != a.IsValid() {
			t.Fatalf("ok %v with address %v", ok, a)
		}
	})
}

// TestUnjoinedWithMulticastAll: a Conn bound to 0.0.0.0:6120 joined
// 239.1.2.1 with IP_MULTICAST_ALL on; another socket (port 6121) joined
// 239.1.2.2 on lo. 100 datagrams to 239.1.2.1:6120 and 70 to
// 239.1.2.2:6120: the Conn receives all 170 (the kernel delivers the other
// socket's group to it), Message.Dst names each group, and Unjoined counts
// the 70. With IP_MULTICAST_ALL off (the default) the same traffic gives
// 100 datagrams and Unjoined 0.
func TestUnjoinedWithMulticastAll(t *testing.T) {
	for _, all := range []bool{true, false} {
		inNS(t, func() {
			g1, g2 := netip.MustParseAddr("239.1.2.1"), netip.MustParseAddr("239.1.2.2")
			c, err := Open(Config{Interface: "lo", Port: 6120, Bind: netip.IPv4Unspecified(), Groups: []Group{{Addr: g1}},
				MulticastAll: all, PacketInfo: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			other, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(other)
			if err := unix.Bind(other, &unix.SockaddrInet4{Port: 6121}); err != nil {
				t.Fatal(err)
			}
			if err := unix.SetsockoptIPMreqn(other, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreqn{Multiaddr: g2.As4(), Ifindex: 1}); err != nil {
				t.Fatal(err)
			}
			tx, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(tx)
			if err := unix.SetsockoptInet4Addr(tx, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
				t.Fatal(err)
			}
			payload := make([]byte, 64)
			for _, s := range []struct {
				g netip.Addr
				n int
			}{{g1, 100}, {g2, 70}} {
				for range s.n {
					if err := unix.Sendto(tx, payload, 0, &unix.SockaddrInet4{Port: 6120, Addr: s.g.As4()}); err != nil {
						t.Fatal(err)
					}
				}
			}
			msgs := make([]Message, 64)
			for i := range msgs {
				msgs[i].Buf = make([]byte, 256)
			}
			byDst := map[netip.Addr]int{}
			total := 0
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				n, err := c.ReadBatch(ctx, msgs)
				cancel()
				for _, m := range msgs[:n] {
					byDst[m.Dst]++
				}
				total += n
				if err != nil {
					break
				}
			}
			wantG2, wantUnjoined := 70, uint64(70)
			if !all {
				wantG2, wantUnjoined = 0, 0
			}
			if byDst[g1] != 100 || byDst[g2] != wantG2 || total != 100+wantG2 {
				t.Errorf("MulticastAll %v: received %d by destination %v, want %d for %s and %d for %s", all, total, byDst, 100, g1, wantG2, g2)
			}
			if got := c.Unjoined(); got != wantUnjoined {
				t.Errorf("MulticastAll %v: Unjoined %d, want %d", all, got, wantUnjoined)
			}
			t.Logf("MulticastAll %v: %d datagrams, by destination %v, Unjoined %d", all, total, byDst, c.Unjoined())
		})
	}
}

// TestReadBatchAllocsPacketInfo: with PacketInfo the steady-state batch
// read still allocates nothing (the joined-group copy reuses its array).
func TestReadBatchAllocsPacketInfo(t *testing.T) {
	const batch, runs = 32, 50
	inNS(t, func() {
		c, err := Open(Config{Interface: "lo", Port: 6201, Groups: []Group{{Addr: testGroup4}},
			ReceiveBuffer: 64 << 20, MaxBatch: batch, PacketInfo: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := newSender(t, loopback1)
		payload := make([]byte, 64)
		for range batch * (runs + 10) {
			s.send(t, netip.AddrPortFrom(testGroup4, 6201), payload)
		}
		msgs := newMessages(batch, 2048)
		allocs := testing.AllocsPerRun(runs, func() {
			if n, err := c.ReadBatch(context.Background(), msgs); err != nil || n != batch {
				t.Fatalf("ReadBatch: %d, %v", n, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%.1f allocs per batch with PacketInfo, want 0", allocs)
		}
		if msgs[0].Dst != testGroup4 || c.Unjoined() != 0 {
			t.Errorf("Dst %v, Unjoined %d", msgs[0].Dst, c.Unjoined())
		}
	})
}
