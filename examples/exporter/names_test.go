package main

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// The dashboard and the alerting rules, relative to this module.
var (
	dashboardPath = filepath.Join("..", "..", "dashboards", "packetpath.json")
	rulesPath     = filepath.Join("..", "..", "alerts", "packetpath.rules.yml")
	rulesTestPath = filepath.Join("..", "..", "alerts", "packetpath.rules.test.yml")
)

// TestPromtoolRules runs promtool check rules and promtool test rules (the
// unit tests with alerts that fire and alerts that stay silent).
func TestPromtoolRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("skipped: no promtool (Debian's prometheus package ships it; .ci/run installs it)")
	}
	for _, args := range [][]string{
		{"check", "rules", filepath.Base(rulesPath)},
		{"test", "rules", filepath.Base(rulesTestPath)},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Dir(rulesPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// queryExprs returns the PromQL expressions of the dashboard (panel
// targets and template variable queries) and of the rules file (each expr
// is on one line there).
func queryExprs(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	out := map[string][]string{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				t.Errorf("%s: panel %q has a target without expr", dashboardPath, p.Title)
			}
			out[dashboardPath+": panel "+p.Title] = append(out[dashboardPath+": panel "+p.Title], tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			if s, ok := q["query"].(string); ok {
				out[dashboardPath+": variable "+v.Name] = append(out[dashboardPath+": variable "+v.Name], s)
			}
		}
	}
	rb, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	alert := ""
	for _, line := range strings.Split(string(rb), "\n") {
		l := strings.TrimSpace(line)
		if a, ok := strings.CutPrefix(l, "- alert:"); ok {
			alert = strings.TrimSpace(a)
		}
		if e, ok := strings.CutPrefix(l, "expr:"); ok {
			e = strings.TrimSpace(e)
			if e == "" || e == "|" || e == ">" {
				t.Fatalf("%s: alert %s: keep each expr on one line (the name check reads it)", rulesPath, alert)
			}
			out[rulesPath+": alert "+alert] = append(out[rulesPath+": alert "+alert], e)
		}
	}
	if len(out) == 0 {
		t.Fatal("no expressions found")
	}
	return out
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promSelector = regexp.MustCompile(`\b((?:packetpath|system_network)_[a-zA-Z0-9_]*)\s*(?:\{([^}]*)\})?`)
	promMatcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	labelValues  = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)`)
)

// exprRefs is what one expression refers to: metric names with the label
// names of their matchers, and the labels it groups by.
type exprRefs struct {
	metrics  map[string][]string
	grouping []string
}

func parseRefs(expr string) exprRefs {
	r := exprRefs{metrics: map[string][]string{}}
	if m := labelValues.FindStringSubmatch(expr); m != nil {
		r.metrics[m[1]] = nil
		r.grouping = append(r.grouping, m[2])
		return r
	}
	e := promString.ReplaceAllString(expr, `""`)
	e = promRange.ReplaceAllString(e, "")
	for _, m := range promGrouping.FindAllStringSubmatch(e, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				r.grouping = append(r.grouping, l)
			}
		}
	}
	e = promGrouping.ReplaceAllString(e, "")
	for _, m := range promSelector.FindAllStringSubmatch(e, -1) {
		var labels []string
		for _, lm := range promMatcher.FindAllStringSubmatch(m[2], -1) {
			labels = append(labels, lm[1])
		}
		r.metrics[m[1]] = append(r.metrics[m[1]], labels...)
	}
	return r
}

func TestParseRefs(t *testing.T) {
	r := parseRefs(`sum by (instance, network_local_port) (rate(packetpath_udp_socket_drops_total{instance=~"$instance",packetpath_counter="a{b}"}[5m])) / packetpath_x`)
	if !slices.Equal(r.grouping, []string{"instance", "network_local_port"}) || len(r.metrics) != 2 ||
		!slices.Equal(r.metrics["packetpath_udp_socket_drops_total"], []string{"instance", "packetpath_counter"}) {
		t.Errorf("parseRefs = %+v", r)
	}
}

// scrapeFamilies parses the Prometheus text format: the label names seen
// on each metric name.
func scrapeFamilies(text string) map[string]map[string]bool {
	fams := map[string]map[string]bool{}
	lbl := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if fams[name] == nil {
			fams[name] = map[string]bool{}
		}
		if strings.HasPrefix(rest, "{") {
			body := promString.ReplaceAllString(rest[:strings.LastIndexByte(rest, '}')+1], `""`)
			for _, m := range lbl.FindAllStringSubmatch(body, -1) {
				fams[name][m[1]] = true
			}
		}
	}
	return fams
}

// overloadScrape returns a scrape of the exporter on a new namespace with
// a qdisc, a veth (ethtool statistics) and a -join socket under overload
// (500 datagrams into a 4 KiB buffer before the reader starts), scraped
// twice so the diagnosis has a delta. mibGroups is the -mib-groups value
// (nil: the default).
func overloadScrape(t *testing.T, mibGroups []string) string {
	t.Helper()
	netnstest.RequireTool(t, "tc")
	ns := netnstest.New(t, netnstest.WithMulticastLoopback(), netnstest.WithVeth("ppn0", "ppn1", "10.77.0.1/24", "10.77.0.2/24"))
	ns.Run("tc", "qdisc", "replace", "dev", "ppn0", "root", "pfifo", "limit", "100")
	const group = "239.6.6.6:5066"
	ex, err := newExporter(&options{netns: ns.Path, join: []netip.AddrPort{netip.MustParseAddrPort(group)},
		iface: "lo", rcvbuf: 4096, maxSockets: 50, perCPU: true, driverStats: []string{"rx_queue_*"}, mibGroups: mibGroups}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.close()
	srv := httptest.NewServer(ex.handler())
	defer srv.Close()
	scrape := func() string {
		resp, err := srv.Client().Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	scrape() // the diagnosis's baseline

	// Overload the -join socket (not reading yet), and send some traffic
	// over the veth so its qdisc counts.
	if err := ns.Do(func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(group)))
		if err != nil {
			return err
		}
		defer c.Close()
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			return err
		}
		if err := ipv4.NewPacketConn(c).SetMulticastInterface(lo); err != nil {
			return err
		}
		b := make([]byte, 64)
		for i := range uint64(500) {
			binary.BigEndian.PutUint64(b, i)
			if _, err := c.Write(b); err != nil {
				return err
			}
		}
		v, err := net.Dial("udp4", "10.77.0.2:9")
		if err != nil {
			return err
		}
		defer v.Close()
		for range 10 {
			_, _ = v.Write(b)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := testContext(t, 3*time.Second)
	defer cancel()
	go ex.sink.run(ctx)
	deadline := time.Now().Add(2 * time.Second)
	for ex.sink.conn.Stats().Packets == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	text := scrape()
	return text
}

// TestDashboardAndRulesNames checks that every metric name, matcher label
// and grouping label of the dashboard and the rules is one that a real
// scrape of the exporter emits: the exporter on a namespace with a qdisc, a
// veth (ethtool statistics) and a -join socket under overload, scraped
// twice so the diagnosis has a delta. A rename of a metric or a label
// fails here until the dashboard and the rules follow.
func TestDashboardAndRulesNames(t *testing.T) {
	exprs := queryExprs(t)
	text := overloadScrape(t, nil)
	fams := scrapeFamilies(text)
	// Labels Prometheus adds at scrape time.
	added := map[string]bool{"instance": true, "job": true}

	checked := 0
	for where, list := range exprs {
		for _, expr := range list {
			r := parseRefs(expr)
			if len(r.metrics) == 0 {
				t.Errorf("%s: no packetpath metric in %q", where, expr)
			}
			for name, labels := range r.metrics {
				checked++
				fam, ok := fams[name]
				if !ok {
					t.Errorf("%s: metric %s is not in a scrape of the exporter (expr %q)", where, name, expr)
					continue
				}
				for _, l := range labels {
					if !fam[l] && !added[l] {
						t.Errorf("%s: metric %s has no label %s in a scrape (expr %q)", where, name, l, expr)
					}
				}
			}
			for _, l := range r.grouping {
				found := added[l]
				for name := range r.metrics {
					found = found || fams[name][l]
				}
				if !found {
					t.Errorf("%s: grouping label %s is on none of %v in a scrape (expr %q)", where, l, slices.Collect(mapKeys(r.metrics)), expr)
				}
			}
		}
	}
	t.Logf("%d expressions in %d panels/variables/alerts, %d metric references checked against a scrape of %d families", countExprs(exprs), len(exprs), checked, len(fams))
	if t.Failed() {
		var names []string
		for n := range fams {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Logf("families in the scrape: %s", strings.Join(names, " "))
	}
}

func mapKeys(m map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func countExprs(m map[string][]string) int {
	n := 0
	for _, l := range m {
		n += len(l)
	}
	return n
}
