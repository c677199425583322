package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/packetpath/packetpath/socketstats"
)

// options are the parsed command line.
type options struct {
	groups     []netip.AddrPort
	source     netip.Addr
	iface      string
	netns      string
	version    bool
	rcvbuf     int
	batch      int
	bufSize    int
	seq        bool
	duration   time.Duration
	interval   time.Duration
	pause      time.Duration
	readDelay  time.Duration
	jsonOut    bool
	quiet      bool
	timestamps bool
	otel       bool
	otelEvery  time.Duration
}

// errUsage marks a command-line error: main prints the usage and exits 2.
var errUsage = errors.New("usage")

// groupList is the repeatable -group flag.
type groupList []netip.AddrPort

func (g *groupList) String() string {
	s := make([]string, len(*g))
	for i, ap := range *g {
		s[i] = ap.String()
	}
	return strings.Join(s, ",")
}

func (g *groupList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		ap, err := netip.ParseAddrPort(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("want ADDR:PORT (e.g. 239.1.1.1:5000 or [ff15::1]:5000): %v", err)
		}
		if !ap.Addr().IsMulticast() {
			return fmt.Errorf("%s is not a multicast address", ap.Addr())
		}
		if ap.Port() == 0 {
			return fmt.Errorf("%s: port 0", ap)
		}
		*g = append(*g, ap)
	}
	return nil
}

// byteSize is a -rcvbuf value: bytes with an optional K, M or G suffix
// (powers of 1024).
type byteSize int

func (b *byteSize) String() string { return strconv.Itoa(int(*b)) }

func (b *byteSize) Set(v string) error {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || uint64(n)*uint64(mult) > 1<<31-1 {
		return fmt.Errorf("want a size in bytes below 2G, with an optional K, M or G suffix: %q", v)
	}
	*b = byteSize(int(n) * mult)
	return nil
}

// newFlagSet declares the flags into o.
func newFlagSet(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mcast-recv", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Var((*groupList)(&o.groups), "group", "multicast `ADDR:PORT` to join (repeatable; all groups share one port and family)")
	fs.Func("source", "source `ADDR` for source-specific multicast (SSM): join (S,G) for every group", func(v string) error {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return err
		}
		if a.IsMulticast() || a.IsUnspecified() {
			return fmt.Errorf("%s cannot be a source", a)
		}
		o.source = a.Unmap()
		return nil
	})
	fs.BoolVar(&o.version, "version", false, "print the version (module and VCS revision) and exit")
	fs.StringVar(&o.iface, "iface", "", "`interface` to join on (default: the route to each group)")
	fs.StringVar(&o.netns, "netns", "", "open the socket inside the network namespace `NS`: a name made by ip netns, or a path (/var/run/netns/NAME, /proc/PID/ns/net)")
	fs.Var((*byteSize)(&o.rcvbuf), "rcvbuf", "receive buffer `size` to ask for (e.g. 212992, 8M; the kernel doubles it); 0 keeps the default")
	fs.IntVar(&o.batch, "batch", socketstats.DefaultMaxBatch, "datagrams per recvmmsg `call` (1.."+strconv.Itoa(socketstats.MaxBatchLimit)+")")
	fs.IntVar(&o.bufSize, "bufsize", 2048, "read buffer per datagram in `bytes`; longer datagrams are counted as truncated")
	fs.BoolVar(&o.seq, "seq", false, "check the big-endian uint64 sequence number at the start of each payload (per sender) for gaps, reorders and duplicates")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this `duration` (0: run until SIGINT or SIGTERM)")
	fs.DurationVar(&o.interval, "interval", time.Second, "telemetry line `period`")
	fs.DurationVar(&o.pause, "pause", 0, "wait this `long` after joining before the first read (simulates a stalled reader)")
	fs.DurationVar(&o.readDelay, "read-delay", 0, "sleep this `long` after every batch (simulates a slow reader)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the summary as one JSON document on stdout (telemetry lines go to stderr)")
	fs.BoolVar(&o.quiet, "quiet", false, "no per-interval telemetry lines")
	fs.BoolVar(&o.timestamps, "timestamps", true, "ask for kernel receive timestamps (SO_TIMESTAMPNS) to measure queueing delay")
	fs.BoolVar(&o.otel, "otel", false, "export the socket's OpenTelemetry metrics: print them to stderr every -otel-interval and at exit")
	fs.DurationVar(&o.otelEvery, "otel-interval", 10*time.Second, "OpenTelemetry print `period`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mcast-recv -group ADDR:PORT [-group ...] [-iface NAME] [flags]\n\n"+
			"Joins multicast groups, reads in batches and reports where datagrams wait and are lost.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into options and validates them. Errors wrap
// errUsage.
func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o, out)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.version {
		return o, nil
	}
	if err := o.validate(fs); err != nil {
		fmt.Fprintf(out, "mcast-recv: %v\n", err)
		fs.Usage()
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return o, nil
}

func (o *options) validate(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(o.groups) == 0 {
		return errors.New("at least one -group ADDR:PORT is required")
	}
	port, is4 := o.groups[0].Port(), o.groups[0].Addr().Unmap().Is4()
	for _, g := range o.groups[1:] {
		if g.Port() != port {
			return fmt.Errorf("-group %s: every group must use the same port as %s (one socket binds one port)", g, o.groups[0])
		}
		if g.Addr().Unmap().Is4() != is4 {
			return fmt.Errorf("-group %s: IPv4 and IPv6 groups cannot share one socket", g)
		}
	}
	if o.source.IsValid() && o.source.Is4() != is4 {
		return fmt.Errorf("-source %s: not the family of the groups", o.source)
	}
	switch {
	case o.batch < 1 || o.batch > socketstats.MaxBatchLimit:
		return fmt.Errorf("-batch %d: want 1..%d", o.batch, socketstats.MaxBatchLimit)
	case o.bufSize < 1 || o.bufSize > 1<<16:
		return fmt.Errorf("-bufsize %d: want 1..65536", o.bufSize)
	case o.rcvbuf < 0:
		return fmt.Errorf("-rcvbuf %d: negative", o.rcvbuf)
	case o.duration < 0:
		return fmt.Errorf("-duration %s: negative", o.duration)
	case o.interval <= 0:
		return fmt.Errorf("-interval %s: want a positive period", o.interval)
	case o.pause < 0 || o.readDelay < 0:
		return errors.New("-pause and -read-delay cannot be negative")
	case o.otel && o.otelEvery <= 0:
		return fmt.Errorf("-otel-interval %s: want a positive period", o.otelEvery)
	}
	return nil
}

// config turns the options into a socketstats.Config.
func (o *options) config() socketstats.Config {
	cfg := socketstats.Config{
		NetNS:         o.netns,
		Interface:     o.iface,
		Port:          o.groups[0].Port(),
		ReceiveBuffer: o.rcvbuf,
		MaxBatch:      o.batch,
	}
	if o.timestamps {
		cfg.Timestamps = socketstats.TimestampsNS
	}
	for _, g := range o.groups {
		cfg.Groups = append(cfg.Groups, socketstats.Group{Addr: g.Addr().Unmap(), Source: o.source})
	}
	return cfg
}
