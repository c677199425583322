package main

import (
	"bytes"
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

// runTopAsync runs netstack-top in the background and returns a function
// that waits for its result.
func runTopAsync(t *testing.T, args ...string) func() runResult {
	done := make(chan runResult, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(append([]string{"-color", "never"}, args...), &out, &errb)
		done <- runResult{code, out.String(), errb.String()}
	}()
	return func() runResult { return <-done }
}

// TestLiveNetNSDetached: the namespace's name is deleted and added again
// (another namespace) during the interval: the JSON has "netns_detached"
// and the text a NAMESPACE DETACHED header line.
func TestLiveNetNSDetached(t *testing.T) {
	ns := netnstest.New(t)
	for _, jsonOut := range []bool{true, false} {
		args := []string{"-once", "-interval", "400ms", "-netns", ns.Name, "-sources", "snmp"}
		if jsonOut {
			args = append(args, "-json")
		}
		wait := runTopAsync(t, args...)
		time.Sleep(150 * time.Millisecond)
		for _, a := range [][]string{{"netns", "del", ns.Name}, {"netns", "add", ns.Name}} {
			if out, err := exec.Command("ip", a...).CombinedOutput(); err != nil {
				t.Fatalf("ip %v: %v: %s", a, err, out)
			}
		}
		r := wait()
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if jsonOut {
			var d struct {
				Detached string   `json:"netns_detached"`
				Errors   []string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(d.Detached, "namespace /var/run/netns/"+ns.Name+" no longer exists under that name") {
				t.Errorf("netns_detached %q, errors %q", d.Detached, d.Errors)
			}
			t.Logf("netns_detached: %s", d.Detached)
			continue
		}
		// The header may take two lines at 80 columns.
		if lines := strings.Split(r.stdout, "\n"); len(lines) < 3 || !(strings.HasPrefix(lines[1], "NAMESPACE DETACHED: namespace /var/run/netns/"+ns.Name) ||
			strings.HasPrefix(lines[2], "NAMESPACE DETACHED: namespace /var/run/netns/"+ns.Name)) {
			t.Errorf("no NAMESPACE DETACHED line under the header:\n%s", r.stdout)
		}
	}
}

// TestLiveFindingNamesOwner: a socket of this process with a small buffer
// that never reads drops datagrams during the interval; the rx-socket
// finding names it with its inode (fstat) and this process (pid, comm).
func TestLiveFindingNamesOwner(t *testing.T) {
	ns := netnstest.New(t)
	var rfd, sfd int
	var inode uint64
	if err := ns.Do(func() error {
		var err error
		if rfd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(rfd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096); err != nil {
			return err
		}
		if err := unix.Bind(rfd, &unix.SockaddrInet4{Port: 5471, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Fstat(rfd, &st); err != nil {
			return err
		}
		inode = st.Ino
		sfd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rfd)
	defer unix.Close(sfd)
	comm, _ := os.ReadFile("/proc/self/comm")
	owner := "pid " + strconv.Itoa(os.Getpid()) + " " + strings.TrimSpace(string(comm))
	want := "(inode " + strconv.FormatUint(inode, 10) + ", " + owner + ")"
	for _, jsonOut := range []bool{true, false} {
		args := []string{"-once", "-interval", "400ms", "-netns", ns.Name, "-sources", "udp,snmp"}
		if jsonOut {
			args = append(args, "-json")
		}
		wait := runTopAsync(t, args...)
		time.Sleep(150 * time.Millisecond)
		payload := make([]byte, 1000)
		to := &unix.SockaddrInet4{Port: 5471, Addr: [4]byte{127, 0, 0, 1}}
		for range 200 {
			if err := unix.Sendto(sfd, payload, 0, to); err != nil {
				t.Fatal(err)
			}
		}
		r := wait()
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if jsonOut {
			var d struct {
				Findings []struct {
					Stage    string `json:"stage"`
					Summary  string `json:"summary"`
					Object   string `json:"object"`
					Evidence []struct {
						Inode uint64 `json:"inode"`
						PID   int    `json:"pid"`
						Comm  string `json:"comm"`
					} `json:"evidence"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range d.Findings {
				if f.Stage == "rx-socket" && strings.Contains(f.Summary, want) {
					found = true
					t.Logf("finding: %s", f.Summary)
				}
				for _, e := range f.Evidence {
					if e.Inode == inode && (e.PID != os.Getpid() || e.Comm != strings.TrimSpace(string(comm))) {
						t.Errorf("evidence for inode %d: pid %d comm %q", inode, e.PID, e.Comm)
					}
				}
			}
			if !found {
				t.Errorf("no rx-socket finding naming %s:\n%s", want, r.stdout)
			}
			continue
		}
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), want) {
			t.Errorf("text names no %s:\n%s", want, r.stdout)
		}
	}
}
