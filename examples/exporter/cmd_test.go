package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestVersionAndNetNSName: -version prints the module and the packetpath
// dependency, -netns takes a name made by ip netns (the metrics are the
// namespace's: a label with lo and none with the host's devices), and a file that is not
// a namespace is refused with a message that says so.
func TestVersionAndNetNSName(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").Output()
	if err != nil || !strings.HasPrefix(string(out), "exporter github.com/packetpath/packetpath/examples/exporter ") ||
		!strings.Contains(string(out), ", packetpath ") {
		t.Errorf("-version: %v: %q", err, out)
	}

	notNS := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(notNS, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-netns", notNS}, &stderr); code != 1 || !strings.Contains(stderr.String(), "not a network namespace") {
		t.Errorf("-netns %s: exit %d, stderr %q", notNS, code, stderr.String())
	}

	netnstest.RequireRoot(t)
	ns := netnstest.New(t)
	m, log := startProcess(t, exec.Command(bin, "-listen", "127.0.0.1:0", "-netns", ns.Name, "-sources", "links"),
		regexp.MustCompile(`serving http://(127\.0\.0\.1:\d+)/metrics`), 30*time.Second)
	resp, err := http.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `="lo"`) {
		t.Fatalf("no lo series from %s:\n%s\nstderr:\n%s", ns.Name, body, log)
	}
	host, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range host {
		if ifc.Name != "lo" && strings.Contains(string(body), `="`+ifc.Name+`"`) {
			t.Errorf("host device %s exported from namespace %s", ifc.Name, ns.Name)
		}
	}
}
