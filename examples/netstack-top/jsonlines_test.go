package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// overflowSocket opens, inside ns, a receiver with a 4 KiB buffer that
// never reads on 127.0.0.1:port and a sender; flood sends n 64-byte
// datagrams at the receiver.
func overflowSocket(t *testing.T, ns *netnstest.NS, port int) (flood func(n int)) {
	t.Helper()
	var rx, tx int
	if err := ns.Do(func() error {
		var err error
		if rx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
			return err
		}
		unix.SetsockoptInt(rx, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		if err := unix.Bind(rx, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return err
		}
		tx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(rx); unix.Close(tx) })
	return func(n int) {
		p := make([]byte, 64)
		for range n {
			unix.Sendto(tx, p, 0, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
		}
	}
}

// TestJSONLines: -json without -once writes one compact document per
// interval on its own line, with no terminal control codes; the rx-socket
// drops summed over three lines equal the namespace's Udp RcvbufErrors
// increase (the peer, read with cat inside the namespace) while a socket
// there overflows; and closing the pipe after three lines ends
// netstack-top with status 0.
func TestJSONLines(t *testing.T) {
	ns := netnstest.New(t)
	flood := overflowSocket(t, ns, 5410)
	bin := build(t, t.TempDir(), "github.com/packetpath/packetpath/examples/netstack-top")
	before := mib(t, ns, "snmp", "Udp.RcvbufErrors")
	cmd := exec.Command(bin, "-json", "-interval", "300ms", "-netns", ns.Name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(pipe)
	var drops uint64
	for i := range 3 {
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("line %d: %v; stderr %s", i+1, err, stderr.Bytes())
		}
		if bytes.Count(line, []byte("\n")) != 1 || bytes.ContainsRune(line, 0x1b) {
			t.Errorf("line %d is not one compact line without control codes: %.200q", i+1, line)
		}
		var d doc
		if err := json.Unmarshal(line, &d); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if len(d.Stages) != 10 || d.Interval == "" || d.NetNS != "/var/run/netns/"+ns.Name {
			t.Errorf("line %d: %d stages, interval %q, netns %q", i+1, len(d.Stages), d.Interval, d.NetNS)
		}
		for _, st := range d.Stages {
			if st.Stage == "rx-socket" {
				drops += st.Drops
			}
		}
		if i == 0 {
			flood(2000)
		}
	}
	after := mib(t, ns, "snmp", "Udp.RcvbufErrors")
	pipe.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("after the pipe closed: %v (want exit 0); stderr %s", err, stderr.Bytes())
	}
	if after-before == 0 || drops != after-before {
		t.Errorf("rx-socket drops over 3 lines %d, kernel Udp RcvbufErrors %d -> %d (+%d)", drops, before, after, after-before)
	}
	t.Logf("3 lines: rx-socket drops %d = RcvbufErrors +%d", drops, after-before)
}

// TestJSONLinesHeadJq is the pipeline, with Debian's jq as the
// reader: `netstack-top -json -interval 1s | head -3 | jq -c .stages`
// prints three arrays of the ten stages and netstack-top exits 0.
func TestJSONLinesHeadJq(t *testing.T) {
	netnstest.RequireTool(t, "jq")
	ns := netnstest.New(t)
	bin := build(t, t.TempDir(), "github.com/packetpath/packetpath/examples/netstack-top")
	out, err := exec.Command("bash", "-c", "set -o pipefail; "+bin+" -json -interval 1s -netns "+ns.Name+" | head -3 | jq -c .stages").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	for i, l := range lines {
		var stages []stageSummary
		if err := json.Unmarshal([]byte(l), &stages); err != nil || len(stages) != 10 || stages[0].Stage != "rx-nic" {
			t.Errorf("line %d: %v, %d stages: %.120s", i+1, err, len(stages), l)
		}
	}
}
