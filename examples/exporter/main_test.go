package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startProcess starts cmd, streams its stderr into a buffer and returns the
// first line matching re (waiting up to timeout). The process is killed at
// cleanup.
func startProcess(t *testing.T, cmd *exec.Cmd, re *regexp.Regexp, timeout time.Duration) (match []string, log *syncBuffer) {
	t.Helper()
	log = &syncBuffer{}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			log.WriteLine(sc.Text())
			if !sent && re != nil {
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					found <- m
					sent = true
				}
			}
		}
	}()
	if re == nil {
		return nil, log
	}
	select {
	case m := <-found:
		return m, log
	case <-time.After(timeout):
		t.Fatalf("%s did not print %q within %s; stderr:\n%s", filepath.Base(cmd.Path), re, timeout, log)
	}
	return nil, log
}

// syncBuffer collects log lines from a goroutine.
type syncBuffer struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *syncBuffer) lock() {
	if s.mu == nil {
		s.mu = make(chan struct{}, 1)
	}
	s.mu <- struct{}{}
}

func (s *syncBuffer) WriteLine(l string) {
	s.lock()
	s.b.WriteString(l + "\n")
	<-s.mu
}

func (s *syncBuffer) String() string {
	s.lock()
	defer func() { <-s.mu }()
	return s.b.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// promResult is the part of a Prometheus /api/v1/query answer the test reads.
type promResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// query runs an instant query and returns its samples' values.
func query(t *testing.T, prom, q string) []float64 {
	t.Helper()
	resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var r promResult
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	if r.Status != "success" {
		t.Fatalf("query %s: %s %s", q, r.Status, r.Error)
	}
	var out []float64
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", q, s.Value, err)
		}
		out = append(out, v)
	}
	return out
}

// waitFor polls cond every 500ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// procUDPDrops reads the drops column of /proc/net/udp for the socket bound
// to 127.0.0.1:port: the kernel's own count to compare with.
func procUDPDrops(t *testing.T, port int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 13 && f[1] == local {
			v, err := strconv.ParseUint(f[len(f)-1], 10, 64)
			if err != nil {
				t.Fatalf("/proc/net/udp drops %q: %v", f[len(f)-1], err)
			}
			return v
		}
	}
	t.Fatalf("no socket %s in /proc/net/udp", local)
	return 0
}

// TestPrometheusScrapesDrops is the end-to-end test: the exporter scraped
// every second by a real Prometheus server, UDP receive-buffer drops induced
// on loopback, and the drop counters read back through Prometheus's HTTP
// API with the names and types Prometheus gives them.
func TestPrometheusScrapesDrops(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root (sock_diag of every socket, ethtool, the CI setup)")
	}
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("skipped: the prometheus server is not installed (Debian package prometheus; .ci/run installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	m, expLog := startProcess(t, exec.Command(bin, "-listen", "127.0.0.1:0", "-devices", "lo"),
		regexp.MustCompile(`serving http://(127\.0\.0\.1:\d+)/metrics`), 30*time.Second)
	target := m[1]

	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: packetpath
    static_configs:
      - targets: ['%s']
`, target)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Two Prometheus servers scrape the one exporter, the usual HA pair:
	// prom is the one most checks use, promB the second for the stage
	// drops, which both must see whole.
	startProm := func(name string) (string, *syncBuffer) {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		_, log := startProcess(t, exec.Command(promBin, "--config.file="+cfg,
			"--storage.tsdb.path="+filepath.Join(dir, name), "--web.listen-address="+addr), nil, 0)
		url := "http://" + addr
		waitFor(t, name+" ready", 60*time.Second, func() (bool, string) {
			resp, err := http.Get(url + "/-/ready")
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status
		})
		return url, log
	}
	prom, promLog := startProm("tsdb")
	promB, promBLog := startProm("tsdb-b")
	defer func() {
		if t.Failed() {
			t.Logf("exporter stderr:\n%s\nprometheus stderr:\n%s\nsecond prometheus stderr:\n%s", expLog, promLog, promBLog)
		}
	}()

	// A first scrape before the drops, so increase() has a baseline.
	const rcvbufErrors = `packetpath_udp_receive_buffer_errors_total{job="packetpath",network_transport="udp",network_type="ipv4"}`
	const stageQ = `packetpath_stage_drops_total{job="packetpath",packetpath_stage="rx-socket"}`
	var before float64
	stageBefore := map[string]float64{}
	waitFor(t, "a first scrape by both servers", 30*time.Second, func() (bool, string) {
		up := query(t, prom, `up{job="packetpath"}`)
		v := query(t, prom, rcvbufErrors)
		sa, sb := query(t, prom, stageQ), query(t, promB, stageQ)
		if len(up) == 1 && up[0] == 1 && len(v) == 1 && len(sa) == 1 && len(sb) == 1 {
			before = v[0]
			stageBefore[prom], stageBefore[promB] = sa[0], sb[0]
			return true, ""
		}
		return false, fmt.Sprintf("up=%v value=%v stage drops %v %v", up, v, sa, sb)
	})

	// A receiver with the smallest buffer that never reads, flooded on
	// loopback.
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := rx.SetReadBuffer(2048); err != nil {
		t.Fatal(err)
	}
	port := rx.LocalAddr().(*net.UDPAddr).Port
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	payload := make([]byte, 64)
	const sent = 1000
	for range sent {
		if _, err := tx.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	drops := procUDPDrops(t, port)
	if drops == 0 || drops >= sent {
		t.Fatalf("kernel counted %d drops of %d sent: the flood did not overflow the buffer", drops, sent)
	}
	var rcvbuf int
	if rc, err := rx.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { rcvbuf, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) })
	}
	t.Logf("sent %d to 127.0.0.1:%d (SO_RCVBUF %d): the kernel dropped %d", sent, port, rcvbuf, drops)

	// The per-socket series must reach the kernel's exact count, and the
	// namespace-wide counter must have moved by at least as much.
	sockQ := fmt.Sprintf(`packetpath_udp_socket_drops_total{job="packetpath",network_local_address="127.0.0.1",network_local_port="%d"}`, port)
	waitFor(t, "the drops to be scraped", 30*time.Second, func() (bool, string) {
		v := query(t, prom, sockQ)
		after := query(t, prom, rcvbufErrors)
		ok := len(v) == 1 && v[0] == float64(drops) && len(after) == 1 && after[0]-before >= float64(drops)
		return ok, fmt.Sprintf("socket=%v RcvbufErrors %v -> %v", v, before, after)
	})
	// Each server scraped part of the intervals, yet both see the whole
	// loss at the socket stage: at least the socket's drops, the same
	// total on both once the flood is over.
	waitFor(t, "both servers to see the stage drops", 30*time.Second, func() (bool, string) {
		sa, sb := query(t, prom, stageQ), query(t, promB, stageQ)
		ok := len(sa) == 1 && len(sb) == 1 && sa[0] == sb[0] && sa[0]-stageBefore[prom] >= float64(drops) && sb[0]-stageBefore[promB] >= float64(drops)
		return ok, fmt.Sprintf("server A %v (from %v), server B %v (from %v), socket drops %d", sa, stageBefore[prom], sb, stageBefore[promB], drops)
	})
	t.Logf("stage drops rx-socket: server A %v, server B %v (socket dropped %d)", query(t, prom, stageQ), query(t, promB, stageQ), drops)
	if inc := query(t, prom, `increase(`+rcvbufErrors+`[1m])`); len(inc) != 1 || inc[0] <= 0 {
		t.Errorf("increase(Udp.RcvbufErrors[1m]) = %v, want > 0", inc)
	}

	// Names, types and help as Prometheus recorded them.
	checkMetadata(t, prom, map[string]string{
		"packetpath_udp_receive_buffer_errors_total":       "counter",
		"packetpath_udp_socket_drops_total":                "counter",
		"packetpath_udp_socket_receive_buffer_limit_bytes": "gauge",
		"system_network_packet_dropped_total":              "counter",
		"system_network_io_bytes_total":                    "counter",
		"packetpath_stage_drops_total":                     "counter",
		"packetpath_source_up":                             "gauge",
	})
	if v := query(t, prom, `target_info{job="packetpath",service_name="packetpath-exporter"}`); len(v) != 1 {
		t.Errorf("target_info with service_name=packetpath-exporter: %v", v)
	}
	if v := query(t, prom, `system_network_packet_dropped_total{job="packetpath",network_interface_name="lo",network_io_direction="receive"}`); len(v) != 1 {
		t.Errorf("lo receive drops series: %v", v)
	}
	if v := query(t, prom, `count(system_network_io_bytes_total{job="packetpath",network_interface_name!="lo"})`); len(v) != 0 {
		t.Errorf("-devices lo exported other devices: %v", v)
	}
}

// checkMetadata compares /api/v1/metadata types with want.
func checkMetadata(t *testing.T, prom string, want map[string]string) {
	t.Helper()
	resp, err := http.Get(prom + "/api/v1/metadata")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md struct {
		Data map[string][]struct {
			Type string `json:"type"`
			Help string `json:"help"`
			Unit string `json:"unit"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	for name, typ := range want {
		m, ok := md.Data[name]
		if !ok || len(m) == 0 {
			t.Errorf("metadata: no %s", name)
			continue
		}
		if m[0].Type != typ || m[0].Help == "" {
			t.Errorf("metadata %s: type %q help %q, want type %q and a help text", name, m[0].Type, m[0].Help, typ)
		}
	}
}
