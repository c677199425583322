// Command exporter serves packetpath's view of the Linux network stack as
// Prometheus metrics, through the OpenTelemetry SDK and its Prometheus
// exporter: the way a fleet feeds an existing metrics system.
//
// Usage:
//
//	exporter [-version] [-listen 127.0.0.1:9464] [-netns NAME|PATH] [-proc-root /host/proc]
//	         [-devices eth0,eth1] [-percpu] [-driver-stats 'rx_*,tx_timeout']
//	         [-mib-groups Udp,Ip] [-max-sockets 50] [-sources snmp,udp,...]
//	         [-join 239.1.1.1:5000 -iface eth0 -rcvbuf 8388608]
//	         [-otlp http://collector:4317 [-otlp-protocol grpc|http/protobuf] [-otlp-interval 10s]]
//
// GET /metrics returns the Prometheus text format. Each scrape takes a fresh
// snapshot of the stack (netstack.Collector: /proc/net/snmp and netstat,
// softnet_stat, softirqs, link counters over rtnetlink, ethtool, qdiscs,
// the UDP socket table over sock_diag, sysctls), diagnoses the change since
// the previous scrape, and reports both. OpenTelemetry names become
// Prometheus names with underscores, the unit and _total for counters:
//
//	packetpath_udp_receive_buffer_errors_total{network_transport="udp",network_type="ipv4"}
//	                                                                         datagrams dropped because a socket's receive buffer was full (/proc/net/snmp
//	                                                                         Udp RcvbufErrors; network_type="ipv6" from snmp6); each counter the drop path
//	                                                                         reads has its own family (packetpath_ip_discards_total, ...), the other MIB
//	                                                                         counters one family per group (packetpath_mib_tcp_total{packetpath_counter=...})
//	packetpath_udp_socket_drops_total{network_local_address="0.0.0.0",network_local_port="5000",packetpath_socket_inode="4711",packetpath_socket_cookie="...",process_pid="812",process_executable_name="feed"}
//	                                                                         per-socket drops (sk_drops, as ss -uamn shows them), the 50 sockets with most drops:
//	                                                                         one series per socket (inode), even when several share an address
//	packetpath_udp_socket_receive_queue_size_bytes, packetpath_udp_socket_receive_buffer_limit_bytes
//	                                                                         per-socket rmem_alloc and rcvbuf, the same socket labels
//	system_network_packet_dropped_total{network_interface_name, network_io_direction} link rx_dropped/tx_dropped
//	packetpath_softnet_dropped_total, packetpath_softnet_time_squeeze_total, ...  softnet_stat, one family per column
//	packetpath_link_rx_missed_errors_total{network_interface_name}          link counters, one family per rtnl_link_stats64 field
//	packetpath_qdisc_drops_total{network_interface_name,packetpath_qdisc_handle,packetpath_qdisc_kind}
//	                                                                         qdisc drops as tc -s shows them (also _bytes_total, _packets_total, ...)
//	packetpath_stage_drops_total{packetpath_stage="rx-socket"|...}           packets lost per stage since the exporter started (a counter: any number
//	                                                                         of Prometheus servers see the same total; use rate() or increase())
//	packetpath_diagnosis_findings{packetpath_stage}                          findings per stage between the last two scrapes (by anyone)
//	packetpath_source_up{packetpath_source="snmp"|...}                       1 when the source was read without an error at the last scrape, else 0
//	packetpath_source_errors_total{packetpath_source,error_type}             errors per source since the start (permission, not_found, unsupported, timeout, other)
//
// docs/metrics.md lists every metric (type, unit, labels, kernel source).
// There are no otel_scope_* labels (the scopes have no version or schema
// URL); target_info holds the OpenTelemetry resource
// (service.name="packetpath-exporter").
//
// A source that cannot be read (no permission, no tracefs, a file missing
// under -proc-root) does not stop the others: it is logged on stderr when it
// starts failing, changes its error or recovers, and shows as
// packetpath_source_up 0.
//
// -netns reads another network namespace's counters (the HTTP listener stays
// in the exporter's own namespace); -proc-root reads a procfs mounted
// elsewhere (a container's view of the host's /proc). -mib-groups names the
// snmp/netstat groups to export (Ip, Icmp, IcmpMsg, Tcp, Udp, UdpLite,
// TcpExt, IpExt, MPTcpExt, Ip6, Icmp6, Udp6, UdpLite6); an unknown name, a
// malformed device name, a * inside a -driver-stats name and -iface or
// -rcvbuf without -join are command-line errors (exit 2). -devices limits per-device series,
// -percpu splits softnet and softirq counters per CPU, -driver-stats exports
// the named ethtool -S statistics (exact names or prefixes ending in *).
// -join opens an instrumented socketstats receive socket for the groups and
// reads (discarding) what arrives, so its packetpath_socket_* series
// (packets, drops, buffer fill, queueing delay) show a receiver's view next
// to the stack's; a real application registers its own sockets the same way
// with socketstats.Conn.RegisterMetrics on the exporter's MeterProvider.
//
// -otlp also pushes the same instruments over OTLP (the OpenTelemetry
// SDK's otlpmetricgrpc or otlpmetrichttp exporter, chosen by
// -otlp-protocol) every -otlp-interval to a Collector, alongside /metrics:
// a second reader of the same MeterProvider, with the OpenTelemetry names
// (packetpath.udp.receive_buffer_errors, packetpath.udp.socket.drops, ...) that the
// Prometheus names above are translated from. The URL is http:// (no TLS)
// or https://; for HTTP the path defaults to /v1/metrics. Each push
// collects its own snapshot, so packetpath.stage.drops and the findings
// are computed between successive collections by either reader. A push
// that fails is reported on stderr by the SDK and retried at the next
// interval; it does not stop /metrics. An application that wants the same
// adds an OTLP reader to its own MeterProvider and registers
// netstack.Collector.RegisterMetrics on it (see Example_otlp).
//
// Exit status: 0 after SIGINT or SIGTERM, 1 when the collector or the
// listener cannot start, 2 for a bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/packetpath/packetpath/cmdutil"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if o.version {
		fmt.Fprintln(os.Stdout, cmdutil.Version("exporter"))
		return 0
	}
	if o.netns, err = cmdutil.ResolveNetNS(o.netns); err != nil {
		fmt.Fprintf(stderr, "exporter: -netns: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	ex, err := newExporter(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "exporter: %v\n", cmdutil.ExplainNetNS(err))
		return 1
	}
	defer ex.close()

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		fmt.Fprintf(stderr, "exporter: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: ex.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "exporter: serving http://%s/metrics\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ex.sink != nil {
		go ex.sink.run(ctx)
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "exporter: %v\n", err)
		return 1
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		fmt.Fprintf(stderr, "exporter: shutdown: %v\n", err)
	}
	return 0
}
