package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkExporterScrape compares the CPU one scrape costs the packetpath
// exporter (examples/exporter) and node_exporter (Debian's 1.5, with its
// collectors of the same data: softnet, netstat, netdev, udp_queues,
// ethtool, qdisc), on the same host in one run, both scraped alternately.
// CPU is the exporter process's utime+stime (/proc/PID/stat, in clock
// ticks) over b.N scrapes of each; the series counted are those of the path
// (packetpath_*, system_network_* against node_softnet_*, node_netstat_*,
// node_network_*, node_udp_queues, node_ethtool_*, node_qdisc_*). host is
// the machine's own namespace; ns200 a namespace with 200 pfifo qdiscs on
// 100 veth pairs and 1,000 UDP sockets (the exporter with -netns,
// node_exporter under ip netns exec). Run it by hand:
//
//	cd bench && go test -run '^$' -bench ExporterScrape -benchtime 200x -count 1 .
//
// It skips without root or without prometheus-node-exporter.
func BenchmarkExporterScrape(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("skipped: needs root (sock_diag, ethtool, namespaces)")
	}
	ne, err := exec.LookPath("prometheus-node-exporter")
	if err != nil {
		if ne, err = exec.LookPath("node_exporter"); err != nil {
			b.Skip("skipped: no node_exporter (apt-get install prometheus-node-exporter)")
		}
	}
	pp := filepath.Join(b.TempDir(), "exporter")
	build := exec.Command("go", "build", "-o", pp, ".")
	build.Dir = filepath.Join("..", "examples", "exporter")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build examples/exporter: %v\n%s", err, out)
	}
	b.Run("host", func(b *testing.B) { scrapeBoth(b, pp, ne, "") })
	b.Run("ns200", func(b *testing.B) {
		path, cleanup := ns200(b)
		defer cleanup()
		scrapeBoth(b, pp, ne, path)
	})
}

// neCollectors are node_exporter's collectors of the path.
var neCollectors = []string{"--collector.disable-defaults", "--collector.softnet", "--collector.netstat",
	"--collector.netdev", "--collector.udp_queues", "--collector.ethtool", "--collector.qdisc"}

func scrapeBoth(b *testing.B, pp, ne, nsPath string) {
	ppPort, nePort := benchFreePort(b), benchFreePort(b)
	ppArgs := []string{"-listen", fmt.Sprintf("127.0.0.1:%d", ppPort), "-percpu", "-driver-stats", "*"}
	neArgs := append([]string{fmt.Sprintf("--web.listen-address=127.0.0.1:%d", nePort)}, neCollectors...)
	neCmd := exec.Command(ne, neArgs...)
	neClient := http.DefaultClient
	if nsPath != "" {
		ppArgs = append(ppArgs, "-netns", nsPath)
		neCmd = exec.Command("ip", append([]string{"netns", "exec", filepath.Base(nsPath), ne}, neArgs...)...)
		// node_exporter listens inside the namespace: dial from there.
		neClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInNetns(ctx, nsPath, network, addr)
		}}}
	}
	ppCmd := exec.Command(pp, ppArgs...)
	for _, c := range []*exec.Cmd{ppCmd, neCmd} {
		c.Stdout, c.Stderr = io.Discard, io.Discard
		if err := c.Start(); err != nil {
			b.Fatalf("%s: %v", c.Path, err)
		}
		b.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}
	ppURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", ppPort)
	neURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", nePort)
	ppBody := waitScrape(b, http.DefaultClient, ppURL)
	neBody := waitScrape(b, neClient, neURL)
	// Warm-up: both have looked everything up once.
	for range 3 {
		scrapeOnce(b, http.DefaultClient, ppURL)
		scrapeOnce(b, neClient, neURL)
	}
	ppSeries := countSeries(ppBody, "packetpath_", "system_network_")
	neSeries := countSeries(neBody, "node_softnet_", "node_netstat_", "node_network_", "node_udp_queues", "node_ethtool_", "node_qdisc_")

	ppStart, neStart := procCPU(b, ppCmd.Process.Pid), procCPU(b, neCmd.Process.Pid)
	b.ResetTimer()
	for range b.N {
		scrapeOnce(b, http.DefaultClient, ppURL)
		scrapeOnce(b, neClient, neURL)
	}
	b.StopTimer()
	ppTicks, neTicks := procCPU(b, ppCmd.Process.Pid)-ppStart, procCPU(b, neCmd.Process.Pid)-neStart
	hz := 100.0 // USER_HZ: /proc/PID/stat counts in 1/100 s on Linux
	ppMs := float64(ppTicks) / hz * 1000 / float64(b.N)
	neMs := float64(neTicks) / hz * 1000 / float64(b.N)
	b.ReportMetric(ppMs, "packetpath-cpu-ms/scrape")
	b.ReportMetric(neMs, "node_exporter-cpu-ms/scrape")
	b.ReportMetric(float64(ppSeries), "packetpath-series")
	b.ReportMetric(float64(neSeries), "node_exporter-series")
	ratio := 0.0
	if ppMs > 0 {
		ratio = neMs / ppMs
		b.ReportMetric(ratio, "x-cheaper")
	}
	b.Logf("%d scrapes each: packetpath %d ticks (%.2f ms/scrape, %d path series), node_exporter %d ticks (%.2f ms/scrape, %d path series), node_exporter/packetpath %.2f",
		b.N, ppTicks, ppMs, ppSeries, neTicks, neMs, neSeries, ratio)
}

func benchFreePort(b *testing.B) int {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dialInNetns makes the connection's socket inside the namespace at path
// (from a thread that enters it and is then discarded); the connection
// works from any thread afterwards.
func dialInNetns(ctx context.Context, path, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns %s: %w", path, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func waitScrape(b *testing.B, c *http.Client, url string) string {
	b.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		body, err := scrape(c, url)
		if err == nil {
			return body
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func scrapeOnce(b *testing.B, c *http.Client, url string) {
	if _, err := scrape(c, url); err != nil {
		b.Fatalf("%s: %v", url, err)
	}
}

func scrape(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return string(body), nil
}

// countSeries counts the sample lines whose name starts with one of prefixes.
func countSeries(body string, prefixes ...string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				n++
				break
			}
		}
	}
	return n
}

// procCPU is utime+stime of the process in clock ticks (/proc/PID/stat
// fields 14 and 15, counted after the parenthesised command name).
func procCPU(b *testing.B, pid int) uint64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		b.Fatalf("/proc/%d/stat: no ')': %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime 15.
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat utime %q stime %q: %v %v", pid, f[11], f[12], err1, err2)
	}
	return u + st
}
