package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// build compiles a command of this repository into dir.
func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

type doc struct {
	Interval string `json:"interval"`
	NetNS    string `json:"netns"`
	Bundle   string `json:"bundle"`
	Findings []struct {
		Stage    string `json:"stage"`
		Object   string `json:"object"`
		Drops    uint64 `json:"drops"`
		Summary  string `json:"summary"`
		Evidence []struct {
			Name  string `json:"name"`
			Delta uint64 `json:"delta"`
		} `json:"evidence"`
	} `json:"findings"`
	Stages []stageSummary `json:"stages"`
	Delta  []deltaEntry   `json:"delta"`
	Errors []string       `json:"errors"`
}

func runJSON(t *testing.T, cmd *exec.Cmd) doc {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	var d doc
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s", err, out)
	}
	return d
}

func TestOnceJSONHost(t *testing.T) {
	bin := build(t, t.TempDir(), "github.com/packetpath/packetpath/examples/netstack-top")
	d := runJSON(t, exec.Command(bin, "-once", "-json", "-interval", "200ms"))
	if len(d.Stages) != 10 || d.Stages[0].Stage != "rx-nic" || d.Stages[9].Stage != "tx-nic" {
		t.Errorf("stages: %+v", d.Stages)
	}
	if !strings.Contains(d.Stages[0].Detail, "lo ") {
		t.Errorf("rx-nic does not list lo: %q", d.Stages[0].Detail)
	}
	if os.Geteuid() == 0 && len(d.Errors) > 0 {
		t.Errorf("source errors as root: %v", d.Errors)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-interval", "0s"}, {"-sources", "bogus"}, {"-netns", "x", "-root", "y"}, {"extra"}, {"-color", "sometimes"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-netns", "pp-no-such-namespace", "-once"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no such file") {
		t.Errorf("missing namespace: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"-root", t.TempDir(), "-once"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not a packetpath bundle") {
		t.Errorf("bundle that is not one: exit %d, stderr %q", code, errb.String())
	}
}

// TestNamespaceAndBundle runs netstack-top -once -json in a namespace while a
// socket there overflows, then captures the namespace with examples/capture
// and reads the bundle back with -root: both name the socket stage first.
func TestNamespaceAndBundle(t *testing.T) {
	ns := netnstest.New(t)
	dir := t.TempDir()
	top := build(t, dir, "github.com/packetpath/packetpath/examples/netstack-top")
	capture := build(t, dir, "github.com/packetpath/packetpath/examples/capture")

	var rx, tx int
	if err := ns.Do(func() error {
		var err error
		if rx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
			return err
		}
		unix.SetsockoptInt(rx, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		if err := unix.Bind(rx, &unix.SockaddrInet4{Port: 5400, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return err
		}
		tx, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rx)
	defer unix.Close(tx)
	flood := func(n int) {
		p := make([]byte, 64)
		for range n {
			unix.Sendto(tx, p, 0, &unix.SockaddrInet4{Port: 5400, Addr: [4]byte{127, 0, 0, 1}})
		}
	}

	cmd := exec.Command(top, "-once", "-json", "-interval", "1500ms", "-netns", ns.Name)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	flood(2000)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("netstack-top: %v\n%s", err, stderr.Bytes())
	}
	var d doc
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) == 0 || d.Findings[0].Stage != "rx-socket" {
		t.Fatalf("namespace: first finding %+v, want rx-socket", d.Findings)
	}

	// The same through a bundle: capture two frames around another flood.
	bundle := filepath.Join(dir, "ns.tar.gz")
	cap := exec.Command(capture, "-o", bundle, "-frames", "2", "-interval", "1s", "-netns", ns.Name)
	var cerr bytes.Buffer
	cap.Stderr = &cerr
	if err := cap.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	flood(1000)
	if err := cap.Wait(); err != nil {
		t.Fatalf("capture: %v\n%s", err, cerr.Bytes())
	}
	bd := runJSON(t, exec.Command(top, "-once", "-json", "-root", bundle))
	if bd.Bundle != bundle || len(bd.Findings) == 0 || bd.Findings[0].Stage != "rx-socket" || bd.Findings[0].Drops == 0 {
		t.Fatalf("bundle: %+v", bd.Findings)
	}
	t.Logf("namespace: %s; bundle: %s", d.Findings[0].Summary, bd.Findings[0].Summary)
}
