//go:build linux

package qdisc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/qdisc"
	"golang.org/x/sys/unix"
)

// scenarioDev is one sender veth of the drop scenario.
type scenarioDev struct {
	name, peer string
	subnet     int      // 10.98.<subnet>.0/24
	txq        int      // tx/rx queues (0: single-queue veth)
	tc         []string // tc commands, one per line, "%s" = device
	starve     bool     // starve the peer's NAPI thread to force requeues
}

var scenario = []scenarioDev{
	{name: "tb0", peer: "tb1", subnet: 1, tc: []string{
		// Slow shaper with a bfifo child: drops, overlimits and a backlog
		// that stays (8 bit/s drains one packet in minutes).
		"qdisc add dev %s root handle 1: tbf rate 8bit burst 2kb limit 6kb",
		"qdisc add dev %s parent 1:1 handle 10: bfifo limit 3000",
	}},
	{name: "tf0", peer: "tf1", subnet: 2, starve: true, tc: []string{
		// 20 Mbit/s shaper: drops, overlimits and requeues that drain.
		"qdisc add dev %s root handle 1: tbf rate 20mbit burst 16kb limit 30kb",
	}},
	{name: "hb0", peer: "hb1", subnet: 3, tc: []string{
		"qdisc add dev %s root handle 1: htb default 10",
		"class add dev %s parent 1: classid 1:1 htb rate 16bit",
		"class add dev %s parent 1:1 classid 1:10 htb rate 8bit ceil 16bit",
		"class add dev %s parent 1:1 classid 1:20 htb rate 8bit ceil 16bit",
		"qdisc add dev %s parent 1:10 handle 10: pfifo limit 50",
		"qdisc add dev %s ingress",
	}},
	{name: "pa0", peer: "pa1", subnet: 4, starve: true, tc: []string{
		"qdisc add dev %s root handle 1: pfifo limit 200",
	}},
	{name: "pf0", peer: "pf1", subnet: 5, starve: true, tc: []string{
		"qdisc add dev %s root pfifo_fast",
	}},
	{name: "mq0", peer: "mq1", subnet: 6, txq: 4, starve: true, tc: []string{
		"qdisc add dev %s root handle 1: mq",
		"qdisc replace dev %s parent 1:2 handle 12: bfifo limit 2000",
	}},
}

// setupScenario builds the namespace, runs the traffic and waits until the
// counters are still. It returns the namespace.
func setupScenario(t *testing.T) *netnstest.NS {
	t.Helper()
	netnstest.RequireTool(t, "tc")
	ns := netnstest.New(t)
	for _, d := range scenario {
		if d.txq > 0 {
			q := strconv.Itoa(d.txq)
			ns.Run("ip", "link", "add", d.name, "numtxqueues", q, "numrxqueues", q, "type", "veth",
				"peer", "name", d.peer, "numtxqueues", q, "numrxqueues", q)
		} else {
			ns.Run("ip", "link", "add", d.name, "type", "veth", "peer", "name", d.peer)
		}
		ns.Run("ip", "addr", "add", fmt.Sprintf("10.98.%d.1/24", d.subnet), "dev", d.name)
		ns.Run("ip", "link", "set", d.name, "up")
		ns.Run("ip", "link", "set", d.peer, "up")
		ns.Run("ip", "neigh", "replace", fmt.Sprintf("10.98.%d.9", d.subnet), "lladdr", "02:00:00:00:00:09",
			"dev", d.name, "nud", "permanent")
		for _, line := range d.tc {
			ns.Run("tc", strings.Fields(fmt.Sprintf(line, d.name))...)
		}
		if d.starve {
			starvePeer(t, ns, d)
		}
	}
	blast(t, ns)
	waitStill(t, ns)
	return ns
}

// starvePeer makes veth push back (NETDEV_TX_BUSY -> requeue): the peer
// receives through a threaded NAPI ring whose kthread gets SCHED_IDLE on
// the senders' CPU. Best effort.
func starvePeer(t *testing.T, ns *netnstest.NS, d scenarioDev) {
	if err := ns.Cmd("ethtool", "-K", d.name, "tso", "off", "gso", "off").Run(); err != nil {
		t.Logf("ethtool -K %s: %v (requeues may stay 0)", d.name, err)
		return
	}
	_ = ns.Cmd("ethtool", "-K", d.peer, "gro", "on").Run()
	_ = ns.Cmd("sh", "-c", "echo 1 > /sys/class/net/"+d.peer+"/threaded").Run()
	time.Sleep(100 * time.Millisecond)
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, f := range comms {
		b, err := os.ReadFile(f)
		if err != nil || !strings.HasPrefix(string(b), "napi/"+d.peer+"-") {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		var set unix.CPUSet
		set.Set(0)
		_ = unix.SchedSetaffinity(pid, &set)
		_ = unix.SchedSetAttr(pid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0)
	}
}

// blast sends UDP datagrams from four senders pinned to CPU 0 to a
// non-existent neighbour behind every scenario device.
func blast(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	const perSender = 20000
	var wg sync.WaitGroup
	for s := 0; s < 4; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // ns.Do switches this thread; keep it ours
			err := ns.Do(func() error {
				var set unix.CPUSet
				set.Set(0)
				_ = unix.SchedSetaffinity(0, &set)
				fds := make([]int, 0, len(scenario))
				for range scenario {
					fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
					if err != nil {
						return err
					}
					defer unix.Close(fd)
					fds = append(fds, fd)
				}
				payload := make([]byte, 60)
				for i := 0; i < perSender; i++ {
					for j, d := range scenario {
						a := netip.AddrFrom4([4]byte{10, 98, byte(d.subnet), 9}).As4()
						_ = unix.Sendto(fds[j], payload, unix.MSG_DONTWAIT, &unix.SockaddrInet4{Port: 9 + s, Addr: a})
					}
				}
				return nil
			})
			if err != nil {
				t.Errorf("sender: %v", err)
			}
		}()
	}
	wg.Wait()
}

// waitStill waits until two tc snapshots 300 ms apart are identical.
func waitStill(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	prev := ""
	for i := 0; i < 100; i++ {
		cur := ns.Run("tc", "-s", "-j", "qdisc", "show")
		if cur == prev {
			return
		}
		prev = cur
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("qdisc counters did not settle")
}

// TestMatchesTC runs the drop scenario once and compares every qdisc and
// class counter with tc.
func TestMatchesTC(t *testing.T) {
	ns := setupScenario(t)
	c, err := qdisc.Open(qdisc.Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Run("qdiscs", func(t *testing.T) { testQdiscsMatchTC(t, ns, c) })
	t.Run("classes", func(t *testing.T) { testClassesMatchTC(t, ns, c) })
	if os.Getenv("QDISC_WRITE_TESTDATA") != "" {
		writeTestdata(t, ns, c)
	}
}

// writeTestdata captures the scenario's raw dumps and tc's view of them
// into testdata/scenario (QDISC_WRITE_TESTDATA=1 go test -run TestMatchesTC).
func writeTestdata(t *testing.T, ns *netnstest.NS, c *qdisc.Conn) {
	dir := filepath.Join("testdata", "scenario")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := qdisc.RawDumpForTest(ctx, c, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	write("qdisc.nl", raw)
	write("qdisc.json", []byte(ns.Run("tc", "-s", "-j", "qdisc", "show")))
	links := ""
	if err := ns.Do(func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			links += fmt.Sprintf("%d %s\n", i.Index, i.Name)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, d := range scenario {
		idx := ifindexIn(t, ns, d.name)
		raw, err := qdisc.RawDumpForTest(ctx, c, true, idx)
		if err != nil {
			t.Fatal(err)
		}
		write("class-"+d.name+".nl", raw)
		write("class-"+d.name+".txt", []byte(ns.Run("tc", "-s", "class", "show", "dev", d.name)))
	}
	write("links.txt", []byte(links))
}

func testQdiscsMatchTC(t *testing.T, ns *netnstest.NS, c *qdisc.Conn) {
	ctx := context.Background()

	for attempt := 0; ; attempt++ {
		before := ns.Run("tc", "-s", "-j", "qdisc", "show")
		qs, err := c.Qdiscs(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		after := ns.Run("tc", "-s", "-j", "qdisc", "show")
		if before != after {
			if attempt < 10 {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			t.Fatal("tc output kept changing")
		}
		var want []tcQdisc
		if err := json.Unmarshal([]byte(after), &want); err != nil {
			t.Fatal(err)
		}
		compareQdiscs(t, qs, want)
		break
	}
}
