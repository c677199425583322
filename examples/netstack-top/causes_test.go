package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// The multicast loss causes of issue 15, each produced for real in a
// namespace and read back from `netstack-top -netns NAME -once -json`: the
// cause is the first finding, the counter's delta equals the kernel's (the
// namespace's /proc/net/snmp or netstat read by cat(1) inside it before and
// after the interval) and the knob carries its value in force.

type causeJSON struct {
	Findings []struct {
		Stage    string `json:"stage"`
		Drops    uint64 `json:"drops"`
		Summary  string `json:"summary"`
		Evidence []struct {
			Name  string `json:"name"`
			Delta uint64 `json:"delta"`
			Value uint64 `json:"value"`
			Gauge bool   `json:"gauge"`
		} `json:"evidence"`
		Knobs []struct {
			Name    string `json:"name"`
			Current string `json:"current"`
			Command string `json:"command"`
		} `json:"knobs"`
	} `json:"findings"`
}

// mib reads one counter ("Udp.IgnoredMulti", "TcpExt.IPReversePathFilter")
// from the namespace's /proc/net/snmp or netstat, through cat(1) run inside
// it: the peer the JSON must agree with.
func mib(t *testing.T, ns *netnstest.NS, file, counter string) uint64 {
	t.Helper()
	grp, key, _ := strings.Cut(counter, ".")
	lines := strings.Split(ns.Run("cat", "/proc/net/"+file), "\n")
	for i := 0; i+1 < len(lines); i++ {
		h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(h) == 0 || h[0] != grp+":" || len(v) != len(h) || v[0] != h[0] {
			continue
		}
		for j := range h {
			if h[j] == key {
				n, err := strconv.ParseUint(v[j], 10, 64)
				if err != nil {
					t.Fatalf("%s %s: %v", file, counter, err)
				}
				return n
			}
		}
	}
	t.Fatalf("%s has no %s", file, counter)
	return 0
}

// causeRun runs netstack-top once on ns with -json, calls induce during its
// interval, and checks that the first finding is at stage and quotes
// counter with the delta the kernel counted (which must be want), and that
// knob (when not "") has the current value cur.
func causeRun(t *testing.T, ns *netnstest.NS, file, counter, stage string, want uint64, knob, cur string, induce func()) {
	t.Helper()
	causeRunPeer(t, ns, func() uint64 { return mib(t, ns, file, counter) }, counter, stage, want, knob, cur, induce)
}

// causeRunPeer is causeRun with the kernel's count read by peer, and
// netstack-top's extra arguments.
func causeRunPeer(t *testing.T, ns *netnstest.NS, peer func() uint64, counter, stage string, want uint64, knob, cur string, induce func(), extra ...string) {
	t.Helper()
	before := peer()
	wait := runTopAsync(t, append([]string{"-once", "-json", "-interval", "500ms", "-netns", ns.Name}, extra...)...)
	time.Sleep(200 * time.Millisecond)
	induce()
	r := wait()
	after := peer()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var d causeJSON
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if len(d.Findings) == 0 {
		t.Fatalf("no findings:\n%s", r.stdout)
	}
	f := d.Findings[0]
	t.Logf("first finding: %s drops=%d: %s", f.Stage, f.Drops, f.Summary)
	if f.Stage != stage {
		t.Fatalf("first finding at %s, want %s:\n%s", f.Stage, stage, r.stdout)
	}
	if after-before != want {
		t.Errorf("the kernel counted %s +%d, want +%d", counter, after-before, want)
	}
	found := false
	for _, e := range f.Evidence {
		if e.Name == counter && !e.Gauge {
			found = true
			if e.Delta != after-before {
				t.Errorf("JSON %s +%d, kernel +%d", counter, e.Delta, after-before)
			}
		}
	}
	if !found {
		t.Errorf("the first finding does not quote %s: %+v", counter, f.Evidence)
	}
	if f.Drops != want {
		t.Errorf("finding drops %d, want %d", f.Drops, want)
	}
	if knob == "" {
		return
	}
	for _, k := range f.Knobs {
		if k.Name == knob {
			if k.Current != cur {
				t.Errorf("knob %s current %q, want %q", knob, k.Current, cur)
			}
			t.Logf("knob %s = %s: %s", k.Name, k.Current, k.Command)
			return
		}
	}
	t.Errorf("no knob %s: %+v", knob, f.Knobs)
}

func causeSocket(t *testing.T, ns *netnstest.NS, typ, proto int, bind *unix.SockaddrInet4) int {
	t.Helper()
	var fd int
	if err := ns.Do(func() error {
		var err error
		if fd, err = unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, proto); err != nil {
			return err
		}
		if bind != nil {
			return unix.Bind(fd, bind)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func sendAll(t *testing.T, fd int, b []byte, to *unix.SockaddrInet4, n int) {
	t.Helper()
	for range n {
		if err := unix.Sendto(fd, b, 0, to); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCauseUnjoinedGroup: a receiver joined 239.7.1.1 on lo from port 5651;
// 300 datagrams go to the group's port 5652, where no socket is.
func TestCauseUnjoinedGroup(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	group := [4]byte{239, 7, 1, 1}
	rx := causeSocket(t, ns, unix.SOCK_DGRAM, 0, &unix.SockaddrInet4{Port: 5651})
	if err := unix.SetsockoptIPMreqn(rx, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreqn{Multiaddr: group, Ifindex: 1}); err != nil {
		t.Fatal(err)
	}
	tx := causeSocket(t, ns, unix.SOCK_DGRAM, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err := unix.SetsockoptInet4Addr(tx, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{127, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	causeRun(t, ns, "snmp", "Udp.IgnoredMulti", "rx-udp", 300, "", "", func() {
		sendAll(t, tx, make([]byte, 64), &unix.SockaddrInet4{Port: 5652, Addr: group}, 300)
	})
}

// TestCauseChecksum: 120 datagrams with a wrong UDP checksum, sent through
// a raw socket to a port with no socket.
func TestCauseChecksum(t *testing.T) {
	ns := netnstest.New(t)
	raw := causeSocket(t, ns, unix.SOCK_RAW, unix.IPPROTO_UDP, nil)
	pkt := make([]byte, 40)
	binary.BigEndian.PutUint16(pkt[0:], 40000)
	binary.BigEndian.PutUint16(pkt[2:], 5661)
	binary.BigEndian.PutUint16(pkt[4:], uint16(len(pkt)))
	// A fixed non-zero checksum that is not this datagram's (its correct
	// one is 0x4f3e): the kernel's InCsumErrors count proves it wrong.
	binary.BigEndian.PutUint16(pkt[6:], 0xbeef)
	causeRun(t, ns, "snmp", "Udp.InCsumErrors", "rx-udp", 120, "ethtool -K <iface> rx", "", func() {
		sendAll(t, raw, pkt, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}, 120)
	})
}

// TestCauseReassembly: lo's MTU 1500, ipfrag_high_thresh 0 in the
// namespace; 50 datagrams of 4000 bytes arrive as 150 fragments, each
// refused.
func TestCauseReassembly(t *testing.T) {
	ns := netnstest.New(t)
	ns.Run("ip", "link", "set", "lo", "mtu", "1500")
	ns.Run("sysctl", "-q", "-w", "net.ipv4.ipfrag_low_thresh=0")
	ns.Run("sysctl", "-q", "-w", "net.ipv4.ipfrag_high_thresh=0")
	causeSocket(t, ns, unix.SOCK_DGRAM, 0, &unix.SockaddrInet4{Port: 5671, Addr: [4]byte{127, 0, 0, 1}})
	tx := causeSocket(t, ns, unix.SOCK_DGRAM, 0, nil)
	causeRun(t, ns, "snmp", "Ip.ReasmFails", "rx-ip", 150, "net.ipv4.ipfrag_high_thresh", "0", func() {
		sendAll(t, tx, make([]byte, 4000), &unix.SockaddrInet4{Port: 5671, Addr: [4]byte{127, 0, 0, 1}}, 50)
	})
}

// TestCauseRPFilter: two namespaces; multicast from 10.63.0.2 arrives on
// mr0 while the receiver's route back to it leaves by ur0, and
// net.ipv4.conf.all.rp_filter is 1 (strict): all 200 datagrams are dropped.
func TestCauseRPFilter(t *testing.T) {
	rx, tx := netnstest.New(t), netnstest.New(t)
	for _, l := range [][2]string{{"mr0", "ms0"}, {"ur0", "us0"}} {
		if out, err := exec.Command("ip", "link", "add", l[0], "netns", rx.Name, "type", "veth", "peer", "name", l[1], "netns", tx.Name).CombinedOutput(); err != nil {
			t.Fatalf("ip link add: %v: %s", err, out)
		}
	}
	rx.Run("ip", "addr", "add", "10.61.0.1/24", "dev", "mr0")
	rx.Run("ip", "addr", "add", "10.62.0.1/24", "dev", "ur0")
	tx.Run("ip", "addr", "add", "10.61.0.2/24", "dev", "ms0")
	tx.Run("ip", "addr", "add", "10.63.0.2/32", "dev", "ms0")
	tx.Run("ip", "addr", "add", "10.62.0.2/24", "dev", "us0")
	rx.Run("ip", "link", "set", "mr0", "up")
	rx.Run("ip", "link", "set", "ur0", "up")
	tx.Run("ip", "link", "set", "ms0", "up")
	tx.Run("ip", "link", "set", "us0", "up")
	rx.Run("ip", "route", "add", "10.63.0.0/24", "via", "10.62.0.2", "dev", "ur0")
	tx.Run("ip", "route", "add", "224.0.0.0/4", "dev", "ms0")
	rx.Run("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1")
	idx, err := strconv.Atoi(strings.TrimSpace(rx.Run("cat", "/sys/class/net/mr0/ifindex")))
	if err != nil {
		t.Fatal(err)
	}
	group := [4]byte{239, 7, 3, 1}
	r := causeSocket(t, rx, unix.SOCK_DGRAM, 0, &unix.SockaddrInet4{Port: 5681})
	if err := unix.SetsockoptIPMreqn(r, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, &unix.IPMreqn{Multiaddr: group, Ifindex: int32(idx)}); err != nil {
		t.Fatal(err)
	}
	s := causeSocket(t, tx, unix.SOCK_DGRAM, 0, &unix.SockaddrInet4{Addr: [4]byte{10, 63, 0, 2}})
	if err := unix.SetsockoptInet4Addr(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, [4]byte{10, 63, 0, 2}); err != nil {
		t.Fatal(err)
	}
	causeRun(t, rx, "netstat", "TcpExt.IPReversePathFilter", "rx-ip", 200, "net.ipv4.conf.all.rp_filter", "1", func() {
		sendAll(t, s, make([]byte, 64), &unix.SockaddrInet4{Port: 5681, Addr: group}, 200)
	})
}

// TestCauseNetfilter: an nftables rule (Debian's nft) in the namespace
// counts and drops UDP to port 5691; 150 datagrams go there. With
// -sources snmp,sysctls,dropevents the netfilter finding is first, its
// NETFILTER_DROP count equal to the rule's counter (nft -j list ruleset).
func TestCauseNetfilter(t *testing.T) {
	ns := netnstest.New(t)
	netnstest.RequireTool(t, "nft")
	// NETFILTER_DROP is counted machine-wide: no other test may drop
	// through netfilter while this one measures.
	netnstest.HostWide(t, "netfilter-drop")
	if _, err := os.Stat("/sys/kernel/tracing/events"); err != nil {
		if merr := unix.Mount("nodev", "/sys/kernel/tracing", "tracefs", 0, ""); merr != nil {
			t.Skipf("skipped: no tracefs and cannot mount it: %v", merr)
		}
	}
	ns.Run("nft", "add", "table", "inet", "pp")
	ns.Run("nft", "add", "chain", "inet", "pp", "input", "{ type filter hook input priority 0 ; policy accept ; }")
	ns.Run("nft", "add", "rule", "inet", "pp", "input", "udp", "dport", "5691", "counter", "drop")
	rule := func() uint64 {
		out := ns.Run("nft", "-j", "list", "ruleset")
		_, after, ok := strings.Cut(out, `"counter": {"packets": `)
		if !ok {
			t.Fatalf("no counter in %s", out)
		}
		num, _, _ := strings.Cut(after, ",")
		v, err := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
		if err != nil {
			t.Fatalf("counter %q: %v", num, err)
		}
		return v
	}
	causeSocket(t, ns, unix.SOCK_DGRAM, 0, &unix.SockaddrInet4{Port: 5691, Addr: [4]byte{127, 0, 0, 1}})
	tx := causeSocket(t, ns, unix.SOCK_DGRAM, 0, nil)
	causeRunPeer(t, ns, rule, "NETFILTER_DROP", "rx-ip", 150, "netfilter ruleset", "", func() {
		sendAll(t, tx, make([]byte, 64), &unix.SockaddrInet4{Port: 5691, Addr: [4]byte{127, 0, 0, 1}}, 150)
	}, "-sources", "snmp,sysctls,dropevents")
}
