package bundle

import (
	"context"
	"encoding/json"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/qdisc"
	"github.com/packetpath/packetpath/udptable"
)

// TestDumpDecodes records the dumps a frame holds in a namespace with two
// veths (an htb on one) and a UDP socket, and decodes them with the
// packages' decoders: the links are those of `ip -j link`, the qdiscs
// those of `tc -j qdisc`, the socket the one bound.
func TestDumpDecodes(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("ip", "link", "add", "ppq0", "type", "veth", "peer", "name", "ppq1")
	ns.Run("tc", "qdisc", "add", "dev", "ppq0", "root", "handle", "1:", "htb")
	ns.Run("tc", "class", "add", "dev", "ppq0", "parent", "1:", "classid", "1:1", "htb", "rate", "1mbit")
	var ipLinks []struct {
		Ifindex int    `json:"ifindex"`
		Name    string `json:"ifname"`
	}
	if err := json.Unmarshal([]byte(ns.Run("ip", "-j", "link", "show")), &ipLinks); err != nil {
		t.Fatal(err)
	}
	var tcQdiscs []struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(ns.Run("tc", "-j", "qdisc", "show")), &tcQdiscs); err != nil {
		t.Fatal(err)
	}
	ppq0 := 0
	for _, l := range ipLinks {
		if l.Name == "ppq0" {
			ppq0 = l.Ifindex
		}
	}
	ctx := context.Background()
	var links, qd, cls, udp []byte
	err := ns.Do(func() error {
		udpSocketFd(t)
		var err error
		if links, err = Dump(ctx, Route, LinkRequest(), nil); err != nil {
			return err
		}
		if qd, err = Dump(ctx, Route, QdiscRequest(), nil); err != nil {
			return err
		}
		if cls, err = Dump(ctx, Route, ClassRequest(ppq0), nil); err != nil {
			return err
		}
		if udp, err = Dump(ctx, SockDiag, UDPRequest(IPv4), nil); err != nil {
			return err
		}
		udp, err = Dump(ctx, SockDiag, UDPRequest(IPv6), udp)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := nic.DecodeLinks(links, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != len(ipLinks) {
		t.Fatalf("%d links, ip shows %d", len(ls), len(ipLinks))
	}
	for i := range ls {
		if ls[i].Name != ipLinks[i].Name || int(ls[i].Index) != ipLinks[i].Ifindex {
			t.Errorf("link %d: %s/%d, ip %s/%d", i, ls[i].Name, ls[i].Index, ipLinks[i].Name, ipLinks[i].Ifindex)
		}
	}
	qs, err := qdisc.DecodeQdiscs(qd, nil)
	if err != nil || len(qs) != len(tcQdiscs) {
		t.Fatalf("%d qdiscs (%v), tc shows %d", len(qs), err, len(tcQdiscs))
	}
	for i := range qs {
		if qs[i].Kind != tcQdiscs[i].Kind {
			t.Errorf("qdisc %d: %s, tc %s", i, qs[i].Kind, tcQdiscs[i].Kind)
		}
	}
	cs, err := qdisc.DecodeClasses(cls, nil)
	if err != nil || len(cs) != 1 || cs[0].Kind != "htb" {
		t.Fatalf("classes %+v, %v: want one htb class", cs, err)
	}
	socks, err := udptable.DecodeUDPSockets(nil, udp, udptable.ProtocolUDP)
	if err != nil || len(socks) != 1 || socks[0].Local.Port() != 5402 {
		t.Fatalf("sockets %+v, %v: want the one on port 5402", socks, err)
	}
	t.Logf("%d links (%d bytes), %d qdiscs (%d bytes), %d class, %d socket recorded and decoded", len(ls), len(links), len(qs), len(qd), len(cs), len(socks))
}

func udpSocketFd(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 5402, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	return fd
}
