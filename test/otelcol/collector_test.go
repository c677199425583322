package otelcol

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/socketstats"
)

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// collector is a running Collector: OTLP gRPC and HTTP receivers feeding
// the Prometheus exporter, all on loopback.
type collector struct {
	grpc, http, prom string // host:port of each
}

// startCollector builds and runs the Collector until the test ends.
func startCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{
		grpc: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		http: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		prom: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
	// Flow-style YAML on one line for the yaml: provider. The Prometheus
	// exporter translates names the way examples/exporter does
	// (UnderscoreEscapingWithSuffixes), so both show the same names.
	cfg := fmt.Sprintf(`{receivers: {otlp: {protocols: {grpc: {endpoint: "%s"}, http: {endpoint: "%s"}}}}, `+
		`exporters: {prometheus: {endpoint: "%s", translation_strategy: UnderscoreEscapingWithSuffixes, metric_expiration: 10m}}, `+
		`service: {telemetry: {metrics: {level: none}, logs: {level: warn}}, pipelines: {metrics: {receivers: [otlp], exporters: [prometheus]}}}}`,
		c.grpc, c.http, c.prom)
	factories := func() (otelcol.Factories, error) {
		var f otelcol.Factories
		var err error
		if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
			return f, err
		}
		if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](prometheusexporter.NewFactory()); err != nil {
			return f, err
		}
		f.Telemetry = otelconftelemetry.NewFactory()
		return f, nil
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-packetpath-test", Description: "packetpath test Collector", Version: "test"},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"yaml:" + cfg},
			ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
		}},
		DisableGracefulShutdown: true, // the test stops it, not a signal
	})
	if err != nil {
		t.Fatalf("collector: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- col.Run(context.Background()) }()
	t.Cleanup(func() {
		col.Shutdown()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("collector: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("collector did not stop within 20s")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-done:
			t.Fatalf("collector stopped at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector not running after 30s (state %v)", col.GetState())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels string // the text between the braces
	value  float64
}

// scrape reads the Collector's Prometheus exporter.
func (c *collector) scrape(t *testing.T) []sample {
	t.Helper()
	resp, err := http.Get("http://" + c.prom + "/metrics")
	if err != nil {
		t.Fatalf("scrape collector: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape collector: %v", err)
	}
	var out []sample
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			t.Fatalf("collector line %q: %v", line, err)
		}
		s := sample{name: line[:sp], value: v}
		if i := strings.IndexByte(s.name, '{'); i >= 0 {
			s.name, s.labels = line[:i], line[i+1:sp-1]
		}
		out = append(out, s)
	}
	return out
}

// find returns the values of the samples named name whose labels contain
// every one of labels (`key="value"`).
func find(ss []sample, name string, labels ...string) []float64 {
	var out []float64
next:
	for _, s := range ss {
		if s.name != name {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(s.labels, l) {
				continue next
			}
		}
		out = append(out, s.value)
	}
	return out
}

// buildExporter compiles examples/exporter, in its own module (which
// replaces the library with the working tree), into the test's temporary
// directory.
func buildExporter(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exporter")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "examples", "exporter")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build exporter: %v\n%s", err, out)
	}
	return bin
}

// startExporter runs the exporter binary until the test ends and waits for
// its "serving" line.
func startExporter(t *testing.T, bin string, args ...string) *lockedLog {
	t.Helper()
	cmd := exec.Command(bin, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("exporter: %v", err)
	}
	log := &lockedLog{}
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		once := sync.Once{}
		for sc.Scan() {
			log.add(sc.Text())
			if strings.Contains(sc.Text(), "exporter: serving") {
				once.Do(func() { close(serving) })
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("exporter stderr:\n%s", log)
		}
	})
	select {
	case <-serving:
	case <-time.After(30 * time.Second):
		t.Fatalf("exporter did not start within 30s; stderr:\n%s", log)
	}
	return log
}

type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) add(s string) {
	l.mu.Lock()
	l.b.WriteString(s + "\n")
	l.mu.Unlock()
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var ssDrops = regexp.MustCompile(`skmem:\([^)]*\bd(\d+)\)`)

// kernelSocketDrops is the drop count ss shows for the UDP socket bound to
// local in the namespace.
func kernelSocketDrops(t *testing.T, ns *netnstest.NS, local string) uint64 {
	t.Helper()
	out := ns.Run("ss", "-u", "-a", "-m", "-n", "src", local)
	m := ssDrops.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ss shows no skmem drops for %s:\n%s", local, out)
	}
	d, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// kernelSNMP is one counter of /proc/net/snmp in the namespace.
func kernelSNMP(t *testing.T, ns *netnstest.NS, group, name string) uint64 {
	t.Helper()
	lines := strings.Split(ns.Run("cat", "/proc/net/snmp"), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(h) == 0 || h[0] != group+":" || len(h) != len(v) {
			continue
		}
		for j := range h {
			if h[j] == name {
				n, err := strconv.ParseUint(v[j], 10, 64)
				if err != nil {
					t.Fatalf("/proc/net/snmp %s %s = %q: %v", group, name, v[j], err)
				}
				return n
			}
		}
	}
	t.Fatalf("/proc/net/snmp in the namespace has no %s %s", group, name)
	return 0
}

// TestCollectorReceivesDrops pushes to a real Collector from the exporter
// (OTLP/gRPC, -netns) and from an instrumented socket of this process
// (OTLP/HTTP, the library user's path), overflows that socket inside a
// namespace, and checks that what the Collector exports is the kernel's
// count: the socket's own drops, its row of the UDP table, the Udp
// RcvbufErrors delta and the losing stage (rx-socket).
func TestCollectorReceivesDrops(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ss")
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: needs the go command to build examples/exporter")
	}
	bin := buildExporter(t)
	ns := netnstest.New(t)
	col := startCollector(t)

	// The instrumented socket: never read, with a small buffer, so the
	// kernel drops what does not fit.
	const port = 5077
	local := fmt.Sprintf("127.0.0.1:%d", port)
	conn, err := socketstats.Open(socketstats.Config{NetNS: ns.Path, Port: port, Bind: netip.MustParseAddr("127.0.0.1"), ReceiveBuffer: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL("http://"+col.http+"/v1/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))),
		sdkmetric.WithResource(resource.NewSchemaless(attribute.String("service.name", "otelcol-test"))))
	defer mp.Shutdown(ctx)
	if err := conn.RegisterMetrics(mp); err != nil {
		t.Fatal(err)
	}

	startExporter(t, bin, "-listen", "127.0.0.1:0", "-netns", ns.Path, "-mib-groups", "Udp",
		"-otlp", "http://"+col.grpc, "-otlp-protocol", "grpc", "-otlp-interval", "300ms")
	const job = `job="packetpath-exporter"`

	// Wait for the exporter's first push, the baseline of its stage
	// counter and of the Udp delta.
	var before []sample
	waitFor(t, "the exporter's first push", 30*time.Second, func() bool {
		before = col.scrape(t)
		return len(find(before, "packetpath_udp_receive_buffer_errors_total", job, `network_transport="udp"`, `network_type="ipv4"`)) == 1 &&
			len(find(before, "packetpath_stage_drops_total", job)) > 0
	})
	rcvbufBefore := find(before, "packetpath_udp_receive_buffer_errors_total", job, `network_transport="udp"`, `network_type="ipv4"`)[0]
	kernelRcvbufBefore := kernelSNMP(t, ns, "Udp", "RcvbufErrors")
	stageBefore := 0.0
	if v := find(before, "packetpath_stage_drops_total", job, `packetpath_stage="rx-socket"`); len(v) == 1 {
		stageBefore = v[0]
	}

	// Overload: 2,000 datagrams of 200 bytes into a 4 KiB buffer.
	const sent = 2000
	if err := ns.Do(func() error {
		c, err := net.Dial("udp4", local)
		if err != nil {
			return err
		}
		defer c.Close()
		b := make([]byte, 200)
		for range sent {
			if _, err := c.Write(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	drops := kernelSocketDrops(t, ns, local)
	rcvbufDelta := kernelSNMP(t, ns, "Udp", "RcvbufErrors") - kernelRcvbufBefore
	if drops == 0 || drops >= sent {
		t.Fatalf("ss shows %d drops of %d sent: no overload", drops, sent)
	}
	t.Logf("kernel: %d of %d datagrams dropped at %s (ss), Udp RcvbufErrors +%d", drops, sent, local, rcvbufDelta)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatalf("push over OTLP/HTTP: %v", err)
	}

	want := float64(drops)
	var last string
	waitFor(t, "the Collector to export the kernel's drops", 30*time.Second, func() bool {
		ss := col.scrape(t)
		sock := find(ss, "packetpath_socket_drops_total", `job="otelcol-test"`, fmt.Sprintf(`network_local_port="%d"`, port))
		row := find(ss, "packetpath_udp_socket_drops_total", job, `network_local_address="127.0.0.1"`, fmt.Sprintf(`network_local_port="%d"`, port))
		rcvbuf := find(ss, "packetpath_udp_receive_buffer_errors_total", job, `network_transport="udp"`, `network_type="ipv4"`)
		stage := find(ss, "packetpath_stage_drops_total", job, `packetpath_stage="rx-socket"`)
		last = fmt.Sprintf("socket %v, UDP table row %v, RcvbufErrors %v (before %v), stage rx-socket %v (before %v)", sock, row, rcvbuf, rcvbufBefore, stage, stageBefore)
		return len(sock) == 1 && sock[0] == want &&
			len(row) == 1 && row[0] == want &&
			len(rcvbuf) == 1 && rcvbuf[0]-rcvbufBefore == float64(rcvbufDelta) &&
			len(stage) == 1 && stage[0]-stageBefore == want
	})
	t.Logf("collector: %s", last)
	if rcvbufDelta != drops {
		t.Errorf("Udp RcvbufErrors delta %d != socket drops %d in a namespace with one receiver", rcvbufDelta, drops)
	}
}

// waitFor polls cond every 200ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
