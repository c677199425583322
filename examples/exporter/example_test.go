package main

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/packetpath/packetpath/netstack"
)

// Example serves the stack's /proc/net/snmp counters the way the exporter
// does and shows how OpenTelemetry names appear in Prometheus.
func Example() {
	ex, err := newExporter(&options{sources: netstack.SourceSNMP, mibGroups: []string{"Udp"}, maxSockets: -1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ex.close()
	srv := httptest.NewServer(ex.handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "# TYPE packetpath_mib") || strings.Contains(line, `packetpath_counter="Udp.RcvbufErrors"`) {
			// Print the series without its value, which is the machine's.
			if i := strings.LastIndexByte(line, ' '); i > 0 && !strings.HasPrefix(line, "#") {
				line = line[:i]
			}
			fmt.Println(line)
		}
	}
	// Output:
	// # TYPE packetpath_mib_counter_total counter
	// packetpath_mib_counter_total{otel_scope_name="github.com/packetpath/packetpath/netstack",otel_scope_schema_url="",otel_scope_version="",packetpath_counter="Udp.RcvbufErrors"}
}
