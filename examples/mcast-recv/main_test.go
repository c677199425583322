package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// binDir holds the binary built once for every test of the package.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var build = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "mcast-recv-test")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "mcast-recv")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// buildBinary compiles mcast-recv once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// udpRcvbufErrors reads Udp RcvbufErrors of the namespace from
// /proc/net/snmp, as the kernel's peer view of the socket's drops.
func udpRcvbufErrors(t *testing.T, ns *netnstest.NS) uint64 {
	t.Helper()
	var hdr []string
	for _, line := range strings.Split(ns.Run("cat", "/proc/net/snmp"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if hdr == nil {
			hdr = f
			continue
		}
		for i, k := range hdr {
			if k == "RcvbufErrors" && i < len(f) {
				v, err := strconv.ParseUint(f[i], 10, 64)
				if err != nil {
					t.Fatalf("Udp RcvbufErrors %q: %v", f[i], err)
				}
				return v
			}
		}
	}
	t.Fatal("no Udp RcvbufErrors in /proc/net/snmp")
	return 0
}

// TestOverloadEndToEnd runs the binary inside a namespace with a tiny
// receive buffer and a paused reader, floods it from inside the namespace,
// and checks the JSON summary's accounting against what was sent and
// against the kernel's Udp RcvbufErrors.
func TestOverloadEndToEnd(t *testing.T) {
	netnstest.RequireRoot(t)
	bin := buildBinary(t)
	for _, mode := range []string{"ip-netns-exec", "netns-flag"} {
		t.Run(mode, func(t *testing.T) {
			ns := netnstest.New(t, netnstest.WithMulticastLoopback())
			const group = "239.7.7.7:5007"
			args := []string{"-group", group, "-iface", "lo", "-json", "-seq",
				"-duration", "7s", "-rcvbuf", "16384", "-pause", "1500ms", "-interval", "500ms"}
			var cmd *exec.Cmd
			if mode == "netns-flag" {
				// Also exercise -otel: its final print must agree with the
				// summary. -netns takes the name (TestSignalPrintsSummary the path).
				cmd = exec.Command(bin, append([]string{"-netns", ns.Name, "-otel", "-otel-interval", "1h"}, args...)...)
			} else {
				cmd = ns.Cmd(bin, args...)
			}
			runOverload(t, ns, cmd, group)
		})
	}
}

// TestSignalPrintsSummary stops a receiver without -duration with SIGTERM:
// it must exit 0 with its JSON summary.
func TestSignalPrintsSummary(t *testing.T) {
	netnstest.RequireRoot(t)
	bin := buildBinary(t)
	ns := netnstest.New(t, netnstest.WithMulticastLoopback())
	cmd := exec.Command(bin, "-netns", ns.Path, "-group", "239.7.7.8:5008", "-iface", "lo", "-json", "-quiet")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "ready:") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no ready line")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	var s summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout.String())
	}
	if s.Received != 0 || s.Dropped != 0 || s.DurationSeconds <= 0 || len(s.Groups) != 1 {
		t.Errorf("summary %+v", s)
	}
}

func runOverload(t *testing.T, ns *netnstest.NS, cmd *exec.Cmd, group string) {
	before := udpRcvbufErrors(t, ns)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	var stderrLog bytes.Buffer
	ready := make(chan struct{})
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderrPipe)
		once := false
		for sc.Scan() {
			stderrLog.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "mcast-recv: ready:") {
				once = true
				close(ready)
			}
		}
		if !once {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("mcast-recv did not report ready")
	}
	readyAt := time.Now()

	// The sender lives in the namespace too: multicast out of lo.
	var conn *net.UDPConn
	if err := ns.Do(func() error {
		var err error
		conn, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(group)))
		if err != nil {
			return err
		}
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			return err
		}
		return ipv4.NewPacketConn(conn).SetMulticastInterface(lo)
	}); err != nil {
		t.Fatalf("sender: %v", err)
	}
	defer conn.Close()

	var seq uint64
	payload := make([]byte, 64)
	send := func() {
		binary.BigEndian.PutUint64(payload, seq)
		if _, err := conn.Write(payload); err != nil {
			t.Fatalf("send %d: %v", seq, err)
		}
		seq++
	}
	// Phase 1: flood the paused reader; most of this overflows the buffer.
	for range 3000 {
		send()
	}
	// Phase 2: once the reader runs, a paced stream it keeps up with.
	time.Sleep(time.Until(readyAt.Add(2500 * time.Millisecond)))
	for range 200 {
		send()
		time.Sleep(500 * time.Microsecond)
	}
	// A last datagram into an empty buffer closes any trailing gap, so every
	// drop shows as a missing sequence number.
	time.Sleep(300 * time.Millisecond)
	send()
	sent := seq

	if err := cmd.Wait(); err != nil {
		<-logDone
		t.Fatalf("mcast-recv: %v\nstderr:\n%s", err, stderrLog.String())
	}
	<-logDone
	t.Logf("stderr:\n%s", stderrLog.String())
	var s summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, stdout.String())
	}
	t.Logf("sent %d, summary: %s", sent, stdout.String())
	after := udpRcvbufErrors(t, ns)

	if s.Received+s.Dropped != sent {
		t.Errorf("received %d + dropped %d = %d, sent %d", s.Received, s.Dropped, s.Received+s.Dropped, sent)
	}
	if !s.DropsReported || s.Dropped == 0 {
		t.Errorf("expected kernel drops under overload, got dropped=%d reported=%v", s.Dropped, s.DropsReported)
	}
	if got := after - before; got != s.Dropped {
		t.Errorf("Udp RcvbufErrors moved by %d, summary dropped %d", got, s.Dropped)
	}
	if !s.SequenceChecked || s.Missing != s.Dropped {
		t.Errorf("sequence missing %d, want dropped %d", s.Missing, s.Dropped)
	}
	if s.Gaps == 0 || s.Gaps > s.Dropped {
		t.Errorf("gaps %d: want 1..dropped (%d)", s.Gaps, s.Dropped)
	}
	if s.Reorders != 0 || s.Duplicates != 0 || s.Short != 0 || s.Senders != 1 {
		t.Errorf("reorders %d duplicates %d short %d senders %d: want 0 0 0 1", s.Reorders, s.Duplicates, s.Short, s.Senders)
	}
	if s.Bytes != s.Received*uint64(len(payload)) {
		t.Errorf("bytes %d, want %d x %d", s.Bytes, s.Received, len(payload))
	}
	if s.Buffer.Requested != 16384 || s.Buffer.Obtained != 2*16384 {
		t.Errorf("buffer requested %d obtained %d, want 16384 and 32768 (the kernel doubles)", s.Buffer.Requested, s.Buffer.Obtained)
	}
	if s.Buffer.HighWater == 0 || s.Buffer.HighWaterFill < 0.9 {
		t.Errorf("buffer high water %d (%.2f): the paused reader should have filled it", s.Buffer.HighWater, s.Buffer.HighWaterFill)
	}
	if s.Truncated != 0 || s.ControlTruncated != 0 {
		t.Errorf("truncated %d control %d, want 0", s.Truncated, s.ControlTruncated)
	}
	if s.QueueDelay == nil || s.QueueDelay.Count != s.Received {
		t.Errorf("queue delay %+v: want one measurement per datagram (%d)", s.QueueDelay, s.Received)
	}
	if !strings.Contains(stderrLog.String(), "| drops +") {
		t.Errorf("no telemetry lines on stderr")
	}
	if slices.Contains(cmd.Args, "-otel") {
		if want := fmt.Sprintf("otel packetpath.udp.receive_buffer_errors{network.transport=udp,network.type=ipv4} %d {datagram}\n", s.Dropped); !strings.Contains(stderrLog.String(), want) {
			t.Errorf("-otel output lacks %q", want)
		}
		// The socket's own series: its address, groups (a plain list),
		// inode and process, as the stack's UDP table labels them.
		for _, want := range []struct {
			prefix string
			value  uint64
		}{
			{"otel packetpath.socket.drops{network.interface.name=lo,network.local.address=239.7.7.7,network.local.port=5007,packetpath.multicast.groups=239.7.7.7,packetpath.socket.inode=", s.Dropped},
			{"otel packetpath.socket.packets{network.interface.name=lo,network.local.address=239.7.7.7,network.local.port=5007,packetpath.multicast.groups=239.7.7.7,packetpath.socket.inode=", s.Received},
		} {
			found := false
			for _, l := range strings.Split(stderrLog.String(), "\n") {
				if strings.HasPrefix(l, want.prefix) && strings.Contains(l, ",process.pid=") && strings.HasSuffix(l, fmt.Sprintf("} %d {packet}", want.value)) {
					found = true
				}
			}
			if !found {
				t.Errorf("-otel output lacks %q...} %d {packet}", want.prefix, want.value)
			}
		}
	}
}
