package main

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/netstack"
)

// scrape GETs /metrics once.
func scrape(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// sample returns the value of the one series of name whose labels include
// every one of labels (`key="value"`), and how many series matched.
func sample(text, name string, labels ...string) (value string, n int) {
	for _, l := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(l, name+"{")
		if !ok {
			// A series without labels: "name value".
			v, bare := strings.CutPrefix(l, name+" ")
			if !bare {
				continue
			}
			rest = "} " + v
		}
		end := strings.LastIndex(rest, "} ")
		if end < 0 {
			continue
		}
		set, val := rest[:end], rest[end+2:]
		match := true
		for _, want := range labels {
			if !strings.Contains(","+set+",", ","+want+",") {
				match = false
			}
		}
		if match {
			value = val
			n++
		}
	}
	return value, n
}

// sampleValue is sample's value as a number (Prometheus writes large
// values in exponent form).
func sampleValue(t *testing.T, text, name string, labels ...string) (float64, int) {
	t.Helper()
	v, n := sample(text, name, labels...)
	if n == 0 {
		return 0, 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("%s%v: value %q: %v", name, labels, v, err)
	}
	return f, n
}

// TestFailingSourceLoggedAndExported reads a procfs root that lacks
// net/snmp (-proc-root): the exporter logs the snmp source's failure once,
// exports packetpath_source_up 0 and an error counter for it, and serves
// softnet as usual.
func TestFailingSourceLoggedAndExported(t *testing.T) {
	var log bytes.Buffer
	ex, err := newExporter(&options{procRoot: "testdata/proc-nosnmp", sources: netstack.SourceSoftnet | netstack.SourceSNMP, maxSockets: -1}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.close()
	srv := httptest.NewServer(ex.handler())
	defer srv.Close()
	const scrapes = 3
	var text string
	for range scrapes {
		text = scrape(t, srv)
	}
	for _, ck := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"packetpath_source_up", []string{`packetpath_source="snmp"`}, 0},
		{"packetpath_source_up", []string{`packetpath_source="softnet"`}, 1},
		{"packetpath_source_errors_total", []string{`packetpath_source="snmp"`, `error_type="not_found"`}, scrapes},
		// The fixture's CPUs processed 0x06a301c8 and 0x00018687 packets.
		{"packetpath_softnet_processed_total", nil, 0x06a301c8 + 0x00018687},
	} {
		if v, n := sampleValue(t, text, ck.name, ck.labels...); n != 1 || v != ck.want {
			t.Errorf("%s%v = %v (%d series), want %v", ck.name, ck.labels, v, n, ck.want)
		}
	}
	if _, n := sample(text, "packetpath_udp_datagrams_received_total"); n != 0 {
		t.Errorf("%d UDP MIB series exported although snmp cannot be read", n)
	}
	if _, n := sample(text, "packetpath_mib_udp_total"); n != 0 {
		t.Errorf("%d MIB series exported although snmp cannot be read", n)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "exporter: source snmp failing") ||
		!strings.Contains(lines[0], "testdata/proc-nosnmp/net/snmp") || !strings.Contains(lines[0], "no such file") {
		t.Errorf("log: want one line for snmp naming the missing file, got:\n%s", log.String())
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grep(text, "packetpath_source", "softnet"))
	}
	t.Logf("log: %s", lines[0])
}
