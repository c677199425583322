package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetpath/packetpath/netstack"
)

// options are the parsed command line.
type options struct {
	listen      string
	version     bool
	netns       string
	procRoot    string
	devices     []string
	perCPU      bool
	driverStats []string
	mibGroups   []string
	maxSockets  int
	sources     netstack.Source
	join        []netip.AddrPort
	iface       string
	rcvbuf      int

	otlp         string        // OTLP endpoint URL; "" for none
	otlpProtocol string        // otlpGRPC or otlpHTTP
	otlpInterval time.Duration // push interval
	otlpTimeout  time.Duration // timeout of one push
}

// errUsage marks a command-line error: the usage is printed, exit 2.
var errUsage = errors.New("usage")

// list is a comma-separated flag value.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }

func (l *list) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("exporter", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9464", "`address` to serve /metrics on (port 0 picks a free port)")
	fs.BoolVar(&o.version, "version", false, "print the version (module and VCS revision) and exit")
	fs.StringVar(&o.netns, "netns", "", "collect the network namespace `NS`: a name made by ip netns, or a path (/var/run/netns/NAME, /proc/PID/ns/net)")
	fs.StringVar(&o.procRoot, "proc-root", "", "procfs mount to read (default /proc; e.g. /host/proc in a container)")
	fs.Var((*list)(&o.devices), "devices", "comma-separated `names` of the devices to export (default: all)")
	fs.BoolVar(&o.perCPU, "percpu", false, "export softnet and softirq counters per CPU")
	fs.Var((*list)(&o.driverStats), "driver-stats", "comma-separated ethtool -S `names` to export (a trailing * matches a prefix); default none")
	fs.Var((*list)(&o.mibGroups), "mib-groups", "comma-separated snmp/netstat `groups` to export (default Ip,Ip6,IpExt,Udp,Udp6,UdpLite)")
	fs.IntVar(&o.maxSockets, "max-sockets", 50, "export the `N` UDP sockets with the most drops; -1 for none")
	sources := fs.String("sources", "", "comma-separated netstack `sources` (softnet,snmp,softirqs,links,devices,ethtool,qdisc,udp,sysctls); default all but dropevents")
	fs.Func("join", "also open an instrumented receive socket joined to `ADDR:PORT` (repeatable) and export its packetpath_socket_* metrics", func(v string) error {
		ap, err := netip.ParseAddrPort(v)
		if err != nil {
			return err
		}
		if !ap.Addr().IsMulticast() || ap.Port() == 0 {
			return fmt.Errorf("%s: want a multicast ADDR:PORT", v)
		}
		o.join = append(o.join, ap)
		return nil
	})
	fs.StringVar(&o.iface, "iface", "", "`interface` for -join (default: the route to the group)")
	fs.IntVar(&o.rcvbuf, "rcvbuf", 0, "receive buffer `bytes` to ask for with -join (0: the kernel default)")
	fs.StringVar(&o.otlp, "otlp", "", "also push the same metrics over OTLP to the collector at `URL` (http://host:4317 for gRPC, http://host:4318 for HTTP; https:// for TLS)")
	fs.StringVar(&o.otlpProtocol, "otlp-protocol", otlpGRPC, "OTLP `protocol`: grpc or http/protobuf")
	fs.DurationVar(&o.otlpInterval, "otlp-interval", 10*time.Second, "OTLP push `interval` (each push collects a snapshot)")
	fs.DurationVar(&o.otlpTimeout, "otlp-timeout", 5*time.Second, "`timeout` of one OTLP push")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: exporter [-listen ADDR:PORT] [-netns NAME|PATH] [flags]\n\n"+
			"Serves packetpath's network-stack metrics at /metrics through the OpenTelemetry Prometheus exporter\n"+
			"and, with -otlp, pushes the same metrics to an OpenTelemetry Collector.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fail := func(format string, a ...any) (*options, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(out, "exporter: %v\n", err)
		fs.Usage()
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.version {
		return o, nil
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	_, port, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fail("-listen %q: %v", o.listen, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fail("-listen %q: bad port: %v", o.listen, err)
	}
	for _, d := range o.devices {
		if err := validDevice(d); err != nil {
			return fail("-devices %q: %v", d, err)
		}
	}
	for _, p := range o.driverStats {
		if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
			return fail("-driver-stats %q: a * may only end a prefix (rx_*)", p)
		}
	}
	for _, g := range o.mibGroups {
		if !slices.Contains(netstack.MIBGroupNames(), g) {
			hint := ""
			for _, k := range netstack.MIBGroupNames() {
				if strings.EqualFold(k, g) {
					hint = fmt.Sprintf(" (did you mean %s?)", k)
				}
			}
			return fail("-mib-groups %q: unknown MIB group%s; known: %s", g, hint, strings.Join(netstack.MIBGroupNames(), ","))
		}
	}
	if o.maxSockets < -1 {
		return fail("-max-sockets %d: want -1 or more", o.maxSockets)
	}
	if o.maxSockets == 0 {
		o.maxSockets = -1 // netstack treats 0 as its default; here 0 means none
	}
	if *sources != "" {
		s, ok := netstack.ParseSources(*sources)
		if !ok {
			return fail("-sources %q: unknown source name", *sources)
		}
		o.sources = s
	}
	if len(o.join) > 0 {
		port := o.join[0].Port()
		for _, g := range o.join[1:] {
			if g.Port() != port || g.Addr().Is4() != o.join[0].Addr().Is4() {
				return fail("-join %s: every group must share the port and family of %s", g, o.join[0])
			}
		}
	}
	if o.otlp != "" {
		if err := validOTLPEndpoint(o.otlp); err != nil {
			return fail("-otlp %q: %v", o.otlp, err)
		}
		if o.otlpProtocol != otlpGRPC && o.otlpProtocol != otlpHTTP {
			return fail("-otlp-protocol %q: want %s or %s", o.otlpProtocol, otlpGRPC, otlpHTTP)
		}
		if o.otlpInterval <= 0 || o.otlpTimeout <= 0 {
			return fail("-otlp-interval %s, -otlp-timeout %s: want positive durations", o.otlpInterval, o.otlpTimeout)
		}
	}
	if o.rcvbuf < 0 {
		return fail("-rcvbuf %d: negative", o.rcvbuf)
	}
	if len(o.join) == 0 {
		if o.iface != "" {
			return fail("-iface %s: only used with -join", o.iface)
		}
		if o.rcvbuf != 0 {
			return fail("-rcvbuf %d: only used with -join", o.rcvbuf)
		}
	} else if o.iface != "" {
		if err := validDevice(o.iface); err != nil {
			return fail("-iface %q: %v", o.iface, err)
		}
	}
	return o, nil
}

// validDevice checks a device name the way the kernel does (dev_valid_name
// in net/core/dev.c): 1 to 15 bytes (IFNAMSIZ less the NUL), not "." or
// "..", no '/', ':' or white space.
func validDevice(name string) error {
	switch {
	case name == "" || len(name) > 15:
		return fmt.Errorf("not a device name: want 1 to 15 bytes")
	case name == "." || name == "..":
		return fmt.Errorf("not a device name")
	case strings.ContainsAny(name, "/: \t\n\v\f\r"):
		return fmt.Errorf("not a device name: '/', ':' and white space are not allowed")
	}
	return nil
}
